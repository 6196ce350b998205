"""OpenTelemetry: spans for sends and consumed records, and the metrics registry exported
through observable instruments (issue #24, item 3).

Needs ``opentelemetry-api`` only (the SDK, exporters and propagators are the application's
choice). Nothing here is imported unless a client is given a ``tracer_provider`` or a
``meter_provider``: the clients hold ``None`` otherwise and pay one ``is None`` test.

Tracing follows OpenTelemetry's messaging semantic conventions for Kafka (development
status; the attribute names of semantic conventions up to v1.44, listed in ``ATTR`` below):

- ``send <topic>``, kind PRODUCER, one per ``send()``: a child of the caller's context,
  ended when the delivery future resolves (offset, partition, or the error).
- ``process <topic>``, kind CONSUMER, one per record (``span_per="record"``), from when
  ``getone()``/``__anext__``/``getmany()`` returns the record until the next fetch call (or
  ``stop()``): a child of the producer's context read from the record headers (of the
  caller's context when the record carries none) and linked to the producer's context.
  With ``getone()`` and ``async for`` it is the current span meanwhile, so the
  application's own spans are its children.
- ``poll <topic>`` (``poll`` for several topics), kind CLIENT, one per fetch call that
  returned records (``span_per="poll"``), from the call to its return: a child of the
  caller's context, linked to each record's producer context (at most ``max_links``).

The propagation headers are written by the global propagator (``opentelemetry.propagate``,
W3C ``traceparent``/``tracestate`` and ``baggage`` by default) into a copy of the record's
headers; a header the propagator writes that the caller already set (a record forwarded with
its old trace headers) is replaced, not duplicated.

Attributes compared with ``opentelemetry-instrumentation-aiokafka`` 0.66b1 (read from its
source; it wraps ``AIOKafkaProducer.send``, ``AIOKafkaConsumer.getone`` and ``getmany``):

- span names: theirs ``<topic> send`` and ``<topic> receive`` (per record, and per getmany
  with the topics joined by ", "); here ``send <topic>``, ``process <topic>``,
  ``poll <topic>``, as the conventions name them.
- send span: theirs ends before the record is queued (no offset, no error); here it ends
  when the broker acknowledges or refuses the record.
- per-record consumer span: theirs is a CONSUMER child of the producer, ended at once inside
  ``getone()``; here a CONSUMER child of the producer plus a link to it, open while the
  record is processed.
- ``getmany()``: theirs a CONSUMER span plus one span per partition linking the record
  spans; here the per-record spans (record mode) or one CLIENT ``poll`` span linking the
  producers (poll mode).
- ``messaging.system`` (``kafka``), ``messaging.destination.name``,
  ``messaging.client.id``, ``messaging.consumer.group.name``: both.
- ``messaging.operation.name``: theirs ``send``/``receive``; here ``send``/``process``/
  ``poll``. ``messaging.operation.type``: theirs ``publish`` (a deprecated value)/
  ``receive``; here ``send``/``process``/``receive``.
- ``messaging.destination.partition.id``: both; theirs on the send span computed before
  sending (a second metadata wait and partitioner call), here the given partition at the
  start and the one written to at the end.
- ``messaging.kafka.message.key``: theirs bytes decoded as UTF-8, else ``str(key)``; here
  str keys, UTF-8 bytes and numbers, omitted when the key has no canonical string form (as
  the conventions say).
- offset: theirs ``messaging.kafka.message.offset`` (the deprecated name), consumer only;
  here ``messaging.kafka.offset`` on consumer and send spans.
- ``messaging.message.id`` (``topic.partition.offset``): both, here wherever the offset is
  known. ``messaging.batch.message_count``: theirs on getmany spans, here on poll spans.
- ``server.address``: theirs the JSON of the bootstrap list; here the host of the first
  bootstrap server, plus ``server.port``.
- only here: ``messaging.kafka.message.tombstone`` (null value),
  ``messaging.message.body.size`` (consumer: the serialized value size), ``error.type`` and
  the error status of failed sends, ``aiokafka_gen.records_lag`` (when the caller passes
  it).

Metrics (:func:`register_metrics`): every metric of a :class:`~._core.Metrics` registry is an
observable instrument, named as Kafka's own client telemetry names Java metrics (KIP-714,
``MetricNamingConvention``): ``org.apache.kafka.`` + the group without its ``-metrics``
suffix + ``.`` + the metric name, dashes made dots, lowercase
(``producer-metrics``/``record-send-rate`` -> ``org.apache.kafka.producer.record.send.rate``,
``producer-node-metrics``/``request-latency-avg`` ->
``org.apache.kafka.producer.node.request.latency.avg``); tags become attributes with dashes
made underscores (``client_id``, ``node_id``, ``topic``, ``partition``, ``api``). Totals
and counts are observable counters (cumulative, monotonic); averages, maxima, rates, values
and gauges are observable gauges. Units follow UCUM (``ms``, ``ns``, ``s``, ``By``,
``By/s``, ``{records}/s``, ``1`` for ratios). A statistic with no value (the average or
maximum of an empty window, NaN in the registry) is not reported.

The registry is not thread-safe, and OpenTelemetry's periodic readers collect from their own
thread: a collection made off the registry's event loop reads the registry on that loop
(``call_soon_threadsafe``) and waits up to ``read_timeout`` seconds; a loop that does not
answer in time is skipped for that collection.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import Token
from typing import Literal, Protocol, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation
from opentelemetry.propagators.textmap import Getter, TextMapPropagator
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, TracerProvider

from .. import __version__
from ._core import Metrics
from ._reading import COUNTERS
from ._reading import BoundRegistry as _Bound
from .catalogue import ALL_GAUGES, ALL_SENSORS

__all__ = [
    "ATTR",
    "ConsumerTracing",
    "MetricsRegistration",
    "ProducerTracing",
    "RecordLike",
    "RecordSpan",
    "SendHandle",
    "otel_attributes",
    "otel_name",
    "otel_unit",
    "register_metrics",
]

T = TypeVar("T")  # a delivery future's result
K = TypeVar("K")  # the key of a batch of records (a TopicPartition)

#: The instrumentation scope of every span and instrument.
SCOPE = "aiokafka_gen"

#: Attribute keys (semantic conventions for Kafka, up to v1.44; v1.45 renames the three
#: ``messaging.kafka.*`` keys to ``kafka.offset``, ``kafka.message.key`` and
#: ``kafka.message.tombstone``).
ATTR = {
    "system": "messaging.system",
    "operation_name": "messaging.operation.name",
    "operation_type": "messaging.operation.type",
    "destination": "messaging.destination.name",
    "partition": "messaging.destination.partition.id",
    "client_id": "messaging.client.id",
    "group": "messaging.consumer.group.name",
    "key": "messaging.kafka.message.key",
    "offset": "messaging.kafka.offset",
    "tombstone": "messaging.kafka.message.tombstone",
    "message_id": "messaging.message.id",
    "batch_count": "messaging.batch.message_count",
    "body_size": "messaging.message.body.size",
    "server_address": "server.address",
    "server_port": "server.port",
    "error_type": "error.type",
    "lag": "aiokafka_gen.records_lag",
}
_SYSTEM = ATTR["system"]
_OP_NAME = ATTR["operation_name"]
_OP_TYPE = ATTR["operation_type"]
_DEST = ATTR["destination"]
_PARTITION = ATTR["partition"]
_CLIENT_ID = ATTR["client_id"]
_GROUP = ATTR["group"]
_KEY = ATTR["key"]
_OFFSET = ATTR["offset"]
_TOMBSTONE = ATTR["tombstone"]
_MESSAGE_ID = ATTR["message_id"]
_BATCH_COUNT = ATTR["batch_count"]
_BODY_SIZE = ATTR["body_size"]
_LAG = ATTR["lag"]

AttributeValue = str | bool | int | float
Headers = Sequence[tuple[str, bytes | None]]


class RecordLike(Protocol):
    """What tracing reads of a consumed record (``ConsumerRecord`` has it all)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> object: ...
    @property
    def value(self) -> object: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


# -- shared helpers ----------------------------------------------------------------------------


def _key_attribute(key: object) -> str | None:
    """The key as the conventions want it: its canonical string form, or None when it
    has none (undecodable bytes, arbitrary objects)."""
    if key is None:
        return None
    if isinstance(key, str):
        return key
    if isinstance(key, bytes | bytearray | memoryview):
        try:
            return bytes(key).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(key, int | float):
        return str(key)
    return None


def _server(bootstrap_servers: str | Sequence[str] | None) -> dict[str, AttributeValue]:
    """``server.address``/``server.port`` of the first bootstrap server."""
    if not bootstrap_servers:
        return {}
    first = bootstrap_servers if isinstance(bootstrap_servers, str) else bootstrap_servers[0]
    first = first.split(",")[0].strip()
    if "://" in first:
        first = first.split("://", 1)[1]
    host, sep, port = first.rpartition(":")
    if not sep:
        return {ATTR["server_address"]: first}
    host = host.strip("[]")  # an IPv6 literal
    out: dict[str, AttributeValue] = {ATTR["server_address"]: host}
    if port.isdigit():
        out[ATTR["server_port"]] = int(port)
    return out


def _error_type(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _fail(span: Span, exc: BaseException) -> None:
    if span.is_recording():
        span.set_attribute(ATTR["error_type"], _error_type(exc))
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, str(exc) or type(exc).__name__))


class _HeaderGetter(Getter[Headers]):
    """Reads propagation fields from Kafka headers (``(str, bytes)`` pairs, in order)."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        found = [
            value.decode("latin-1") for name, value in carrier if name == key and value is not None
        ]
        return found or None

    def keys(self, carrier: Headers) -> list[str]:
        return [name for name, _ in carrier]


_GETTER = _HeaderGetter()


def _propagator(chosen: TextMapPropagator | None) -> TextMapPropagator:
    return chosen if chosen is not None else propagate.get_global_textmap()


def _tracer(tracer_provider: TracerProvider | None) -> trace.Tracer:
    return trace.get_tracer(SCOPE, __version__, tracer_provider=tracer_provider)


# -- producer ---------------------------------------------------------------------------------


class SendHandle:
    """One send's span, from :meth:`ProducerTracing.start_send` to ``end_send``."""

    __slots__ = ("ended", "span", "topic")

    def __init__(self, span: Span, topic: str) -> None:
        self.span = span
        self.topic = topic
        self.ended = False


class ProducerTracing:
    """A PRODUCER span per ``send()``, with the trace context written into the headers.

    ``bootstrap_servers`` gives ``server.address``/``server.port``; ``propagator`` replaces
    the global one (read at each send, so a propagator installed later is used).
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None,
        *,
        client_id: str,
        bootstrap_servers: str | Sequence[str] | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracer = _tracer(tracer_provider)
        self._propagator = propagator
        self._base: dict[str, AttributeValue] = {
            _SYSTEM: "kafka",
            _OP_NAME: "send",
            _OP_TYPE: "send",
            _CLIENT_ID: client_id,
            **_server(bootstrap_servers),
        }

    def start_send(
        self,
        topic: str,
        partition: int | None,
        key: object,
        headers: Iterable[tuple[str, bytes | None]] | None,
        *,
        tombstone: bool = False,
    ) -> tuple[SendHandle, list[tuple[str, bytes | None]]]:
        """Start the send's span; returns its handle and the headers to send (a copy of
        ``headers`` with the propagation fields). ``key`` is the key as the caller gave it
        (before serialization); ``tombstone`` is True for a null value."""
        attributes = dict(self._base)
        attributes[_DEST] = topic
        if partition is not None:
            attributes[_PARTITION] = str(partition)
        key_text = _key_attribute(key)
        if key_text is not None:
            attributes[_KEY] = key_text
        if tombstone:
            attributes[_TOMBSTONE] = True
        span = self._tracer.start_span(
            f"send {topic}", kind=SpanKind.PRODUCER, attributes=attributes
        )
        carrier: dict[str, str] = {}
        _propagator(self._propagator).inject(carrier, context=trace.set_span_in_context(span))
        out: list[tuple[str, bytes | None]] = [
            (name, value) for name, value in headers or () if name not in carrier
        ]
        out.extend((name, value.encode("latin-1")) for name, value in carrier.items())
        return SendHandle(span, topic), out

    def end_send(self, handle: SendHandle, outcome: object) -> None:
        """End the span: ``outcome`` is the ``RecordMetadata`` (None with acks=0) or the
        exception the send failed with. A second call does nothing."""
        if handle.ended:
            return
        handle.ended = True
        span = handle.span
        if isinstance(outcome, BaseException):
            _fail(span, outcome)
        elif outcome is not None and span.is_recording():
            partition = getattr(outcome, "partition", None)
            offset = getattr(outcome, "offset", None)
            if isinstance(partition, int) and partition >= 0:
                span.set_attribute(_PARTITION, str(partition))
                if isinstance(offset, int) and offset >= 0:
                    span.set_attribute(_OFFSET, offset)
                    span.set_attribute(_MESSAGE_ID, f"{handle.topic}.{partition}.{offset}")
        span.end()

    def end_when_done(self, handle: SendHandle, future: asyncio.Future[T]) -> None:
        """End the span when the delivery future resolves (at once if it has)."""
        if future.done():
            self.end_send(handle, _outcome(future))
        else:
            future.add_done_callback(lambda done: self.end_send(handle, _outcome(done)))


_NO_PEEK = object()


def _outcome(future: asyncio.Future[T]) -> object:
    """A done future's result or exception, without marking the exception retrieved (the
    application still gets asyncio's "never retrieved" warning if it drops the future)."""
    if future.cancelled():
        return asyncio.CancelledError()
    exc = getattr(future, "_exception", _NO_PEEK)
    if exc is _NO_PEEK:
        exc = future.exception()
    if isinstance(exc, BaseException):
        return exc
    return future.result()


# -- consumer ---------------------------------------------------------------------------------


class RecordSpan:
    """A record's ``process`` span, and the context token when it is the current one."""

    __slots__ = ("context", "span", "token")

    def __init__(self, span: Span, context: Context) -> None:
        self.span = span
        self.context = context
        self.token: Token[Context] | None = None


SpanPer = Literal["record", "poll"]


class ConsumerTracing:
    """Spans for consumed records; see the module docstring for the span structure.

    The consumer calls :meth:`begin_poll` when a fetch call starts (``getone``,
    ``getmany``, ``__anext__``: the application is done with the previous records) and
    :meth:`on_record` / :meth:`on_records` with what the call returns; :meth:`close` from
    ``stop()``. The application can also trace its own processing with
    :meth:`process` (a context manager).

    ``span_per``: ``"record"`` (a ``process`` span per record, for the time the application
    holds it) or ``"poll"`` (one ``poll`` span per fetch call that returned records).
    ``activate``: in record mode, make a record from ``getone``/``async for`` the current
    context until the next fetch call. ``max_links``: links per poll span.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None,
        *,
        client_id: str,
        group_id: str | None = None,
        span_per: SpanPer = "record",
        bootstrap_servers: str | Sequence[str] | None = None,
        propagator: TextMapPropagator | None = None,
        activate: bool = True,
        max_links: int = 128,
    ) -> None:
        if span_per not in ("record", "poll"):
            raise ValueError(f"span_per must be 'record' or 'poll', got {span_per!r}")
        if max_links < 0:
            raise ValueError("max_links must be >= 0")
        self.span_per = span_per
        self.activate = activate
        self.max_links = max_links
        self._tracer = _tracer(tracer_provider)
        self._propagator = propagator
        self._base: dict[str, AttributeValue] = {
            _SYSTEM: "kafka",
            _CLIENT_ID: client_id,
            **_server(bootstrap_servers),
        }
        if group_id is not None:
            self._base[_GROUP] = group_id
        self._open: list[RecordSpan] = []

    # -- reading the producer's context ---------------------------------------------------

    def extract(self, record: RecordLike) -> Context | None:
        """The context propagated in the record's headers; None when it carries none."""
        headers = record.headers
        if not headers:
            return None
        ctx = _propagator(self._propagator).extract(headers, getter=_GETTER)
        if not trace.get_current_span(ctx).get_span_context().is_valid:
            return None
        return ctx

    def _record_attributes(
        self, record: RecordLike, operation: str, op_type: str, lag: int | None
    ) -> dict[str, AttributeValue]:
        attributes = dict(self._base)
        attributes[_OP_NAME] = operation
        attributes[_OP_TYPE] = op_type
        attributes[_DEST] = record.topic
        attributes[_PARTITION] = str(record.partition)
        attributes[_OFFSET] = record.offset
        attributes[_MESSAGE_ID] = f"{record.topic}.{record.partition}.{record.offset}"
        key_text = _key_attribute(record.key)
        if key_text is not None:
            attributes[_KEY] = key_text
        if record.value is None:
            attributes[_TOMBSTONE] = True
        size = getattr(record, "serialized_value_size", -1)
        if isinstance(size, int) and size >= 0:
            attributes[_BODY_SIZE] = size
        if lag is not None:
            attributes[_LAG] = lag
        return attributes

    # -- per record -----------------------------------------------------------------------

    def start_record(self, record: RecordLike, *, lag: int | None = None) -> RecordSpan:
        """Start a record's ``process`` span (child of the producer's context, linked to
        it); end it with :meth:`end_record`."""
        producer = self.extract(record)
        links: list[Link] = []
        if producer is not None:
            links.append(Link(trace.get_current_span(producer).get_span_context()))
        span = self._tracer.start_span(
            f"process {record.topic}",
            context=producer,
            kind=SpanKind.CONSUMER,
            attributes=self._record_attributes(record, "process", "process", lag),
            links=links,
        )
        return RecordSpan(span, trace.set_span_in_context(span, producer))

    def end_record(self, handle: RecordSpan, error: BaseException | None = None) -> None:
        """End a record's span (``error``: the processing failed)."""
        if handle.token is not None:
            _detach(handle)
        if error is not None:
            _fail(handle.span, error)
        handle.span.end()

    @contextmanager
    def process(self, record: RecordLike, *, lag: int | None = None) -> Iterator[Span]:
        """``with tracing.process(record) as span:`` -- the record's ``process`` span, the
        current one inside the block; an exception raised in the block marks it failed."""
        handle = self.start_record(record, lag=lag)
        token = otel_context.attach(handle.context)
        try:
            yield handle.span
        except BaseException as exc:
            _fail(handle.span, exc)
            raise
        finally:
            otel_context.detach(token)
            handle.span.end()

    # -- the consumer's hooks ---------------------------------------------------------------

    def begin_poll(self) -> int:
        """A fetch call starts: end the spans of the records returned before (their
        processing is over); returns the start time for :meth:`on_records`."""
        if self._open:
            self.close()
        return time.time_ns()

    def on_record(
        self, record: RecordLike, *, start_time_ns: int | None = None, lag: int | None = None
    ) -> None:
        """A single-record call (``getone``, ``__anext__``) returned ``record``."""
        if self.span_per == "poll":
            lags = {} if lag is None else {(record.topic, record.partition): lag}
            self._poll_span([record], start_time_ns, batch=False, lag=lags)
            return
        handle = self.start_record(record, lag=lag)
        if self.activate:
            handle.token = otel_context.attach(handle.context)
        self._open.append(handle)

    def on_records(
        self,
        records: Mapping[K, Sequence[RecordLike]] | Sequence[RecordLike],
        *,
        start_time_ns: int | None = None,
        lag: Mapping[tuple[str, int], int] | None = None,
    ) -> None:
        """A batch call (``getmany``) returned ``records`` (its dict, or a flat sequence).
        ``lag``: records-lag by ``(topic, partition)`` (a ``TopicPartition`` key works)."""
        flat: Sequence[RecordLike]
        if isinstance(records, Mapping):
            flat = [record for batch in records.values() for record in batch]
        else:
            flat = records
        if not flat:
            return
        if self.span_per == "poll":
            self._poll_span(flat, start_time_ns, batch=True, lag=lag or {})
            return
        for record in flat:
            part_lag = lag.get((record.topic, record.partition)) if lag else None
            self._open.append(self.start_record(record, lag=part_lag))

    def close(self) -> None:
        """End every open record span (the consumer stops, or the next fetch starts)."""
        open_spans, self._open = self._open, []
        # the current context goes back in the reverse order it was set
        for handle in reversed(open_spans):
            if handle.token is not None:
                _detach(handle)
        for handle in open_spans:
            handle.span.end()

    def _poll_span(
        self,
        records: Sequence[RecordLike],
        start_time_ns: int | None,
        *,
        batch: bool,
        lag: Mapping[tuple[str, int], int],
    ) -> None:
        links: list[Link] = []
        for record in records:
            if len(links) >= self.max_links:
                break
            producer = self.extract(record)
            if producer is not None:
                links.append(Link(trace.get_current_span(producer).get_span_context()))
        topics = {record.topic for record in records}
        partitions = {(record.topic, record.partition) for record in records}
        if len(records) == 1:
            only = records[0]
            attributes = self._record_attributes(
                only, "poll", "receive", lag.get((only.topic, only.partition))
            )
        else:
            attributes = dict(self._base)
            attributes[_OP_NAME] = "poll"
            attributes[_OP_TYPE] = "receive"
            if len(topics) == 1:
                attributes[_DEST] = next(iter(topics))
            if len(partitions) == 1:
                topic, partition = next(iter(partitions))
                attributes[_PARTITION] = str(partition)
                if (topic, partition) in lag:
                    attributes[_LAG] = lag[topic, partition]
        if batch:
            attributes[_BATCH_COUNT] = len(records)
        name = f"poll {next(iter(topics))}" if len(topics) == 1 else "poll"
        span = self._tracer.start_span(
            name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            links=links,
            start_time=start_time_ns,
        )
        span.end()


def _detach(handle: RecordSpan) -> None:
    """Undo ``attach`` only while the record's context is still the current one: when the
    application set another since (or this runs in another task), resetting would bring
    back a stale context."""
    token, handle.token = handle.token, None
    if token is not None and otel_context.get_current() is handle.context:
        otel_context.detach(token)


# -- metrics ----------------------------------------------------------------------------------

_WORD_UNIT = {"ms": "ms", "ns": "ns", "s": "s", "bytes": "By", "ratio": "1", "": "1"}


def otel_name(group: str, name: str, domain: str = "org.apache.kafka") -> str:
    """The instrument name of a metric (KIP-714's convention: the group without its
    ``-metrics`` suffix, dashes made dots, lowercase)."""
    group = group.lower()
    if group.endswith("-metrics"):
        group = group[: -len("-metrics")]
    return ".".join((domain, group.replace("-", "."), name.lower().replace("-", ".")))


def otel_attributes(tags: Mapping[str, str]) -> dict[str, str]:
    """A metric's tags as attributes (dashes made underscores: ``client_id``, ``node_id``)."""
    return {key.lower().replace("-", "_"): value for key, value in tags.items()}


def otel_unit(unit: str) -> str:
    """A catalogue unit in UCUM: ``records/s`` -> ``{records}/s``, ``bytes`` -> ``By``."""
    base, sep, per = unit.partition("/")
    mapped = _WORD_UNIT.get(base, f"{{{base}}}")
    return f"{mapped}/{per}" if sep else mapped


class _Declared:
    __slots__ = ("counter", "description", "unit")

    def __init__(self, counter: bool, unit: str, description: str) -> None:
        self.counter = counter
        self.unit = unit
        self.description = description


def _declared(kind: str, domain: str) -> dict[str, _Declared]:
    """Every instrument a client of this kind can report, from the catalogue."""
    out: dict[str, _Declared] = {}
    for sensor in ALL_SENSORS:
        if not sensor.applies_to(kind):
            continue
        group = sensor.group.replace("{prefix}", kind)
        for metric in sensor.metrics:
            out.setdefault(
                otel_name(group, metric.name, domain),
                _Declared(metric.stat in COUNTERS, otel_unit(metric.unit), metric.description),
            )
    for gauge in ALL_GAUGES:
        if gauge.applies_to(kind):
            group = gauge.group.replace("{prefix}", kind)
            out.setdefault(
                otel_name(group, gauge.name, domain),
                _Declared(False, otel_unit(gauge.unit), gauge.description),
            )
    return out


class MetricsRegistration:
    """What :func:`register_metrics` returns: :meth:`unregister` (idempotent; also a
    context manager) stops reporting the registry."""

    def __init__(self, exporter: _OtelExporter, bound: _Bound) -> None:
        self._exporter: _OtelExporter | None = exporter
        self._bound = bound

    def unregister(self) -> None:
        exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.remove(self._bound)

    def __enter__(self) -> MetricsRegistration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unregister()


class _OtelExporter:
    """The instruments of one meter provider, shared by every registry reported through it
    (an instrument exists once per name; its callback reports every registry)."""

    def __init__(self, meter: Meter, domain: str, read_timeout: float) -> None:
        self._meter = meter
        self._domain = domain
        self._read_timeout = read_timeout
        self._lock = threading.Lock()
        self._bound: list[_Bound] = []
        self._kinds: set[str] = set()
        self._instruments: dict[str, object] = {}
        # One reading of every registry per collection: the first callback of a collection
        # reads them all, the others use it. A callback that was served from the current
        # reading already means a new collection started.
        self._reading: dict[str, list[Observation]] | None = None
        self._served: set[str] = set()

    def add(self, registry: Metrics, kind: str) -> MetricsRegistration:
        bound = _Bound(registry, kind)
        with self._lock:
            self._bound.append(bound)
            self._reading = None
            new_kind = kind not in self._kinds
            self._kinds.add(kind)
        if new_kind:
            self._declare(kind)
        return MetricsRegistration(self, bound)

    def remove(self, bound: _Bound) -> None:
        with self._lock:
            if bound in self._bound:
                self._bound.remove(bound)
            self._bound = [b for b in self._bound if b.registry() is not None]
            self._reading = None

    def _declare(self, kind: str) -> None:
        for name, declared in _declared(kind, self._domain).items():
            if name in self._instruments:
                continue
            callback = self._callback(name)
            if declared.counter:
                instrument: object = self._meter.create_observable_counter(
                    name, [callback], declared.unit, declared.description
                )
            else:
                instrument = self._meter.create_observable_gauge(
                    name, [callback], declared.unit, declared.description
                )
            self._instruments[name] = instrument

    def _callback(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return self._observe(name)

        return observe

    def _observe(self, name: str) -> list[Observation]:
        with self._lock:
            reading = self._reading
            if reading is not None and name not in self._served:
                self._served.add(name)
                return reading.get(name, [])
            bound = list(self._bound)
        # Read outside the lock: reading waits for the registries' loops, which may be
        # waiting for the lock themselves (a client registering or closing).
        fresh = self._read_all(bound)
        with self._lock:
            self._reading = fresh
            self._served = {name}
        return fresh.get(name, [])

    def _read_all(self, bound_registries: list[_Bound]) -> dict[str, list[Observation]]:
        out: dict[str, list[Observation]] = {}
        for bound in bound_registries:
            for metric_name, _counter, value in bound.read(self._read_timeout):
                if math.isnan(value):
                    continue
                key = otel_name(metric_name.group, metric_name.name, self._domain)
                out.setdefault(key, []).append(
                    Observation(value, otel_attributes(metric_name.tags))
                )
        return out


_EXPORTERS: weakref.WeakKeyDictionary[MeterProvider, dict[str, _OtelExporter]] = (
    weakref.WeakKeyDictionary()
)
_UNWEAKABLE: dict[int, tuple[MeterProvider, dict[str, _OtelExporter]]] = {}
_EXPORTERS_LOCK = threading.Lock()


def register_metrics(
    meter_provider: MeterProvider,
    registry: Metrics,
    *,
    client_kind: str | None = None,
    domain: str = "org.apache.kafka",
    read_timeout: float = 5.0,
) -> MetricsRegistration:
    """Report every metric of ``registry`` through ``meter_provider``'s observable
    instruments (names and attributes in the module docstring); returns the registration to
    :meth:`~MetricsRegistration.unregister` when the client closes.

    ``client_kind`` is the registry's prefix by default (``producer``, ``consumer``,
    ``admin-client``); it picks the catalogue's instruments to declare. Call it on the
    client's event loop (the registration remembers the loop to read the registry on).
    """
    kind = client_kind or registry.prefix
    if kind == "admin":
        kind = "admin-client"
    with _EXPORTERS_LOCK:
        try:
            per_domain = _EXPORTERS.setdefault(meter_provider, {})
        except TypeError:  # a provider that cannot be weakly referenced
            per_domain = _UNWEAKABLE.setdefault(id(meter_provider), (meter_provider, {}))[1]
        exporter = per_domain.get(domain)
        if exporter is None:
            meter = meter_provider.get_meter(SCOPE, __version__)
            exporter = per_domain[domain] = _OtelExporter(meter, domain, read_timeout)
    return exporter.add(registry, kind)
