"""The per-client registry: names and tags as Java puts them, snapshots, removal, expiry."""

from __future__ import annotations

import math

import pytest

from aiokafka_gen.metrics import KafkaMetric, MetricConfig, MetricName, Metrics
from aiokafka_gen.metrics import catalogue as cat


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def registry(prefix: str = "producer", expiry: float | None = 100.0) -> tuple[Metrics, Clock]:
    clock = Clock()
    return Metrics("app-1", prefix, MetricConfig(idle_expiry=expiry), clock=clock), clock


def test_metric_name_equality_ignores_description_and_tag_order() -> None:
    a = MetricName("x", "g", "one", {"client-id": "c", "topic": "t"})
    b = MetricName("x", "g", "two", {"topic": "t", "client-id": "c"})
    assert a == b and hash(a) == hash(b)
    assert list(a.tags) == ["client-id", "topic"] and list(b.tags) == ["topic", "client-id"]
    assert a != MetricName("x", "g2", "one", a.tags)
    assert a != MetricName("x", "g", "one", {"client-id": "c"})
    assert a != "x"
    with pytest.raises(TypeError):
        a.tags["topic"] = "u"  # type: ignore[index]
    assert "topic" in repr(a)


def test_names_groups_and_tags_as_java() -> None:
    metrics, _ = registry()
    metrics.sensor(cat.PRODUCER_REQUEST_LATENCY)
    metrics.sensor(cat.NODE_LATENCY, node_id=1)
    metrics.sensor(cat.PRODUCER_TOPIC_RECORDS, topic="orders")
    snap = metrics.snapshot()
    assert MetricName("request-latency-avg", "producer-metrics", "", {"client-id": "app-1"}) in snap
    node = MetricName(
        "request-latency-max",
        "producer-node-metrics",
        "",
        {"client-id": "app-1", "node-id": "node-1"},
    )
    assert node in snap
    topic = MetricName(
        "record-send-total", "producer-topic-metrics", "", {"client-id": "app-1", "topic": "orders"}
    )
    assert snap[topic] == 0.0
    consumer, _ = registry("consumer")
    consumer.sensor(cat.CONSUMER_PARTITION_LAG, topic="t", partition=3)
    (name, *_rest) = consumer.snapshot()
    assert name.group == "consumer-fetch-manager-metrics"
    assert dict(name.tags) == {"client-id": "app-1", "topic": "t", "partition": "3"}
    admin, _ = registry("admin-client")
    admin.sensor(cat.NODE_BYTES_SENT, node_id=-1)
    assert {n.group for n in admin.snapshot()} == {"admin-client-node-metrics"}
    assert {n.tags["node-id"] for n in admin.snapshot()} == {"node--1"}


def test_sensor_is_created_once_per_tag_values() -> None:
    metrics, _ = registry()
    a = metrics.sensor(cat.NODE_LATENCY, node_id=1)
    assert metrics.sensor(cat.NODE_LATENCY, node_id=1) is a
    assert metrics.sensor(cat.NODE_LATENCY, node_id=2) is not a
    assert len(list(metrics.sensors())) == 2
    assert len(metrics) == 4


def test_wrong_tags_or_client_are_refused() -> None:
    metrics, _ = registry()
    with pytest.raises(TypeError):
        metrics.sensor(cat.NODE_LATENCY)
    with pytest.raises(TypeError):
        metrics.sensor(cat.PRODUCER_REQUEST_LATENCY, topic="t")
    with pytest.raises(ValueError):
        metrics.sensor(cat.CONSUMER_FETCH_LATENCY)
    with pytest.raises(ValueError):
        metrics.gauge(cat.CONSUMER_LAST_POLL, lambda: 0.0)


def test_snapshot_values_and_gauges() -> None:
    metrics, clock = registry()
    sensor = metrics.sensor(cat.PRODUCER_RECORDS_PER_REQUEST)
    sensor.record(100, 0.0)
    sensor.record(300, 1.0)
    in_flight = [3]
    name = metrics.gauge(cat.PRODUCER_REQUESTS_IN_FLIGHT, lambda: in_flight[0])
    assert name.name == "requests-in-flight" and name.group == "producer-metrics"
    clock.now = 10.0
    snap = {n.name: v for n, v in metrics.snapshot().items()}
    assert snap == {
        "record-send-rate": pytest.approx(400 / 40),
        "record-send-total": 400.0,
        "records-per-request-avg": 200.0,
        "requests-in-flight": 3.0,
    }
    in_flight[0] = 5
    assert metrics.snapshot()[name] == 5.0
    # snapshot(now) overrides the clock
    assert metrics.snapshot(40.0)[sensor.metric_names[0][0]] == pytest.approx(400 / 40)


def test_metrics_mapping_reads_on_demand() -> None:
    metrics, clock = registry()
    sensor = metrics.sensor(cat.PRODUCER_REQUEST_LATENCY)
    gauge = metrics.gauge(cat.CONNECTION_COUNT, lambda: 2)
    table = metrics.metrics()
    avg = MetricName("request-latency-avg", "producer-metrics", "", {"client-id": "app-1"})
    assert isinstance(table[avg], KafkaMetric) and "request-latency-avg" in repr(table[avg])
    assert math.isnan(table[avg].metric_value())
    sensor.record(8.0, 0.0)
    sensor.record(4.0, 0.0)
    assert table[avg].metric_value() == 6.0
    assert table[gauge].metric_value() == 2.0
    assert table[avg].metric_name.description == "Average Produce request latency."
    clock.now = 100.0
    assert math.isnan(table[avg].metric_value())  # purged: the clock moved 100 s on


def test_remove_tagged_drops_topic_partition_and_node_metrics() -> None:
    metrics, _ = registry("consumer")
    metrics.sensor(cat.CONSUMER_FETCH_LATENCY)
    metrics.sensor(cat.CONSUMER_TOPIC_BYTES, topic="a")
    metrics.sensor(cat.CONSUMER_TOPIC_BYTES, topic="b")
    metrics.sensor(cat.CONSUMER_PARTITION_LAG, topic="a", partition=0)
    metrics.sensor(cat.CONSUMER_PARTITION_LAG, topic="a", partition=1)
    metrics.sensor(cat.NODE_LATENCY, node_id=3)
    assert metrics.remove_tagged(topic="a", partition=1) == 1
    assert metrics.remove_tagged(topic="a") == 2
    assert metrics.remove_tagged(node_id=3) == 1
    assert metrics.remove_tagged(topic="zzz") == 0
    keys = sorted((s.key[0], s.key[1][1:]) for s in metrics.sensors())
    assert keys == [("consumer.fetch-latency", ()), ("consumer.topic-bytes-fetched", ("b",))]


def test_remove_one_sensor_or_gauge_and_clear() -> None:
    metrics, _ = registry()
    sensor = metrics.sensor(cat.PRODUCER_BATCH_SIZE)
    name = metrics.gauge(cat.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    assert metrics.remove_sensor(sensor) and not metrics.remove_sensor(sensor)
    assert metrics.remove_gauge(name) and not metrics.remove_gauge(name)
    assert metrics.snapshot() == {}
    metrics.sensor(cat.PRODUCER_BATCH_SIZE)
    metrics.clear()
    assert len(metrics) == 0


def test_idle_expiry_drops_only_tagged_sensors() -> None:
    metrics, clock = registry(expiry=100.0)
    client_level = metrics.sensor(cat.PRODUCER_REQUEST_LATENCY)
    busy = metrics.sensor(cat.NODE_LATENCY, node_id=1)
    idle = metrics.sensor(cat.NODE_LATENCY, node_id=2)  # created at 0, never recorded
    assert not client_level.expirable and busy.expirable
    busy.record(1.0, 50.0)
    assert metrics.expire(100.0) == 0  # idle for exactly the limit: kept (Java: >)
    assert metrics.expire(100.5) == 1
    assert idle not in list(metrics.sensors())
    clock.now = 151.0
    assert metrics.expire() == 1  # busy: last record at 50
    assert list(metrics.sensors()) == [client_level]
    # A removed sensor asked for again is a new one.
    assert metrics.sensor(cat.NODE_LATENCY, node_id=1) is not busy


def test_no_expiry_when_disabled() -> None:
    metrics, _ = registry(expiry=None)
    metrics.sensor(cat.NODE_LATENCY, node_id=1)
    assert metrics.expire(1e9) == 0


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        MetricConfig(sample_window=0)
    with pytest.raises(ValueError):
        MetricConfig(num_samples=0)
    with pytest.raises(ValueError):
        MetricConfig(idle_expiry=0)
    assert MetricConfig() == MetricConfig(30.0, 2, 600.0)


def test_consumer_prune_drops_exactly_the_revoked_partitions_sensors() -> None:
    from types import SimpleNamespace

    from aiokafka_gen.consumer._metrics import ConsumerMetrics
    from aiokafka_gen.consumer.subscription_state import SubscriptionState
    from aiokafka_gen.structs import TopicPartition

    metrics, _ = registry("consumer")
    consumer = ConsumerMetrics(metrics, read_committed=False)
    subs = SubscriptionState()
    tps = [TopicPartition(topic, p) for topic in ("a", "b") for p in range(3)]
    subs.assign_from_user(tps)
    state = SimpleNamespace(position=5, highwater=9, lso=None, log_start=1)
    for tp in tps:
        consumer.consumed(SimpleNamespace(tp=tp, delivered=2, state=state))  # type: ignore[arg-type]

    def partitions() -> set[tuple[str, str, str]]:
        return {(n.name, n.tags["topic"], n.tags["partition"])
                for n in metrics.snapshot() if "partition" in n.tags}  # fmt: skip

    assert len(partitions()) == 6 * 6  # lag and lead: three metrics each
    before = {n for n in metrics.snapshot() if "partition" not in n.tags}
    subs.assign_from_user([tps[0], tps[4]])
    consumer.prune(subs)
    kept = {(topic, p) for _, topic, p in partitions()}
    assert kept == {("a", "0"), ("b", "1")}
    assert len(partitions()) == 2 * 6
    after = {n for n in metrics.snapshot() if "partition" not in n.tags}
    assert after == {n for n in before if n.tags.get("topic") in (None, "a", "b")}
    subs.assign_from_user([tps[0], tps[1], tps[4]])
    consumer.consumed(SimpleNamespace(tp=tps[1], delivered=1, state=state))  # type: ignore[arg-type]
    assert ("records-lag", "a", "1") in partitions()  # assigned again: made again
