"""Against a real broker, both group protocols: new partitions whose committed offsets
cannot be fetched stay held and unannounced while the member keeps its membership and
retries, then start from the committed offsets; close() finishes a revocation the
membership task had started without telling the listener twice, and a cancelled close()
still stops every task the coordinator owns."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import KafkaError, KafkaTimeoutError, NotCoordinatorForGroupError
from aiokafka_gen.structs import TopicPartition

from .support import Member, Recorder, all_partitions, settled, wait_for

pytestmark = pytest.mark.integration
PROTOCOLS = ["classic", "consumer"]


def group() -> str:
    return f"gfix-{uuid.uuid4().hex[:10]}"


class FlakyFetch:
    """Replaces a coordinator's ``offsets.fetch``: fails with retriable errors (coordinator
    moved, timeout) for ``seconds`` after the first call, then asks the broker."""

    def __init__(self, member: Member, seconds: float) -> None:
        self.coordinator = member.coordinator
        self.real = member.coordinator.offsets.fetch
        self.seconds = seconds
        self.first: float | None = None
        self.calls = 0
        self.failures = 0
        self.generations: set[int] = set()
        member.coordinator.offsets.fetch = self  # type: ignore[method-assign]

    async def __call__(
        self, partitions: Iterable[TopicPartition], *, timeout: float | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        self.calls += 1
        self.generations.add(self.coordinator.generation)
        now = time.monotonic()
        if self.first is None:
            self.first = now
        if now - self.first < self.seconds:
            self.failures += 1
            await asyncio.sleep(0.05)
            errors: list[KafkaError] = [NotCoordinatorForGroupError(), KafkaTimeoutError("test")]
            raise errors[self.failures % 2]
        return await self.real(partitions, timeout=timeout)


async def commit_while_empty(bootstrap: str, gid: str, offsets: dict[TopicPartition, int]) -> None:
    setter = await Member.start(bootstrap, gid, [])
    try:
        setter.sub.assign(offsets)
        await setter.coordinator.commit_offsets(
            {tp: CommittedOffset(o) for tp, o in offsets.items()}
        )
    finally:
        await setter.stop()


async def committed(bootstrap: str, gid: str, tps: Iterable[TopicPartition]) -> dict[Any, Any]:
    check = await Member.start(bootstrap, gid, [])
    try:
        return await check.coordinator.fetch_committed(tps)
    finally:
        await check.stop()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_new_partitions_wait_for_their_committed_offsets_through_fetch_failures(
    kafka_bootstrap: str, kafka_topic: Any, protocol: str
) -> None:
    topic = kafka_topic(2)
    gid = group()
    tps = all_partitions(topic, 2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await commit_while_empty(kafka_bootstrap, gid, {p0: 5, p1: 7})
    # Longer than the session timeouts (6 s classic, 10 s for the consumer protocol here):
    # the member must keep heartbeating while it retries.
    fail_for = 12.0
    flaky: list[FlakyFetch] = []
    member = await Member.start(
        kafka_bootstrap, gid, [topic], group_protocol=protocol,
        prepare=lambda m: flaky.append(FlakyFetch(m, fail_for)),
    )  # fmt: skip
    fetch = flaky[0]
    try:
        await wait_for(lambda: fetch.failures >= 2, 60, "failing OffsetFetch attempts")
        await asyncio.sleep(fail_for / 2)
        # meanwhile: assigned but held, unannounced, without a position, still reconciling
        coordinator = member.coordinator
        assert coordinator.state.value == "reconciling"
        assert coordinator.assignment_pending
        assert member.assigned == tps and member.sub.held == set(tps)
        # nothing announced yet (a KIP-848 member may have been told of an empty first
        # epoch, given before the group coordinator knew the topic)
        assert member.sub.positions == {} and not any(member.recorder.assigned())
        assert "NotCoordinator" in (coordinator.health().last_error or "") or "Timeout" in (
            coordinator.health().last_error or ""
        )
        await wait_for(lambda: settled([member], tps), 60, "the assignment completed")
        assert fetch.failures > 2 and fetch.calls == fetch.failures + 1
        assert member.sub.applied == {
            p0: CommittedOffset(5, "", -1),
            p1: CommittedOffset(7, "", -1),
        }
        # told once, after the offsets were known (an empty first epoch aside)
        announced = [
            (given, positions)
            for given, positions in zip(
                member.recorder.assigned(), member.recorder.seen_positions, strict=True
            )
            if given
        ]
        assert announced == [(tps, {p0: 5, p1: 7})]
        assert member.recorder.not_held == set() and member.sub.held == set()
        assert not coordinator.assignment_pending
        # the membership survived the outage: same generation / epoch, heartbeats went on
        assert len(fetch.generations) == 1
        assert fetch.generations == {coordinator.generation}
        last = coordinator.health().last_heartbeat
        assert fetch.first is not None and last is not None
        assert last - fetch.first > fail_for / 2
    finally:
        await member.stop()


class RevokeBlocks(Recorder):
    """The first revocation blocks until cancelled; on cancel it takes ``unwind`` seconds
    before giving up (a listener doing cleanup)."""

    def __init__(self, unwind: float = 0.0) -> None:
        super().__init__()
        self.unwind = unwind
        self.blocking = asyncio.Event()
        self.cancelled = 0

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await super().on_partitions_revoked(revoked)
        if not revoked or len(self.revoked()) > 1:  # eager: an empty call before each join
            return
        self.blocking.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            await asyncio.sleep(self.unwind)
            raise


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_close_finishes_a_started_revocation_without_a_second_listener_call(
    kafka_bootstrap: str, kafka_topic: Any, protocol: str
) -> None:
    topic = kafka_topic(2)
    gid = group()
    tps = all_partitions(topic, 2)
    p0 = TopicPartition(topic, 0)
    listener = RevokeBlocks()
    member = await Member.start(
        kafka_bootstrap, gid, [topic], group_protocol=protocol, listener=listener,
        enable_auto_commit=True, auto_commit_interval_ms=60000, max_poll_interval_ms=2500,
    )  # fmt: skip
    try:
        await wait_for(lambda: settled([member], tps), 60, "the member settled")
        member.sub.consume(p0, 3)
        member.polling = False  # the poll timeout makes the membership task revoke
        async with asyncio.timeout(30):
            await listener.blocking.wait()
        assert member.assigned == tps  # the revocation is stuck in the listener
    finally:
        await member.stop()
    assert listener.cancelled == 1
    assert listener.revoked() == [tps]  # once, although close() finished the revocation
    assert member.assigned == frozenset()
    assert member.coordinator.state.value == "stopped"
    assert all(task.done() for task in member.coordinator._tasks)
    # close() still committed the consumed offset of the revoked partition
    assert (await committed(kafka_bootstrap, gid, [p0]))[p0] == CommittedOffset(3, "", -1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_cancelled_close_still_stops_every_task(
    kafka_bootstrap: str, kafka_topic: Any, protocol: str
) -> None:
    topic = kafka_topic(1)
    listener = RevokeBlocks(unwind=1.0)
    member = await Member.start(
        kafka_bootstrap, group(), [topic], group_protocol=protocol, listener=listener,
        enable_auto_commit=True, auto_commit_interval_ms=200, max_poll_interval_ms=2500,
    )  # fmt: skip
    tasks = list(member.coordinator._tasks)
    assert len(tasks) == 2  # membership and auto-commit
    try:
        await wait_for(lambda: settled([member], all_partitions(topic, 1)), 60, "settled")
        member.polling = False
        async with asyncio.timeout(30):
            await listener.blocking.wait()
        if member._poller is not None:
            member._poller.cancel()
        closing = asyncio.ensure_future(member.coordinator.close())
        await asyncio.sleep(0.3)  # close() waits for the membership task to unwind
        assert not closing.done()
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        assert all(task.done() for task in tasks)  # the auto-commit task too
        assert member.coordinator.state.value == "stopped"
        assert listener.revoked() == [all_partitions(topic, 1)]
        await member.coordinator.close()  # idempotent after a cancelled close
    finally:
        await member.client.close()
