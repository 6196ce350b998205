"""OpenTelemetry tracing (``aiokafka_gen.metrics.otel``) with the SDK's in-memory exporter:
span names, kinds, attributes, propagation headers, and the produce -> consume hop."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from aiokafka_gen.errors import KafkaTimeoutError
from aiokafka_gen.metrics.otel import ConsumerTracing, ProducerTracing
from aiokafka_gen.structs import ConsumerRecord, RecordMetadata, TopicPartition


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _record(
    topic: str = "t",
    partition: int = 0,
    offset: int = 0,
    key: Any = b"k",
    value: Any = b"v",
    headers: Any = (),
) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic, partition, offset, 0, 0, key, value, None,
        len(key) if isinstance(key, bytes) else -1,
        len(value) if isinstance(value, bytes) else -1,
        tuple(headers),
    )  # fmt: skip


def _metadata(topic: str, partition: int, offset: int) -> RecordMetadata:
    return RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, 0, 0, 0)


def _one(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]


def test_send_span_attributes_headers_and_offset(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    tracing = ProducerTracing(provider, client_id="p-1", bootstrap_servers="broker1:9092,b2:9093")
    user_headers = [("a", b"1"), ("traceparent", b"stale")]
    handle, headers = tracing.start_send("orders", None, b"key-1", user_headers)
    assert user_headers == [("a", b"1"), ("traceparent", b"stale")]  # the caller's list kept
    names = [name for name, _ in headers]
    assert names[0] == "a" and names.count("traceparent") == 1
    assert exporter.get_finished_spans() == ()  # open until the delivery resolves
    tracing.end_send(handle, _metadata("orders", 3, 41))
    tracing.end_send(handle, _metadata("orders", 3, 99))  # a second end is ignored
    span = _one(exporter, "send orders")
    assert span.kind is SpanKind.PRODUCER
    ctx = span.get_span_context()
    assert ctx is not None
    assert dict(headers)["traceparent"] == (
        f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}".encode()
    )
    assert dict(span.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.operation.name": "send",
        "messaging.operation.type": "send",
        "messaging.client.id": "p-1",
        "messaging.destination.name": "orders",
        "messaging.kafka.message.key": "key-1",
        "messaging.destination.partition.id": "3",
        "messaging.kafka.offset": 41,
        "messaging.message.id": "orders.3.41",
        "server.address": "broker1",
        "server.port": 9092,
    }
    assert span.status.status_code is StatusCode.UNSET


def test_send_span_key_partition_and_tombstone_forms(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    tracing = ProducerTracing(provider, client_id="p")
    for key in (b"\xff\xfe", object(), None):
        handle, headers = tracing.start_send("t", 2, key, None, tombstone=True)
        assert [name for name, _ in headers] == ["traceparent"]
        tracing.end_send(handle, None)  # acks=0: no metadata
    for span in exporter.get_finished_spans():
        attributes = dict(span.attributes or {})
        assert "messaging.kafka.message.key" not in attributes
        assert attributes["messaging.destination.partition.id"] == "2"
        assert attributes["messaging.kafka.message.tombstone"] is True
        assert "messaging.kafka.offset" not in attributes
    handle, _ = tracing.start_send("t", None, "text", None)
    tracing.end_send(handle, None)
    handle, _ = tracing.start_send("t", None, 7, None)
    tracing.end_send(handle, None)
    keys = [(s.attributes or {}).get("messaging.kafka.message.key") for s in
            exporter.get_finished_spans()[-2:]]  # fmt: skip
    assert keys == ["text", "7"]


def test_send_span_is_a_child_of_the_callers_span(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    tracing = ProducerTracing(provider, client_id="p")
    with provider.get_tracer("app").start_as_current_span("request") as parent:
        handle, _ = tracing.start_send("t", None, None, None)
    tracing.end_send(handle, _metadata("t", 0, 0))
    span = _one(exporter, "send t")
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id


async def test_send_span_ends_when_the_future_resolves(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    tracing = ProducerTracing(provider, client_id="p")
    loop = asyncio.get_running_loop()
    ok: asyncio.Future[RecordMetadata] = loop.create_future()
    failed: asyncio.Future[RecordMetadata] = loop.create_future()
    cancelled: asyncio.Future[RecordMetadata] = loop.create_future()
    for future, topic in ((ok, "ok"), (failed, "failed"), (cancelled, "cancelled")):
        handle, _ = tracing.start_send(topic, None, None, None)
        tracing.end_when_done(handle, future)
    assert exporter.get_finished_spans() == ()
    ok.set_result(_metadata("ok", 1, 5))
    failed.set_exception(KafkaTimeoutError("expired"))
    cancelled.cancel()
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert len(exporter.get_finished_spans()) == 3
    assert (_one(exporter, "send ok").attributes or {})["messaging.kafka.offset"] == 5
    bad = _one(exporter, "send failed")
    assert bad.status.status_code is StatusCode.ERROR
    assert (bad.attributes or {})["error.type"] == "aiokafka_gen.errors.KafkaTimeoutError"
    assert [event.name for event in bad.events] == ["exception"]
    assert (_one(exporter, "send cancelled").attributes or {})["error.type"] == (
        "asyncio.exceptions.CancelledError"
    )
    with pytest.raises(KafkaTimeoutError):  # the application still gets its exception
        failed.result()
    # already resolved: ended at once
    handle, _ = tracing.start_send("late", None, None, None)
    tracing.end_when_done(handle, ok)
    assert _one(exporter, "send late").end_time is not None


def test_process_span_continues_the_producer_trace(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    producer = ProducerTracing(provider, client_id="p")
    handle, headers = producer.start_send("t", None, b"k", [("h", b"x")])
    producer.end_send(handle, _metadata("t", 1, 7))
    send = _one(exporter, "send t")
    consumer = ConsumerTracing(provider, client_id="c-1", group_id="g", bootstrap_servers=["h:1"])
    record = _record("t", 1, 7, b"k", b"v", headers)
    start = consumer.begin_poll()
    consumer.on_record(record, start_time_ns=start, lag=12)
    # the record's span is current while the application processes it
    current = trace.get_current_span()
    with provider.get_tracer("app").start_as_current_span("handle"):
        pass
    assert current.is_recording()
    consumer.begin_poll()  # the next fetch call ends it
    assert not trace.get_current_span().is_recording()
    process = _one(exporter, "process t")
    assert process.kind is SpanKind.CONSUMER
    assert process.context.trace_id == send.context.trace_id
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert [link.context.span_id for link in process.links] == [send.context.span_id]
    assert dict(process.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.client.id": "c-1",
        "messaging.consumer.group.name": "g",
        "messaging.operation.name": "process",
        "messaging.operation.type": "process",
        "messaging.destination.name": "t",
        "messaging.destination.partition.id": "1",
        "messaging.kafka.offset": 7,
        "messaging.message.id": "t.1.7",
        "messaging.kafka.message.key": "k",
        "messaging.message.body.size": 1,
        "aiokafka_gen.records_lag": 12,
        "server.address": "h",
        "server.port": 1,
    }
    handled = _one(exporter, "handle")
    assert handled.parent is not None and handled.parent.span_id == process.context.span_id


def test_record_without_trace_headers_is_a_child_of_the_current_span(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    consumer = ConsumerTracing(provider, client_id="c")
    with provider.get_tracer("app").start_as_current_span("worker") as worker:
        consumer.on_record(_record(value=None, headers=[("other", b"1")]))
        consumer.close()
    process = _one(exporter, "process t")
    assert process.parent is not None
    assert process.parent.span_id == worker.get_span_context().span_id
    assert process.links == ()
    assert (process.attributes or {})["messaging.kafka.message.tombstone"] is True


def test_stale_context_is_not_restored(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """The application set another current context after the record's: ending the record
    span must not reset the current context to a stale one."""
    provider, exporter = spans
    consumer = ConsumerTracing(provider, client_id="c")

    def scenario() -> None:
        consumer.on_record(_record())
        token = otel_context.attach(otel_context.set_value("mine", 1))
        consumer.begin_poll()
        assert otel_context.get_value("mine") == 1
        otel_context.detach(token)

    contextvars.copy_context().run(scenario)  # the record's context stays in that copy
    assert len(exporter.get_finished_spans()) == 1
    assert not trace.get_current_span().is_recording()


def test_getmany_in_record_mode_opens_a_span_per_record(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    producer = ProducerTracing(provider, client_id="p")
    records = {}
    for partition in (0, 1):
        batch = []
        for offset in range(3):
            handle, headers = producer.start_send("t", partition, None, None)
            producer.end_send(handle, _metadata("t", partition, offset))
            batch.append(_record("t", partition, offset, None, b"v", headers))
        records[TopicPartition("t", partition)] = batch
    sends = {(s.attributes or {})["messaging.message.id"]: s for s in
             exporter.get_finished_spans()}  # fmt: skip
    consumer = ConsumerTracing(provider, client_id="c")
    consumer.on_records(records, lag={TopicPartition("t", 1): 4})
    assert not trace.get_current_span().is_recording()  # a batch is not made current
    assert len(exporter.get_finished_spans()) == 6
    consumer.close()
    processed = [s for s in exporter.get_finished_spans() if s.name == "process t"]
    assert len(processed) == 6
    for span in processed:
        attributes = span.attributes or {}
        send = sends[attributes["messaging.message.id"]]
        assert span.parent is not None and span.parent.span_id == send.context.span_id
        assert attributes.get("aiokafka_gen.records_lag") == (
            4 if attributes["messaging.destination.partition.id"] == "1" else None
        )


def test_poll_mode_links_every_producer_up_to_the_cap(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    producer = ProducerTracing(provider, client_id="p")
    records = []
    for offset in range(5):
        handle, headers = producer.start_send("t", 0, None, None)
        producer.end_send(handle, _metadata("t", 0, offset))
        records.append(_record("t", 0, offset, None, b"v", headers))
    records.append(_record("t", 0, 5, None, b"v", ()))  # a record without a trace
    send_ids = [s.context.span_id for s in exporter.get_finished_spans()]
    consumer = ConsumerTracing(provider, client_id="c", group_id="g", span_per="poll",
                               max_links=3)  # fmt: skip
    start = consumer.begin_poll()
    consumer.on_records(records, start_time_ns=start, lag={("t", 0): 9})
    consumer.on_records([])  # an empty poll makes no span
    poll = _one(exporter, "poll t")
    assert poll.kind is SpanKind.CLIENT
    assert poll.start_time == start
    assert [link.context.span_id for link in poll.links] == send_ids[:3]
    assert dict(poll.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.client.id": "c",
        "messaging.consumer.group.name": "g",
        "messaging.operation.name": "poll",
        "messaging.operation.type": "receive",
        "messaging.destination.name": "t",
        "messaging.destination.partition.id": "0",
        "messaging.batch.message_count": 6,
        "aiokafka_gen.records_lag": 9,
    }
    # two topics: no destination in the name or the attributes
    consumer.on_records([_record("a"), _record("b", partition=1)])
    mixed = _one(exporter, "poll")
    assert "messaging.destination.name" not in (mixed.attributes or {})
    # getone in poll mode: one span for the single record, with its offset and key
    consumer.on_record(_record("one", 2, 8, b"key"))
    single = _one(exporter, "poll one")
    attributes = single.attributes or {}
    assert attributes["messaging.kafka.offset"] == 8
    assert attributes["messaging.kafka.message.key"] == "key"
    assert "messaging.batch.message_count" not in attributes


def test_process_context_manager_marks_failures(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    consumer = ConsumerTracing(provider, client_id="c")
    with consumer.process(_record()) as span:
        assert trace.get_current_span() is span
    with pytest.raises(ValueError), consumer.process(_record(offset=1)):
        raise ValueError("bad record")
    ok, bad = exporter.get_finished_spans()
    assert ok.status.status_code is StatusCode.UNSET
    assert bad.status.status_code is StatusCode.ERROR
    assert (bad.attributes or {})["error.type"] == "ValueError"
    assert not trace.get_current_span().is_recording()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="span_per"):
        ConsumerTracing(None, client_id="c", span_per="batch")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_links"):
        ConsumerTracing(None, client_id="c", max_links=-1)


def test_without_sdk_nothing_is_recorded_or_propagated() -> None:
    """The API's no-op provider: non-recording spans with no valid context to send."""
    tracing = ProducerTracing(trace.NoOpTracerProvider(), client_id="p")
    handle, headers = tracing.start_send("t", None, None, None)
    tracing.end_send(handle, None)
    assert headers == []  # no valid span context to propagate


class _TracedIterator:
    """The wiring of ``__anext__``: the previous record's span ends when the next is asked
    for, and the new one is the current span in the loop body."""

    def __init__(self, tracing: ConsumerTracing, records: list[ConsumerRecord[Any, Any]]) -> None:
        self.tracing = tracing
        self.records = iter(records)

    def __aiter__(self) -> _TracedIterator:
        return self

    async def __anext__(self) -> ConsumerRecord[Any, Any]:
        start = self.tracing.begin_poll()
        await asyncio.sleep(0)
        record = next(self.records, None)
        if record is None:
            raise StopAsyncIteration
        self.tracing.on_record(record, start_time_ns=start)
        return record


async def test_async_for_makes_each_record_current_in_the_loop_body(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    consumer = ConsumerTracing(provider, client_id="c")
    app = provider.get_tracer("app")
    async for record in _TracedIterator(consumer, [_record(offset=i) for i in range(3)]):
        current = trace.get_current_span()
        assert current.is_recording()
        assert (current.attributes or {})["messaging.kafka.offset"] == record.offset  # type: ignore[attr-defined]
        with app.start_as_current_span(f"work {record.offset}"):
            pass
    assert not trace.get_current_span().is_recording()
    processed = {(s.attributes or {})["messaging.kafka.offset"]: s for s in
                 exporter.get_finished_spans() if s.name == "process t"}  # fmt: skip
    assert sorted(processed) == [0, 1, 2]
    for offset in range(3):
        work = _one(exporter, f"work {offset}")
        assert work.parent is not None
        assert work.parent.span_id == processed[offset].context.span_id


async def test_getone_in_another_task_ends_its_span_without_touching_ours(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """``wait_for(consumer.getone())`` runs the call in a task of its own: the record's
    context is set there, and ending the span from our task leaves our context alone."""
    provider, exporter = spans
    consumer = ConsumerTracing(provider, client_id="c")

    async def getone() -> None:
        consumer.on_record(_record())

    await asyncio.wait_for(getone(), 10)
    assert not trace.get_current_span().is_recording()
    consumer.close()
    assert len(exporter.get_finished_spans()) == 1
