"""A minimal OTLP ``MetricsData`` protobuf encoder (KIP-714 pushes OTLP metrics v1).

Why hand-written and not the ``opentelemetry-proto`` package: a push needs eight message
types (MetricsData, ResourceMetrics, Resource, ScopeMetrics, Metric, Gauge, Sum,
NumberDataPoint, plus KeyValue/AnyValue for attributes), all encoded from plain values; the
encoder below is about a hundred lines of stdlib code, where the package would add
``protobuf`` (a large compiled dependency with its own version constraints) to every
install that only wants to produce or consume. The output is checked by decoding it with
the real ``opentelemetry-proto`` classes in ``tests/metrics/test_telemetry_otlp.py`` (a
test-only dependency), and by Kafka's broker, which parses what the client pushes.

Only encoding is implemented; fields at their proto3 default are left out (as protobuf
does), except inside a ``oneof`` (a 0.0 value is written, so it stays set).

Field numbers (opentelemetry-proto ``metrics/v1``, ``common/v1``, ``resource/v1``):

- ``MetricsData``: resource_metrics 1
- ``ResourceMetrics``: resource 1, scope_metrics 2
- ``Resource``: attributes 1
- ``ScopeMetrics``: scope 1, metrics 2; ``InstrumentationScope``: name 1, version 2
- ``Metric``: name 1, description 2, unit 3, gauge 5, sum 7
- ``Gauge``: data_points 1; ``Sum``: data_points 1, aggregation_temporality 2, is_monotonic 3
- ``NumberDataPoint``: start_time_unix_nano 2 (fixed64), time_unix_nano 3 (fixed64),
  as_double 4 (double), as_int 6 (sfixed64), attributes 7
- ``KeyValue``: key 1, value 2; ``AnyValue``: string_value 1
- ``AggregationTemporality``: DELTA 1, CUMULATIVE 2
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CUMULATIVE",
    "DELTA",
    "OtlpPoint",
    "encode_metric",
    "encode_metrics_data",
]

DELTA = 1
CUMULATIVE = 2

_VARINT, _I64, _LEN = 0, 1, 2
_DOUBLE = struct.Struct("<d")
_FIXED64 = struct.Struct("<Q")
_SFIXED64 = struct.Struct("<q")


@dataclass(frozen=True, slots=True)
class OtlpPoint:
    """One metric with one data point, as KIP-714 clients push them.

    ``kind`` is ``"gauge"`` or ``"sum"``; for a sum, ``temporality`` is :data:`DELTA` or
    :data:`CUMULATIVE` and ``monotonic`` says whether it only grows. Times are Unix epoch
    nanoseconds; ``start_time_unix_nano`` 0 means unset. An ``int`` value is written as
    ``as_int``, a ``float`` as ``as_double``.
    """

    name: str
    value: float | int
    time_unix_nano: int
    attributes: tuple[tuple[str, str], ...] = ()
    start_time_unix_nano: int = 0
    kind: str = "gauge"
    temporality: int = CUMULATIVE
    monotonic: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("gauge", "sum"):
            raise ValueError(f"kind must be 'gauge' or 'sum', not {self.kind!r}")
        if self.temporality not in (DELTA, CUMULATIVE):
            raise ValueError(f"temporality must be DELTA or CUMULATIVE, not {self.temporality}")


def _varint(value: int) -> bytes:
    """Base-128 varint; a negative int64 is written as its 64-bit two's complement."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _len(field: int, payload: bytes) -> bytes:
    return _key(field, _LEN) + _varint(len(payload)) + payload


def _string(field: int, text: str) -> bytes:
    return _len(field, text.encode("utf-8")) if text else b""


def _key_value(key: str, value: str) -> bytes:
    """``KeyValue{key, value: AnyValue{string_value}}`` (an empty string value stays set:
    ``string_value`` is in a oneof)."""
    any_value = _len(1, value.encode("utf-8"))
    return _string(1, key) + _len(2, any_value)


def _attributes(field: int, attributes: Iterable[tuple[str, str]]) -> bytes:
    return b"".join(_len(field, _key_value(k, v)) for k, v in attributes)


def _data_point(point: OtlpPoint) -> bytes:
    out = bytearray()
    if point.start_time_unix_nano:
        out += _key(2, _I64) + _FIXED64.pack(point.start_time_unix_nano)
    if point.time_unix_nano:
        out += _key(3, _I64) + _FIXED64.pack(point.time_unix_nano)
    if isinstance(point.value, int) and not isinstance(point.value, bool):
        out += _key(6, _I64) + _SFIXED64.pack(point.value)
    else:
        out += _key(4, _I64) + _DOUBLE.pack(float(point.value))
    out += _attributes(7, point.attributes)
    return bytes(out)


def encode_metric(point: OtlpPoint) -> bytes:
    """The ``Metric`` message (without its field key): name and a one-point gauge or sum."""
    data = _len(1, _data_point(point))
    if point.kind == "gauge":
        body = _len(5, data)
    else:
        data += _key(2, _VARINT) + _varint(point.temporality)
        if point.monotonic:
            data += _key(3, _VARINT) + b"\x01"
        body = _len(7, data)
    return _string(1, point.name) + body


def encode_metrics_data(
    resource: Sequence[tuple[str, str]],
    metrics: Sequence[bytes],
    *,
    scope: tuple[str, str] | None = None,
) -> bytes:
    """``MetricsData`` with one ``ResourceMetrics`` (``resource`` as its attributes) holding
    one ``ScopeMetrics`` with every encoded ``Metric`` of ``metrics`` (from
    :func:`encode_metric`; no ``resource`` field without attributes, as protobuf writes an
    unset message). ``scope`` is an optional (name, version) instrumentation scope."""
    scope_body = bytearray()
    if scope is not None:
        scope_body += _len(1, _string(1, scope[0]) + _string(2, scope[1]))
    for metric in metrics:
        scope_body += _len(2, metric)
    attributes = _attributes(1, resource)
    resource_metrics = (_len(1, attributes) if attributes else b"") + _len(2, bytes(scope_body))
    return _len(1, resource_metrics)
