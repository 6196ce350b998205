"""The fetcher: one owner task that keeps a Fetch request in flight per broker, and the
bounded prefetch buffer the application drains.

Theory of operation. The loop task wakes on any change (a response, a drained buffer, a
seek, a new assignment, a metadata update, a backoff ending) and, synchronously, decides:
partitions that need an offset get a committed-offset fetch or a ListOffsets (batched per
leader), partitions whose leader epoch moved get an OffsetForLeaderEpoch check (KIP-320):
both are ``positions.PositionTasks``'s; and every broker with no Fetch in flight gets one
for its fetchable partitions (a short task per request). A
partition is fetchable when it has a fetch position, is not paused, not in backoff, not in
another request, and has fewer than ``_PREFETCH_DEPTH`` completed fetches buffered: so the
next request for a partition is on the wire while the application consumes the previous
response (pipelining), and the buffer stays bounded (also by ``max_buffer_bytes``
overall). Fetch requests go through a per-broker ``FetchSession`` (KIP-227), use topic ids
at v13+, carry the current and the last fetched leader epochs, and go to a preferred read
replica when the leader names one (KIP-392). Responses become ``CompletedFetch`` entries
tagged with the partition's ``seq``; a seek or reassignment makes them stale.
Must not know about groups: committed offsets come through ``committed_source``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from aiokafka_gen._codes import INVALID_METADATA, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.errors import (
    ConsumerStoppedError,
    EncodeError,
    KafkaError,
    RecordTooLargeError,
    for_code,
)
from aiokafka_gen.messages.fetch_request import (
    FetchPartition,
    FetchRequest,
    FetchTopic,
    ForgottenTopic,
)
from aiokafka_gen.messages.fetch_response import EpochEndOffset, FetchResponse, PartitionData
from aiokafka_gen.records import (
    LegacyBatch,
    RecordBatch,
    RecordsCorruptError,
    _crc,
    read_batches,
)
from aiokafka_gen.records.reader import LazyBatches, scan_batches
from aiokafka_gen.structs import ConsumerRecord, PartitionMetadata, TopicPartition

from ._metrics import ConsumerMetrics
from ._records import CompletedFetch, Deserializer
from .config import ConsumerConfig
from .fetch_buffer import FetchBuffer
from .fetch_session import FetchSession, FetchTarget
from .offsets import OffsetLookup
from .positions import CommittedSource, LogTruncationError, PositionTasks
from .subscription_state import PartitionState, SubscriptionState

__all__ = ["Fetcher", "LogTruncationError"]

log = client_logger("aiokafka_gen.consumer")
_PREFETCH_DEPTH = 2
_RACK_SINCE = 11  # Fetch's rack_id (KIP-392, Kafka 2.4)
_LAST_FETCHED_EPOCH_SINCE = 12  # FetchPartition.last_fetched_epoch (KIP-595, Kafka 2.7)
_ZERO_UUID = uuid.UUID(int=0)
# Kafka's invalid-metadata codes, plus OFFSET_NOT_AVAILABLE: a new leader answers it until
# it knows its high watermark, and Java's fetcher refreshes metadata on it too.
_REFRESH_CODES = INVALID_METADATA | {ErrorCode.OFFSET_NOT_AVAILABLE}


class Fetcher:
    """Owns the fetch loop task, the per-request tasks, the sessions and the buffer."""

    @classmethod
    def from_config(
        cls, client: AIOKafkaClient, subscription: SubscriptionState, config: ConsumerConfig
    ) -> Fetcher:
        """The consumer's fetcher, from the settings its ``ConsumerConfig`` checked."""
        return cls(
            client,
            subscription,
            key_deserializer=config.key_deserializer,
            value_deserializer=config.value_deserializer,
            fetch_min_bytes=config.fetch_min_bytes,
            fetch_max_bytes=config.fetch_max_bytes,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            max_partition_fetch_bytes=config.max_partition_fetch_bytes,
            check_crcs=config.check_crcs,
            retry_backoff_ms=config.client.retry_backoff_ms,
            request_timeout_ms=config.client.request_timeout_ms,
            isolation_level=config.isolation,
            client_rack=config.client_rack,
            fetch_sessions=config.fetch_sessions,
            max_buffer_bytes=config.max_buffer_bytes,
            metadata_max_age_ms=config.client.metadata_max_age_ms,
        )

    def __init__(
        self,
        client: AIOKafkaClient,
        subscription: SubscriptionState,
        *,
        key_deserializer: Deserializer | None,
        value_deserializer: Deserializer | None,
        fetch_min_bytes: int,
        fetch_max_bytes: int,
        fetch_max_wait_ms: int,
        max_partition_fetch_bytes: int,
        check_crcs: bool,
        retry_backoff_ms: int,
        request_timeout_ms: int,
        isolation_level: int,
        client_rack: str | None,
        fetch_sessions: bool = True,
        max_buffer_bytes: int | None = None,
        metadata_max_age_ms: int = 300000,
        committed_source: CommittedSource | None = None,
    ) -> None:
        self._client = client
        self._subs = subscription
        self._des = (key_deserializer, value_deserializer)
        self._min_bytes = fetch_min_bytes
        self._max_bytes = fetch_max_bytes
        self._max_wait_ms = fetch_max_wait_ms
        self._partition_bytes = max_partition_fetch_bytes
        self._check_crcs = check_crcs
        self._backoff = retry_backoff_ms / 1000
        self._request_timeout_ms = request_timeout_ms
        self._isolation = isolation_level
        self._rack = client_rack or ""
        self._sessions_enabled = fetch_sessions
        self._max_buffer = max_buffer_bytes or max(fetch_max_bytes, 2 * max_partition_fetch_bytes)
        self._replica_ttl = metadata_max_age_ms / 1000
        self.lookup = OffsetLookup(client, isolation_level=isolation_level)
        self.sessions: dict[int, FetchSession] = {}
        self.buffer = FetchBuffer(
            subscription, on_drained=self._wake_loop, check_usable=self._check_usable
        )
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._inflight_tps: set[TopicPartition] = set()
        self._backoff_until: dict[TopicPartition, float] = {}
        self._preferred: dict[TopicPartition, tuple[int, float]] = {}
        self._helpers: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._closed = False
        self.fatal: BaseException | None = None
        self.metrics: ConsumerMetrics | None = None  # set by a consumer with metrics on
        self.positions = PositionTasks(
            subscription,
            self.lookup,
            spawn=self._spawn_helper,
            wake=self.wake,
            notify=self._notify_data,
            backoff_until=self._backoff_until,
            backoff=self._backoff,
            request_timeout_ms=request_timeout_ms,
        )
        self.positions.committed_source = committed_source

    @property
    def committed_source(self) -> CommittedSource | None:
        """Where committed offsets come from (the group coordinator's, or None)."""
        return self.positions.committed_source

    @committed_source.setter
    def committed_source(self, source: CommittedSource | None) -> None:
        self.positions.committed_source = source

    @property
    def group_managed(self) -> bool:
        """True with a coordinator: it seeds the subscribed partitions' positions."""
        return self.positions.group_managed

    @group_managed.setter
    def group_managed(self, managed: bool) -> None:
        self.positions.group_managed = managed

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the loop task (the consumer's ``start()`` calls this)."""
        self._wake = asyncio.Event()
        self.buffer.start()
        if self._check_crcs:  # the crc32c package loads on first use (~50 ms): not in a poll
            _crc.crc32c(b"")
        self._subs.on_change.append(self.wake)
        self._client.cluster.add_listener(self._on_metadata)
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="aiokafka_gen-fetcher"
        )

    async def close(self) -> None:
        """Cancel every task, drop the buffer; waiters get ConsumerStoppedError."""
        self._closed = True
        if self.wake in self._subs.on_change:
            self._subs.on_change.remove(self.wake)
        with contextlib.suppress(ValueError):
            self._client.cluster.remove_listener(self._on_metadata)
        tasks = [t for t in (self._task, *self._inflight.values(), *self._helpers) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.buffer.clear()

    def wake(self) -> None:
        """Make the loop look again (and wake pollers: positions may have changed)."""
        if self._wake is not None:
            self._wake.set()
        self.buffer.notify()

    def _on_metadata(self, cluster: ClusterMetadata) -> None:
        if self._wake is not None:
            self._wake.set()

    # ---- the loop --------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        try:
            while True:
                self._wake.clear()
                delay = self._step()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
        except Exception as exc:  # a bug: surface it to pollers instead of hanging them
            log.exception("fetcher loop failed")
            self.fatal = exc
            self.buffer.notify()

    def _step(self) -> float | None:
        now = time.monotonic()
        self.buffer.purge_stale()
        self.positions.start()
        targets = self._plan_fetches(now)
        for node, wanted in targets.items():
            self._spawn_fetch(node, wanted)
        waits = [t - now for t in self._backoff_until.values() if t > now]
        return min(waits) if waits else None

    def _spawn_helper(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._helpers.add(task)
        task.add_done_callback(self._helper_done)

    def _helper_done(self, task: asyncio.Task[None]) -> None:
        self._helpers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("consumer offset task failed: %s", task.exception())
        self.wake()

    # ---- planning fetches ------------------------------------------------------------
    def _plan_fetches(self, now: float) -> dict[int, dict[TopicPartition, FetchTarget]]:
        # Runs after every fetch answer and offset change, over every assigned partition
        # (an idle consumer of thousands of partitions spends its time here): the checks
        # are inlined, each topic's partition table is looked up once per topic.
        if self.buffer.bytes >= self._max_buffer:
            return {}
        plan: dict[int, dict[TopicPartition, FetchTarget]] = {}
        cluster = self._client.cluster
        inflight_tps, busy, inflight = self._inflight_tps, self.positions.busy, self._inflight
        backoff, queues, limit = self._backoff_until, self.buffer.queues, self._partition_bytes
        preferred = self._preferred
        topic: str | None = None
        table: Mapping[int, PartitionMetadata] | None = None
        for tp, st in self._subs.live_items():  # nothing here changes the assignment
            offset = st.fetch_offset
            if offset is None or st.paused or st.error is not None:
                continue
            if tp in inflight_tps or tp in busy:
                continue
            if backoff and backoff.get(tp, 0.0) > now:
                continue
            queue = queues.get(tp)
            if queue is not None and len(queue) >= _PREFETCH_DEPTH:
                continue
            if tp.topic != topic:
                topic = tp.topic
                table = cluster.partition_table(topic)
            meta = None if table is None else table.get(tp.partition)
            if preferred or meta is None or meta.leader < 0:
                node = self._node_for(tp, now, meta)
                if node is None:
                    continue
            else:
                node = meta.leader
            if node in inflight:
                continue
            current = -1 if meta is None else meta.leader_epoch
            if current >= 0 and st.fetch_epoch >= 0 and current != st.validated_epoch:
                epoch = self.positions.needs_validation(st, current)
                if epoch is not None:
                    self.positions.start_validation(tp, st, epoch)
                    continue
            wanted = plan.get(node)
            if wanted is None:
                wanted = plan[node] = {}
            wanted[tp] = FetchTarget(offset, current, st.fetch_epoch, limit)
        return plan

    def _node_for(
        self, tp: TopicPartition, now: float, meta: PartitionMetadata | None
    ) -> int | None:
        if self._preferred:
            preferred = self._preferred.get(tp)
            if preferred is not None:
                node, until = preferred
                if until > now and self._client.cluster.broker_metadata(node) is not None:
                    return node
                del self._preferred[tp]
        leader = None if meta is None else meta.leader
        if leader is None or leader < 0:
            self._client.add_topic(tp.topic) if tp.topic not in self._client.topics else (
                self._client.force_metadata_update()
            )
            return None
        return leader

    # ---- one Fetch request -----------------------------------------------------------
    def _spawn_fetch(self, node: int, wanted: dict[TopicPartition, FetchTarget]) -> None:
        state = self._subs.state
        seqs = {tp: state(tp).seq for tp in wanted}
        self._inflight_tps |= set(wanted)
        task = asyncio.get_running_loop().create_task(self._fetch(node, wanted, seqs))
        self._inflight[node] = task
        task.add_done_callback(functools.partial(self._fetch_done, node, wanted))

    def _fetch_done(
        self, node: int, wanted: dict[TopicPartition, FetchTarget], task: asyncio.Task[None]
    ) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("fetch task failed", exc_info=task.exception())
            self.fatal = task.exception()
            self._notify_data()
        self._inflight.pop(node, None)
        self._inflight_tps -= set(wanted)
        if self._wake is not None:
            self._wake.set()

    async def _fetch(
        self, node: int, wanted: dict[TopicPartition, FetchTarget], seqs: dict[TopicPartition, int]
    ) -> None:
        session = self.sessions.setdefault(node, FetchSession(self._sessions_enabled))
        sent_at = time.monotonic()
        try:
            response, ids = await self._send_fetch(node, session, wanted)
        except EncodeError:
            raise  # our bug, not the broker's: fatal to the fetcher (pollers see it), not retried
        except KafkaError as exc:
            session.handle_failure()
            self._fetch_failed(node, wanted, exc)
            return
        ok = session.handle_response(response.error_code, response.session_id)
        if not ok and response.error_code:
            log.info("fetch from node %d: error %d", node, response.error_code)
            self._delay(wanted, self._backoff)
            return
        now = time.monotonic()
        if self.metrics is not None:
            self._record_answer(response, ids, sent_at, now)
        for topic in response.responses:
            name = topic.topic or ids.get(topic.topic_id)
            if name is None:
                continue
            for part in topic.partitions:
                tp = TopicPartition(name, part.partition_index)
                if tp in seqs:
                    self._handle_partition(node, tp, part, seqs[tp], wanted[tp], now)

    def _record_answer(
        self, response: FetchResponse, ids: Mapping[uuid.UUID, str], sent_at: float, now: float
    ) -> None:
        assert self.metrics is not None
        by_topic: dict[str, int] = {}
        for topic in response.responses:
            name = topic.topic or ids.get(topic.topic_id)
            if name is not None:
                size = sum(len(p.records) for p in topic.partitions if p.records is not None)
                by_topic[name] = by_topic.get(name, 0) + size
        self.metrics.fetch_answered(sent_at, response.throttle_time_ms, by_topic, now)

    async def _send_fetch(
        self, node: int, session: FetchSession, wanted: dict[TopicPartition, FetchTarget]
    ) -> tuple[FetchResponse, dict[uuid.UUID, str]]:
        if not await self._client.ready(node):
            raise KafkaError(f"node {node} is not ready")
        version = self._client.api_version_for(node, ApiKey.FETCH) or 12
        cluster = self._client.cluster
        topics = {tp.topic for tp in wanted} | {tp.topic for tp in session.partitions}
        ids = {name: cluster.topic_id(name) or _ZERO_UUID for name in topics}
        uses_ids = version >= 13 and _ZERO_UUID not in ids.values()
        sent = version if uses_ids else min(version, 12)
        plan = session.build(wanted, uses_ids)
        request = FetchRequest(
            replica_id=-1, max_wait_ms=self._max_wait_ms, min_bytes=self._min_bytes,
            max_bytes=self._max_bytes, isolation_level=self._isolation,
            session_id=plan.session_id, session_epoch=plan.epoch,
            topics=_topics(plan.send, ids, sent),
            forgotten_topics_data=_forgotten(plan.forgotten, ids),
            rack_id=self._rack if sent >= _RACK_SINCE else "",
        )  # fmt: skip
        response = await self._client.send(
            node, request, api_version=None if uses_ids else sent,
            request_timeout_ms=self._request_timeout_ms + self._max_wait_ms,
        )  # fmt: skip
        return response, {v: k for k, v in ids.items()}

    def _fetch_failed(
        self, node: int, wanted: dict[TopicPartition, FetchTarget], exc: KafkaError
    ) -> None:
        log.info("fetch from node %d failed: %s", node, exc)
        for tp in wanted:
            self._preferred.pop(tp, None)
        self._client.force_metadata_update()
        self._delay(wanted, self._backoff)

    def _delay(self, tps: Iterable[TopicPartition], seconds: float) -> None:
        until = time.monotonic() + seconds
        for tp in tps:
            self._backoff_until[tp] = until

    # ---- one partition of a response -------------------------------------------------
    def _handle_partition(
        self,
        node: int,
        tp: TopicPartition,
        part: PartitionData,
        seq: int,
        target: FetchTarget,
        now: float,
    ) -> None:
        st = self._subs.get(tp)
        if st is None or st.seq != seq or st.fetch_offset != target.fetch_offset:
            return  # stale: sought, reset or reassigned while in flight
        code = part.error_code
        if code:
            self._partition_error(tp, st, code, target.fetch_offset)
            return
        st.last_fetch = now
        st.last_poll_ms = int(time.time() * 1000)
        st.highwater = part.high_watermark
        st.lso = part.last_stable_offset if part.last_stable_offset >= 0 else None
        st.log_start = part.log_start_offset if part.log_start_offset >= 0 else None
        if part.preferred_read_replica >= 0 and part.preferred_read_replica != node:
            self._preferred[tp] = (part.preferred_read_replica, now + self._replica_ttl)
        if part.diverging_epoch.epoch >= 0:
            self._diverged(tp, st, part.diverging_epoch)
            return
        records = part.records
        if records is not None and len(records):
            self._buffer_records(tp, st, seq, part, records)

    def _diverged(self, tp: TopicPartition, st: PartitionState, diverging: EpochEndOffset) -> None:
        assert st.fetch_offset is not None
        if diverging.end_offset < st.fetch_offset:
            self.positions.truncated(tp, st, diverging.end_offset, diverging.epoch)
        else:
            st.fetch_epoch = diverging.epoch

    def _buffer_records(
        self,
        tp: TopicPartition,
        st: PartitionState,
        seq: int,
        part: PartitionData,
        records: bytes | memoryview,
    ) -> None:
        batches: list[RecordBatch | LegacyBatch] | LazyBatches
        try:
            lazy = scan_batches(
                records, check_crcs=self._check_crcs, topic=tp.topic, partition=tp.partition
            )
            if lazy is not None:  # v2: checked now, batch objects made as they are read
                batches, epoch = lazy, lazy.last_epoch
            else:  # legacy messages (brokers before 0.11 formats): read them all now
                batches = list(
                    read_batches(
                        records, check_crcs=self._check_crcs, topic=tp.topic,
                        partition=tp.partition,
                    )
                )  # fmt: skip
                epoch = batches[-1].partition_leader_epoch if batches else -1
        except RecordsCorruptError as exc:
            st.error = exc
            self._notify_data()
            return
        if not batches:
            st.error = RecordTooLargeError(
                f"a record at {tp}={st.fetch_offset} is larger than the fetch size"
                f" {self._partition_bytes} and can never be returned"
            )
            st.fetch_offset = (st.fetch_offset or 0) + 1
            self._notify_data()
            return
        aborted = None
        if self._isolation:
            aborted = [(a.producer_id, a.first_offset) for a in part.aborted_transactions or ()]
        completed = CompletedFetch(tp, seq, batches, aborted, len(records), self._des, st)
        st.fetch_offset = completed.next_fetch_offset
        st.fetch_epoch = epoch
        self.buffer.add(completed)

    def _partition_error(
        self, tp: TopicPartition, st: PartitionState, code: int, offset: int
    ) -> None:
        self._preferred.pop(tp, None)
        if code == ErrorCode.OFFSET_OUT_OF_RANGE:
            log.info("fetch offset %d is out of range for %s", offset, tp)
            if self._subs.default_reset is None:
                st.fetch_offset = None
                st.error = for_code(code)({tp: offset})
                self._notify_data()
            else:
                st.request_reset(self._subs.default_reset)
            return
        if code == ErrorCode.TOPIC_AUTHORIZATION_FAILED:
            st.error = for_code(code)(tp.topic)
            self._notify_data()
            return
        if code in _REFRESH_CODES:
            self._client.force_metadata_update()
        else:
            log.warning("fetch of %s: error %s", tp, for_code(code).__name__)
        self._delay([tp], self._backoff)

    # ---- the application's side ------------------------------------------------------
    def _notify_data(self) -> None:
        self.buffer.notify()

    def _wake_loop(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _raise_errors(self, partitions: Iterable[TopicPartition] | None) -> None:
        self.buffer.raise_errors(partitions)

    def _check_usable(self) -> None:
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if self.fatal is not None:
            raise KafkaError("the fetcher failed") from self.fatal

    async def fetched_records(
        self, partitions: frozenset[TopicPartition] | None, timeout: float, max_records: int
    ) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        """``getmany``: see ``FetchBuffer.fetched_records``."""
        return await self.buffer.fetched_records(partitions, timeout, max_records)

    async def next_record(
        self, partitions: frozenset[TopicPartition] | None
    ) -> ConsumerRecord[Any, Any]:
        """``getone``: the fast path first, then ``FetchBuffer.next_record``."""
        if partitions is None and not self._closed and self.fatal is None:
            record = self.buffer.poll_one()
            if record is not None:
                return record
        return await self.buffer.next_record(partitions)

    def poll_one(self) -> ConsumerRecord[Any, Any] | None:
        """A decoded record ready right now, or None (see ``FetchBuffer.poll_one``)."""
        if self._closed or self.fatal is not None:
            return None
        return self.buffer.poll_one()

    # ---- introspection ---------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"<Fetcher {self.buffer!r} inflight={sorted(self._inflight)} sessions={self.sessions}>"
        )


def _topics(
    send: Mapping[TopicPartition, FetchTarget], ids: Mapping[str, uuid.UUID], version: int
) -> list[FetchTopic]:
    """The request's topics at ``version``: fields the version lacks stay at their default
    (the encoder refuses a set one; Kafka 2.1-2.6 speak Fetch v10/v11)."""
    with_epoch = version >= _LAST_FETCHED_EPOCH_SINCE
    grouped: dict[str, list[FetchPartition]] = {}
    for tp, t in send.items():
        grouped.setdefault(tp.topic, []).append(FetchPartition(
            partition=tp.partition, current_leader_epoch=t.current_leader_epoch,
            fetch_offset=t.fetch_offset,
            last_fetched_epoch=t.last_fetched_epoch if with_epoch else -1,
            log_start_offset=-1, partition_max_bytes=t.max_bytes,
        ))  # fmt: skip
    return [FetchTopic(topic=name, topic_id=ids[name], partitions=p) for name, p in grouped.items()]


def _forgotten(tps: list[TopicPartition], ids: Mapping[str, uuid.UUID]) -> list[ForgottenTopic]:
    grouped: dict[str, list[int]] = {}
    for tp in tps:
        grouped.setdefault(tp.topic, []).append(tp.partition)
    return [
        ForgottenTopic(topic=name, topic_id=ids.get(name, _ZERO_UUID), partitions=parts)
        for name, parts in grouped.items()
    ]
