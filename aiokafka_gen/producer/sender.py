"""The sender: one task that drains the accumulator into Produce requests per broker.

Theory of operation: the task loops: fail batches past the delivery timeout, make sure
the idempotent producer has an id (InitProducerId, epoch bumps), ask the accumulator for
the sendable batches of each leader with a free in-flight slot, and start one short task
per Produce request (``max_in_flight`` per broker, 5 by default). Sequences are stamped in
the loop, synchronously and in queue order, so requests leave in partition order. The
response task settles each batch: success resolves the record futures (with None under
acks=0, which gets no response, as aiokafka does); retriable errors
re-queue the batch with backoff (and refresh metadata when the error means a moved
leader); MESSAGE_TOO_LARGE splits it; other errors fail it. Everything waits on one
future in the accumulator: a new or full batch, a finished request or a flush wakes it.
The transaction manager and the sender talk through two explicit ends: the sender is
given ``TransactionHooks`` at construction (it reports each failed batch and asks which
Produce version the current transaction allows), and the manager calls ``fail_fatally``
(fencing). ``fatal`` is read-only outside the sender.
Must not serialize records nor choose partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiokafka_gen._codes import ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    KafkaError,
    KafkaProtocolError,
    KafkaTimeoutError,
    ProducerClosed,
    for_code,
)
from aiokafka_gen.messages.produce_request import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from aiokafka_gen.messages.produce_response import PartitionProduceResponse, ProduceResponse
from aiokafka_gen.records.builder import BatchBuilder as RecordsBuilder
from aiokafka_gen.structs import TopicPartition

from ._metrics import ProducerMetrics
from .accumulator import RecordAccumulator
from .batch import ProducerBatch
from .idempotence import ProducerIdentity, SequenceVerdict

__all__ = ["Sender", "TransactionHooks"]

log = client_logger("aiokafka_gen.producer")
# no flag groups these: the batch is split and sent again (both are not retriable as such)
_TOO_LARGE = frozenset({ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE})
# the idempotence state machine decides these (retry, bump the epoch or fail), not the flags
_SEQUENCE_ERRORS = frozenset(
    {ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID}
)
_ZERO_UUID = uuid.UUID(int=0)


class TransactionHooks(Protocol):
    """What the sender asks of the transaction manager (``TransactionManager`` is one)."""

    def batch_failed(self, exc: BaseException) -> None:
        """A batch failed with ``exc`` (called once per failed batch, after its futures)."""

    def produce_version_cap(self) -> int | None:
        """The highest Produce version the current transaction allows (None: no cap).
        Inside a transaction Produce v12+ means transaction version 2 (KIP-890)."""


class Sender:
    """Owns the sender task and every Produce request task."""

    def __init__(
        self,
        client: AIOKafkaClient,
        accumulator: RecordAccumulator,
        *,
        acks: int,
        request_timeout_ms: int,
        retry_backoff_ms: int,
        delivery_timeout_ms: int,
        max_in_flight: int,
        max_request_size: int,
        make_builder: Callable[[int], RecordsBuilder],
        identity: ProducerIdentity | None = None,
        transactional_id: str | None = None,
        init_producer_id: Callable[[], Awaitable[None]] | None = None,
        before_send: Callable[[list[ProducerBatch]], Awaitable[None]] | None = None,
        metrics: ProducerMetrics | None = None,
        transactions: TransactionHooks | None = None,
    ) -> None:
        self._client = client
        self._acc = accumulator
        self._acks = acks
        self._timeout_ms = request_timeout_ms
        self._backoff = retry_backoff_ms / 1000.0
        self._delivery_timeout = delivery_timeout_ms / 1000.0
        self._max_in_flight = max_in_flight
        self._max_request_size = max_request_size
        self._make_builder = make_builder
        self._identity = identity
        self._transactional_id = transactional_id
        self._init_producer_id = init_producer_id
        self._before_send = before_send
        self._metrics = metrics
        self._in_flight: dict[int, int] = {}
        self._requests: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._transactions = transactions
        self._fatal: BaseException | None = None
        # without a transaction manager a transactional sender stays on the classic
        # protocol: Produce v12+ would mean transaction version 2 (KIP-890)
        self._default_cap: int | None = 11 if transactional_id is not None else None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name="aiokafka_gen-sender")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        """Stop the loop and the request tasks; fail whatever is left with ProducerClosed."""
        tasks = [t for t in (self._task, *self._requests) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.fail_all(ProducerClosed("the producer was stopped"))

    @property
    def fatal(self) -> BaseException | None:
        """The error that stopped the sender for good (None while it works)."""
        return self._fatal

    def fail_fatally(self, exc: BaseException) -> None:
        """Stop for good: remember ``exc`` as ``fatal`` and fail every pending batch."""
        self._fatal = exc
        self.fail_all(exc)

    def fail_all(self, exc: BaseException) -> None:
        for batch in self._acc.take_all() + self._acc.pending():
            self._fail(batch, exc)

    # ---- the loop ----------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                delay = await self._step()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                if not exc.retriable:
                    self.fail_fatally(exc)
                    return
                log.info("producer: %s; retrying", exc)
                delay = self._backoff
            except Exception as exc:  # a bug must not leave futures hanging forever
                log.exception("producer sender failed")
                self.fail_fatally(exc)
                return
            if delay != 0.0:
                await self._acc.wait(delay)

    async def _step(self) -> float | None:
        loop = asyncio.get_running_loop()
        for batch in self._acc.expire(loop.time(), self._delivery_timeout):
            self._fail(batch, KafkaTimeoutError(self._expired_message(batch)))
        if self._identity is not None and not self._identity.has_id:
            if self._in_flight_total():
                return None  # let in-flight requests settle before a new epoch
            assert self._init_producer_id is not None
            await self._init_producer_id()
        identity = self._identity
        drained, delay, unknown = self._acc.drain(
            loop.time(), self._leader, self._can_send,
            None if identity is None else identity.first_pending,
        )  # fmt: skip
        if unknown:
            self._client.force_metadata_update()
            delay = self._backoff if delay is None else min(delay, self._backoff)
        if self._before_send is not None and drained:
            await self._before_send([b for batches in drained.values() for b in batches])
        for node, batches in drained.items():
            self._launch(node, batches)
        return 0.0 if drained else delay

    def _expired_message(self, batch: ProducerBatch) -> str:
        """Why a queued batch never left: the state the drain saw, for the error text."""
        leader = self._leader(batch.tp)
        where = "leader unknown" if leader is None else f"leader {leader}"
        if leader is not None:
            where += f" ({self._in_flight.get(leader, 0)}/{self._max_in_flight} requests in flight)"
        state = [where, f"attempts {batch.attempts}"]
        if self._acc.partition_in_flight(batch.tp):
            state.append("an earlier batch of the partition in flight")
        if self._identity is not None and not self._identity.has_id:
            state.append("waiting for a producer id")
        return (
            f"{batch.record_count} record(s) for {batch.tp} not delivered within "
            f"delivery_timeout_ms={round(self._delivery_timeout * 1000)}: {', '.join(state)}"
        )

    def _leader(self, tp: TopicPartition) -> int | None:
        leader = self._client.cluster.leader_for_partition(tp)
        return None if leader is None or leader < 0 else leader

    def _can_send(self, node: int) -> bool:
        return self._in_flight.get(node, 0) < self._max_in_flight

    def _in_flight_total(self) -> int:
        return sum(self._in_flight.values())

    def requests_in_flight(self) -> float:
        """Produce requests sent and not answered yet (the requests-in-flight gauge)."""
        return float(self._in_flight_total())

    # ---- requests ----------------------------------------------------------------------
    def _launch(self, node: int, batches: list[ProducerBatch]) -> None:
        for batch in batches:
            batch.in_flight = True
            if self._identity is not None:
                self._identity.stamp(batch)
            else:
                batch.close()
        metrics = self._metrics
        for chunk in self._chunks(batches):
            if metrics is not None:
                metrics.request_sent(chunk, asyncio.get_running_loop().time())
            self._in_flight[node] = self._in_flight.get(node, 0) + 1
            task = asyncio.get_running_loop().create_task(self._produce(node, chunk))
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)

    def _chunks(self, batches: list[ProducerBatch]) -> list[list[ProducerBatch]]:
        chunks: list[list[ProducerBatch]] = [[]]
        size = 0
        for batch in batches:
            length = len(batch.close())
            if chunks[-1] and size + length > self._max_request_size:
                chunks.append([])
                size = 0
            chunks[-1].append(batch)
            size += length
        return chunks

    async def _produce(self, node: int, batches: list[ProducerBatch]) -> None:
        sent_at = asyncio.get_running_loop().time()
        names: dict[uuid.UUID, str] = {}  # topic id -> name, as the request carried them
        try:
            response = await self._exchange(node, batches, names)
        except asyncio.CancelledError:
            for batch in batches:
                self._fail(batch, ProducerClosed("the producer was stopped"))
            raise
        except KafkaError as exc:
            log.debug("produce to node %d failed: %s", node, exc)
            for batch in batches:
                self._retry_or_fail(batch, exc)
        else:
            if self._metrics is not None and response is not None:
                now = asyncio.get_running_loop().time()
                self._metrics.answered(sent_at, response.throttle_time_ms, now)
            self._settle(response, batches, names)
        finally:
            self._in_flight[node] -= 1
            self._acc.wake()

    async def _exchange(
        self, node: int, batches: list[ProducerBatch], names: dict[uuid.UUID, str]
    ) -> ProduceResponse | None:
        version = self._client.api_version_for(node, ApiKey.PRODUCE)
        if version is None:
            await self._client.ready(node)
            version = self._client.api_version_for(node, ApiKey.PRODUCE)
        hooks = self._transactions
        pinned = self._default_cap if hooks is None else hooks.produce_version_cap()
        if version is not None and version >= 13 and not self._topic_ids_known(batches):
            pinned = min(pinned or 12, 12)
        if pinned is not None and version is not None:
            pinned = min(pinned, version)
        topic_data = self._topic_data(batches)
        for topic in topic_data:  # the answer (v13+) names topics by these ids
            names[topic.topic_id] = topic.name
        request = ProduceRequest(
            transactional_id=self._transactional_id, acks=self._acks,
            timeout_ms=self._timeout_ms, topic_data=topic_data,
        )  # fmt: skip
        return await self._client.send(node, request, api_version=pinned)

    def _topic_ids_known(self, batches: list[ProducerBatch]) -> bool:
        cluster = self._client.cluster
        return all(cluster.topic_id(b.tp.topic) not in (None, _ZERO_UUID) for b in batches)

    def _topic_data(self, batches: list[ProducerBatch]) -> list[TopicProduceData]:
        by_topic: dict[str, list[PartitionProduceData]] = {}
        for batch in batches:
            data = PartitionProduceData(index=batch.tp.partition, records=batch.data)
            by_topic.setdefault(batch.tp.topic, []).append(data)
        cluster = self._client.cluster
        return [
            TopicProduceData(
                name=topic, topic_id=cluster.topic_id(topic) or _ZERO_UUID, partition_data=parts
            )
            for topic, parts in by_topic.items()
        ]

    # ---- responses ---------------------------------------------------------------------
    def _settle(
        self,
        response: ProduceResponse | None,
        batches: list[ProducerBatch],
        names: dict[uuid.UUID, str],
    ) -> None:
        if response is None:  # acks=0: nothing comes back; the futures resolve to None
            for batch in batches:
                batch.in_flight = False
                batch.done_noack()
                self._acc.finished(batch)
            return
        by_key = {(b.tp.topic, b.tp.partition): b for b in batches}
        cluster = self._client.cluster
        for topic in response.responses:
            # by the ids the request carried: the cluster view may have changed meanwhile
            name = topic.name or names.get(topic.topic_id) or cluster.topic_name(topic.topic_id)
            name = name or ""
            for part in topic.partition_responses:
                key = (name, int(part.index))
                if key in by_key:
                    self._on_partition(by_key.pop(key), part)
        for batch in by_key.values():  # the broker left a partition out: send it again
            # (a protocol error: retriable; an idempotent resend is deduplicated)
            missing = KafkaProtocolError(f"the Produce answer has no result for {batch.tp}")
            self._retry_or_fail(batch, missing)

    def _on_partition(self, batch: ProducerBatch, part: PartitionProduceResponse) -> None:
        code = part.error_code
        if code == 0 or code == ErrorCode.DUPLICATE_SEQUENCE_NUMBER:
            self._complete(batch, part.base_offset, part.log_append_time_ms, part.log_start_offset)
        elif code in _TOO_LARGE and batch.record_count > 1 and batch.whole is None:
            self._split(batch)
        elif code in _SEQUENCE_ERRORS and self._identity is not None:
            self._sequence_error(batch, for_code(code)(part.error_message))
        else:
            error = for_code(code)(part.error_message) if part.error_message else for_code(code)()
            self._retry_or_fail(batch, error)

    def _sequence_error(self, batch: ProducerBatch, exc: KafkaError) -> None:
        assert self._identity is not None
        if self._identity.transactional:  # abortable; the abort bumps the epoch
            self._fail(batch, exc)
            return
        verdict = self._identity.classify(batch)
        if verdict is SequenceVerdict.WRITTEN:
            log.info("producer: %s for %s, but a later sequence was acknowledged: the batch "
                     "is in the log (offset unknown)", exc, batch.tp)  # fmt: skip
            self._complete(batch, -1, -1, -1)
            return
        if verdict is SequenceVerdict.BUMP_EPOCH:
            log.warning("producer: %s for %s; bumping the epoch", exc, batch.tp)
            self._identity.request_bump()
        else:
            log.debug("producer: %s for %s; resending in order", exc, batch.tp)
        self._requeue(batch)

    def _split(self, batch: ProducerBatch) -> None:
        size = max(len(batch.close()) // 2, 1)
        parts = batch.split(size, self._make_builder)
        identity = self._identity
        if identity is not None:
            # the parts get new sequences: the range the batch took under the current
            # epoch stays a gap, so an idempotent producer starts a new epoch (as _fail)
            if identity.stamped_now(batch) and not identity.transactional:
                identity.request_bump()
            identity.forget(batch)
        log.info("producer: batch for %s too large; split into %d", batch.tp, len(parts))
        if self._metrics is not None:
            self._metrics.split.record(1.0, asyncio.get_running_loop().time())
        self._acc.requeue_split(batch, parts)

    def _retry_or_fail(self, batch: ProducerBatch, exc: KafkaError) -> None:
        if exc.invalid_metadata:
            self._client.force_metadata_update()
        now = asyncio.get_running_loop().time()
        if not exc.retriable:
            self._fail(batch, exc)
        elif now < batch.created + self._delivery_timeout:
            self._requeue(batch)
        else:  # out of time while retrying: a timeout (as Java), the last error as its cause
            expired = KafkaTimeoutError(
                f"batch for {batch.tp} not delivered within delivery_timeout_ms; last error: "
                f"{type(exc).__name__}: {exc}"
            )
            expired.__cause__ = exc
            self._fail(batch, expired)

    def _requeue(self, batch: ProducerBatch) -> None:
        now = asyncio.get_running_loop().time()
        if self._metrics is not None:
            self._metrics.retried(batch, now)
        self._acc.requeue(batch, now + self._backoff)

    def _complete(self, batch: ProducerBatch, offset: int, append_time: int, start: int) -> None:
        batch.in_flight = False
        if self._identity is not None:
            self._identity.acked(batch)
        batch.done(offset, append_time, start)
        self._acc.finished(batch)

    def _fail(self, batch: ProducerBatch, exc: BaseException) -> None:
        batch.in_flight = False
        if self._identity is not None:
            if self._identity.stamped_now(batch) and not self._identity.transactional:
                self._identity.request_bump()  # a gap in the sequence: start a new epoch
            self._identity.forget(batch)
        batch.fail(exc)
        self._acc.finished(batch)
        if self._metrics is not None:
            self._metrics.failed(batch, asyncio.get_running_loop().time())
        if self._transactions is not None:
            self._transactions.batch_failed(exc)

    async def wait_idle(self) -> None:
        """Until no Produce request is in flight (used before ending a transaction)."""
        while self._requests:
            with contextlib.suppress(BaseException):
                await asyncio.wait(set(self._requests))
