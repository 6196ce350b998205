"""Trace continuity with ``opentelemetry-instrumentation-aiokafka`` through a real broker:
aiokafka's instrumented producer -> our consumer + ConsumerTracing, and our ProducerTracing's
headers -> aiokafka's instrumented consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("opentelemetry.sdk")
pytest.importorskip("opentelemetry.instrumentation.aiokafka")

import aiokafka
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka_gen.metrics.otel import ConsumerTracing, ProducerTracing
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = AIOKafkaInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield provider, exporter
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def _named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


async def test_our_consumer_continues_an_aiokafka_producer_trace(
    traced: tuple[TracerProvider, InMemorySpanExporter],
    kafka_bootstrap: str,
    kafka_topic: Callable[..., str],
) -> None:
    provider, exporter = traced
    topic = kafka_topic(1)
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"value", key=b"key-1", partition=0)
    finally:
        await producer.stop()
    (send,) = _named(exporter, f"{topic} send")  # the instrumentation's span name
    assert send.kind is SpanKind.PRODUCER

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        tracing = ConsumerTracing(
            provider, client_id="ours", group_id=None, bootstrap_servers=kafka_bootstrap
        )
        record = await asyncio.wait_for(consumer.getone(), 60)
        assert [name for name, _ in record.headers] == ["traceparent"]
        tracing.on_record(record, start_time_ns=tracing.begin_poll())
        tracing.close()
    finally:
        await consumer.stop()
    (process,) = _named(exporter, f"process {topic}")
    assert process.kind is SpanKind.CONSUMER
    assert process.context.trace_id == send.context.trace_id
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert [link.context.span_id for link in process.links] == [send.context.span_id]
    attributes = process.attributes or {}
    assert attributes["messaging.kafka.message.key"] == "key-1"
    assert attributes["messaging.kafka.offset"] == 0
    assert attributes["messaging.destination.name"] == topic
    # every attribute the instrumentation records on its send span, we record on ours
    # (its deprecated ``publish`` operation type and JSON server.address aside)
    ours = ProducerTracing(provider, client_id="p", bootstrap_servers=kafka_bootstrap)
    handle, _ = ours.start_send(topic, 0, b"key-1", None)
    ours.end_send(handle, None)
    (our_send,) = _named(exporter, f"send {topic}")
    assert set(send.attributes or {}) <= set(our_send.attributes or {})


async def test_aiokafka_consumer_continues_our_producer_trace(
    traced: tuple[TracerProvider, InMemorySpanExporter],
    kafka_bootstrap: str,
    kafka_topic: Callable[..., str],
) -> None:
    provider, exporter = traced
    topic = kafka_topic(1)
    tracing = ProducerTracing(provider, client_id="ours", bootstrap_servers=kafka_bootstrap)
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
        handle, headers = tracing.start_send(topic, 0, b"key-2", [("app", b"1")])
        future = await producer.send(topic, b"value", key=b"key-2", partition=0, headers=headers)
        tracing.end_when_done(handle, future)
        await future
    (send,) = _named(exporter, f"send {topic}")
    assert (send.attributes or {})["messaging.kafka.offset"] == 0

    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([aiokafka.TopicPartition(topic, 0)])
        record = await asyncio.wait_for(consumer.getone(), 60)
    finally:
        await consumer.stop()
    assert record.headers[0] == ("app", b"1")
    (receive,) = _named(exporter, f"{topic} receive")  # the instrumentation's span
    assert receive.kind is SpanKind.CONSUMER
    assert receive.context.trace_id == send.context.trace_id
    assert receive.parent is not None and receive.parent.span_id == send.context.span_id
    # every attribute it records on a consumed record, we record on ours
    ours = ConsumerTracing(provider, client_id="c", group_id="g", bootstrap_servers="h:1")
    ours.on_record(record)
    ours.close()
    (process,) = _named(exporter, f"process {topic}")
    renamed = {"messaging.kafka.message.offset": "messaging.kafka.offset"}  # deprecated name
    theirs = {renamed.get(key, key) for key in receive.attributes or {}}
    assert theirs <= set(process.attributes or {})
