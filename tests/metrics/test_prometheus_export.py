"""The Prometheus collector (``aiokafka_gen.metrics.prometheus``): the text exposition of a
populated registry, parsed back and checked."""

from __future__ import annotations

import asyncio
import gc
import math
import re
import threading
from types import SimpleNamespace

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from aiokafka_gen.metrics import Metrics
from aiokafka_gen.metrics import catalogue as C
from aiokafka_gen.metrics.prometheus import (
    prometheus_labels,
    prometheus_name,
    register_prometheus,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _producer(clock: Clock, client_id: str = "p-1") -> Metrics:
    registry = Metrics(client_id, "producer", clock=clock)
    per_request = registry.sensor(C.PRODUCER_RECORDS_PER_REQUEST)
    per_request.record(10, 0.5)
    per_request.record(20, 1.0)
    latency = registry.sensor(C.NODE_LATENCY, node_id=1)
    latency.record(4.0, 1.0)
    latency.record(8.0, 1.5)
    registry.sensor(C.PRODUCER_TOPIC_RECORDS, topic="orders").record(30, 1.0)
    registry.sensor(C.PRODUCER_REQUEST_LATENCY)  # never recorded: NaN
    registry.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1024.0)
    clock.now = 2.0
    return registry


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(registry: CollectorRegistry) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, labels), and every family's type, from the text format."""
    text = generate_latest(registry).decode()
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, key
            samples[key] = sample.value
    return samples, types


def test_exposition_of_a_populated_registry() -> None:
    target = CollectorRegistry()
    clock = Clock()
    registry = _producer(clock)
    registration = register_prometheus(registry, target)
    samples, types = _scrape(target)
    expected: Samples = {}
    for name, value in registry.snapshot().items():
        family = prometheus_name(name.group, name.name)
        counter = name.name.endswith("-total")
        sample = family if not counter or family.endswith("_total") else family + "_total"
        expected[sample, frozenset(prometheus_labels(name.tags).items())] = value
    assert samples.keys() == expected.keys()
    for key, value in expected.items():
        assert samples[key] == pytest.approx(value, nan_ok=True), key
    client = frozenset({("client_id", "p-1")})
    assert samples["kafka_producer_record_send_total", client] == 30
    assert samples["kafka_producer_records_per_request_avg", client] == 15
    assert math.isnan(samples["kafka_producer_request_latency_avg", client])
    node = frozenset({("client_id", "p-1"), ("node_id", "node-1")})
    assert samples["kafka_producer_node_request_latency_max", node] == 8
    topic = frozenset({("client_id", "p-1"), ("topic", "orders")})
    assert samples["kafka_producer_topic_record_send_total", topic] == 30
    assert samples["kafka_producer_buffer_available_bytes", client] == 1024
    assert types["kafka_producer_record_send"] == "counter"
    assert types["kafka_producer_record_send_rate"] == "gauge"
    assert types["kafka_producer_buffer_available_bytes"] == "gauge"
    text = generate_latest(target).decode()
    assert "# TYPE kafka_producer_record_send_total counter" in text
    assert "# HELP kafka_producer_record_send_total Records sent since the producer" in text
    registration.unregister()
    assert _scrape(target) == ({}, {})


def test_clients_merge_into_one_collector_and_leave_it() -> None:
    target = CollectorRegistry()
    clock = Clock()
    first_registry, second_registry = _producer(clock, "p-1"), _producer(clock, "p-2")
    first = register_prometheus(first_registry, target)
    second = register_prometheus(second_registry, target)
    consumer = Metrics("c-1", "consumer", clock=clock)
    consumer.sensor(C.CONSUMER_RECORDS_FETCHED).record(3, 1.0)
    consumer.sensor(C.CONSUMER_TOPIC_RECORDS, topic="t").record(3, 1.0)
    with register_prometheus(SimpleNamespace(metrics_registry=consumer), target):
        samples, types = _scrape(target)
        owners = {dict(labels)["client_id"] for name, labels in samples
                  if name == "kafka_producer_record_send_total"}  # fmt: skip
        assert owners == {"p-1", "p-2"}
        consumed = {labels for name, labels in samples
                    if name == "kafka_consumer_fetch_manager_records_consumed_total"}  # fmt: skip
        assert consumed == {
            frozenset({("client_id", "c-1")}),
            frozenset({("client_id", "c-1"), ("topic", "t")}),
        }
        assert types["kafka_consumer_fetch_manager_records_consumed"] == "counter"
    first.unregister()
    first.unregister()  # idempotent
    samples, _ = _scrape(target)
    assert {dict(labels)["client_id"] for _, labels in samples} == {"p-2"}
    second.unregister()
    assert list(target.collect()) == []  # the collector left with its last client
    # and a new registration brings a new one
    with register_prometheus(first_registry, target):
        assert _scrape(target)[0]


def test_a_dropped_client_is_not_kept_alive() -> None:
    target = CollectorRegistry()
    register_prometheus(_producer(Clock(), "gone"), target)
    gc.collect()
    assert _scrape(target) == ({}, {})


def test_default_registry_and_bad_sources() -> None:
    from prometheus_client import REGISTRY

    registry = _producer(Clock(), "default-registry-client")
    with register_prometheus(registry):
        text = generate_latest(REGISTRY).decode()
        assert 'client_id="default-registry-client"' in text
    assert "default-registry-client" not in generate_latest(REGISTRY).decode()
    with pytest.raises(TypeError, match="no metrics registry"):
        register_prometheus(object(), CollectorRegistry())


async def test_a_scrape_from_another_thread_reads_on_the_loop() -> None:
    target = CollectorRegistry()
    registry = Metrics("p-1", "producer")
    threads: list[int] = []

    def gauge() -> float:
        threads.append(threading.get_ident())
        return 2.0

    registry.gauge(C.PRODUCER_BUFFER_AVAILABLE, gauge)
    with register_prometheus(registry, target):
        samples, _ = await asyncio.to_thread(_scrape, target)
    assert samples == {
        ("kafka_producer_buffer_available_bytes", frozenset({("client_id", "p-1")})): 2.0
    }
    assert threads == [threading.get_ident()]


def test_names_and_labels() -> None:
    assert prometheus_name("producer-metrics", "record-send-rate") == (
        "kafka_producer_record_send_rate"
    )
    assert prometheus_name("admin-client-node-metrics", "request-latency-avg") == (
        "kafka_admin_client_node_request_latency_avg"
    )
    assert prometheus_labels({"client-id": "a", "node-id": "node-1"}) == {
        "client_id": "a",
        "node_id": "node-1",
    }
    legal = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    for spec in C.ALL_SENSORS:
        for kind in spec.clients:
            for metric in spec.metrics:
                group = spec.group.replace("{prefix}", kind)
                assert legal.match(prometheus_name(group, metric.name))
