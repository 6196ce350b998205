"""Integration: consumers in groups with the real coordinator (``aiokafka_gen.coordinator``)
under both protocols: members join and leave while records flow and nothing is lost
(at-least-once with commits), the rebalance listener runs at the right moments, a pattern
subscription picks up a topic created later, commit/committed/seek_to_committed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import IllegalOperation
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import produce

pytestmark = pytest.mark.integration
Topic = Callable[..., str]
PROTOCOLS = ["classic", "consumer"]


def member(
    bootstrap: str, group: str, protocol: str, *topics: str, **options: Any
) -> AIOKafkaConsumer:
    settings: dict[str, Any] = {
        "auto_offset_reset": "earliest", "enable_auto_commit": False,
        "session_timeout_ms": 6000, "heartbeat_interval_ms": 500,
    }  # fmt: skip
    settings.update(options)
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group, group_protocol=protocol, **settings
    )


class Recorder(ConsumerRebalanceListener):
    """Every listener call, in order, with the assignment seen at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, frozenset[TopicPartition]]] = []
        self.consumer: AIOKafkaConsumer | None = None

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.calls.append(("revoked", frozenset(revoked)))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        assert self.consumer is None or assigned <= self.consumer.assignment()
        self.calls.append(("assigned", frozenset(assigned)))


async def consume_loop(consumer: AIOKafkaConsumer, seen: set[tuple[int, int]]) -> None:
    """Poll and commit after every batch until cancelled."""
    while True:
        batch = await consumer.getmany(timeout_ms=300)
        for tp, records in batch.items():
            seen.update((tp.partition, r.offset) for r in records)
        if batch:
            with contextlib.suppress(Exception):  # a rebalance may refuse it: at-least-once
                await consumer.commit()


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@pytest.mark.slow
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_members_join_and_leave_without_losing_records(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(6)
    group = f"{topic}-group"
    for partition in range(6):
        await produce(kafka_bootstrap, topic, [b"a%d" % i for i in range(50)], partition=partition)
    seen: set[tuple[int, int]] = set()
    consumers = [member(kafka_bootstrap, group, protocol, topic) for _ in range(3)]
    await asyncio.gather(*(c.start() for c in consumers))
    loops = [asyncio.ensure_future(consume_loop(c, seen)) for c in consumers]
    try:
        await wait_for(lambda: len(seen) >= 100, 60, "first records")
        loops[0].cancel()
        await consumers[0].stop()  # leaves: its partitions move to the others
        for partition in range(6):
            await produce(
                kafka_bootstrap, topic, [b"b%d" % i for i in range(50)], partition=partition
            )
        late = member(kafka_bootstrap, group, protocol, topic)
        consumers.append(late)
        await late.start()
        loops.append(asyncio.ensure_future(consume_loop(late, seen)))
        await wait_for(lambda: len(seen) == 600, 90, "every record")
        await wait_for(lambda: bool(late.assignment()), 30, "the late member's assignment")
        health = late.group_health()
        assert health is not None and health.group_id == group and health.protocol == protocol
        assert health.member_id and health.assignment == frozenset(late.assignment())
        every = {TopicPartition(topic, p) for p in range(6)}

        def settled() -> bool:
            owned = [c.assignment() for c in consumers[1:]]
            return set().union(*owned) == every and sum(map(len, owned)) == 6

        await wait_for(settled, 30, "the three members to share every partition")
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await asyncio.gather(*(c.stop() for c in consumers))
    assert seen == {(p, o) for p in range(6) for o in range(100)}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_listener_commit_committed_and_seek_to_committed(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(2)
    group = f"{topic}-group"
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await produce(kafka_bootstrap, topic, [b"x%d" % i for i in range(10)], partition=0)
    listener = Recorder()
    consumer = member(kafka_bootstrap, group, protocol)
    listener.consumer = consumer
    consumer.subscribe([topic], listener=listener)
    await consumer.start()
    try:
        # KIP-848 may first assign nothing (the coordinator did not know the topic yet)
        await wait_for(lambda: consumer.assignment() == {tp0, tp1}, 30, "the assignment")
        assert listener.calls[-1] == ("assigned", frozenset({tp0, tp1}))
        first = await consumer.getone(tp0)
        assert first.offset == 0
        await consumer.commit({tp0: (5, "meta")})
        assert await consumer.committed(tp0) == 5 and await consumer.committed(tp1) is None
        assert await consumer.seek_to_committed(tp0) == {tp0: 5}
        assert (await consumer.getone(tp0)).offset == 5
        await consumer.commit()  # the positions: tp0 at 6, tp1 has none yet or 0
        assert await consumer.committed(tp0) == 6
        meta = consumer.group_metadata()
        assert meta.group_id == group and meta.member_id and meta.generation_id >= 0
    finally:
        await consumer.stop()
    assert listener.calls[-1][0] == "revoked" and listener.calls[-1][1] <= {tp0, tp1}
    again = member(kafka_bootstrap, group, protocol, topic)
    async with again:
        assert (await again.getone(tp0)).offset == 6  # resumes from the committed offset
    plain = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    with pytest.raises(IllegalOperation):
        await plain.commit()
    assert plain.group_health() is None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_pattern_subscription_picks_up_a_new_topic(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, protocol: str
) -> None:
    bootstrap = kafka_cluster.bootstrap()
    first = kafka_topic(1)
    prefix = first.rsplit("-", 2)[0]
    consumer = member(bootstrap, f"{first}-group", protocol, metadata_max_age_ms=1000)
    consumer.subscribe(pattern=f"{prefix}-.*")
    await consumer.start()
    try:
        await produce(bootstrap, first, [b"one"])
        record = await asyncio.wait_for(consumer.getone(), 60)
        assert (record.topic, record.value) == (first, b"one")
        await consumer.commit()  # an eager rebalance revokes it: resume after "one"
        second = kafka_topic(1)
        await produce(bootstrap, second, [b"two"])
        record = await asyncio.wait_for(consumer.getone(), 60)
        assert (record.topic, record.value) == (second, b"two")
        assert consumer.subscription() >= {first, second}
    finally:
        await consumer.stop()


async def test_subscription_without_group_assigns_every_partition(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    topic = kafka_topic(3)
    for partition in range(3):
        await produce(kafka_bootstrap, topic, [b"v"], partition=partition)
    async with AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest") as consumer:  # fmt: skip
        assert consumer.assignment() == {TopicPartition(topic, p) for p in range(3)}
        got = [await asyncio.wait_for(consumer.getone(), 30) for _ in range(3)]
        assert sorted(r.partition for r in got) == [0, 1, 2]


@pytest.mark.slow
@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_crashed_member_loses_its_partitions_to_the_others(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(4)
    group = f"{topic}-group"
    script = Path(__file__).with_name("crash_member.py")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    crashing = await asyncio.create_subprocess_exec(
        sys.executable, str(script), kafka_bootstrap, topic, group, protocol,
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    survivor = member(kafka_bootstrap, group, protocol, topic)
    seen: set[tuple[int, int]] = set()
    loop: asyncio.Future[None] | None = None
    try:
        assert crashing.stdout is not None
        line = await asyncio.wait_for(crashing.stdout.readline(), 60)
        assert line.strip() == b"ready"
        await survivor.start()
        loop = asyncio.ensure_future(consume_loop(survivor, seen))
        await wait_for(lambda: 0 < len(survivor.assignment()) < 4, 60, "a shared assignment")
        crashing.kill()  # no LeaveGroup: the broker notices when the session times out
        await crashing.wait()
        for partition in range(4):
            await produce(
                kafka_bootstrap, topic, [b"c%d" % i for i in range(20)], partition=partition
            )
        await wait_for(
            lambda: len(survivor.assignment()) == 4, 60, "the crashed member's partitions"
        )
        await wait_for(lambda: len(seen) == 80, 60, "every record")
    finally:
        if crashing.returncode is None:
            crashing.kill()
            await crashing.wait()
        if loop is not None:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
        await survivor.stop()
    assert seen == {(p, o) for p in range(4) for o in range(20)}


@pytest.mark.slow
async def test_a_static_member_rejoining_in_time_keeps_its_assignment(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    """Classic protocol, KIP-345: a member with group_instance_id does not leave on stop();
    back within the session timeout it gets the same partitions, and the other member sees
    no rebalance."""
    topic = kafka_topic(4)
    group = f"{topic}-group"
    listener = Recorder()
    other = member(kafka_bootstrap, group, "classic", session_timeout_ms=10000)
    other.subscribe([topic], listener=listener)
    static = member(kafka_bootstrap, group, "classic", topic, group_instance_id="static-1",
                    session_timeout_ms=10000)  # fmt: skip
    await asyncio.gather(other.start(), static.start())
    try:
        await wait_for(lambda: len(other.assignment()) == 2 == len(static.assignment()), 60,
                       "a two-way split")  # fmt: skip
        before, calls = static.assignment(), len(listener.calls)
        await static.stop()
        static = member(kafka_bootstrap, group, "classic", topic, group_instance_id="static-1",
                        session_timeout_ms=10000)  # fmt: skip
        await static.start()
        await wait_for(lambda: bool(static.assignment()), 30, "the static member's partitions")
        assert static.assignment() == before
        await asyncio.sleep(1.0)
        assert len(listener.calls) == calls and len(other.assignment()) == 2
    finally:
        await asyncio.gather(other.stop(), static.stop())


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_auto_commit_on_stop_resumes_where_the_last_member_stopped(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(1)
    group = f"{topic}-group"
    tp = TopicPartition(topic, 0)
    await produce(kafka_bootstrap, topic, [b"r%d" % i for i in range(10)])
    first = member(kafka_bootstrap, group, protocol, topic, enable_auto_commit=True,
                   auto_commit_interval_ms=60000)  # fmt: skip
    async with first:
        got = [await asyncio.wait_for(first.getone(), 30) for _ in range(4)]
        assert [r.offset for r in got] == [0, 1, 2, 3]
    second = member(kafka_bootstrap, group, protocol, topic)
    async with second:
        assert await second.committed(tp) == 4
        assert (await asyncio.wait_for(second.getone(), 30)).offset == 4


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_incremental_rebalance_revokes_only_moved_partitions(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    """Cooperative-sticky (classic) and KIP-848: when a second member joins, the first
    gives up only the partitions that move; it is never told to revoke what it keeps."""
    from aiokafka_gen.coordinator.assignors import CooperativeStickyAssignor

    topic = kafka_topic(4)
    group = f"{topic}-group"
    options: dict[str, Any] = (
        {"partition_assignment_strategy": (CooperativeStickyAssignor,)}
        if protocol == "classic" else {}
    )  # fmt: skip
    listener = Recorder()
    first = member(kafka_bootstrap, group, protocol, **options)
    first.subscribe([topic], listener=listener)
    second = member(kafka_bootstrap, group, protocol, topic, **options)
    await first.start()
    try:
        await wait_for(lambda: len(first.assignment()) == 4, 60, "the first member's partitions")
        listener.calls.clear()
        await second.start()
        await wait_for(lambda: len(first.assignment()) == 2 == len(second.assignment()), 60,
                       "a two-way split")  # fmt: skip
        kept = first.assignment()
        revoked = set().union(*(p for kind, p in listener.calls if kind == "revoked"))
        assert revoked == {TopicPartition(topic, p) for p in range(4)} - kept
        assert not revoked & kept
    finally:
        await asyncio.gather(first.stop(), second.stop())


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_blocked_getone_is_a_poll(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    # Waiting in getone()/async for on a quiet topic longer than max_poll_interval_ms must
    # not make the member leave the group (it would never rejoin: the poll never returns).
    topic = kafka_topic(1)
    group = f"blocked-poll-{protocol}-{os.urandom(3).hex()}"
    consumer = member(kafka_bootstrap, group, protocol, topic, max_poll_interval_ms=2000)
    async with consumer:
        waiting = asyncio.ensure_future(consumer.getone())
        # Joining may take more than one assignment (KIP-848 can hand out an empty one
        # first): the check starts once the member owns the partition.
        await wait_for(lambda: consumer.assignment() == {TopicPartition(topic, 0)}, 30, "it")
        joined = consumer.group_health()
        assert joined is not None
        await asyncio.sleep(5)  # 2.5 poll intervals with nothing to read
        health = consumer.group_health()
        assert health is not None and health.member_id == joined.member_id, health
        assert health.rebalances == joined.rebalances, (joined, health)
        assert not waiting.done()
        await produce(kafka_bootstrap, topic, [b"late"])
        async with asyncio.timeout(30):
            record = await waiting
        assert record.value == b"late"
        assert consumer.assignment() == {TopicPartition(topic, 0)}
