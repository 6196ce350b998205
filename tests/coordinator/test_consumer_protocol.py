"""The consumer group protocol (KIP-848) against a real broker (Kafka 4.4 enables it)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest

from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import CommitFailedError
from aiokafka_gen.structs import TopicPartition

from .support import Member, all_partitions, settled, wait_for

pytestmark = pytest.mark.integration

CONSUMER = {"group_protocol": "consumer"}


def group() -> str:
    return f"g848-{uuid.uuid4().hex[:10]}"


def balanced(members: list[Member], expected: frozenset[TopicPartition]) -> bool:
    """Settled, and the uniform assignor's spread (server-side assignment converges)."""
    sizes = [len(m.assigned) for m in members]
    return settled(members, expected) and max(sizes) - min(sizes) <= 1


async def stop_all(members: list[Member]) -> None:
    await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)


async def test_three_members_join_reconcile_and_leave(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(6)
    gid = group()
    expected = all_partitions(topic, 6)
    members = list(
        await asyncio.gather(
            *(Member.start(kafka_bootstrap, gid, [topic], **CONSUMER) for _ in range(3))
        )
    )
    try:
        await wait_for(lambda: balanced(members, expected), 60, "a balanced group")
        for m in members:
            health = m.coordinator.health()
            assert health.protocol == "consumer" and health.generation_id > 0
            # every partition the member holds was announced to the listener, none twice
            added = [p for p in m.recorder.assigned()]
            revoked = (
                frozenset().union(*m.recorder.revoked()) if m.recorder.revoked() else frozenset()
            )
            assert frozenset().union(*added) - revoked <= m.assigned | revoked
            assert m.assigned <= frozenset().union(*added)
        leaving = members.pop()
        had = leaving.assigned
        before = {id(m): (len(m.recorder.revoked()), m.assigned) for m in members}
        await leaving.stop()
        assert leaving.recorder.revoked()[-1] == had
        await wait_for(lambda: balanced(members, expected), 30, "take over")
        for m in members:  # incremental: the survivors only gained partitions
            revocations, assigned = before[id(m)]
            assert len(m.recorder.revoked()) == revocations
            assert assigned < m.assigned
    finally:
        await stop_all(members)


async def test_commit_with_member_epoch_and_fetch(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    member = await Member.start(kafka_bootstrap, group(), [topic], **CONSUMER)
    try:
        await wait_for(lambda: settled([member], frozenset({tp})), 60, "member")
        await member.coordinator.commit_offsets({tp: CommittedOffset(11, "kip848", 0)})
        assert (await member.coordinator.fetch_committed([tp]))[tp] == CommittedOffset(
            11, "kip848", 0
        )
        meta = member.coordinator.group_metadata()
        assert meta.generation_id == member.coordinator.generation > 0
        assert meta.member_id == member.coordinator.member_id
    finally:
        await member.stop()


async def test_fenced_member_loses_partitions_and_rejoins(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(2)
    member = await Member.start(kafka_bootstrap, group(), [topic], **CONSUMER)
    try:
        await wait_for(lambda: settled([member], all_partitions(topic, 2)), 60, "member")
        tp = TopicPartition(topic, 0)
        coordinator = member.coordinator
        real_epoch = coordinator.generation
        coordinator.generation = real_epoch + 100  # an epoch the broker never gave: fenced
        with pytest.raises(CommitFailedError):
            await coordinator.commit_offsets({tp: CommittedOffset(1)})
        for _ in range(10):  # a heartbeat answer in flight may restore the real epoch first
            coordinator.generation = real_epoch + 100
            coordinator._wake.set()
            try:
                await wait_for(lambda: bool(member.recorder.revoked()), 3, "the lost partitions")
                break
            except AssertionError:
                continue
        assert member.recorder.revoked()[-1] == all_partitions(topic, 2)
        await wait_for(lambda: settled([member], all_partitions(topic, 2)), 30, "rejoined")
        assert coordinator.generation > 0
    finally:
        await member.stop()


async def test_pattern_subscription_uses_the_broker_regex(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    first = kafka_topic(1)
    base = first.rsplit("-", 2)[0]
    pattern = "^" + re.escape(base) + "-[0-9]+-.*"
    member = await Member.start(kafka_bootstrap, group(), pattern=pattern, **CONSUMER)
    try:
        await wait_for(lambda: settled([member], all_partitions(first, 1)), 60, "first topic")
        second = kafka_topic(2)
        expected = all_partitions(first, 1) | all_partitions(second, 2)
        await wait_for(lambda: settled([member], expected), 60, "the new topic")
    finally:
        await member.stop()


async def test_static_member_rejoins_with_its_assignment(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(4)
    gid = group()
    a = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="sa", **CONSUMER)
    b = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="sb", **CONSUMER)
    members = [a, b]
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 60, "static members")
        kept, a_events = b.assigned, list(a.recorder.events)
        await b.stop()  # epoch -2: the broker keeps b's assignment for the session timeout
        b2 = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="sb", **CONSUMER)
        members = [a, b2]
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 30, "restarted")
        assert b2.assigned == kept
        assert a.recorder.events == a_events
    finally:
        await stop_all(members)


async def test_server_side_range_assignor(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(4)
    gid = group()
    config = {**CONSUMER, "group_remote_assignor": "range"}
    members = [await Member.start(kafka_bootstrap, gid, [topic], **config) for _ in range(2)]
    try:
        await wait_for(lambda: balanced(members, all_partitions(topic, 4)), 60, "balanced")
        by_id = sorted(members, key=lambda m: m.coordinator.member_id)
        assert [sorted(tp.partition for tp in m.assigned) for m in by_id] == [[0, 1], [2, 3]]
    finally:
        await stop_all(members)


async def test_unknown_server_assignor_is_fatal(kafka_bootstrap: str, kafka_topic: Any) -> None:
    from aiokafka_gen.errors import UnsupportedAssignorError  # type: ignore[attr-defined]

    topic = kafka_topic(1)
    member = await Member.start(
        kafka_bootstrap, group(), [topic], group_remote_assignor="no-such-assignor", **CONSUMER
    )
    try:
        with pytest.raises(UnsupportedAssignorError):
            async with asyncio.timeout(30):
                await member.coordinator.ensure_active()
        assert member.coordinator.health().state == "fenced"
    finally:
        await member.stop()


async def test_max_poll_interval_leaves_and_the_next_poll_rejoins(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(2)
    gid = group()
    slow = await Member.start(kafka_bootstrap, gid, [topic], max_poll_interval_ms=2500, **CONSUMER)
    fast = await Member.start(kafka_bootstrap, gid, [topic], **CONSUMER)
    members = [slow, fast]
    try:
        await wait_for(lambda: balanced(members, all_partitions(topic, 2)), 60, "two members")
        had = slow.assigned
        slow.polling = False
        await wait_for(lambda: slow.coordinator.state.value == "unjoined", 20, "poll timeout leave")
        assert slow.recorder.revoked()[-1] == had and slow.assigned == frozenset()
        await wait_for(lambda: settled([fast], all_partitions(topic, 2)), 30, "take over")
        slow.polling = True
        await wait_for(lambda: balanced(members, all_partitions(topic, 2)), 30, "rejoined")
    finally:
        await stop_all(members)


async def test_switching_between_names_and_a_pattern(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    t1, t2 = kafka_topic(1), kafka_topic(1)
    member = await Member.start(kafka_bootstrap, group(), [t1], **CONSUMER)
    try:
        await wait_for(lambda: settled([member], all_partitions(t1, 1)), 60, "names")
        member.sub.subscribe_pattern("^" + re.escape(t2) + "$")
        member.coordinator.notify_poll()
        await wait_for(lambda: settled([member], all_partitions(t2, 1)), 60, "the pattern")
        member.sub.subscribe([t1])
        member.coordinator.notify_poll()
        await wait_for(lambda: settled([member], all_partitions(t1, 1)), 60, "names again")
    finally:
        await member.stop()
