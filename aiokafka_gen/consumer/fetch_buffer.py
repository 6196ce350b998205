"""The prefetch buffer between the fetcher and the application: completed fetches per
partition, drained by ``getmany``/``getone``/``async for``.

Theory of operation: the fetcher's response tasks ``add`` a ``CompletedFetch`` per
partition and set the data event; pollers drain round-robin across partitions (a served
partition goes to the back) and wait on the event when nothing is ready. Entries whose
``seq`` no longer matches their partition's state (seek, reset, reassignment) are dropped
unread. Draining a fetch to its end calls ``on_drained`` so the fetcher can ask for more.
Errors recorded on a partition's state (out of range, no offset, authorization, corrupt
data) are raised by the next poll that returns no records, once each.
Must not send requests or decide what to fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from aiokafka_gen.errors import ConsumerStoppedError
from aiokafka_gen.structs import ConsumerRecord, TopicPartition

from ._records import CompletedFetch
from .subscription_state import PartitionState, SubscriptionState

__all__ = ["FetchBuffer"]

Records = dict[TopicPartition, list[ConsumerRecord[object, object]]]


class FetchBuffer:
    """Completed fetches per partition, in arrival order; ``bytes`` counts their size."""

    def __init__(
        self,
        subscription: SubscriptionState,
        *,
        on_drained: Callable[[], None],
        check_usable: Callable[[], None],
    ) -> None:
        self._subs = subscription
        self._on_drained = on_drained
        self._check_usable = check_usable
        self._queues: dict[TopicPartition, deque[CompletedFetch]] = {}
        self._data: asyncio.Event | None = None
        self.bytes = 0
        # Called whenever a poll goes on waiting (at least every ``wait_slice`` seconds):
        # the consumer tells its coordinator that a blocked getone()/getmany() is still a
        # poll, so max_poll_interval_ms never expires under a waiting application.
        self.while_waiting: Callable[[], None] | None = None
        self.wait_slice = 1.0
        # Metrics (issue #24): called with each completed fetch whose records were all
        # handed out (once per partition fetch, never per record); None when off.
        self.on_consumed: Callable[[CompletedFetch], None] | None = None

    def start(self) -> None:
        self._data = asyncio.Event()

    def notify(self) -> None:
        """Wake pollers: data arrived, an error was recorded, or the consumer stopped."""
        if self._data is not None:
            self._data.set()

    # ---- the fetcher's side ----------------------------------------------------------
    def add(self, completed: CompletedFetch) -> None:
        self._queues.setdefault(completed.tp, deque()).append(completed)
        self.bytes += completed.size
        self.notify()

    @property
    def queues(self) -> Mapping[TopicPartition, deque[CompletedFetch]]:
        """The completed fetches waiting, per partition (read-only use)."""
        return self._queues

    def depth(self, tp: TopicPartition) -> int:
        """How many completed fetches of ``tp`` wait to be consumed
        (``Fetcher._plan_fetches`` reads the queues inline, the same way)."""
        queue = self._queues.get(tp)
        return 0 if queue is None else len(queue)

    def queued(self, tp: TopicPartition) -> tuple[CompletedFetch, ...]:
        return tuple(self._queues.get(tp, ()))

    def clear(self) -> None:
        self._queues.clear()
        self.bytes = 0
        self.notify()

    def purge_stale(self) -> None:
        """Drop fetches of partitions no longer assigned or sought since."""
        for tp in list(self._queues):
            st = self._subs.get(tp)
            queue = self._queues[tp]
            while queue and (st is None or queue[0].seq != st.seq):
                self.bytes -= queue.popleft().size
            if not queue:
                del self._queues[tp]

    # ---- the application's side ------------------------------------------------------
    async def fetched_records(
        self, partitions: frozenset[TopicPartition] | None, timeout: float, max_records: int
    ) -> Records:
        """``getmany``: buffered records now, or wait up to ``timeout`` seconds for some.
        Stopped while it waits, it returns ``{}`` (as aiokafka's); a call made after the
        stop raises ConsumerStoppedError (the consumer checks that before calling)."""
        deadline = time.monotonic() + timeout
        await _one_turn()
        while True:
            try:
                self._check_usable()
            except ConsumerStoppedError:
                return {}
            records = self.drain(partitions, max_records)
            if records:
                return records
            self.raise_errors(partitions)
            left = deadline - time.monotonic()
            if left <= 0:
                return {}
            await self._wait(left)

    async def next_record(
        self, partitions: frozenset[TopicPartition] | None
    ) -> ConsumerRecord[object, object]:
        """``getone``: the next buffered record, waiting as long as it takes."""
        await _one_turn()
        while True:
            self._check_usable()
            for records in self.drain(partitions, 1).values():
                return records[0]
            self.raise_errors(partitions)
            await self._wait(None)

    def poll_one(self) -> ConsumerRecord[object, object] | None:
        """The next record of the first buffered partition if one is decoded already:
        the synchronous fast path of ``getone`` (None: take the general path)."""
        if not self._queues:
            return None
        tp = next(iter(self._queues))
        queue = self._queues[tp]
        completed = queue[0]
        st = completed.state  # a removed partition's state had its seq bumped
        if st is None or st.paused or st.held or completed.seq != st.seq:
            return None
        record = completed.take_one(st)
        if completed.done:
            self.bytes -= queue.popleft().size
            del self._queues[tp]
            if queue:
                self._queues[tp] = queue  # to the back: the next partition's turn
            if self.on_consumed is not None:
                self.on_consumed(completed)
            self._on_drained()
        return record

    def drain(self, partitions: frozenset[TopicPartition] | None, max_records: int) -> Records:
        """Buffered records (at most ``max_records``), round-robin across partitions."""
        out: Records = {}
        remaining = max_records
        served = []
        for tp in list(self._queues):
            if partitions is not None and tp not in partitions:
                continue
            try:
                got = self._drain_partition(tp, remaining)
            except Exception:
                if out:
                    break  # return what we have; the error comes again on the next call
                raise
            if got:
                out[tp] = got
                served.append(tp)
                remaining -= len(got)
                if remaining <= 0:
                    break
        for tp in served:  # fairness: served partitions go to the back
            queue = self._queues.pop(tp, None)
            if queue:
                self._queues[tp] = queue
        return out

    def _drain_partition(
        self, tp: TopicPartition, limit: int
    ) -> list[ConsumerRecord[object, object]]:
        queue = self._queues.get(tp)
        if queue is None:  # purged by purge_stale() for an earlier partition of this drain
            return []
        st = self._subs.get(tp)
        if st is None or st.paused or st.held:
            if st is None:
                self.purge_stale()
            return []
        got: list[ConsumerRecord[object, object]] = []
        while queue and len(got) < limit:
            completed = queue[0]
            if completed.seq != st.seq:
                self.bytes -= queue.popleft().size
                continue
            records = completed.take(limit - len(got), st)
            if completed.exhausted:
                self.bytes -= queue.popleft().size
                if self.on_consumed is not None:
                    self.on_consumed(completed)
                self._on_drained()
            got.extend(records) if got else (got := records)
            if not records and not completed.exhausted:
                break
        if not queue:
            self._queues.pop(tp, None)
        return got

    def raise_errors(self, partitions: Iterable[TopicPartition] | None) -> None:
        """Raise (and clear) the first error recorded on one of ``partitions``."""
        pairs: Iterable[tuple[TopicPartition, PartitionState | None]] = (
            self._subs.items() if partitions is None
            else [(tp, self._subs.get(tp)) for tp in partitions]
        )  # fmt: skip
        for _tp, st in pairs:
            if st is not None and st.error is not None:
                error = st.error
                if st.fetch_offset is not None or st.reset is not None:
                    st.error = None  # it will be fetched (or reset) again: raised once
                    self._on_drained()
                # else nothing moves it on but a seek: raised by every poll until then
                raise error

    async def _wait(self, timeout: float | None) -> None:
        assert self._data is not None
        if self.while_waiting is not None:
            self.while_waiting()
        self._data.clear()
        timeout = self.wait_slice if timeout is None else min(timeout, self.wait_slice)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._data.wait()

    def __repr__(self) -> str:
        return f"<FetchBuffer {self.bytes}B partitions={len(self._queues)}>"


async def _one_turn() -> None:
    # Every poll lets the event loop run once before it drains (never between the drain
    # and the return: a rebalance must not see positions moved past records still in
    # hand). Without it a poll loop that always finds records never yields, the fetcher's
    # tasks do not run until the buffer is empty, and the next Fetch is only sent then:
    # no pipelining. Taken by every getmany() and by getone() / async for when they
    # need the next chunk of records (not per record).
    await asyncio.sleep(0)
