"""The metrics registry exported through OpenTelemetry observable instruments
(``aiokafka_gen.metrics.otel.register_metrics``), read with the SDK's in-memory reader."""

from __future__ import annotations

import asyncio
import gc
import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Gauge, InMemoryMetricReader, Sum

from aiokafka_gen.metrics import Metrics
from aiokafka_gen.metrics import catalogue as C
from aiokafka_gen.metrics.otel import otel_attributes, otel_name, otel_unit, register_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def reader() -> Iterator[tuple[MeterProvider, InMemoryMetricReader]]:
    metric_reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[metric_reader])
    yield provider, metric_reader
    provider.shutdown()


Points = dict[tuple[str, frozenset[tuple[str, Any]]], float]


def _collect(metric_reader: InMemoryMetricReader) -> tuple[Points, dict[str, Any]]:
    """Every data point by (instrument, attributes), and every instrument's metric."""
    points: Points = {}
    metrics: dict[str, Any] = {}
    data = metric_reader.get_metrics_data()
    if data is None:
        return points, metrics
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                metrics[metric.name] = metric
                for point in metric.data.data_points:
                    key = (metric.name, frozenset((point.attributes or {}).items()))
                    points[key] = point.value  # type: ignore[union-attr]
    return points, metrics


def _producer(clock: Clock, client_id: str = "p-1") -> Metrics:
    registry = Metrics(client_id, "producer", clock=clock)
    per_request = registry.sensor(C.PRODUCER_RECORDS_PER_REQUEST)
    per_request.record(10, 0.5)
    per_request.record(20, 1.0)
    latency = registry.sensor(C.NODE_LATENCY, node_id=1)
    latency.record(4.0, 1.0)
    latency.record(8.0, 1.5)
    registry.sensor(C.PRODUCER_TOPIC_RECORDS, topic="orders").record(30, 1.0)
    registry.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1024.0)
    clock.now = 2.0
    return registry


def test_every_metric_is_exported_with_its_value(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    clock = Clock()
    registry = _producer(clock)
    latency = registry.sensor(C.PRODUCER_REQUEST_LATENCY)  # no record: avg/max are NaN
    latency_avg = next(n for n, _ in latency.metric_names if n.name == "request-latency-avg")
    register_metrics(provider, registry)
    points, metrics = _collect(metric_reader)
    expected: Points = {}
    for name, value in registry.snapshot().items():
        if not math.isnan(value):
            key = (otel_name(name.group, name.name), frozenset(otel_attributes(name.tags).items()))
            expected[key] = value
    assert points == pytest.approx(expected)
    client = frozenset({("client_id", "p-1")})
    assert points["org.apache.kafka.producer.record.send.total", client] == 30
    assert points["org.apache.kafka.producer.records.per.request.avg", client] == 15
    node = frozenset({("client_id", "p-1"), ("node_id", "node-1")})
    assert points["org.apache.kafka.producer.node.request.latency.max", node] == 8
    topic = frozenset({("client_id", "p-1"), ("topic", "orders")})
    assert points["org.apache.kafka.producer.topic.record.send.total", topic] == 30
    assert points["org.apache.kafka.producer.buffer.available.bytes", client] == 1024
    # totals are monotonic cumulative sums, the rest gauges; units in UCUM
    total = metrics["org.apache.kafka.producer.record.send.total"]
    assert isinstance(total.data, Sum) and total.data.is_monotonic
    assert total.unit == "{records}"
    rate = metrics["org.apache.kafka.producer.record.send.rate"]
    assert isinstance(rate.data, Gauge) and rate.unit == "{records}/s"
    assert metrics["org.apache.kafka.producer.node.request.latency.avg"].unit == "ms"
    assert metrics["org.apache.kafka.producer.buffer.available.bytes"].unit == "By"
    assert "Records sent" in total.description
    # an empty window's average and maximum are not reported (NaN in the registry)
    assert math.isnan(registry.snapshot()[latency_avg])
    assert ("org.apache.kafka.producer.request.latency.avg", client) not in points
    assert ("org.apache.kafka.producer.request.latency.max", client) not in points


def test_each_collection_reads_fresh_values(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    clock = Clock()
    registry = _producer(clock)
    register_metrics(provider, registry)
    key = ("org.apache.kafka.producer.record.send.total", frozenset({("client_id", "p-1")}))
    assert _collect(metric_reader)[0][key] == 30
    registry.sensor(C.PRODUCER_RECORDS_PER_REQUEST).record(5, 2.0)
    assert _collect(metric_reader)[0][key] == 35
    # a sensor created between collections appears in the next one
    registry.sensor(C.PRODUCER_TOPIC_RECORDS, topic="new").record(1, 2.0)
    points, _ = _collect(metric_reader)
    new = frozenset({("client_id", "p-1"), ("topic", "new")})
    assert points["org.apache.kafka.producer.topic.record.send.total", new] == 1


def test_clients_share_instruments_and_unregister(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    clock = Clock()
    first_registry = _producer(clock, "p-1")
    first = register_metrics(provider, first_registry)
    second_registry = _producer(clock, "p-2")
    second = register_metrics(provider, second_registry)
    consumer = Metrics("c-1", "consumer", clock=clock)
    consumer.sensor(C.CONSUMER_RECORDS_FETCHED).record(3, 1.0)
    third = register_metrics(provider, consumer)
    points, _ = _collect(metric_reader)
    name = "org.apache.kafka.producer.record.send.total"
    assert {dict(attrs)["client_id"] for n, attrs in points if n == name} == {"p-1", "p-2"}
    assert any(n.startswith("org.apache.kafka.consumer.fetch.manager.") for n, _ in points)
    with first:
        pass  # leaving the block unregisters
    first.unregister()  # idempotent
    points, _ = _collect(metric_reader)
    assert {dict(attrs)["client_id"] for n, attrs in points if n == name} == {"p-2"}
    second.unregister()
    third.unregister()
    points, _ = _collect(metric_reader)
    assert not [key for key in points if key[0].startswith("org.apache.kafka.")]
    assert second_registry.snapshot()  # the registry itself is untouched


def test_a_dropped_registry_is_not_kept_alive(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    register_metrics(provider, _producer(Clock(), "gone"))  # never unregistered
    gc.collect()
    assert _collect(metric_reader)[0] == {}


def test_a_failing_gauge_is_left_out(reader: tuple[MeterProvider, InMemoryMetricReader]) -> None:
    provider, metric_reader = reader
    clock = Clock()
    registry = _producer(clock)

    def broken() -> float:
        raise RuntimeError("gone")

    registry.gauge(C.PRODUCER_WAITING_SENDS, broken)
    register_metrics(provider, registry)
    points, _ = _collect(metric_reader)
    assert not [key for key in points if "waiting" in key[0]]
    assert any(key[0].endswith("buffer.available.bytes") for key in points)


async def test_a_reader_thread_reads_the_registry_on_its_loop(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    registry = Metrics("p-1", "producer")
    threads: list[int] = []

    def gauge() -> float:
        threads.append(threading.get_ident())
        return 1.0

    registry.gauge(C.PRODUCER_BUFFER_AVAILABLE, gauge)
    register_metrics(provider, registry)
    points, _ = await asyncio.to_thread(_collect, metric_reader)
    assert points["org.apache.kafka.producer.buffer.available.bytes",
                  frozenset({("client_id", "p-1")})] == 1.0  # fmt: skip
    assert threads == [threading.get_ident()]  # read on the loop's thread


async def test_a_loop_that_does_not_answer_is_skipped(
    reader: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, metric_reader = reader
    registry = Metrics("p-1", "producer")
    registry.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    register_metrics(provider, registry, read_timeout=0.05)
    collected: list[Points] = []
    finished = threading.Event()

    def collect() -> None:
        collected.append(_collect(metric_reader)[0])
        finished.set()

    worker = threading.Thread(target=collect)
    worker.start()
    finished.wait()  # the loop is blocked until the reader gave up on it
    worker.join()
    assert collected == [{}]
    await asyncio.sleep(0)  # the abandoned read runs now and is dropped
    points, _ = _collect(metric_reader)
    assert len(points) == 1


def test_names_attributes_and_units() -> None:
    assert otel_name("producer-metrics", "record-send-rate") == (
        "org.apache.kafka.producer.record.send.rate"
    )
    assert otel_name("admin-client-node-metrics", "request-latency-avg", "kafka") == (
        "kafka.admin.client.node.request.latency.avg"
    )
    assert otel_attributes({"client-id": "c", "node-id": "node-1"}) == {
        "client_id": "c",
        "node_id": "node-1",
    }
    assert [otel_unit(u) for u in ("ms", "bytes/s", "records/s", "rebalances/h", "ratio")] == [
        "ms",
        "By/s",
        "{records}/s",
        "{rebalances}/h",
        "1",
    ]


def test_every_catalogue_name_is_a_legal_instrument_name() -> None:
    import re

    legal = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$")
    for spec in C.ALL_SENSORS:
        for kind in spec.clients:
            for metric in spec.metrics:
                assert legal.match(otel_name(spec.group.replace("{prefix}", kind), metric.name))
