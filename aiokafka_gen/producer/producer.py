"""``AIOKafkaProducer``: aiokafka's producer API over the accumulator and the sender.

Data flow of a send: serialize key and value, check sizes, choose the partition (keys by
murmur2, null keys sticky, or the user's partitioner), then ``RecordAccumulator.append``
adds the record to the partition's open batch, synchronously. When the topic's metadata
is known and buffer memory is free, ``send()`` does not suspend at all: no task, no extra
loop iteration per record. The returned future resolves with ``RecordMetadata`` once the
sender's Produce request is acknowledged (with ``None`` under acks=0, as aiokafka does).
A topic name is checked against Kafka's naming rule the first time it is seen (the names
already checked are kept in a set; the per-record path looks names up in the metadata
cache only).

Nothing the sender, the accumulator or the client keeps refers to the producer (the
metadata listener is a weak reference), so a started producer that is dropped without
``stop()`` is collected, and ``__del__`` warns (ResourceWarning, as aiokafka does).
Must not build requests or parse responses (the sender and the transaction manager do).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import sys
import time
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen._logging import client_logger, tagged
from aiokafka_gen._observe import Observable, Observers, server_list
from aiokafka_gen._validate import check_topic
from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.errors import (
    IllegalOperation,
    KafkaTimeoutError,
    ProducerClosed,
    for_code,
)
from aiokafka_gen.records.builder import BatchBuilder as RecordsBuilder
from aiokafka_gen.records.builder import Header
from aiokafka_gen.structs import RecordMetadata, TopicPartition

from ._metrics import ProducerMetrics
from ._send import RECORD_OVERHEAD, RecordPath, TopicInfo, check_timestamp

if TYPE_CHECKING:
    import ssl

    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from aiokafka_gen.metrics import MetricName
    from aiokafka_gen.metrics.otel import ProducerTracing
from .accumulator import RecordAccumulator
from .batch import BatchBuilder
from .config import MISSING, Missing, Partitioner, ProducerConfig
from .idempotence import ProducerIdentity
from .partitioner import DefaultPartitioner, StickyPartitioner
from .sender import Sender
from .transaction_manager import TransactionManager

__all__ = ["AIOKafkaProducer"]

log = client_logger("aiokafka_gen.producer")
_ids = itertools.count(1)


class AIOKafkaProducer(Observable):
    """An asyncio Kafka producer with aiokafka's constructor, methods and errors.

    Keyword-only additions: ``buffer_memory`` (bytes of batches queued before ``send()``
    waits; 32 MiB), ``max_block_ms`` (how long ``send()`` waits for metadata or memory
    before KafkaTimeoutError; default ``request_timeout_ms``), ``delivery_timeout_ms``
    (after it a record's future fails with KafkaTimeoutError; 120 s) and
    ``max_in_flight_requests_per_connection`` (5; without idempotence and with more than
    one in flight, a retried batch can land after a later batch of its partition, as with
    Java's client; ``enable_idempotence=True`` keeps the order) and
    ``metadata_max_idle_ms`` (300000, at least 5000: a topic nothing was sent to for that
    long leaves the producer's metadata, with its partition queues, and its sequences
    once the topic is deleted; as Java's ``metadata.max.idle.ms``).

    Observability (all keyword-only): ``metrics_enabled`` (True; ``metrics()`` returns the
    producer's metrics with Java's names), ``metrics_num_samples`` (2) and
    ``metrics_sample_window_ms`` (30000), ``enable_metrics_push`` (True: KIP-714 push of
    the metrics the cluster subscribes to), ``meter_provider`` (export the metrics through
    OpenTelemetry) and ``tracer_provider`` (a PRODUCER span per ``send()`` with the W3C
    trace context written into the record's headers). See the metrics reference.

    Every numeric argument is checked against its legal range (Java's ``ProducerConfig``
    ranges, tighter where noted in ``producer.config``): a value outside it raises
    ``KafkaConfigurationError`` (a ``ValueError``) naming the argument. ``loop`` is
    deprecated and unused (a DeprecationWarning, as aiokafka); the producer runs on the
    loop that calls ``start()``. A started producer garbage-collected without ``stop()``
    emits ``ResourceWarning("Unclosed AIOKafkaProducer ...")`` and reports itself to the
    loop's exception handler, like aiokafka's.
    """

    # class-level defaults: __del__ may run on an object whose __init__ raised
    _started = False
    _closed = True
    _loop: asyncio.AbstractEventLoop | None = None
    _source_traceback: traceback.StackSummary | None = None

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        bootstrap_servers: str | Iterable[str] = "localhost",
        client_id: str | None = None,
        metadata_max_age_ms: int = 300000,
        request_timeout_ms: int = 40000,
        api_version: str = "auto",
        acks: int | str | Missing = MISSING,
        key_serializer: Callable[[Any], bytes | None] | None = None,
        value_serializer: Callable[[Any], bytes | None] | None = None,
        compression_type: str | None = None,
        max_batch_size: int = 16384,
        partitioner: Partitioner | None = None,
        max_request_size: int = 1048576,
        linger_ms: int = 0,
        retry_backoff_ms: int = 100,
        security_protocol: str = "PLAINTEXT",
        ssl_context: ssl.SSLContext | None = None,
        connections_max_idle_ms: int = 540000,
        enable_idempotence: bool = False,
        transactional_id: str | None = None,
        transaction_timeout_ms: int = 60000,
        sasl_mechanism: str = "PLAIN",
        sasl_plain_password: str | None = None,
        sasl_plain_username: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: AbstractTokenProvider | None = None,
        buffer_memory: int = 33554432,
        max_block_ms: int | None = None,
        delivery_timeout_ms: int = 120000,
        max_in_flight_requests_per_connection: int = 5,
        metadata_max_idle_ms: int = 300000,
        metrics_enabled: bool = True,
        metrics_num_samples: int = 2,
        metrics_sample_window_ms: int = 30000,
        enable_metrics_push: bool = True,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        options = dict(locals())  # every keyword argument, by name
        del options["self"]
        if loop is not None:
            warnings.warn(
                "AIOKafkaProducer's loop argument is deprecated and unused: the producer "
                "runs on the event loop that calls start()",
                DeprecationWarning, stacklevel=2,
            )  # fmt: skip
        self._config = config = ProducerConfig.create(options)
        self.client = AIOKafkaClient.from_config(config.client, f"aiokafka-producer-{next(_ids)}")
        self._registry = config.metrics.registry(self.client.client_id, "producer")
        self._metrics: ProducerMetrics | None = None
        if self._registry is not None:
            self.client.attach_metrics(self._registry)
            self._metrics = ProducerMetrics(self._registry)
        self._tracing: ProducerTracing | None = None
        if tracer_provider is not None:
            from aiokafka_gen.metrics.otel import ProducerTracing

            self._tracing = ProducerTracing(
                tracer_provider, client_id=self.client.client_id,
                bootstrap_servers=server_list(bootstrap_servers),
            )  # fmt: skip
        self._observers = Observers(
            self.client, self._registry, meter_provider=meter_provider,
            push=config.metrics.push, resource={"transactional_id": transactional_id},
        )  # fmt: skip
        self._acks = config.acks
        self._key_serializer = config.key_serializer
        self._value_serializer = config.value_serializer
        self._compression_type = config.compression_type
        self._max_batch_size = config.max_batch_size
        self._max_request_size = config.max_request_size
        # one record in one batch, and within buffer_memory (a batch reserves its size)
        self._max_record_size = min(config.max_request_size - 61, config.buffer_memory - 82)
        self._size_limit = (
            f"max_request_size ({config.max_request_size})"
            if self._max_record_size == config.max_request_size - 61
            else f"buffer_memory ({config.buffer_memory})"
        )
        self._request_timeout_ms = config.request_timeout_ms
        self._max_block = config.max_block
        self._init_parts(config)
        self._init_state()

    def _init_parts(self, config: ProducerConfig) -> None:
        self._partitioner: Partitioner = config.partitioner or DefaultPartitioner()
        self._sticky = (
            StickyPartitioner(config.max_batch_size)
            if type(self._partitioner) is DefaultPartitioner
            else None
        )
        transactional_id = config.transactional_id
        self._identity = (
            ProducerIdentity(transactional_id is not None) if config.idempotent else None
        )
        self._txn = (
            TransactionManager(self.client, self._identity, transactional_id,
                               config.transaction_timeout_ms, config.retry_backoff_ms)
            if self._identity is not None else None
        )  # fmt: skip
        # the sender and the accumulator must not refer to the producer (see __del__)
        self._make_builder = functools.partial(_make_builder, config.compression_type)
        self._accumulator = RecordAccumulator(
            max_batch_size=config.max_batch_size, buffer_memory=config.buffer_memory,
            linger_ms=config.linger_ms, make_builder=self._make_builder,
        )  # fmt: skip
        self._path = RecordPath(
            self._accumulator, partitioner=self._partitioner, sticky=self._sticky,
            key_serializer=config.key_serializer, value_serializer=config.value_serializer,
            max_record_size=self._max_record_size, size_limit=self._size_limit,
        )  # fmt: skip
        self._sender = self._make_sender(
            request_timeout_ms=config.request_timeout_ms,
            retry_backoff_ms=config.retry_backoff_ms,
            delivery_timeout_ms=config.delivery_timeout_ms, max_in_flight=config.max_in_flight,
            max_request_size=config.max_request_size, transactional_id=transactional_id,
        )  # fmt: skip

    def _make_sender(
        self, *, transactional_id: str | None, request_timeout_ms: int, retry_backoff_ms: int,
        delivery_timeout_ms: int, max_in_flight: int, max_request_size: int,
    ) -> Sender:  # fmt: skip
        txn = self._txn
        sender = Sender(
            self.client, self._accumulator, acks=self._acks, make_builder=self._make_builder,
            identity=self._identity, transactional_id=transactional_id,
            init_producer_id=txn.init_producer_id if txn else None,
            before_send=txn.before_send if txn and transactional_id is not None else None,
            metrics=self._metrics, request_timeout_ms=request_timeout_ms,
            retry_backoff_ms=retry_backoff_ms, delivery_timeout_ms=delivery_timeout_ms,
            max_in_flight=max_in_flight, max_request_size=max_request_size, transactions=txn,
        )  # fmt: skip
        if txn is not None:
            txn.attach(sender, self._accumulator)
        if self._sticky is not None:
            self._accumulator.on_new_batch = functools.partial(_sticky_batch_full, self._sticky)
        if self._metrics is not None:
            acc, cluster = self._accumulator, self.client.cluster
            self._metrics.gauges(
                available=acc.available_memory, total=float(self._config.buffer_memory),
                waiting=acc.memory_waiters, in_flight=sender.requests_in_flight,
                metadata_age=cluster.metadata_age,
            )  # fmt: skip
        return sender

    def _init_state(self) -> None:
        self._topics: dict[str, TopicInfo] = self._path.topics  # one dict, shared
        self._valid_topics: set[str] = set()  # names check_topic accepted
        # monotonic time each asked-for topic was last seen in use (metadata_max_idle_ms)
        self._last_used: dict[str, float] = {}
        self.client.cluster.add_listener(_weak_listener(self))
        self._loop = None  # set by start()
        self._started = False
        self._closed = False
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to capture
            if asyncio.get_running_loop().get_debug():
                self._source_traceback = traceback.extract_stack(sys._getframe(2))

    def _on_metadata(self, cluster: ClusterMetadata) -> None:
        now = time.monotonic()
        last_used = self._last_used
        for topic in self._topics:  # cached since the last update: records went to them
            last_used[topic] = now
        self._topics.clear()
        if self._sticky is not None:
            self._sticky.reset()  # the next null-key record re-picks among current partitions
        self._forget_idle_topics(cluster, now)
        if self._metrics is not None:
            self._metrics.expire(cluster)

    def _forget_idle_topics(self, cluster: ClusterMetadata, now: float) -> None:
        """Java's ``metadata.max.idle.ms``: a topic nothing was sent to for that long
        leaves the producer's metadata, with what the producer keeps of it (partition
        queues; the sequences too when the cluster no longer has the topic). A long-lived
        producer writing to topics that come and go does not grow with them."""
        limit = self._config.metadata_max_idle_ms / 1000.0
        asked = self.client.topics
        idle = {t for t in asked if now - self._last_used.setdefault(t, now) > limit}
        if not idle:
            return
        gone = self._accumulator.forget_topics(idle)  # not those with a batch unsettled
        if not gone:
            return
        self.client.set_topics(asked - gone)
        deleted = {t for t in gone if not cluster.partitions_for_topic(t)}
        if deleted and self._identity is not None:
            self._identity.forget_topics(deleted)
        for topic in gone:
            del self._last_used[topic]
            self._valid_topics.discard(topic)
            if self._metrics is not None:
                self._metrics.forget_topic(topic)
        log.debug("producer: forgot %d idle topic(s) (%d deleted)", len(gone), len(deleted))

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Started and never stopped: warn like aiokafka (stopping needs awaiting, which a
        # finalizer cannot do). ``_warn`` is bound at definition: module globals may be
        # gone at interpreter shutdown. Under an "error" warnings filter the warning
        # propagates as asyncio's own unclosed-transport warnings do (an unraisable
        # exception, reported by sys.unraisablehook).
        if not self._started or self._closed:
            return
        _warn(f"Unclosed AIOKafkaProducer {self!r}", ResourceWarning, source=self)
        loop = self._loop
        if loop is not None:  # its handler logs it, with the creation stack in debug mode
            context: dict[str, object] = {"producer": self, "message": "Unclosed AIOKafkaProducer"}
            if self._source_traceback is not None:
                context["source_traceback"] = self._source_traceback
            loop.call_exception_handler(context)

    # ---- metrics -----------------------------------------------------------------------
    def metrics(self) -> dict[MetricName, float]:
        """Every metric's value now, by ``MetricName`` (name, group, tags): Java's producer
        metrics (``producer-metrics``, ``producer-topic-metrics``, ``producer-node-metrics``)
        plus ``producer-request-metrics`` per API; see the docs' metrics table. Empty when
        the producer was created with ``metrics_enabled=False``."""
        return {} if self._registry is None else self._registry.snapshot()

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Bootstrap, start the sender; an idempotent producer gets its producer id."""
        if self._closed:
            raise ProducerClosed("the producer was stopped")
        if self._started:
            return
        self._loop = asyncio.get_running_loop()
        self._path.new_future = _future_factory(self._loop)
        with tagged(self.client.client_id, "producer"):  # its tasks' log lines name it
            await self.client.bootstrap()
            self._started = True
            if self._txn is not None:
                await self._txn.init_producer_id()
            self._sender.start()
            self._observers.start()

    async def flush(self) -> None:
        """Wait until every record sent so far is acknowledged or failed."""
        await self._accumulator.flush()

    async def stop(self) -> None:
        """Flush, stop the sender, close connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with tagged(self.client.client_id, "producer"):
            self._accumulator.close()
            if self._started and self._sender.running:
                flushing = asyncio.ensure_future(self._accumulator.flush())
                await asyncio.wait([flushing], timeout=self._request_timeout_ms / 1000)
                flushing.cancel()
            await self._sender.close()
            await self._observers.close(self._request_timeout_ms / 1000)
            await self.client.close()

    async def __aenter__(self) -> AIOKafkaProducer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()

    # ---- metadata ----------------------------------------------------------------------
    async def partitions_for(self, topic: str) -> set[int]:
        """Every partition of ``topic`` (waits for its metadata up to ``max_block_ms``).

        Raises ``InvalidTopicError`` for a name Kafka does not allow (before any request)
        or that the broker refuses, ``TopicAuthorizationFailedError`` when the broker
        refuses to describe the topic (both at once), ``UnknownTopicOrPartitionError``
        when the topic does not appear within ``max_block_ms``."""
        return set(await self._partitions(topic))

    async def _partitions(self, topic: str) -> list[int]:
        if topic.__class__ is not str or topic not in self._valid_topics:
            self._valid_topics.add(check_topic(topic))
        known = self._topics.get(topic) or self._cache_topic(topic)
        if known is not None:
            return known.partitions
        try:
            async with asyncio.timeout(self._max_block):
                while (known := self._cache_topic(topic)) is None:
                    self._check_open()
                    refreshed = await self.client.add_topic(topic)
                    if (known := self._cache_topic(topic)) is None:
                        # a fresh Metadata answer that refuses the topic for good (17, 29)
                        error = self.client.cluster.topic_error(topic) if refreshed else None
                        if error is not None:
                            raise error
                        await asyncio.sleep(self.client.retry_backoff)
        except TimeoutError:
            raise for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(
                f"topic {topic!r} not in metadata after max_block_ms"
                f" ({round(self._max_block * 1000)} ms)"
            ) from None
        return known.partitions

    def _cache_topic(self, topic: str) -> TopicInfo | None:
        cluster = self.client.cluster
        parts = cluster.partitions_for_topic(topic)
        if not parts:
            return None
        if topic not in self.client.topics:  # seen in an all-topics answer: track it (soak)
            self.client.add_topic(topic)
        available = cluster.available_partitions_for_topic(topic) or set()
        entry = TopicInfo(topic, sorted(parts), sorted(available))
        self._topics[topic] = entry
        return entry

    # ---- send --------------------------------------------------------------------------
    async def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Iterable[tuple[str, bytes | None]] | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record; returns a future of its ``RecordMetadata`` (of ``None`` with
        acks=0: the broker answers nothing, so no offset is known; as aiokafka).

        ``timestamp_ms`` is an int >= 0 or None (now); a negative one raises
        ``IllegalArgumentError`` (a ``ValueError``), another type TypeError. A topic name
        that breaks Kafka's rule raises ``InvalidTopicError`` at once; see
        ``partitions_for`` for the other metadata errors. Cancelling this coroutine cancels
        the send; cancelling the returned future does not.
        """
        tracing = self._tracing
        if tracing is not None:  # a span per send (OpenTelemetry), headers carry its context
            handle, headers = tracing.start_send(
                topic, partition, key, headers, tombstone=value is None
            )
        try:  # free when nothing raises (3.11): the untraced path pays two `is None` tests
            if self._loop is None or self._closed or self._sender.fatal is not None:
                self._check_open()
                self._require_loop()
            if timestamp_ms is not None and (type(timestamp_ms) is not int or timestamp_ms < 0):
                timestamp_ms = check_timestamp(timestamp_ms)
            path = self._path
            known = path.topics.get(topic)
            if known is None:
                await self._partitions(topic)
                known = path.topics.get(topic) or self._cache_topic(topic)
                assert known is not None
            if self._txn is not None:
                self._txn.check_can_send()
            future: asyncio.Future[RecordMetadata] = path.append(
                known, topic, value, key, partition, timestamp_ms, headers
            )
            if path.waiting is not None:
                waiting, path.waiting = path.waiting, None
                await self._append_waiting(*waiting)
            elif path.filled:
                # A batch just filled up: give the loop one turn (the sender drains it, other
                # tasks run). Once per batch, not per record.
                await asyncio.sleep(0)
        except BaseException as exc:
            if tracing is not None:
                tracing.end_send(handle, exc)
            raise
        if tracing is not None:
            tracing.end_when_done(handle, future)
        return future

    async def _append_waiting(
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Sequence[Header] | None,
        future: asyncio.Future[RecordMetadata],
    ) -> None:  # fmt: skip
        size = RECORD_OVERHEAD + len(key or b"") + len(value or b"")
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._max_block
        acc = self._accumulator
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise KafkaTimeoutError("buffer_memory is exhausted (max_block_ms passed)")
                await acc.wait_for_memory(size, remaining)
            except KafkaTimeoutError:
                self._record_pool_wait(started, exhausted=True)
                raise
            started = self._record_pool_wait(started, exhausted=False)
            self._check_open()
            try:
                if acc.append(tp, timestamp_ms, key, value, headers, future, waited=True):
                    return
            finally:
                acc.served()

    def _record_pool_wait(self, started: float, *, exhausted: bool) -> float:
        """bufferpool-wait-time (ns) since ``started``; buffer-exhausted when it failed.
        Returns now, the start of the next wait."""
        now = asyncio.get_running_loop().time()
        metrics = self._metrics
        if metrics is not None:
            metrics.pool_wait.record((now - started) * 1e9, now)
            if exhausted:
                metrics.exhausted.record(1.0, now)
        return now

    async def send_and_wait(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Iterable[tuple[str, bytes | None]] | None = None,
    ) -> RecordMetadata:
        """``send`` and wait for the acknowledgement (``None`` with acks=0)."""
        future = await self.send(topic, value, key, partition, timestamp_ms, headers)
        return await future

    def create_batch(self) -> BatchBuilder:
        """An empty batch to fill with ``append`` and submit with ``send_batch``."""
        return BatchBuilder(
            self._max_batch_size, self._compression_type,
            is_transactional=self._txn is not None and self._txn.transactional,
            key_serializer=self._key_serializer, value_serializer=self._value_serializer,
        )  # fmt: skip

    async def send_batch(
        self, batch: BatchBuilder, topic: str, *, partition: int
    ) -> asyncio.Future[RecordMetadata]:
        """Queue a batch from ``create_batch``; the future gets the batch's
        ``RecordMetadata`` (its base offset), or ``None`` with acks=0."""
        self._check_open()
        self._require_loop()
        known = self._topics.get(topic)
        if known is None:
            await self._partitions(topic)
            known = self._topics.get(topic) or self._cache_topic(topic)
            assert known is not None
        if self._txn is not None:
            self._txn.check_can_send()
        tp = known.tps[self._path.choose(topic, known, partition, None, 0)]
        future: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        records = batch.records
        if records.record_count() == 0:
            raise ValueError("the batch has no records")
        while not self._accumulator.add_batch(tp, records, future):
            await self._accumulator.wait_for_memory(records.size(), self._max_block)
            self._accumulator.served()
        return future

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise IllegalOperation("the producer is not started (call start())")
        return self._loop

    def _check_open(self) -> None:
        if self._closed:
            raise ProducerClosed("the producer was stopped")
        if self._sender.fatal is not None:
            raise self._sender.fatal

    # ---- transactions ------------------------------------------------------------------
    def _transactions(self) -> TransactionManager:
        if self._txn is None or not self._txn.transactional:
            raise IllegalOperation("set transactional_id to use transactions")
        return self._txn

    async def begin_transaction(self) -> None:
        self._check_open()
        await self._transactions().begin()

    async def commit_transaction(self) -> None:
        self._check_open()
        await self._transactions().commit()

    async def abort_transaction(self) -> None:
        self._check_open()
        await self._transactions().abort()

    def transaction(self) -> TransactionContext:
        """``async with producer.transaction():`` commits, or aborts on an exception."""
        return TransactionContext(self)

    async def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, object], group_id: object
    ) -> None:
        """Commit consumer offsets with the transaction. ``group_id`` is a group id string
        or a ``ConsumerGroupMetadata`` (group_id, generation_id, member_id,
        group_instance_id; any object with those attributes) for KIP-447 fencing: the
        group coordinator refuses a stale generation or an unknown member."""
        self._check_open()
        await self._transactions().send_offsets(offsets, group_id)


class TransactionContext:
    """The object ``AIOKafkaProducer.transaction()`` returns."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def __aenter__(self) -> TransactionContext:
        await self._producer.begin_transaction()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if exc_type is None:
            await self._producer.commit_transaction()
        elif not self._producer._closed:
            await self._producer.abort_transaction()


def _make_builder(compression: str | None, max_size: int) -> RecordsBuilder:
    return RecordsBuilder(compression=compression, max_batch_size=max_size)


def _sticky_batch_full(sticky: StickyPartitioner, tp: TopicPartition) -> None:
    sticky.batch_full(tp.topic, tp.partition)


def _weak_listener(producer: AIOKafkaProducer) -> Callable[[ClusterMetadata], None]:
    """The producer's metadata listener, holding it weakly: the client's metadata task
    must not keep a producer the application dropped alive."""
    ref = weakref.ref(producer)

    def on_metadata(cluster: ClusterMetadata) -> None:
        alive = ref()
        if alive is not None:
            alive._on_metadata(cluster)

    return on_metadata


def _future_factory(
    loop: asyncio.AbstractEventLoop,
) -> Callable[[], asyncio.Future[RecordMetadata]]:
    """``loop.create_future``, or ``asyncio.Future`` bound to the loop when the loop keeps
    asyncio's own ``create_future`` (the same future at half the cost: no Python-level
    method call, which is ~5% of a send). A loop that overrides it (uvloop, a test loop)
    keeps its own."""
    if getattr(type(loop), "create_future", None) is asyncio.BaseEventLoop.create_future:
        return functools.partial(asyncio.Future, loop=loop)
    return loop.create_future
