"""The classic group protocol against a real broker, with our test SubscriptionState."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest

from aiokafka_gen.coordinator.assignors import (
    CooperativeStickyAssignor,
    RangePartitionAssignor,
    RoundRobinPartitionAssignor,
    StickyPartitionAssignor,
)
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.coordinator.protocol import ConsumerProtocolMemberMetadata
from aiokafka_gen.errors import CommitFailedError
from aiokafka_gen.structs import TopicPartition

from .support import Member, all_partitions, settled, wait_for

pytestmark = pytest.mark.integration


def group() -> str:
    return f"g-{uuid.uuid4().hex[:10]}"


async def start_all(
    n: int, bootstrap: str, gid: str, topics: list[str], **config: Any
) -> list[Member]:
    return list(
        await asyncio.gather(*(Member.start(bootstrap, gid, topics, **config) for _ in range(n)))
    )


async def stop_all(members: list[Member]) -> None:
    await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)


@pytest.mark.parametrize(
    "assignor",
    [
        RangePartitionAssignor,
        RoundRobinPartitionAssignor,
        StickyPartitionAssignor,
        CooperativeStickyAssignor,
    ],
)
async def test_three_members_get_complete_disjoint_assignments(
    kafka_bootstrap: str, kafka_topic: Any, assignor: Any
) -> None:
    t1, t2 = kafka_topic(6), kafka_topic(3)
    expected = all_partitions(t1, 6) | all_partitions(t2, 3)
    members = await start_all(3, kafka_bootstrap, group(), [t1, t2], assignors=(assignor,))
    try:
        await wait_for(lambda: settled(members, expected), 60, "a settled group")
        assert sorted(len(m.assigned) for m in members) == [3, 3, 3]
        generations = {m.coordinator.generation for m in members}
        assert len(generations) == 1 and generations.pop() > 0
        if assignor in (RangePartitionAssignor, RoundRobinPartitionAssignor):
            # the leader ran exactly the documented algorithm over the real member ids
            class Cluster:
                def partitions_for_topic(self, topic: str) -> set[int]:
                    return set(range(6 if topic == t1 else 3))

            metas = {
                m.coordinator.member_id: ConsumerProtocolMemberMetadata(0, [t1, t2])
                for m in members
            }
            want = assignor.assign(Cluster(), metas)
            for m in members:
                assert set(want[m.coordinator.member_id].partitions()) == m.assigned
        for m in members:
            assert m.recorder.assigned()[-1] <= m.assigned
            health = m.coordinator.health()
            assert health.state == "stable" and health.protocol == "classic"
            assert health.coordinator_id is not None and health.rebalances >= 1
    finally:
        await stop_all(members)


async def test_leaving_member_hands_its_partitions_over(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(6)
    members = await start_all(3, kafka_bootstrap, group(), [topic])
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 6)), 60, "a settled group")
        leaving = members.pop(0)
        had = leaving.assigned
        await leaving.stop()
        assert leaving.recorder.revoked()[-1] == had
        assert leaving.coordinator.state.value == "stopped"
        await wait_for(lambda: settled(members, all_partitions(topic, 6)), 30, "take over")
        assert sorted(len(m.assigned) for m in members) == [3, 3]
    finally:
        await stop_all(members)


async def test_crashed_member_is_replaced_after_session_timeout(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(4)
    members = await start_all(2, kafka_bootstrap, group(), [topic], session_timeout_ms=2000)
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 60, "a settled group")
        crashed = members.pop()
        await crashed.crash()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 30, "take over")
        assert loop.time() - started >= 1.0  # it took the session timeout, not a LeaveGroup
    finally:
        await stop_all(members)


async def test_cooperative_rebalance_revokes_only_moved_partitions(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(6)
    gid = group()
    config: dict[str, Any] = {"assignors": (CooperativeStickyAssignor,)}
    first = await Member.start(kafka_bootstrap, gid, [topic], **config)
    members = [first]
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 6)), 60, "first member")
        members.append(await Member.start(kafka_bootstrap, gid, [topic], **config))
        await wait_for(lambda: settled(members, all_partitions(topic, 6)), 60, "two members")
        second = members[1]
        moved = second.assigned
        assert len(moved) == 3 and len(first.assigned) == 3
        revoked = first.recorder.revoked()
        assert revoked == [moved], "only the moved partitions are revoked, once"
        # an assignment may come before the leader's metadata has the topic (empty): what
        # matters is that the first member was given partitions once, and nothing new since
        given = [a for a in first.recorder.assigned() if a]
        assert given == [all_partitions(topic, 6)]
        assert frozenset().union(*second.recorder.assigned()) == moved
        assert second.recorder.revoked() == []
    finally:
        await stop_all(members)


async def test_eager_rebalance_revokes_everything_first(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(2)
    gid = group()
    first = await Member.start(kafka_bootstrap, gid, [topic])
    members = [first]
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 2)), 60, "first member")
        members.append(await Member.start(kafka_bootstrap, gid, [topic]))
        await wait_for(lambda: settled(members, all_partitions(topic, 2)), 60, "two members")
        events = first.recorder.events
        # eager: on_partitions_revoked(set()) comes before the first assignment (as in
        # aiokafka); an empty assignment may too (the leader's metadata lacked the topic)
        assert events[0] == ("revoked", frozenset())
        given = [e for e in events if e[1]]
        assert given[0] == ("assigned", all_partitions(topic, 2))
        assert given[1] == ("revoked", all_partitions(topic, 2))
        assert events[-1] == ("assigned", first.assigned)
    finally:
        await stop_all(members)


async def test_static_member_restart_keeps_assignment_without_rebalance(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(4)
    gid = group()
    config: dict[str, Any] = {"session_timeout_ms": 20000}
    a = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="static-a", **config)
    b = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="static-b", **config)
    members = [a, b]
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 60, "static members")
        generation, kept = a.coordinator.generation, b.assigned
        rebalances, a_events = a.coordinator.health().rebalances, list(a.recorder.events)
        await b.stop()  # a static member does not send LeaveGroup
        assert b.recorder.revoked()[-1] == kept
        b2 = await Member.start(
            kafka_bootstrap, gid, [topic], group_instance_id="static-b", **config
        )
        members = [a, b2]
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 30, "restarted member")
        assert b2.assigned == kept
        assert b2.coordinator.generation == generation
        await asyncio.sleep(1.0)  # several heartbeats: no rebalance started meanwhile
        assert a.coordinator.generation == generation
        assert a.coordinator.health().rebalances == rebalances
        assert a.recorder.events == a_events
    finally:
        await stop_all(members)


async def test_commit_and_fetch_round_trip(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(2)
    member = await Member.start(kafka_bootstrap, group(), [topic])
    try:
        await wait_for(lambda: settled([member], all_partitions(topic, 2)), 60, "member")
        tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        assert await member.coordinator.fetch_committed([tp0, tp1]) == {tp0: None, tp1: None}
        await member.coordinator.commit_offsets(
            {tp0: CommittedOffset(5, "meta-0", 0), tp1: CommittedOffset(7, "")}
        )
        got = await member.coordinator.fetch_committed([tp0, tp1])
        assert got == {tp0: CommittedOffset(5, "meta-0", 0), tp1: CommittedOffset(7, "", -1)}
        assert member.coordinator.group_metadata().generation_id == member.coordinator.generation
        assert member.coordinator.group_metadata().member_id == member.coordinator.member_id
    finally:
        await member.stop()


async def test_assigned_partitions_start_from_committed_offsets(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    gid = group()
    tp = TopicPartition(topic, 0)
    first = await Member.start(kafka_bootstrap, gid, [topic], enable_auto_commit=True)
    try:
        await wait_for(lambda: settled([first], frozenset({tp})), 60, "first member")
        first.sub.consume(tp, 42)
    finally:
        await first.stop()  # auto-commit on close
    second = await Member.start(kafka_bootstrap, gid, [topic])
    try:
        await wait_for(lambda: settled([second], frozenset({tp})), 60, "second member")
        assert second.sub.applied[tp] == CommittedOffset(42, "", -1)
        # committed offsets were applied before the listener ran
        assert second.recorder.seen_positions[0] == {tp: 42}
        # and the partitions' records were held from the application around both listeners
        assert first.recorder.not_held == set() and second.recorder.not_held == set()
        assert second.sub.held == set()  # released after the listener
    finally:
        await second.stop()


async def test_commit_fails_after_the_member_was_removed(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    gid = group()
    tp = TopicPartition(topic, 0)
    zombie = await Member.start(kafka_bootstrap, gid, [topic], session_timeout_ms=1500)
    try:
        await wait_for(lambda: settled([zombie], frozenset({tp})), 60, "member")
        # stop heartbeating (a stalled process) but keep the connection for the commit
        task = zombie.coordinator._tasks[0]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        other = await Member.start(kafka_bootstrap, gid, [topic])
        try:
            await wait_for(lambda: settled([other], frozenset({tp})), 60, "replacement")
            with pytest.raises(CommitFailedError):
                await zombie.coordinator.commit_offsets({tp: CommittedOffset(1)})
        finally:
            await other.stop()
    finally:
        await zombie.crash()


async def test_max_poll_interval_leaves_and_the_next_poll_rejoins(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(2)
    gid = group()
    slow = await Member.start(kafka_bootstrap, gid, [topic], max_poll_interval_ms=2500)
    fast = await Member.start(kafka_bootstrap, gid, [topic])
    members = [slow, fast]
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 2)), 60, "two members")
        had = slow.assigned
        slow.polling = False
        await wait_for(lambda: slow.coordinator.state.value == "unjoined", 20, "poll timeout leave")
        assert slow.recorder.revoked()[-1] == had and slow.assigned == frozenset()
        await wait_for(lambda: settled([fast], all_partitions(topic, 2)), 30, "take over")
        slow.polling = True
        await wait_for(lambda: settled(members, all_partitions(topic, 2)), 30, "rejoined")
    finally:
        await stop_all(members)


async def test_pattern_subscription_picks_up_a_new_topic(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    first = kafka_topic(1)
    base = first.rsplit("-", 2)[0]  # the factory names topics <test>-<n>-<random>
    pattern = "^" + re.escape(base) + "-[0-9]+-.*"
    member = await Member.start(kafka_bootstrap, group(), pattern=pattern)
    try:
        await wait_for(lambda: settled([member], all_partitions(first, 1)), 60, "first topic")
        second = kafka_topic(2)
        assert re.match(pattern, second)
        member.client.force_metadata_update()
        expected = all_partitions(first, 1) | all_partitions(second, 2)
        await wait_for(lambda: settled([member], expected), 30, "the new topic")
    finally:
        await member.stop()


async def test_user_assigned_commits_without_membership(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    member = await Member.start(kafka_bootstrap, group(), [], enable_auto_commit=True)
    try:
        member.sub.assign([tp])
        await member.coordinator.ensure_active()  # returns at once: no membership
        member.sub.consume(tp, 9)
        await member.coordinator.commit_offsets({tp: CommittedOffset(3, "m")})
        assert (await member.coordinator.fetch_committed([tp]))[tp] == CommittedOffset(3, "m", -1)
        assert member.coordinator.group_metadata().generation_id == -1
        assert member.coordinator.state.value == "unjoined"
    finally:
        await member.stop()  # auto-commit on close
    check = await Member.start(kafka_bootstrap, member.coordinator.config.group_id, [])
    try:
        assert (await check.coordinator.fetch_committed([tp]))[tp] == CommittedOffset(9, "", -1)
    finally:
        await check.stop()


async def test_partition_count_change_makes_the_group_rebalance(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    from aiokafka_gen.messages.create_partitions_request import (
        CreatePartitionsRequest,
        CreatePartitionsTopic,
    )

    topic = kafka_topic(2)
    members = await start_all(2, kafka_bootstrap, group(), [topic])
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 2)), 60, "two members")
        client = members[0].client
        node = client.get_random_node()
        assert node is not None
        grow = CreatePartitionsTopic(name=topic, count=4, assignments=None)
        response = await client.send(node, CreatePartitionsRequest(topics=[grow], timeout_ms=30000))
        assert response.results[0].error_code == 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not settled(members, all_partitions(topic, 4)):
            assert loop.time() < deadline, "the group never picked up the new partitions"
            for m in members:  # what metadata_max_age_ms would do eventually
                m.client.force_metadata_update()
            await asyncio.sleep(0.5)
    finally:
        await stop_all(members)


async def test_member_removed_while_stalled_rejoins_with_a_new_id(
    kafka_bootstrap: str, kafka_topic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = kafka_topic(2)
    member = await Member.start(kafka_bootstrap, group(), [topic], session_timeout_ms=1500)
    try:
        await wait_for(lambda: settled([member], all_partitions(topic, 2)), 60, "member")
        old_id = member.coordinator.member_id

        async def stalled() -> None:
            return None

        monkeypatch.setattr(member.coordinator, "_heartbeat_once", stalled)
        await asyncio.sleep(3.5)  # past the session timeout: the broker drops the member
        monkeypatch.undo()
        await wait_for(lambda: bool(member.recorder.revoked()), 20, "the lost partitions")
        assert member.recorder.revoked()[-1] == all_partitions(topic, 2)
        await wait_for(
            lambda: (
                settled([member], all_partitions(topic, 2))
                and member.coordinator.member_id != old_id
            ),
            30,
            "a rejoin with a new member id",
        )
    finally:
        await member.stop()


async def test_auto_commit_runs_on_its_interval(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    member = await Member.start(
        kafka_bootstrap, group(), [topic], enable_auto_commit=True, auto_commit_interval_ms=300
    )
    try:
        await wait_for(lambda: settled([member], frozenset({tp})), 60, "member")
        member.sub.consume(tp, 17)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while (await member.coordinator.fetch_committed([tp]))[tp] != CommittedOffset(17, "", -1):
            assert loop.time() < deadline, "auto-commit never committed"
            await asyncio.sleep(0.2)
    finally:
        await member.stop()


async def test_second_static_member_with_the_same_instance_id_fences_the_first(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    from aiokafka_gen.errors import FencedInstanceIdError

    topic = kafka_topic(1)
    gid = group()
    first = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="twin")
    second: Member | None = None
    try:
        await wait_for(lambda: settled([first], all_partitions(topic, 1)), 60, "first")
        second = await Member.start(kafka_bootstrap, gid, [topic], group_instance_id="twin")
        await wait_for(lambda: settled([second], all_partitions(topic, 1)), 60, "second")
        await wait_for(lambda: first.coordinator.state.value == "fenced", 20, "fencing")
        with pytest.raises(FencedInstanceIdError):
            await first.coordinator.ensure_active()
        with pytest.raises(FencedInstanceIdError):
            first.coordinator.check_errors()
    finally:
        await first.stop()
        if second is not None:
            await second.stop()


async def test_subscription_change_rejoins_and_unsubscribe_leaves(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    t1, t2 = kafka_topic(1), kafka_topic(1)
    gid = group()
    a = await Member.start(kafka_bootstrap, gid, [t1])
    b = await Member.start(kafka_bootstrap, gid, [t1])
    members = [a, b]
    try:
        await wait_for(lambda: settled(members, all_partitions(t1, 1)), 60, "two members")
        a.sub.subscribe([t1, t2])
        a.coordinator.notify_poll()
        both = all_partitions(t1, 1) | all_partitions(t2, 1)
        await wait_for(
            lambda: settled(members, both) and TopicPartition(t2, 0) in a.assigned, 30, "t2 too"
        )
        a.sub.subscribe([])
        a.coordinator.notify_poll()
        await wait_for(lambda: a.coordinator.state.value == "unjoined", 30, "a leaves")
        await wait_for(lambda: settled([b], all_partitions(t1, 1)), 30, "b takes t1")
        assert a.assigned == frozenset()
    finally:
        await stop_all(members)


async def test_oversized_commit_metadata_is_refused_with_its_error(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    from aiokafka_gen.errors import OffsetMetadataTooLargeError  # type: ignore[attr-defined]

    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    member = await Member.start(kafka_bootstrap, group(), [topic])
    try:
        await wait_for(lambda: settled([member], frozenset({tp})), 60, "member")
        with pytest.raises(OffsetMetadataTooLargeError):  # offset.metadata.max.bytes = 4096
            await member.coordinator.commit_offsets({tp: CommittedOffset(1, "x" * 5000)})
        assert (await member.coordinator.fetch_committed([tp]))[tp] is None
    finally:
        await member.stop()


async def test_a_failing_plain_function_listener_does_not_stop_the_rebalance(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    from aiokafka_gen.abc import ConsumerRebalanceListener

    calls: list[str] = []

    class Broken(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
            calls.append("revoked")
            raise RuntimeError("listener bug")

        def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
            calls.append("assigned")
            raise RuntimeError("listener bug")

    topic = kafka_topic(2)
    member = await Member.start(kafka_bootstrap, group(), [topic], listener=Broken())
    try:
        await wait_for(lambda: settled([member], all_partitions(topic, 2)), 60, "member")
        assert calls == ["revoked", "assigned"]  # eager: revoked(set()) before a join
        assert member.coordinator.health().state == "stable"
    finally:
        await member.stop()
    assert calls == ["revoked", "assigned", "revoked"]


async def test_a_custom_aiokafka_style_assignor_is_used(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    from collections.abc import Iterable, Mapping

    from aiokafka_gen.coordinator.assignors.abstract import AbstractPartitionAssignor
    from aiokafka_gen.coordinator.protocol import ConsumerProtocolMemberAssignment

    class AllToFirst(AbstractPartitionAssignor):
        """Classmethods and a class attribute name, as aiokafka users write them."""

        name = "all-to-first"
        calls = 0

        @classmethod
        def assign(
            cls, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
        ) -> dict[str, ConsumerProtocolMemberAssignment]:
            cls.calls += 1
            first = min(members)
            topics = sorted({t for m in members.values() for t in m.subscription})
            everything = [(t, sorted(cluster.partitions_for_topic(t))) for t in topics]
            return {
                m: ConsumerProtocolMemberAssignment(0, everything if m == first else [], b"")
                for m in members
            }

        @classmethod
        def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
            return ConsumerProtocolMemberMetadata(0, sorted(topics), b"")

        @classmethod
        def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
            pass

    topic = kafka_topic(3)
    members = await start_all(2, kafka_bootstrap, group(), [topic], assignors=(AllToFirst,))
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 3)), 60, "a settled group")
        first = min(members, key=lambda m: m.coordinator.member_id)
        assert first.assigned == all_partitions(topic, 3) and AllToFirst.calls >= 1
    finally:
        await stop_all(members)
