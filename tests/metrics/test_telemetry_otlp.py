"""The hand-written OTLP encoder against the real opentelemetry-proto classes, and the
KIP-714 naming rules (metric names, attributes, the subscription's selector)."""

from __future__ import annotations

import math
import random
import uuid

import pytest

from aiokafka_gen.metrics import MetricName
from aiokafka_gen.metrics._otlp import (
    CUMULATIVE,
    DELTA,
    OtlpPoint,
    encode_metric,
    encode_metrics_data,
)
from aiokafka_gen.metrics.telemetry import Subscription, otlp_attributes, otlp_metric_name

from .test_telemetry_support import decode, metrics_pb2


def test_gauge_and_sums_decode_with_opentelemetry_proto() -> None:
    points = [
        OtlpPoint("org.apache.kafka.producer.record.send.rate", 12.5, 1_700_000_000_123_456_789,
                  (("topic", "t1"), ("node_id", "node-1"))),
        OtlpPoint("org.apache.kafka.producer.record.send.total", 42.0, 1_700_000_001_000_000_000,
                  (("topic", "t1"),), 1_600_000_000_000_000_000, "sum", CUMULATIVE, True),
        OtlpPoint("delta.one", -3.25, 5, (), 4, "sum", DELTA, False),
        OtlpPoint("zero.gauge", 0.0, 7),
        OtlpPoint("int.gauge", -(2**40), 8, (("k", ""),)),
        OtlpPoint("nan.gauge", math.nan, 9),
        OtlpPoint("unicode.é", 1.0, 10, (("clé", "välue ✓"),)),
    ]  # fmt: skip
    data = encode_metrics_data(
        [("client_rack", "r1"), ("group_id", "g")], [encode_metric(p) for p in points]
    )
    resource, got = decode(data)
    assert resource == {"client_rack": "r1", "group_id": "g"}
    assert [p.name for p in got] == [p.name for p in points]
    rate, total, delta, zero, integer, nan, uni = got
    assert (rate.kind, rate.value, rate.time_unix_nano) == (
        "gauge",
        12.5,
        1_700_000_000_123_456_789,
    )
    assert rate.attributes == {"topic": "t1", "node_id": "node-1"}
    assert rate.start_time_unix_nano == 0
    assert (total.kind, total.value, total.temporality, total.monotonic) == ("sum", 42.0, 2, True)
    assert total.start_time_unix_nano == 1_600_000_000_000_000_000
    assert (delta.value, delta.temporality, delta.monotonic) == (-3.25, 1, False)
    assert (delta.start_time_unix_nano, delta.time_unix_nano) == (4, 5)
    assert zero.value == 0.0 and zero.kind == "gauge"
    assert integer.value == -(2**40) and integer.attributes == {"k": ""}
    assert math.isnan(nan.value)
    assert uni.attributes == {"clé": "välue ✓"}


def test_zero_double_stays_set_in_the_oneof() -> None:
    data = encode_metrics_data([], [encode_metric(OtlpPoint("z", 0.0, 1))])
    message = metrics_pb2().MetricsData()
    message.ParseFromString(data)
    point = message.resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points[0]
    assert point.WhichOneof("value") == "as_double"


def test_bytes_equal_protobufs_own_encoding() -> None:
    """Field order and defaults as protobuf's serializer writes them: identical bytes."""
    pb = metrics_pb2()
    common = pytest.importorskip("opentelemetry.proto.common.v1.common_pb2")
    rng = random.Random(714)
    for _ in range(200):
        points = []
        expected = pb.MetricsData()
        rm = expected.resource_metrics.add()
        resource = [
            (f"r{i}", uuid.UUID(int=rng.getrandbits(128)).hex) for i in range(rng.randrange(3))
        ]
        for key, value in resource:
            rm.resource.attributes.append(
                common.KeyValue(key=key, value=common.AnyValue(string_value=value))
            )
        sm = rm.scope_metrics.add()
        for i in range(rng.randrange(1, 6)):
            attrs = tuple((f"a{j}", str(rng.randrange(1000))) for j in range(rng.randrange(3)))
            kind = rng.choice(["gauge", "sum"])
            value = rng.choice([rng.uniform(-1e9, 1e9), float(rng.randrange(10**6))])
            now, start = rng.getrandbits(63), rng.choice([0, rng.getrandbits(63)])
            temporality, monotonic = rng.choice([DELTA, CUMULATIVE]), rng.random() < 0.5
            points.append(
                OtlpPoint(f"m.{i}", value, now, attrs, start, kind, temporality, monotonic)
            )
            metric = sm.metrics.add(name=f"m.{i}")
            body = metric.gauge if kind == "gauge" else metric.sum
            if kind == "sum":
                body.aggregation_temporality = temporality
                body.is_monotonic = monotonic
            dp = body.data_points.add(
                time_unix_nano=now, start_time_unix_nano=start, as_double=value
            )
            for key, val in attrs:
                dp.attributes.append(
                    common.KeyValue(key=key, value=common.AnyValue(string_value=val))
                )
        data = encode_metrics_data(resource, [encode_metric(p) for p in points])
        assert data == expected.SerializeToString(deterministic=True)


def test_point_checks_its_kind_and_temporality() -> None:
    with pytest.raises(ValueError, match="kind"):
        OtlpPoint("x", 1.0, 1, kind="histogram")
    with pytest.raises(ValueError, match="temporality"):
        OtlpPoint("x", 1.0, 1, kind="sum", temporality=0)


@pytest.mark.parametrize(
    ("name", "group", "expected"),
    [
        ("record-send-rate", "producer-metrics", "org.apache.kafka.producer.record.send.rate"),
        ("request-latency-avg", "producer-node-metrics",
         "org.apache.kafka.producer.node.request.latency.avg"),
        ("records-lag", "consumer-fetch-manager-metrics",
         "org.apache.kafka.consumer.fetch.manager.records.lag"),
        ("connection-count", "admin-client-metrics",
         "org.apache.kafka.admin.client.connection.count"),
        ("byte-total", "producer-topic-metrics", "org.apache.kafka.producer.topic.byte.total"),
        ("Upper-Case", "Odd-Metrics", "org.apache.kafka.odd.upper.case"),
    ],
)  # fmt: skip
def test_metric_names_follow_javas_telemetry_naming(name: str, group: str, expected: str) -> None:
    assert otlp_metric_name(MetricName(name, group)) == expected


def test_attributes_snake_case_without_client_id() -> None:
    tags = {"client-id": "c", "node-id": "node-1", "topic": "t", "Partition": "0"}
    assert otlp_attributes(tags) == (("node_id", "node-1"), ("topic", "t"), ("partition", "0"))


def _sub(requested: tuple[str, ...]) -> Subscription:
    return Subscription(uuid.uuid4(), 1, 1.0, (), 1 << 20, True, requested)


def test_selector_semantics() -> None:
    name = "org.apache.kafka.producer.record.send.rate"
    assert not _sub(()).wants(name) and not _sub(()).wants_any
    assert _sub(("*",)).wants(name)
    assert _sub(("",)).wants(name)  # an empty prefix matches everything too
    assert _sub(("org.apache.kafka.producer.",)).wants(name)
    assert _sub(("org.apache.kafka.consumer.", "org.apache.kafka.producer.record")).wants(name)
    assert not _sub(("org.apache.kafka.consumer.",)).wants(name)
    assert not _sub(("*", "org.apache.kafka.consumer.")).wants(name)  # "*" only alone
