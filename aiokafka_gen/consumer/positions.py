"""Fetch positions the fetch loop does not have yet, or no longer trusts.

``PositionTasks`` is the fetcher's offset side, run from the fetch loop's step as short
helper tasks: committed offsets for partitions that need a starting point (unless the
group coordinator seeds them), resets by ListOffsets for partitions marked for one, and
KIP-320 validation by OffsetForLeaderEpoch when a partition's leader epoch moves (a log
truncated below the position moves it, or raises ``LogTruncationError`` with
``auto_offset_reset="none"``). ``busy`` names the partitions one of these holds: the
fetch loop fetches none of them. The lookups themselves are ``offsets.OffsetLookup``'s;
this module applies their results to the subscription state. No fetching, no records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import KafkaError, for_code
from aiokafka_gen.structs import TopicPartition

from .offsets import OffsetLookup
from .subscription_state import PartitionState, SubscriptionState

__all__ = ["CommittedSource", "LogTruncationError", "PositionTasks"]

log = client_logger("aiokafka_gen.consumer")
CommittedSource = Callable[
    [Iterable[TopicPartition]], Awaitable[dict[TopicPartition, CommittedOffset | None]]
]


class LogTruncationError(for_code(ErrorCode.OFFSET_OUT_OF_RANGE)):  # type: ignore[misc]
    """The log was truncated below the consumer's position (KIP-320) and
    ``auto_offset_reset="none"`` forbids moving it; ``divergent`` maps partitions to the
    first offset of the divergence."""

    def __init__(self, divergent: dict[TopicPartition, int]) -> None:
        super().__init__(divergent)
        self.divergent = divergent


class PositionTasks:
    """Committed offsets, resets and validations for the fetcher's partitions."""

    def __init__(
        self,
        subscription: SubscriptionState,
        lookup: OffsetLookup,
        *,
        spawn: Callable[[Awaitable[None]], None],
        wake: Callable[[], None],
        notify: Callable[[], None],
        backoff_until: dict[TopicPartition, float],
        backoff: float,
        request_timeout_ms: int,
    ) -> None:
        self._subs = subscription
        self._lookup = lookup
        self._spawn, self._wake, self._notify = spawn, wake, notify
        self._backoff_until = backoff_until  # the fetcher's: a failed validation backs off
        self._backoff = backoff  # seconds
        self._request_timeout_ms = request_timeout_ms
        self.busy: set[TopicPartition] = set()  # lookups or validations running
        self.committed_source: CommittedSource | None = None
        self.group_managed = False  # True with a coordinator: it seeds subscribed partitions

    def start(self) -> None:
        """Start what the subscription asks for now: committed offsets and resets."""
        self._start_initial_offsets()
        self._start_resets()

    # ---- committed offsets -----------------------------------------------------------
    def _start_initial_offsets(self) -> None:
        if self.group_managed and not self._subs.user_assigned:
            return  # the group coordinator fetches committed offsets (contract)
        needing = self._subs.partitions_needing_committed() - self.busy
        if not needing:
            return
        if self.committed_source is None:
            self._subs.apply_committed(dict.fromkeys(needing))
            return
        self.busy |= needing
        self._spawn(self._fetch_committed(needing))

    async def _fetch_committed(self, tps: frozenset[TopicPartition]) -> None:
        assert self.committed_source is not None
        try:
            found = await self.committed_source(tps)
            self._subs.apply_committed({tp: found.get(tp) for tp in tps})
        except KafkaError as exc:
            log.warning("fetching committed offsets failed: %s", exc)
            await asyncio.sleep(self._backoff)
        finally:
            self.busy -= tps

    # ---- resets ----------------------------------------------------------------------
    def _start_resets(self) -> None:
        pending = {
            tp: (st.reset, st.seq)
            for tp, st in self._subs.items()
            if st.reset is not None and tp not in self.busy
        }
        if pending:
            self.busy |= set(pending)
            self._spawn(self._reset(pending))

    async def _reset(self, pending: dict[TopicPartition, tuple[int, int]]) -> None:
        try:
            found = await self._lookup.list_offsets(
                {tp: strategy for tp, (strategy, _) in pending.items()}, self._request_timeout_ms
            )
        except KafkaError as exc:
            await self._reset_failed(pending, exc)
            return
        self.busy -= set(pending)
        for tp, (_, seq) in pending.items():
            st = self._subs.get(tp)
            if st is not None and st.seq == seq and tp in found:
                offset, _, epoch = found[tp]
                self._subs.seek(tp, offset, epoch)  # tells waiters (seek_to_*) at once
        self._wake()

    async def _reset_failed(
        self, pending: Mapping[TopicPartition, tuple[int, int]], exc: KafkaError
    ) -> None:
        try:
            if exc.retriable:
                log.warning("offset reset failed, will retry: %s", exc)
                await asyncio.sleep(self._backoff)
                return
            for tp in pending:  # e.g. not authorized: the next poll raises it
                if (st := self._subs.get(tp)) is not None and st.reset is not None:
                    st.reset, st.error = None, exc
            self._notify()
        finally:
            self.busy -= set(pending)

    # ---- validation (KIP-320) --------------------------------------------------------
    @staticmethod
    def needs_validation(st: PartitionState, epoch: int) -> int | None:
        """The leader epoch to validate the position against, None when there is none."""
        if epoch < 0 or st.fetch_epoch < 0:
            return None
        if st.validated_epoch < 0:
            st.validated_epoch = epoch  # first leader seen: nothing to compare with yet
            return None
        return epoch if epoch > st.validated_epoch else None

    def start_validation(self, tp: TopicPartition, st: PartitionState, epoch: int) -> None:
        self.busy.add(tp)
        self._spawn(self._validate(tp, st.seq, epoch, st.fetch_epoch, st.fetch_offset))

    async def _validate(
        self, tp: TopicPartition, seq: int, current: int, last_epoch: int, offset: int | None
    ) -> None:
        try:
            found = await self._lookup.epoch_end_offsets(
                {tp: (current, last_epoch)}, self._request_timeout_ms
            )
        except KafkaError as exc:
            log.info("position validation of %s failed, will retry: %s", tp, exc)
            self._backoff_until[tp] = time.monotonic() + self._backoff
            return
        finally:
            self.busy.discard(tp)
        st = self._subs.get(tp)
        if st is None or st.seq != seq or offset is None:
            return
        st.validated_epoch = current
        end = found[tp]
        if end.end_offset >= 0 and end.end_offset < offset:
            self.truncated(tp, st, end.end_offset, end.leader_epoch)

    def truncated(self, tp: TopicPartition, st: PartitionState, end: int, epoch: int) -> None:
        """The log of ``tp`` ends at ``end`` (epoch ``epoch``) below the fetch position."""
        if st.position is not None and st.position <= end:
            # Only records fetched ahead (buffered, not yet returned) lie past the
            # truncation point: the application's position is still valid. Moving it to
            # ``end`` would skip the records between; drop the buffer and fetch again.
            log.info("log of %s truncated at %d, past the position %d; fetching again from it",
                     tp, end, st.position)  # fmt: skip
            st.seek(st.position, st.position_epoch)
            self._wake()
            return
        log.warning("log of %s truncated below offset %s; moving to %d", tp, st.position, end)
        if self._subs.default_reset is None:
            st.fetch_offset = None
            st.error = LogTruncationError({tp: end})
            st.bump_seq()
        else:
            st.seek(end, epoch)
        self._wake()
