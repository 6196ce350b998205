"""The producer's settings, checked once: ``ProducerConfig.create`` takes the constructor's
keyword arguments and returns a frozen object, or raises ``KafkaConfigurationError`` (a
``ValueError``) naming the argument, or a codec error.

Every numeric argument has a legal range (``_RANGES``): Java's ``ProducerConfig`` ranges
(``batch.size``, ``linger.ms``, ``max.request.size``, ``retry.backoff.ms``,
``metadata.max.age.ms``, ``delivery.timeout.ms``, ``max.block.ms`` >= 0;
``max.in.flight.requests.per.connection`` >= 1, ``metadata.max.idle.ms`` >= 5000), tighter
where ours needs it:
``request_timeout_ms`` >= 1 (0 would time out every request and every connect, and it is
written into Produce requests, so it is an int), ``transaction_timeout_ms`` 1..2**31-1
(the broker refuses 0; an int32 on the wire), ``buffer_memory`` >= ``max_batch_size`` (a
batch reserves ``max_batch_size`` bytes: a smaller buffer could never send).

Derived values are computed here too: acks as an int (-1 for "all"; -1 by default when
idempotent, else 1), whether the producer is idempotent (a transactional id implies it),
``max_block`` in seconds, and the connection settings (a ``ClientConfig``, checked with
the producer's ranges) from which the producer's ``AIOKafkaClient`` is built
(``AIOKafkaClient.from_config``).
Plain dataclass, stdlib only (importing the package stays cheap). No I/O.
"""

from __future__ import annotations

import dataclasses
import enum
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final, TypedDict

from aiokafka_gen._validate import RangeBounds, check_range
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.conn._metrics import MetricsOptions
from aiokafka_gen.errors import KafkaConfigurationError
from aiokafka_gen.records.codecs import require_codec

__all__ = ["MISSING", "Missing", "Partitioner", "ProducerConfig"]


class Missing(enum.Enum):
    """The type of ``MISSING``: an argument that was not given."""

    MISSING = "MISSING"


MISSING: Final = Missing.MISSING  # acks not given: the default depends on idempotence
# (key bytes or None, all partitions, available partitions) -> the partition
Partitioner = Callable[[bytes | None, list[int], list[int]], int]


class _Derived(TypedDict):
    """The fields ``ProducerConfig.create`` computes rather than copies."""

    acks: int
    idempotent: bool
    client: ClientConfig
    max_block: float
    max_in_flight: int
    metrics: MetricsOptions


_CODECS = ("gzip", "snappy", "lz4", "zstd", None)
_MAX_IDEMPOTENT_IN_FLIGHT = 5
_DERIVED = frozenset({"acks", "idempotent", "client", "max_block", "max_in_flight", "metrics"})
_INT32_MAX = 2**31 - 1
# the connection settings' ranges (checked by ClientConfig.create), then the producer's own
_CLIENT_RANGES: dict[str, RangeBounds] = {
    "metadata_max_age_ms": {"at_least": 0},
    "request_timeout_ms": {"at_least": 1, "at_most": _INT32_MAX, "integral": True},
    "retry_backoff_ms": {"at_least": 0},
    "connections_max_idle_ms": {},  # any number; <= 0 never closes an idle connection
}
_RANGES: dict[str, RangeBounds] = {
    "metadata_max_idle_ms": {"at_least": 5000},  # Java's lower bound
    "max_batch_size": {"at_least": 0, "at_most": _INT32_MAX, "integral": True},
    "max_request_size": {"at_least": 0, "at_most": _INT32_MAX, "integral": True},
    "linger_ms": {"at_least": 0},
    "transaction_timeout_ms": {"at_least": 1, "at_most": _INT32_MAX, "integral": True},
    "buffer_memory": {"at_least": 0, "integral": True},  # and >= max_batch_size (below)
    "max_block_ms": {"at_least": 0, "allow_none": True},
    "delivery_timeout_ms": {"at_least": 0},
    "max_in_flight_requests_per_connection": {"at_least": 1, "integral": True},
}


def _acks(acks: int | str | Missing, idempotent: bool) -> int:
    if acks not in (0, 1, -1, "all", MISSING):
        raise KafkaConfigurationError(f"acks must be 0, 1, -1 or 'all', not {acks!r}")
    if idempotent and acks not in ("all", -1, MISSING):
        raise KafkaConfigurationError(
            f"acks={acks!r} is not supported with enable_idempotence=True (it needs acks='all')"
        )
    if acks is MISSING:
        return -1 if idempotent else 1
    return -1 if acks == "all" else int(acks)


def _check_numbers(options: Mapping[str, Any]) -> None:
    for name, bounds in _RANGES.items():
        check_range(name, options[name], **bounds)
    if options["buffer_memory"] < options["max_batch_size"]:
        raise KafkaConfigurationError(
            f"buffer_memory must be at least max_batch_size ({options['max_batch_size']}),"
            f" not {options['buffer_memory']}: every batch reserves max_batch_size bytes"
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ProducerConfig:
    """Every constructor argument the producer keeps, validated; the connection settings
    in ``client``."""

    client: ClientConfig
    metadata_max_idle_ms: int
    acks: int
    idempotent: bool
    key_serializer: Callable[[Any], bytes | None] | None  # of the user's key (any type)
    value_serializer: Callable[[Any], bytes | None] | None
    compression_type: str | None
    max_batch_size: int
    partitioner: Partitioner | None
    max_request_size: int
    linger_ms: int
    transactional_id: str | None
    transaction_timeout_ms: int
    buffer_memory: int
    max_block: float  # seconds
    delivery_timeout_ms: int
    max_in_flight: int
    metrics: MetricsOptions

    @classmethod
    def create(cls, options: Mapping[str, Any]) -> ProducerConfig:
        """Check the constructor's keyword arguments (all of them, by name)."""
        if options["api_version"] != "auto":
            warnings.warn("api_version is a no-op: versions are negotiated", DeprecationWarning,
                          stacklevel=3)  # fmt: skip
        compression = options["compression_type"]
        if compression not in _CODECS:
            raise KafkaConfigurationError(
                f"compression_type must be one of {_CODECS}, not {compression!r}"
            )
        require_codec(compression)
        client = ClientConfig.create(options, _CLIENT_RANGES)
        _check_numbers(options)
        idempotent = bool(options["enable_idempotence"]) or options["transactional_id"] is not None
        in_flight = options["max_in_flight_requests_per_connection"]
        if idempotent and in_flight > _MAX_IDEMPOTENT_IN_FLIGHT:
            raise KafkaConfigurationError(
                "max_in_flight_requests_per_connection must be at most 5 with idempotence,"
                f" not {in_flight}"
            )
        return cls(**cls._plain(options), **cls._derived(options, idempotent, client))

    @staticmethod
    def _plain(options: Mapping[str, Any]) -> dict[str, Any]:
        names = {f.name for f in dataclasses.fields(ProducerConfig)} - _DERIVED
        return {name: value for name, value in options.items() if name in names}

    @staticmethod
    def _derived(options: Mapping[str, Any], idempotent: bool, client: ClientConfig) -> _Derived:
        block_ms = options["max_block_ms"]
        return {
            "acks": _acks(options["acks"], idempotent), "idempotent": idempotent, "client": client,
            "max_block": (options["request_timeout_ms"] if block_ms is None else block_ms) / 1000,
            "max_in_flight": options["max_in_flight_requests_per_connection"],
            "metrics": MetricsOptions.create(options),
        }  # fmt: skip

    @property
    def request_timeout_ms(self) -> int:
        """The connection setting, also written into Produce requests."""
        return self.client.request_timeout_ms

    @property
    def retry_backoff_ms(self) -> int:
        """The connection setting, also the transaction manager's and sender's backoff."""
        return self.client.retry_backoff_ms
