"""``AIOKafkaConsumer``: aiokafka 0.14's consumer API over the subscription state, the
fetcher and (with ``group_id``) a group coordinator from ``aiokafka_gen.coordinator``.

Data flow of a poll: ``getmany``/``getone``/``async for`` drain the fetcher's buffer (the
fetcher keeps the next requests in flight meanwhile), which moves each partition's
position past the returned records; the coordinator is told about every poll
(max_poll_interval_ms) and commits those positions. Without a group, a subscription is
served by assigning every partition of the subscribed topics (or pattern matches),
re-evaluated on each metadata update. Must not build Fetch/ListOffsets requests (the
fetcher and ``offsets`` do) nor speak the group protocols (the coordinator does).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVarTuple

from aiokafka_gen import __version__
from aiokafka_gen._logging import client_logger, tagged
from aiokafka_gen._observe import Observable, Observers, server_list
from aiokafka_gen._validate import check_topic
from aiokafka_gen.abc import AbstractTokenProvider, ConsumerRebalanceListener
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.coordinator import build_coordinator
from aiokafka_gen.coordinator._metrics import GroupMetrics, group_api_sensors
from aiokafka_gen.coordinator.assignors import RoundRobinPartitionAssignor
from aiokafka_gen.coordinator.contract import (
    CommittedOffset,
    GroupCoordinatorProtocol,
    GroupHealth,
)
from aiokafka_gen.errors import (
    ConsumerStoppedError,
    IllegalOperation,
    IllegalStateError,
    RecordTooLargeError,
)
from aiokafka_gen.structs import (
    ConsumerGroupMetadata,
    ConsumerRecord,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    TopicPartition,
)

from ._metrics import ConsumerMetrics
from .config import ConsumerConfig
from .fetcher import Fetcher
from .health import PartitionHealth, lag_of, snapshot
from .subscription_state import EARLIEST, LATEST, SubscriptionState

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from aiokafka_gen.metrics import MetricName, Metrics
    from aiokafka_gen.metrics.otel import ConsumerTracing

__all__ = ["AIOKafkaConsumer"]

log = client_logger("aiokafka_gen.consumer")
# what commit() takes per partition (aiokafka's forms, plus CommittedOffset)
_CommitValue = int | tuple[int, str] | OffsetAndMetadata | CommittedOffset
_Args = TypeVarTuple("_Args")


def _weakly(method: Callable[[*_Args], None]) -> Callable[[*_Args], None]:
    """Call the bound ``method`` while its object lives; a no-op after it was collected."""
    ref = weakref.WeakMethod(method)

    def call(*args: *_Args) -> None:
        target = ref()
        if target is not None:
            target(*args)

    return call


def _check_partitions(partitions: Iterable[object]) -> None:
    if not all(isinstance(tp, TopicPartition) for tp in partitions):
        raise TypeError("partitions must be TopicPartition instances")


def _validate_topics(topics: object) -> set[str]:
    if not isinstance(topics, tuple | set | list | frozenset):
        raise TypeError("topics must be a list, tuple or set of strings")
    return {check_topic(topic) for topic in topics}


def _commit_entries(offsets: object) -> dict[TopicPartition, CommittedOffset]:
    """aiokafka's rules: a non-empty dict (else ValueError); TopicPartition keys and str
    metadata (else TypeError); values an offset, ``(offset, metadata)``, an
    ``OffsetAndMetadata`` or a ``CommittedOffset`` (which also carries a leader epoch)."""
    if not offsets or not isinstance(offsets, Mapping):
        raise ValueError(f"offsets must be a non-empty dict of TopicPartition: offset, not "
                         f"{offsets!r}")  # fmt: skip
    return {tp: _commit_entry(tp, value) for tp, value in offsets.items()}


def _commit_entry(tp: object, value: object) -> CommittedOffset:
    if not isinstance(tp, TopicPartition):
        raise TypeError(f"commit keys must be TopicPartition, not {type(tp).__name__}")
    if isinstance(value, CommittedOffset):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        offset, metadata = value, ""
    elif isinstance(value, tuple) and len(value) == 2:
        offset, metadata = value
    else:
        raise ValueError(f"commit value for {tp} must be an offset or (offset, metadata), "
                         f"not {value!r}")  # fmt: skip
    if not isinstance(metadata, str):
        raise TypeError(f"commit metadata for {tp} must be a str, not {type(metadata).__name__}")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValueError(f"invalid commit offset for {tp}: {offset!r}")
    return CommittedOffset(offset, metadata, -1)


class AIOKafkaConsumer(Observable):
    """An asyncio Kafka consumer with aiokafka 0.14's constructor, methods and errors.

    Keyword-only additions: ``group_protocol`` ("classic", the default, or "consumer" for
    KIP-848), ``group_remote_assignor`` (server-side assignor name for the consumer
    protocol; None = the broker's default), ``fetch_sessions`` (KIP-227 incremental fetch
    sessions, on by default), ``max_buffer_bytes`` (bound of prefetched bytes; default
    ``max(fetch_max_bytes, 2 * max_partition_fetch_bytes)``). Health: ``group_health()``,
    ``partition_health()``, ``lag(tp)``. ``commit()`` also takes
    ``{tp: CommittedOffset(offset, metadata, leader_epoch)}``; with
    ``auto_offset_reset="none"`` a partition without a valid offset raises
    ``NoOffsetForPartitionError`` (or ``OffsetOutOfRangeError`` for an offset that fell out
    of range) from the next poll.

    Observability: ``metrics_enabled`` (True; ``metrics()`` returns the consumer's metrics
    with Java's names, per-partition lag included), ``metrics_num_samples``,
    ``metrics_sample_window_ms``, ``enable_metrics_push`` (KIP-714), ``meter_provider``
    (OpenTelemetry metrics), ``tracer_provider`` with ``tracing_span`` ("record": a
    ``process`` span per record continuing its producer's trace, current while the
    application handles it; "poll": one span per ``getmany()``).

    Arguments are checked in the constructor: a number outside the range Kafka's Java
    consumer allows for the same setting raises ``KafkaConfigurationError`` (a
    ``ValueError``), an illegal topic name ``InvalidTopicError``. ``loop`` is deprecated
    (DeprecationWarning) and ignored. A started consumer that is garbage-collected without
    ``stop()`` emits a ResourceWarning, as aiokafka's does.
    """

    def __init__(
        self,
        *topics: str,
        loop: asyncio.AbstractEventLoop | None = None,
        bootstrap_servers: str | Iterable[str] = "localhost",
        client_id: str = "aiokafka-" + __version__,
        group_id: str | None = None,
        group_instance_id: str | None = None,
        key_deserializer: Callable[[Any], Any] | None = None,
        value_deserializer: Callable[[Any], Any] | None = None,
        fetch_max_wait_ms: int = 500,
        fetch_max_bytes: int = 52428800,
        fetch_min_bytes: int = 1,
        max_partition_fetch_bytes: int = 1 * 1024 * 1024,
        request_timeout_ms: int = 40 * 1000,
        retry_backoff_ms: int = 100,
        auto_offset_reset: str = "latest",
        enable_auto_commit: bool = True,
        auto_commit_interval_ms: int = 5000,
        check_crcs: bool = True,
        metadata_max_age_ms: int = 5 * 60 * 1000,
        partition_assignment_strategy: Sequence[object] = (RoundRobinPartitionAssignor,),
        max_poll_interval_ms: int = 300000,
        rebalance_timeout_ms: int | None = None,
        session_timeout_ms: int = 10000,
        heartbeat_interval_ms: int = 3000,
        consumer_timeout_ms: int = 200,
        max_poll_records: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        security_protocol: str = "PLAINTEXT",
        api_version: str | None = None,
        exclude_internal_topics: bool = True,
        connections_max_idle_ms: int = 540000,
        isolation_level: str = "read_uncommitted",
        sasl_mechanism: str = "PLAIN",
        sasl_plain_password: str | None = None,
        sasl_plain_username: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: AbstractTokenProvider | None = None,
        client_rack: str | None = None,
        group_protocol: str = "classic",
        group_remote_assignor: str | None = None,
        fetch_sessions: bool = True,
        max_buffer_bytes: int | None = None,
        metrics_enabled: bool = True,
        metrics_num_samples: int = 2,
        metrics_sample_window_ms: int = 30000,
        enable_metrics_push: bool = True,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        tracing_span: str = "record",
    ) -> None:
        if loop is not None:
            warnings.warn("the loop argument is deprecated and ignored: the consumer uses "
                          "the running loop", DeprecationWarning, stacklevel=2)  # fmt: skip
        if api_version is not None:
            warnings.warn("api_version is a no-op: versions are negotiated",
                          DeprecationWarning, stacklevel=2)  # fmt: skip
        options = dict(locals())  # every keyword argument, by name
        del options["self"], options["topics"]
        self._config = config = ConsumerConfig.create(options)
        self._client = AIOKafkaClient.from_config(config.client)
        self._subscription = SubscriptionState(config.auto_offset_reset)
        self._group_id = config.group_id
        self._isolation = config.isolation
        self._exclude_internal = config.exclude_internal_topics
        self._request_timeout = config.client.request_timeout
        self._max_poll_records = config.max_poll_records or sys.maxsize
        self._fetcher = Fetcher.from_config(self._client, self._subscription, config)
        # Callbacks held by long-lived tasks reach the consumer only weakly: a consumer the
        # application dropped without stop() can be collected, and __del__ warns about it.
        self._fetcher.buffer.while_waiting = _weakly(self._still_polling)
        self._registry = config.metrics.registry(self._client.client_id, "consumer")
        self._metrics: ConsumerMetrics | None = None
        if self._registry is not None:
            self._init_metrics(self._registry)
        self._tracing: ConsumerTracing | None = None
        if tracer_provider is not None:
            from aiokafka_gen.metrics.otel import ConsumerTracing

            self._tracing = ConsumerTracing(
                tracer_provider, client_id=client_id, group_id=group_id,
                span_per=config.tracing_span,  # type: ignore[arg-type]
                bootstrap_servers=server_list(bootstrap_servers),
            )  # fmt: skip
        self._observers = Observers(
            self._client, self._registry, meter_provider=meter_provider,
            push=config.metrics.push,
            resource={"group_id": group_id, "group_instance_id": group_instance_id,
                      "client_rack": client_rack},
        )  # fmt: skip
        self._coordinator: GroupCoordinatorProtocol | None = None
        self._started = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_backoff = config.client.retry_backoff
        self._missing_delay = self._retry_backoff
        self._missing_timer: asyncio.TimerHandle | None = None
        if topics:
            self._subscription.subscribe(_validate_topics(topics))

    def _init_metrics(self, registry: Metrics) -> None:
        self._client.attach_metrics(registry, group_api_sensors())
        metrics = self._metrics = ConsumerMetrics(registry, read_committed=self._isolation == 1)
        self._fetcher.metrics = metrics
        self._fetcher.buffer.on_consumed = metrics.consumed
        # the gauges reach the consumer weakly (the client's tasks hold the registry)
        ref = weakref.ref(self)
        subscription = self._subscription

        def health() -> GroupHealth | None:
            consumer = ref()
            coordinator = None if consumer is None else consumer._coordinator
            return None if coordinator is None else coordinator.health()

        metrics.gauges(
            last_rebalance=lambda: None if (h := health()) is None else h.last_rebalance,
            last_heartbeat=lambda: None if (h := health()) is None else h.last_heartbeat,
            assigned=lambda: float(len(subscription.assigned_partitions())),
        )

    def metrics(self) -> dict[MetricName, float]:
        """Every metric's value now, by ``MetricName`` (name, group, tags): Java's consumer
        metrics (``consumer-fetch-manager-metrics`` incl. per topic and partition lag,
        ``consumer-coordinator-metrics``, ``consumer-metrics``, ``consumer-node-metrics``)
        plus ``consumer-request-metrics`` per API; see the docs' metrics table. Empty when
        the consumer was created with ``metrics_enabled=False``."""
        return {} if self._registry is None else self._registry.snapshot()

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Bootstrap; with ``group_id`` start the coordinator and, when subscribed, wait
        for the first assignment. ConsumerStoppedError after ``stop()``."""
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if self._started:
            raise IllegalStateError("start() was already called")
        self._started = True
        self._loop = asyncio.get_running_loop()
        with tagged(self._client.client_id, "consumer"):  # its tasks' log lines name it
            await self._start()

    async def _start(self) -> None:
        await self._client.bootstrap()
        self._metadata_listener = _weakly(self._on_metadata)
        self._client.cluster.add_listener(self._metadata_listener)
        self._track_topics()
        if self._group_id is not None:
            self._coordinator = self._make_coordinator()
            self._fetcher.committed_source = self._coordinator.fetch_committed
            self._fetcher.group_managed = True
            await self._coordinator.start()
        self._fetcher.start()
        self._observers.start()
        if self._subscription.subscribed:
            await self._client.force_metadata_update()
            if self._coordinator is not None:
                await self._coordinator.ensure_active()
            else:
                self._assign_all()

    def _make_coordinator(self) -> GroupCoordinatorProtocol:
        config = self._config
        coordinator = build_coordinator(
            self._client, self._subscription, config.coordinator_config(), config.assignors
        )
        if self._registry is not None:
            coordinator.group_metrics = GroupMetrics(self._registry)
        return coordinator

    async def stop(self) -> None:
        """Commit (auto-commit), leave the group, stop fetching, close connections.
        Idempotent; every later poll raises ConsumerStoppedError."""
        if self._closed:
            return
        self._closed = True
        if self._missing_timer is not None:
            self._missing_timer.cancel()
        if self._tracing is not None:
            self._tracing.close()  # ends the spans of records still being processed
        with tagged(self._client.client_id, "consumer"):
            try:
                if self._coordinator is not None:
                    await self._coordinator.close()
            finally:
                await self._fetcher.close()
                await self._observers.close(self._request_timeout)
                await self._client.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Started and never stopped: its tasks and sockets leak (aiokafka warns too).
        if getattr(self, "_started", False) and not self._closed:
            _warn(f"Unclosed AIOKafkaConsumer {self!r}", ResourceWarning, source=self)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_exception_handler(
                    {"consumer": self, "message": "Unclosed AIOKafkaConsumer"}
                )

    async def __aenter__(self) -> AIOKafkaConsumer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()

    # ---- subscription and assignment -------------------------------------------------
    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Manual assignment (replaces the previous one); no group membership."""
        partitions = list(partitions)
        _check_partitions(partitions)
        for tp in partitions:
            check_topic(tp.topic)
        self._subscription.assign_from_user(partitions)
        self._track_topics()
        self._tell_coordinator()

    def assignment(self) -> set[TopicPartition]:
        """The partitions currently assigned (by ``assign()`` or by the group)."""
        return set(self._subscription.assigned_partitions())

    def subscribe(
        self, topics: Iterable[str] = (), pattern: str | None = None,
        listener: ConsumerRebalanceListener | None = None,
    ) -> None:  # fmt: skip
        """Subscribe to ``topics`` or a regex ``pattern`` (one of them): TypeError when both
        or neither are given or ``listener`` is not a ConsumerRebalanceListener;
        ValueError for a bad regex; IllegalStateError after ``assign()``."""
        if not (topics or pattern):
            raise TypeError("provide either topics or pattern")
        if topics and pattern:
            raise TypeError("topics and pattern cannot both be given")
        if listener is not None and not isinstance(listener, ConsumerRebalanceListener):
            raise TypeError("listener must be a ConsumerRebalanceListener")
        if pattern is not None:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid pattern: {exc}") from exc
            self._subscription.subscribe_pattern(compiled, listener)
        else:
            self._subscription.subscribe(_validate_topics(topics), listener)
        self._track_topics()
        self._tell_coordinator()
        self._missing_delay = self._retry_backoff
        if self._started and self._coordinator is None:
            self._client.force_metadata_update()
            self._assign_all()

    def subscription(self) -> frozenset[str]:
        """The subscribed topics (a pattern's current matches)."""
        subs = self._subscription
        if subs.pattern is None or not self._started:
            return subs.subscribed_topics()
        # the consumer protocol matches patterns on the broker: add what metadata shows
        known = self._client.cluster.topics(self._exclude_internal)
        return subs.subscribed_topics() | {t for t in known if subs.pattern.match(t)}

    def unsubscribe(self) -> None:
        """Drop the subscription (or manual assignment) and every assigned partition."""
        self._subscription.unsubscribe()
        self._track_topics()
        self._tell_coordinator()

    def _tell_coordinator(self) -> None:
        # join, rejoin or leave now: e.g. the leave unsubscribe() starts must be under way
        # before an assign() that follows it is used for commits
        if self._coordinator is not None and not self._closed:
            self._coordinator.subscription_changed()

    def _track_topics(self) -> None:
        if not self._started or self._closed:
            return  # start() tracks the topics of whatever was set up before it
        subs = self._subscription
        if subs.pattern is not None:
            self._client.set_topics([])  # an empty set asks Metadata for every topic
        elif subs.subscribed:
            self._client.set_topics(subs.subscribed_topics())
        else:
            self._client.set_topics({tp.topic for tp in subs.assigned_partitions()})

    def _on_metadata(self, cluster: ClusterMetadata) -> None:
        if self._closed:
            return
        if self._coordinator is None and self._subscription.subscribed:
            self._assign_all()
        self._refresh_missing_topics()
        if self._metrics is not None:
            self._metrics.prune(self._subscription)

    def _refresh_missing_topics(self) -> None:
        """While the subscription names topics the metadata lacks (not created yet), ask
        for metadata again after retry_backoff_ms, doubling to at most a second, instead
        of waiting for the periodic refresh (metadata_max_age_ms)."""
        subs, cluster = self._subscription, self._client.cluster
        missing = subs.pattern is None and any(
            cluster.partitions_for_topic(topic) is None for topic in subs.subscribed_topics()
        )
        if not missing:
            self._missing_delay = self._retry_backoff
            return
        if self._missing_timer is None and self._loop is not None:
            delay = self._missing_delay
            self._missing_delay = min(max(delay * 2, 0.05), max(1.0, self._retry_backoff))
            self._missing_timer = self._loop.call_later(delay, self._refresh_for_missing)

    def _refresh_for_missing(self) -> None:
        self._missing_timer = None
        if not self._closed:
            # a failed refresh calls no metadata listener: look again when it ends
            self._client.force_metadata_update().add_done_callback(
                lambda _: self._refresh_missing_topics() if not self._closed else None
            )

    def _assign_all(self) -> None:
        """Without a group: a subscription means every partition of its topics."""
        cluster, subs = self._client.cluster, self._subscription
        subs.update_pattern_matches(cluster.topics(self._exclude_internal))
        wanted = {
            TopicPartition(topic, p)
            for topic in subs.subscribed_topics()
            for p in cluster.partitions_for_topic(topic) or ()
        }
        if wanted != subs.assigned_partitions():
            subs.set_group_assignment(wanted)

    # ---- polling ---------------------------------------------------------------------
    def _before_poll(self) -> None:
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if not self._started:
            raise IllegalStateError("start() the consumer first")
        if self._coordinator is not None:
            self._coordinator.check_errors()
            self._coordinator.notify_poll()

    def _traced_lag(self, tp: TopicPartition) -> int | None:
        """The partition's lag after the records just returned (a span attribute)."""
        state = self._subscription.get(tp)
        return None if state is None else lag_of(state, self._isolation == 1)

    def _still_polling(self) -> None:
        # A getone()/getmany() that waits for records is polling (as in Java and aiokafka):
        # keep max_poll_interval_ms from expiring, and surface fatal group errors.
        if self._coordinator is not None:
            self._coordinator.check_errors()
            self._coordinator.notify_poll()

    async def getone(self, *partitions: TopicPartition) -> ConsumerRecord[Any, Any]:
        """The next record (from ``partitions`` when given), waiting for one."""
        if partitions:
            _check_partitions(partitions)
        self._before_poll()
        if self._metrics is not None:
            self._metrics.last_poll = time.monotonic()
        tracing = self._tracing
        if tracing is None:
            return await self._fetcher.next_record(frozenset(partitions) or None)
        start = tracing.begin_poll()  # the previous record's processing is over
        record = await self._fetcher.next_record(frozenset(partitions) or None)
        tracing.on_record(
            record,
            start_time_ns=start,
            lag=self._traced_lag(TopicPartition(record.topic, record.partition)),
        )
        return record

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        """Buffered records by partition; waits up to ``timeout_ms`` when none are ready."""
        _check_partitions(partitions)
        if max_records is not None and (not isinstance(max_records, int) or max_records < 1):
            raise ValueError("max_records must be a positive integer")
        if timeout_ms < 0:
            raise ValueError("timeout_ms must not be negative")
        self._before_poll()
        metrics, tracing = self._metrics, self._tracing
        if metrics is None and tracing is None:
            return await self._fetcher.fetched_records(
                frozenset(partitions) or None, timeout_ms / 1000,
                max_records or self._max_poll_records,
            )  # fmt: skip
        start = 0 if tracing is None else tracing.begin_poll()
        if metrics is not None:
            metrics.poll_started()
        try:
            records = await self._fetcher.fetched_records(
                frozenset(partitions) or None, timeout_ms / 1000,
                max_records or self._max_poll_records,
            )  # fmt: skip
        finally:
            if metrics is not None:
                metrics.poll_ended()
        if tracing is not None:
            lags = {(tp.topic, tp.partition): self._traced_lag(tp) for tp in records}
            tracing.on_records(
                records, start_time_ns=start,
                lag={key: lag for key, lag in lags.items() if lag is not None},
            )  # fmt: skip
        return records

    def __aiter__(self) -> AIOKafkaConsumer:
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        return self

    async def __anext__(self) -> ConsumerRecord[Any, Any]:
        """The next record; RecordTooLargeError is logged and skipped, a stopped consumer
        ends the iteration."""
        if self._started and not self._closed:
            self._before_poll()
            # no metrics here (per record): last-poll-seconds-ago is stamped by getone(),
            # which this falls back to whenever no decoded record is ready
            record = self._fetcher.poll_one()
            if record is not None:
                tracing = self._tracing
                if tracing is not None:
                    start = tracing.begin_poll()
                    tracing.on_record(
                        record,
                        start_time_ns=start,
                        lag=self._traced_lag(TopicPartition(record.topic, record.partition)),
                    )
                return record
        while True:
            try:
                return await self.getone()
            except ConsumerStoppedError:
                raise StopAsyncIteration from None
            except RecordTooLargeError:
                log.exception("error in consumer iterator")

    # ---- positions -------------------------------------------------------------------
    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Fetch ``partition`` from ``offset`` next (ValueError if negative,
        IllegalStateError if not assigned)."""
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError("offset must be a non-negative integer")
        self._subscription.seek(partition, offset)

    def _assigned_or_all(self, partitions: Sequence[TopicPartition]) -> list[TopicPartition]:
        _check_partitions(partitions)
        assigned = self._subscription.assigned_partitions()
        if not partitions:
            if not assigned:
                raise IllegalStateError("no partitions are currently assigned")
            return sorted(assigned)
        missing = set(partitions) - assigned
        if missing:
            raise IllegalStateError(f"partitions {sorted(missing)} are not assigned")
        return list(partitions)

    async def seek_to_beginning(self, *partitions: TopicPartition) -> bool:
        """Move to the earliest offsets; True once they are known (within the timeout)."""
        return await self._reset_and_wait(self._assigned_or_all(partitions), EARLIEST)

    async def seek_to_end(self, *partitions: TopicPartition) -> bool:
        """Move to the end offsets; True once they are known (within the timeout)."""
        return await self._reset_and_wait(self._assigned_or_all(partitions), LATEST)

    async def _reset_and_wait(self, tps: list[TopicPartition], strategy: int) -> bool:
        self._subscription.request_reset(tps, strategy)
        states = [self._subscription.state(tp) for tp in tps]
        seqs = [st.seq for st in states]
        try:
            async with asyncio.timeout(self._request_timeout):
                while any(
                    st.reset is not None and st.seq == s for st, s in zip(states, seqs, strict=True)
                ):
                    await self._wait_change()
        except TimeoutError:
            return False
        if self._coordinator is not None:
            self._coordinator.check_errors()
        return True

    async def _wait_change(self) -> None:
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        event = asyncio.Event()
        self._subscription.on_change.append(event.set)
        try:
            async with asyncio.timeout(0.05):  # resets land through the fetcher's tasks
                await event.wait()
        except TimeoutError:
            pass
        finally:
            self._subscription.on_change.remove(event.set)

    async def seek_to_committed(
        self, *partitions: TopicPartition
    ) -> dict[TopicPartition, int | None]:
        """Move to the committed offsets; returns them (None where nothing is committed)."""
        tps = self._assigned_or_all(partitions)
        committed = await self._committed_map(tps)
        for tp, found in committed.items():
            if found is not None and found.offset >= 0:
                self._subscription.seek(tp, found.offset, found.leader_epoch)
        return {tp: found.offset if found else None for tp, found in committed.items()}

    async def position(self, partition: TopicPartition) -> int:
        """The offset of the next record to return (waits while it is being looked up)."""
        while True:
            state = self._subscription.state(partition)
            if state.position is not None:
                return state.position
            if state.error is not None:
                error = state.error
                if state.fetch_offset is not None or state.reset is not None:
                    state.error = None  # raised once; the partition moves on by itself
                raise error  # else raised again until the application seeks
            await self._wait_change()

    def highwater(self, partition: TopicPartition) -> int | None:
        """The high watermark reported by the last fetch (None before one)."""
        return self._subscription.state(partition).highwater

    def last_stable_offset(self, partition: TopicPartition) -> int | None:
        """The last stable offset reported by the last fetch (None before one)."""
        return self._subscription.state(partition).lso

    def last_poll_timestamp(self, partition: TopicPartition) -> int | None:
        """When (ms since the epoch) the last fetch response for the partition arrived."""
        return self._subscription.state(partition).last_poll_ms

    # ---- offset lookups --------------------------------------------------------------
    async def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        """The first offset at or after each timestamp (None where there is none)."""
        _check_partitions(timestamps)
        for tp, ts in timestamps.items():
            if ts < 0:
                raise ValueError(f"the target time for {tp} is negative: {ts}")
        found = await self._fetcher.lookup.list_offsets(
            {tp: int(ts) for tp, ts in timestamps.items()}, self._request_timeout * 1000
        )
        return {
            tp: OffsetAndTimestamp(found[tp].offset, found[tp].timestamp)
            if tp in found and found[tp].offset >= 0 else None
            for tp in timestamps
        }  # fmt: skip

    async def beginning_offsets(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The earliest offset of each partition (positions unchanged)."""
        return await self._list(partitions, EARLIEST)

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The offset after the last record (the LSO with read_committed)."""
        return await self._list(partitions, LATEST)

    async def _list(
        self, partitions: Iterable[TopicPartition], which: int
    ) -> dict[TopicPartition, int]:
        partitions = list(partitions)
        _check_partitions(partitions)
        found = await self._fetcher.lookup.list_offsets(
            dict.fromkeys(partitions, which), self._request_timeout * 1000
        )
        return {tp: found[tp].offset for tp in partitions}

    async def topics(self) -> set[str]:
        """Every topic the cluster lets this client see."""
        return (await self._client.fetch_all_metadata()).topics(self._exclude_internal)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        """Partition ids of ``topic`` from cached metadata (None when unknown)."""
        return self._client.cluster.partitions_for_topic(topic)

    def pause(self, *partitions: TopicPartition) -> None:
        """Stop returning and fetching records of ``partitions`` (no rebalance)."""
        _check_partitions(partitions)
        for tp in partitions:
            self._subscription.pause(tp)

    def resume(self, *partitions: TopicPartition) -> None:
        """Undo ``pause``."""
        _check_partitions(partitions)
        for tp in partitions:
            self._subscription.resume(tp)

    def paused(self) -> set[TopicPartition]:
        return set(self._subscription.paused_partitions())

    # ---- committed offsets -----------------------------------------------------------
    def _require_group(self) -> GroupCoordinatorProtocol:
        if self._group_id is None:
            raise IllegalOperation("requires group_id")
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if self._coordinator is None:
            raise IllegalStateError("start() the consumer first")
        return self._coordinator

    async def commit(self, offsets: Mapping[TopicPartition, _CommitValue] | None = None) -> None:
        """Commit ``offsets`` ({tp: offset}, {tp: (offset, metadata)} or
        {tp: OffsetAndMetadata}), or the positions of every assigned partition.

        As aiokafka: ValueError for an empty or non-dict ``offsets`` or a malformed value,
        TypeError for a key that is not a TopicPartition or metadata that is not a str."""
        coordinator = self._require_group()
        entries = None if offsets is None else _commit_entries(offsets)
        assigned = self._subscription.assigned_partitions()
        if not assigned:
            raise IllegalStateError("no partitions are assigned")
        if entries is None:
            entries = self._subscription.consumed_offsets()
        else:
            for tp in entries:
                if tp not in assigned:
                    raise IllegalStateError(f"partition {tp} is not assigned")
        if self._metrics is None:
            await coordinator.commit_offsets(entries)
            return
        started = time.monotonic()
        try:
            await coordinator.commit_offsets(entries)
        finally:
            now = time.monotonic()
            self._metrics.commit_time.record((now - started) * 1e9, now)

    async def committed(self, partition: TopicPartition) -> int | None:
        """The committed offset of ``partition`` (None when nothing is committed)."""
        started = time.monotonic()
        try:
            found = (await self._committed_map([partition])).get(partition)
        finally:
            if self._metrics is not None:
                now = time.monotonic()
                self._metrics.committed_time.record((now - started) * 1e9, now)
        return None if found is None or found.offset < 0 else found.offset

    async def _committed_map(
        self, tps: Iterable[TopicPartition]
    ) -> dict[TopicPartition, CommittedOffset | None]:
        return await self._require_group().fetch_committed(list(tps))

    def group_metadata(self) -> ConsumerGroupMetadata:
        """The membership to pass to ``send_offsets_to_transaction`` (KIP-447)."""
        return self._require_group().group_metadata()

    # ---- health ----------------------------------------------------------------------
    def group_health(self) -> GroupHealth | None:
        """The coordinator's membership snapshot; None without a group (or before start)."""
        return None if self._coordinator is None else self._coordinator.health()

    def partition_health(self) -> dict[TopicPartition, PartitionHealth]:
        """A snapshot per assigned partition: position, offsets, lag, pause, last fetch."""
        committed = self._isolation == 1
        return {tp: snapshot(st, committed) for tp, st in self._subscription.items()}

    def lag(self, partition: TopicPartition) -> int | None:
        """Records of ``partition`` not yet returned (None before the first fetch)."""
        return lag_of(self._subscription.state(partition), self._isolation == 1)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._started else "new"
        return f"<AIOKafkaConsumer {state} group={self._group_id!r} {self._subscription!r}>"
