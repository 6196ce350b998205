"""What the consumer reads: the subscription (topics, pattern or a manual assignment) and,
per assigned partition, its position and fetch bookkeeping.

Theory of operation: one ``SubscriptionState`` per consumer, touched only from the event
loop. A partition's ``PartitionState`` holds the *consumed* position (the next record the
application gets) and the *fetch* position (where the next Fetch starts; ahead of the
consumed one while fetched records wait in the buffer). Every seek, reset or reassignment
bumps the partition's ``seq``: buffered data and in-flight responses carry the ``seq`` they
were fetched under and are dropped when it moved. Implements the coordinator contract's
``SubscriptionStateProtocol``. Must not do I/O: the fetcher and the coordinator do.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, ItemsView, Iterable, Mapping

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import IllegalStateError, NoOffsetForPartitionError
from aiokafka_gen.structs import TopicPartition

# One counter for every partition state: a reassigned partition's new state never reuses a
# seq that a buffered or in-flight fetch of its previous state carries.
_SEQ = itertools.count(1)

__all__ = [
    "EARLIEST",
    "LATEST",
    "NoOffsetForPartitionError",
    "PartitionState",
    "SubscriptionState",
]

EARLIEST = -2  # ListOffsets timestamps
LATEST = -1
_STRATEGIES = {"earliest": EARLIEST, "latest": LATEST, "none": None}


class PartitionState:
    """One assigned partition: positions, reset/validation requests, broker-reported
    offsets and timestamps. Plain attributes: the fetcher reads and writes them."""

    __slots__ = (
        "error",
        "fetch_epoch",
        "fetch_offset",
        "held",
        "highwater",
        "last_fetch",
        "last_poll_ms",
        "log_start",
        "lso",
        "paused",
        "position",
        "position_epoch",
        "reset",
        "seq",
        "validated_epoch",
    )

    def __init__(self) -> None:
        self.position: int | None = None
        self.position_epoch = -1  # leader epoch of the last consumed record (or committed)
        self.fetch_offset: int | None = None
        self.fetch_epoch = -1
        self.reset: int | None = None  # EARLIEST / LATEST / a timestamp: a lookup pending
        self.validated_epoch = -1  # leader epoch the position was last checked against
        self.seq = next(_SEQ)
        self.paused = False
        self.held = False  # records kept from the application while the group rebalances
        self.highwater: int | None = None
        self.lso: int | None = None
        self.log_start: int | None = None
        self.last_poll_ms: int | None = None
        self.last_fetch: float | None = None
        self.error: BaseException | None = None

    def seek(self, offset: int, epoch: int = -1) -> None:
        """Move both positions; buffered and in-flight data for this partition go stale."""
        self.position = self.fetch_offset = offset
        self.position_epoch = self.fetch_epoch = epoch
        self.reset = None
        self.error = None
        self.seq = next(_SEQ)

    def bump_seq(self) -> None:
        """Make everything buffered or in flight for this partition stale."""
        self.seq = next(_SEQ)

    def request_reset(self, strategy: int) -> None:
        """Look the position up by ``strategy``; like a seek, this clears an error that
        waited for one (no offset with reset "none", out of range, truncation)."""
        self.position = self.fetch_offset = None
        self.reset = strategy
        self.error = None
        self.seq = next(_SEQ)

    @property
    def has_position(self) -> bool:
        return self.position is not None

    @property
    def fetchable(self) -> bool:
        """Has a fetch position, not paused, no pending error. ``Fetcher._plan_fetches``
        inlines this test for speed: a change here must be made there too."""
        return self.fetch_offset is not None and not self.paused and self.error is None


class SubscriptionState:
    """Subscribed topics or pattern, or a user assignment; the assigned partitions' state."""

    def __init__(self, auto_offset_reset: str = "latest") -> None:
        if auto_offset_reset not in _STRATEGIES:
            raise ValueError(f"invalid auto_offset_reset: {auto_offset_reset!r}")
        self.default_reset = _STRATEGIES[auto_offset_reset]
        self._topics: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._matched: frozenset[str] = frozenset()
        self._listener: ConsumerRebalanceListener | None = None
        self._user_assigned = False
        self._version = 0
        self._assignment: dict[TopicPartition, PartitionState] = {}
        self.assignment_version = 0
        self.on_change: list[Callable[[], None]] = []

    # ---- the contract's read side ----------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def user_assigned(self) -> bool:
        return self._user_assigned

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return self._pattern

    @property
    def listener(self) -> ConsumerRebalanceListener | None:
        return self._listener

    @property
    def subscribed(self) -> bool:
        """Subscribed by topics or pattern (group-managed assignment)."""
        return bool(self._topics) or self._pattern is not None

    def subscribed_topics(self) -> frozenset[str]:
        return self._matched if self._pattern is not None else self._topics

    def assigned_partitions(self) -> frozenset[TopicPartition]:
        return frozenset(self._assignment)

    # ---- the application's changes ---------------------------------------------------
    def subscribe(
        self, topics: Iterable[str], listener: ConsumerRebalanceListener | None = None
    ) -> None:
        """Subscribe by topic names (replaces any earlier subscription)."""
        self._check_not_user_assigned()
        self._version += 1  # every call rejoins (aiokafka does): e.g. a new listener
        self._topics, self._pattern, self._matched = frozenset(topics), None, frozenset()
        self._listener = listener

    def subscribe_pattern(
        self, pattern: re.Pattern[str], listener: ConsumerRebalanceListener | None = None
    ) -> None:
        """Subscribe by regex; matches come from ``update_pattern_matches``."""
        self._check_not_user_assigned()
        self._version += 1  # every call rejoins, as for topics
        if self._pattern is None or self._pattern.pattern != pattern.pattern:
            self._matched = frozenset()
        self._topics, self._pattern, self._listener = frozenset(), pattern, listener

    def assign_from_user(self, partitions: Iterable[TopicPartition]) -> None:
        """Manual assignment: replaces the previous one; kept partitions keep positions."""
        if self.subscribed:
            raise IllegalStateError("subscribe() and assign() cannot be mixed")
        self._user_assigned = True
        self._replace_assignment(set(partitions))

    def unsubscribe(self) -> None:
        """Forget the subscription, the pattern and every assigned partition."""
        if self.subscribed:
            self._version += 1
        self._topics, self._pattern, self._matched = frozenset(), None, frozenset()
        self._listener = None
        self._user_assigned = False
        self._replace_assignment(set())

    def _check_not_user_assigned(self) -> None:
        if self._user_assigned and self._assignment:
            raise IllegalStateError("subscribe() and assign() cannot be mixed")
        self._user_assigned = False

    # ---- the coordinator's changes ---------------------------------------------------
    def update_pattern_matches(self, topics: Iterable[str]) -> bool:
        if self._pattern is None:
            return False
        matched = frozenset(t for t in topics if self._pattern.match(t))
        if matched == self._matched:
            return False
        self._matched = matched
        self._version += 1
        return True

    def set_group_assignment(self, partitions: Iterable[TopicPartition]) -> None:
        """Replace the group-given assignment; ignored once the application assigned
        partitions itself (a leave that ``unsubscribe()`` started must not undo an
        ``assign()`` made after it)."""
        if self._user_assigned:
            return
        self._replace_assignment(set(partitions))

    def hold(self, partitions: Iterable[TopicPartition], held: bool) -> None:
        for tp in partitions:
            st = self._assignment.get(tp)
            if st is not None:
                st.held = held
        if not held:
            self._changed()

    def partitions_needing_committed(self) -> frozenset[TopicPartition]:
        return frozenset(
            tp
            for tp, st in self._assignment.items()
            if st.position is None and st.reset is None and st.error is None
        )

    def apply_committed(self, committed: Mapping[TopicPartition, CommittedOffset | None]) -> None:
        for tp, found in committed.items():
            state = self._assignment.get(tp)
            if state is None or state.position is not None:
                continue
            if found is not None and found.offset >= 0:
                state.seek(found.offset, found.leader_epoch)
            else:
                self.reset_by_policy(tp, state)
        self._changed()

    def reset_by_policy(self, tp: TopicPartition, state: PartitionState) -> None:
        """Reset ``tp`` by auto_offset_reset, or record NoOffsetForPartitionError."""
        if self.default_reset is None:
            state.position = state.fetch_offset = None
            state.error = NoOffsetForPartitionError(f"no offset for {tp} and reset is none")
        else:
            state.request_reset(self.default_reset)

    def consumed_offsets(self) -> dict[TopicPartition, CommittedOffset]:
        return {
            tp: CommittedOffset(st.position, "", st.position_epoch)
            for tp, st in self._assignment.items()
            if st.position is not None
        }

    # ---- partition access ------------------------------------------------------------
    def state(self, tp: TopicPartition) -> PartitionState:
        """The state of an assigned partition; IllegalStateError when not assigned."""
        found = self._assignment.get(tp)
        if found is None:
            raise IllegalStateError(f"partition {tp} is not assigned")
        return found

    def get(self, tp: TopicPartition) -> PartitionState | None:
        return self._assignment.get(tp)

    def items(self) -> list[tuple[TopicPartition, PartitionState]]:
        return list(self._assignment.items())

    def live_items(self) -> ItemsView[TopicPartition, PartitionState]:
        """The assignment itself, not a copy: for a loop that changes no assignment."""
        return self._assignment.items()

    def is_assigned(self, tp: TopicPartition) -> bool:
        return tp in self._assignment

    def seek(self, tp: TopicPartition, offset: int, epoch: int = -1) -> None:
        self.state(tp).seek(offset, epoch)
        self._changed()

    def request_reset(self, tps: Iterable[TopicPartition], strategy: int) -> None:
        for tp in tps:
            self.state(tp).request_reset(strategy)
        self._changed()

    def pause(self, tp: TopicPartition) -> None:
        st = self.state(tp)
        if st.paused:
            return
        st.paused = True
        if st.position is not None:
            # Drop what is buffered or in flight for it (fetched again from the position
            # on resume): a paused partition's data must not hold the prefetch buffer's
            # bytes and starve every other partition.
            st.fetch_offset, st.fetch_epoch = st.position, st.position_epoch
            st.bump_seq()
            self._changed()

    def resume(self, tp: TopicPartition) -> None:
        self.state(tp).paused = False
        self._changed()

    def paused_partitions(self) -> frozenset[TopicPartition]:
        return frozenset(tp for tp, st in self._assignment.items() if st.paused)

    # ---- internals -------------------------------------------------------------------
    def _replace_assignment(self, wanted: set[TopicPartition]) -> None:
        old = self._assignment
        self._assignment = {tp: old.get(tp) or PartitionState() for tp in sorted(wanted)}
        for tp, state in old.items():
            if tp not in wanted:
                state.seq = next(_SEQ)  # anything buffered or in flight for it is stale
        self.assignment_version += 1
        self._changed()

    def _changed(self) -> None:
        for callback in list(self.on_change):
            callback()

    def __repr__(self) -> str:
        what = (
            f"pattern={self._pattern.pattern!r}" if self._pattern is not None
            else f"topics={sorted(self._topics)}" if self._topics
            else "user-assigned" if self._user_assigned else "none"
        )  # fmt: skip
        return f"<SubscriptionState {what} assigned={len(self._assignment)} v={self._version}>"
