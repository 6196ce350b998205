"""Test helpers: a plain SubscriptionState (the consumer's is not imported here), a
recording rebalance listener, and a group member made of a client, a subscription and a
coordinator."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.coordinator import create_coordinator
from aiokafka_gen.coordinator.base import BaseCoordinator
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.structs import TopicPartition


class FakeSubscription:
    """A minimal SubscriptionStateProtocol: positions are plain ints."""

    def __init__(
        self,
        topics: Iterable[str] = (),
        *,
        pattern: str | None = None,
        listener: ConsumerRebalanceListener | None = None,
        user_assigned: bool = False,
    ) -> None:
        self._version = 1
        self._topics = frozenset(topics)
        self._pattern = re.compile(pattern) if pattern else None
        self._matches: frozenset[str] = frozenset()
        self._listener = listener
        self._user_assigned = user_assigned
        self._assigned: frozenset[TopicPartition] = frozenset()
        self.positions: dict[TopicPartition, int] = {}
        self.consumed: dict[TopicPartition, CommittedOffset] = {}
        self.applied: dict[TopicPartition, CommittedOffset | None] = {}
        self.held: set[TopicPartition] = set()

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

    def subscribe(self, topics: Iterable[str]) -> None:
        self._topics = frozenset(topics)
        self._pattern = None
        self._version += 1

    def subscribe_pattern(self, pattern: str) -> None:
        self._pattern = re.compile(pattern)
        self._matches = frozenset()
        self._version += 1

    def subscribed_topics(self) -> frozenset[str]:
        return self._matches if self._pattern is not None else self._topics

    def update_pattern_matches(self, topics: Iterable[str]) -> bool:
        if self._pattern is None:
            return False
        matches = frozenset(t for t in topics if self._pattern.match(t))
        if matches == self._matches:
            return False
        self._matches = matches
        self._version += 1
        return True

    def assigned_partitions(self) -> frozenset[TopicPartition]:
        return self._assigned

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """User assignment (assign()): no membership."""
        self._user_assigned = True
        self.set_group_assignment(partitions)

    def hold(self, partitions: Iterable[TopicPartition], held: bool) -> None:
        """Records the partitions held from the application (the contract's timing)."""
        for tp in partitions:
            if held:
                self.held.add(tp)
            else:
                self.held.discard(tp)

    def set_group_assignment(self, partitions: Iterable[TopicPartition]) -> None:
        new = frozenset(partitions)
        for tp in self._assigned - new:
            self.positions.pop(tp, None)
            self.consumed.pop(tp, None)
        self._assigned = new

    def partitions_needing_committed(self) -> frozenset[TopicPartition]:
        return frozenset(tp for tp in self._assigned if tp not in self.positions)

    def apply_committed(self, committed: Mapping[TopicPartition, CommittedOffset | None]) -> None:
        for tp, offset in committed.items():
            self.applied[tp] = offset
            self.positions[tp] = 0 if offset is None else offset.offset

    def consumed_offsets(self) -> dict[TopicPartition, CommittedOffset]:
        return {tp: o for tp, o in self.consumed.items() if tp in self._assigned}

    def consume(self, tp: TopicPartition, offset: int) -> None:
        """Pretend the application consumed up to ``offset``."""
        self.positions[tp] = offset
        self.consumed[tp] = CommittedOffset(offset)


class Recorder(ConsumerRebalanceListener):
    """Records listener calls; async methods, so the coordinator's await path runs."""

    def __init__(self) -> None:
        self.events: list[tuple[str, frozenset[TopicPartition]]] = []
        self.seen_positions: list[dict[TopicPartition, int]] = []
        self.subscription: FakeSubscription | None = None
        self.not_held: set[TopicPartition] = set()  # given/taken while the app could read

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self.subscription is not None:
            self.not_held |= set(revoked) - self.subscription.held
        self.events.append(("revoked", frozenset(revoked)))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self.subscription is not None:
            self.seen_positions.append(dict(self.subscription.positions))
            self.not_held |= set(assigned) - self.subscription.held
        self.events.append(("assigned", frozenset(assigned)))

    def revoked(self) -> list[frozenset[TopicPartition]]:
        """The revocations that took partitions away (the eager protocol also calls the
        listener with nothing before every join, the first one included: in ``events``)."""
        return [p for kind, p in self.events if kind == "revoked" and p]

    def assigned(self) -> list[frozenset[TopicPartition]]:
        return [p for kind, p in self.events if kind == "assigned"]


DEFAULTS: dict[str, Any] = {
    "group_instance_id": None,
    "group_protocol": "classic",
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 300,
    "rebalance_timeout_ms": None,
    "max_poll_interval_ms": 300000,
    "retry_backoff_ms": 100,
    "request_timeout_ms": 30000,
    "assignors": (),
    "enable_auto_commit": False,
    "auto_commit_interval_ms": 1000,
    "exclude_internal_topics": True,
    "group_remote_assignor": None,
}


class Member:
    """One group member: its own client, FakeSubscription, Recorder and coordinator."""

    def __init__(self, bootstrap: str, group_id: str, sub: FakeSubscription, **config: Any) -> None:
        from aiokafka_gen.coordinator.assignors import RangePartitionAssignor

        self.client = AIOKafkaClient(bootstrap_servers=bootstrap, retry_backoff_ms=100)
        self.sub = sub
        settings = {**DEFAULTS, "assignors": (RangePartitionAssignor,), **config}
        self.coordinator: BaseCoordinator = create_coordinator(  # type: ignore[assignment]
            self.client, sub, group_id=group_id, **settings
        )
        self._poller: asyncio.Task[None] | None = None
        self.polling = True

    @classmethod
    async def start(
        cls, bootstrap: str, group_id: str, topics: Iterable[str] = (), **config: Any
    ) -> Member:
        pattern = config.pop("pattern", None)
        prepare: Callable[[Member], None] | None = config.pop("prepare", None)
        recorder = Recorder()
        listener = config.pop("listener", None) or recorder
        sub = FakeSubscription(topics, pattern=pattern, listener=listener)
        if isinstance(listener, Recorder):
            listener.subscription = sub
        recorder.subscription = sub
        member = cls(bootstrap, group_id, sub, **config)
        if prepare is not None:  # e.g. wrap parts of the coordinator before it starts
            prepare(member)
        await member.client.bootstrap()
        await member.coordinator.start()
        member._poller = asyncio.get_running_loop().create_task(member._poll())
        return member

    async def _poll(self) -> None:
        while True:
            if self.polling:
                self.coordinator.notify_poll()
            await asyncio.sleep(0.2)

    @property
    def recorder(self) -> Recorder:
        listener = self.sub.listener
        assert isinstance(listener, Recorder)
        return listener

    @property
    def assigned(self) -> frozenset[TopicPartition]:
        return self.sub.assigned_partitions()

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        await self.coordinator.close()
        await self.client.close()

    async def crash(self) -> None:
        """Stop without LeaveGroup or commits: cancel every task, drop the connections."""
        if self._poller is not None:
            self._poller.cancel()
        for task in self.coordinator._tasks:
            task.cancel()
        await asyncio.gather(*self.coordinator._tasks, return_exceptions=True)
        self.coordinator._closed = True
        await self.client.close()


async def wait_for(
    condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll ``condition`` every 50 ms until it is true (AssertionError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def all_partitions(topic: str, count: int) -> frozenset[TopicPartition]:
    return frozenset(TopicPartition(topic, p) for p in range(count))


def settled(members: list[Member], expected: frozenset[TopicPartition]) -> bool:
    """Every member stable, assignments disjoint and together exactly ``expected``."""
    if any(m.coordinator.state.value != "stable" for m in members):
        return False
    sets = [m.assigned for m in members]
    union = frozenset().union(*sets)
    return union == expected and sum(len(s) for s in sets) == len(expected)
