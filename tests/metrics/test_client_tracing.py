"""OpenTelemetry and Prometheus through the clients themselves (``tracer_provider=``,
``meter_provider=``, ``register_prometheus(client)``) on a real broker: the send span, its
context in the record's headers, the consumer's process / poll spans continuing it, the
clients' metrics exported; and no provider = no OpenTelemetry at all."""

from __future__ import annotations

import sys
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

pytestmark = pytest.mark.integration


def tracer() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def test_send_and_process_spans_form_one_trace(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    provider, spans = tracer()
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, client_id="traced-p", tracer_provider=provider
    ) as producer:
        meta = await producer.send_and_wait(topic, b"v", key=b"k", headers=[("h", b"1")])
    (send,) = spans.get_finished_spans()
    assert send.name == f"send {topic}" and send.kind is SpanKind.PRODUCER
    attrs = dict(send.attributes or {})
    assert attrs["messaging.system"] == "kafka"
    assert attrs["messaging.destination.name"] == topic
    assert attrs["messaging.destination.partition.id"] == str(meta.partition)
    assert attrs["messaging.kafka.offset"] == meta.offset
    assert attrs["messaging.client.id"] == "traced-p"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, tracer_provider=provider, client_id="traced-c"
    )
    async with consumer:
        tp = TopicPartition(topic, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        record = await consumer.getone()
        headers = dict(record.headers)
        assert headers["h"] == b"1"  # the user's header is kept next to the context
        assert headers["traceparent"].decode().split("-")[1] == format(
            send.context.trace_id, "032x"
        )
    process = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    assert len(process) == 1  # ended by stop()
    (span,) = process
    assert span.name == f"process {topic}"
    assert span.context.trace_id == send.context.trace_id
    assert span.parent is not None and span.parent.span_id == send.context.span_id
    assert [link.context.span_id for link in span.links] == [send.context.span_id]
    assert dict(span.attributes or {})["aiokafka_gen.records_lag"] == 0  # nothing after it


async def test_poll_spans_link_every_record(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    provider, spans = tracer()
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, tracer_provider=provider
    ) as producer:
        for i in range(5):
            await producer.send_and_wait(topic, b"%d" % i)
    sends = {s.context.span_id for s in spans.get_finished_spans()}
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        tracer_provider=provider, tracing_span="poll",
    )  # fmt: skip
    async with consumer:
        got = 0
        while got < 5:
            got += sum(len(v) for v in (await consumer.getmany(timeout_ms=5000)).values())
    polls = [s for s in spans.get_finished_spans() if s.name == f"poll {topic}"]
    assert polls and all(s.kind is SpanKind.CLIENT for s in polls)
    assert {link.context.span_id for s in polls for link in s.links} == sends


async def test_meter_provider_and_prometheus_read_the_clients(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    from aiokafka_gen.metrics.prometheus import register_prometheus

    topic = kafka_topic(1)
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    registry = prometheus_client.CollectorRegistry()
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, client_id="exported", meter_provider=meters
    ) as producer:
        with register_prometheus(producer, registry=registry):
            for _ in range(7):
                await producer.send_and_wait(topic, b"m")
            data = reader.get_metrics_data()
            scraped = prometheus_client.generate_latest(registry).decode()
    points = {
        metric.name: [p.value for p in metric.data.data_points]
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }
    assert points["org.apache.kafka.producer.record.send.total"] == [7]
    line = next(
        line for line in scraped.splitlines()
        if line.startswith("kafka_producer_record_send_total{")
    )  # fmt: skip
    assert 'client_id="exported"' in line and line.endswith(" 7.0")


def test_no_provider_imports_no_opentelemetry() -> None:
    import subprocess

    code = (
        "import sys, asyncio\n"
        "from aiokafka_gen import AIOKafkaProducer, AIOKafkaConsumer\n"
        "AIOKafkaProducer(); AIOKafkaConsumer()\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'otel'\n"
        "assert 'aiokafka_gen.metrics.otel' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
