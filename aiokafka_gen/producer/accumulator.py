"""The record accumulator: per-partition queues of batches under a total memory bound.

Theory of operation: ``append`` (synchronous, the send() fast path) adds a record to the
last open batch of its partition or opens a new batch, reserving ``max_batch_size`` bytes
(or the record's size when larger) of the ``buffer_memory`` budget. When the budget is
spent, ``append`` returns None and the caller awaits ``wait_for_memory``: waiters queue
FIFO and memory released by finished batches wakes only as many as fit (one wake-up per
waiter served, never a broadcast). The sender sleeps on one future that ``_wake`` resolves
when a batch is opened, fills up, is re-queued, or a flush begins; ``drain`` hands it the
sendable batches of every partition whose leader can take a request.
Must not do I/O, build requests, or interpret broker errors.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence

from aiokafka_gen.errors import KafkaTimeoutError
from aiokafka_gen.records.builder import BatchBuilder as RecordsBuilder
from aiokafka_gen.records.builder import Header
from aiokafka_gen.structs import RecordMetadata, TopicPartition

from .batch import ProducerBatch

__all__ = ["RecordAccumulator"]

Leader = Callable[[TopicPartition], "int | None"]


class RecordAccumulator:
    """Batches by partition; memory-bounded; wakes one sender and FIFO memory waiters."""

    def __init__(
        self,
        *,
        max_batch_size: int,
        buffer_memory: int,
        linger_ms: float,
        make_builder: Callable[[int], RecordsBuilder],
    ) -> None:
        self._max_batch_size = max_batch_size
        self._free = buffer_memory
        self._linger = linger_ms / 1000.0
        self._make_builder = make_builder
        self._batches: dict[TopicPartition, collections.deque[ProducerBatch]] = {}
        self._memory_waiters: collections.deque[tuple[int, asyncio.Future[None]]] = (
            collections.deque()
        )
        self._wakeup: asyncio.Future[None] | None = None
        self._flushing = 0
        self._closing = False
        self._unfinished: set[ProducerBatch] = set()
        self._all_done: asyncio.Future[None] | None = None
        self.on_new_batch: Callable[[TopicPartition], None] | None = None
        # Batches closed because they were full (a new one opened behind them): send()
        # yields to the event loop when this moves, so a tight send loop cannot starve the
        # sender, consumers or heartbeats sharing the loop.
        self.filled = 0

    # ---- the send() side ---------------------------------------------------------------
    def append(
        self,
        tp: TopicPartition,
        timestamp: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[Header] | None,
        future: asyncio.Future[RecordMetadata],
        waited: bool = False,
    ) -> bool:
        """Add a record; False when a new batch is needed and memory is spent (``waited``:
        the caller was just served by ``wait_for_memory`` and goes before the line)."""
        queue = self._batches.get(tp)
        if queue:
            last = queue[-1]
            if last.data is None:  # ProducerBatch.append, inlined: this is per record
                added = last.builder.append(timestamp, key, value, headers)
                if added is not None:
                    last.futures.append(future)
                    last.timestamps.append(added[1])
                    return True
        batch = self._open(tp, self._reservation(key, value), queue, waited)
        if batch is None:
            return False
        batch.append(timestamp, key, value, headers, future)
        return True

    def _reservation(self, key: bytes | None, value: bytes | None) -> int:
        size = 82 + (len(key) if key else 0) + (len(value) if value else 0)  # header + record
        return max(self._max_batch_size, size)

    def _open(
        self,
        tp: TopicPartition,
        size: int,
        queue: collections.deque[ProducerBatch] | None,
        waited: bool,
    ) -> ProducerBatch | None:
        if size > self._free or (self._memory_waiters and not waited):
            return None
        self._free -= size
        batch = ProducerBatch(tp, self._make_builder(self._max_batch_size), _now(), size)
        if queue is None:
            queue = self._batches[tp] = collections.deque()
        elif queue:
            self.filled += 1
            if self.on_new_batch is not None:
                self.on_new_batch(tp)
        queue.append(batch)
        self._unfinished.add(batch)
        self._wake()
        return batch

    def add_batch(
        self, tp: TopicPartition, builder: RecordsBuilder, future: asyncio.Future[RecordMetadata]
    ) -> bool:
        """Queue a caller-built batch (``send_batch``); False when memory is spent."""
        size = max(builder.size(), 1)
        if size > self._free or self._memory_waiters:
            return False
        self._free -= size
        batch = ProducerBatch(tp, builder, _now(), size)
        batch.whole = future
        batch.close()
        self._batches.setdefault(tp, collections.deque()).append(batch)
        self._unfinished.add(batch)
        self._wake()
        return True

    async def wait_for_memory(self, size: int, timeout: float) -> None:
        """Wait in line until ``size`` bytes could be reserved; KafkaTimeoutError after
        ``timeout`` seconds."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (min(size, self._max_batch_size), future)
        self._memory_waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await future
        except BaseException as exc:
            if entry in self._memory_waiters:
                self._memory_waiters.remove(entry)
            self._serve_waiters()  # pass our turn on
            if isinstance(exc, TimeoutError):
                raise KafkaTimeoutError(f"no buffer memory within {timeout} s") from None
            raise

    def available_memory(self) -> float:
        """Bytes of buffer memory not reserved by a batch (buffer-available-bytes)."""
        return float(self._free)

    def memory_waiters(self) -> float:
        """send() calls waiting for buffer memory (the waiting-threads gauge)."""
        return float(len(self._memory_waiters))

    def served(self) -> None:
        """The caller woken by ``wait_for_memory`` has reserved: wake the next in line."""
        self._serve_waiters()

    # ---- the sender side ---------------------------------------------------------------
    def drain(
        self,
        now: float,
        leader: Leader,
        can_send: Callable[[int], bool],
        first_pending: Callable[[TopicPartition], bool] | None,
    ) -> tuple[dict[int, list[ProducerBatch]], float | None, bool]:
        """Take the sendable head batch of each partition whose leader accepts a request.

        Returns the batches per node, the delay until the next batch may become sendable
        (None: nothing pending) and whether some partition has no known leader. A
        re-queued batch (retry or split) goes alone: only when nothing else of its
        partition is in flight, so retries keep their order. ``first_pending`` (idempotent
        producers) tells partitions whose broker has acknowledged nothing of the current
        epoch yet: their first batch goes alone too, since a broker without state for the
        producer would accept a later batch that overtook it (see ``idempotence``)."""
        out: dict[int, list[ProducerBatch]] = {}
        delay: float | None = None
        unknown = False
        # Partitions with a batch in flight: a snapshot (nothing in the loop changes
        # in_flight), taken at most once, so that a drain over many partitions needing the
        # check (retries, idempotent first batches) stays linear, not partitions x batches.
        busy: set[TopicPartition] | None = None
        for tp, queue in self._batches.items():
            if not queue:
                continue
            wait = self._wait_time(queue, now)
            if wait > 0:
                delay = wait if delay is None else min(delay, wait)
                continue
            node = leader(tp)
            if node is None:
                unknown = True
                continue
            head = queue[0]
            if head.in_flight:
                continue
            if head.attempts or (first_pending is not None and first_pending(tp)):
                if busy is None:  # once per drain, not once per partition
                    busy = self._partitions_in_flight()
                if tp in busy:
                    continue
            if can_send(node):
                out.setdefault(node, []).append(queue.popleft())
        return out, delay, unknown

    def _wait_time(self, queue: collections.deque[ProducerBatch], now: float) -> float:
        head = queue[0]
        if head.attempts:
            return head.retry_at - now
        if len(queue) > 1 or head.data is not None or self._flushing or self._closing:
            return 0.0
        if head.builder.is_full():
            return 0.0
        return head.created + self._linger - now

    def partition_in_flight(self, tp: TopicPartition) -> bool:
        return any(b.in_flight and b.tp == tp for b in self._unfinished)

    def _partitions_in_flight(self) -> set[TopicPartition]:
        return {b.tp for b in self._unfinished if b.in_flight}

    def requeue(self, batch: ProducerBatch, retry_at: float) -> None:
        """Put a batch back at the front, in sequence order when it has one, else in
        creation order: when several requests of a partition fail together (a dead
        connection) their batches are re-queued in any order, but go out in the old one."""
        batch.attempts += 1
        batch.retry_at = retry_at
        batch.in_flight = False
        queue = self._batches.setdefault(batch.tp, collections.deque())
        position = 0
        if batch.sequence >= 0:
            while position < len(queue) and 0 <= queue[position].sequence < batch.sequence:
                position += 1
        else:
            while position < len(queue) and queue[position].order < batch.order:
                position += 1
        queue.insert(position, batch)
        self._wake()

    def requeue_split(self, batch: ProducerBatch, parts: list[ProducerBatch]) -> None:
        queue = self._batches.setdefault(batch.tp, collections.deque())
        for part in reversed(parts):
            part.attempts = batch.attempts + 1  # parts go one at a time, in order
            queue.appendleft(part)
            self._unfinished.add(part)
        self._unfinished.discard(batch)
        self._wake()

    def finished(self, batch: ProducerBatch) -> None:
        """The batch is settled (delivered or failed): release its memory."""
        self._unfinished.discard(batch)
        self._free += batch.reserved
        batch.reserved = 0
        self._serve_waiters()
        if not self._unfinished and self._all_done is not None:
            if not self._all_done.done():
                self._all_done.set_result(None)
            self._all_done = None

    def expire(self, now: float, timeout: float) -> list[ProducerBatch]:
        """Queued (not in flight) batches older than ``timeout`` seconds, removed."""
        expired: list[ProducerBatch] = []
        for queue in self._batches.values():
            while queue and not queue[0].in_flight and queue[0].created + timeout <= now:
                expired.append(queue.popleft())
        return expired

    def pending(self) -> list[ProducerBatch]:
        return list(self._unfinished)

    def take_all(self) -> list[ProducerBatch]:
        """Every queued batch, removed (to fail them all)."""
        batches = [b for queue in self._batches.values() for b in queue]
        self._batches.clear()
        return batches

    def has_unfinished(self) -> bool:
        return bool(self._unfinished)

    def queued(self, tp: TopicPartition) -> int:
        return len(self._batches.get(tp, ()))

    def forget_topics(self, topics: set[str]) -> set[str]:
        """Drop the (empty) partition queues of ``topics``, except of those with a batch
        not settled yet; returns the topics forgotten. One pass over the queues."""
        busy = {batch.tp.topic for batch in self._unfinished}
        gone = topics - busy
        if gone:
            for tp in [tp for tp in self._batches if tp.topic in gone]:
                del self._batches[tp]
        return gone

    # ---- flush / wake-ups --------------------------------------------------------------
    async def flush(self) -> None:
        """Make every batch sendable now and wait until all are settled."""
        if not self._unfinished:
            return
        self._flushing += 1
        self._wake()
        try:
            if self._all_done is None or self._all_done.done():
                self._all_done = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._all_done)
        finally:
            self._flushing -= 1

    def close(self) -> None:
        """No linger from now on: everything queued goes out."""
        self._closing = True
        self._wake()

    def wake(self) -> None:
        self._wake()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def wait(self, timeout: float | None) -> None:
        """The sender's sleep: until woken or ``timeout`` seconds pass."""
        self._wakeup = asyncio.get_running_loop().create_future()
        try:
            if timeout is None:
                await self._wakeup
            else:
                async with asyncio.timeout(max(timeout, 0.0)):
                    await self._wakeup
        except TimeoutError:
            pass
        finally:
            self._wakeup = None

    def _serve_waiters(self) -> None:
        waiters = self._memory_waiters
        while waiters and waiters[0][0] <= self._free:
            _, future = waiters.popleft()
            if not future.done():
                future.set_result(None)
                return  # the woken sender reserves; it calls us again when done


def _now() -> float:
    return asyncio.get_running_loop().time()
