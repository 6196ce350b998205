"""Group coordinator failover on three brokers: the members find the new coordinator and
keep (or regain) a complete assignment; commits go to the new coordinator; partitions
assigned while the coordinator dies still start from their committed offsets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.structs import TopicPartition

from .support import Member, all_partitions, settled, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
async def test_members_follow_the_coordinator_when_its_broker_dies(
    kafka_cluster_3: Any, kafka_topic: Any, protocol: str
) -> None:
    topic = kafka_topic(4, cluster=kafka_cluster_3, replication_factor=3)
    bootstrap = kafka_cluster_3.bootstrap()
    gid = f"gfail-{uuid.uuid4().hex[:10]}"
    config: dict[str, Any] = {"group_protocol": protocol, "request_timeout_ms": 15000}
    members = [await Member.start(bootstrap, gid, [topic], **config) for _ in range(2)]
    killed: int | None = None
    try:
        await wait_for(lambda: settled(members, all_partitions(topic, 4)), 90, "a settled group")
        killed = members[0].coordinator.health().coordinator_id
        assert killed is not None
        kafka_cluster_3.node(killed).kill()
        tp = TopicPartition(topic, 0)

        def recovered() -> bool:
            moved = all(
                m.coordinator.health().coordinator_id not in (None, killed) for m in members
            )
            return moved and settled(members, all_partitions(topic, 4))

        try:
            await wait_for(recovered, 90, "the group on its new coordinator")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {[m.coordinator.health() for m in members]}") from None
        owner = next(m for m in members if tp in m.assigned)
        await owner.coordinator.commit_offsets({tp: CommittedOffset(3, "after")})
        other = next(m for m in members if m is not owner)
        got = await other.coordinator.fetch_committed([tp])
        assert got[tp] == CommittedOffset(3, "after", -1)
    finally:
        await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)
        if killed is not None:
            await asyncio.to_thread(kafka_cluster_3.start_node, killed)


class KillOnFirstFetch:
    """Wraps a member's ``offsets.fetch``: the first call kills the group coordinator's
    broker before asking it, so the new partitions' OffsetFetch meets a real failover."""

    def __init__(self, member: Member, cluster: Any, victim: list[int]) -> None:
        self.offsets = member.coordinator.offsets
        self.real = member.coordinator.offsets.fetch
        self.cluster = cluster
        self.victim = victim  # filled with the killed node id
        self.calls = 0
        self.errors = 0
        member.coordinator.offsets.fetch = self  # type: ignore[method-assign]

    async def __call__(
        self, partitions: Iterable[TopicPartition], *, timeout: float | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        self.calls += 1
        if self.calls == 1:
            node = self.offsets.node_id
            assert node is not None
            self.victim.append(node)
            await asyncio.to_thread(self.cluster.node(node).kill)
        try:
            return await self.real(partitions, timeout=timeout)
        except KafkaError:
            self.errors += 1
            raise


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
async def test_new_partitions_get_committed_offsets_across_a_coordinator_failover(
    kafka_cluster_3: Any, kafka_topic: Any, protocol: str
) -> None:
    topic = kafka_topic(4, cluster=kafka_cluster_3, replication_factor=3)
    bootstrap = kafka_cluster_3.bootstrap()
    gid = f"gfetch-{uuid.uuid4().hex[:10]}"
    tps = all_partitions(topic, 4)
    committed = {tp: 10 + tp.partition for tp in tps}
    setter = await Member.start(bootstrap, gid, [])
    try:
        setter.sub.assign(tps)
        await setter.coordinator.commit_offsets(
            {tp: CommittedOffset(o) for tp, o in committed.items()}
        )
    finally:
        await setter.stop()
    # a short request timeout: the first OffsetFetch gives up long before a new coordinator
    # is elected (the dead broker is fenced after its 9 s session)
    config: dict[str, Any] = {"group_protocol": protocol, "request_timeout_ms": 5000}
    first = await Member.start(bootstrap, gid, [topic], **config)
    victim: list[int] = []
    wrappers: list[KillOnFirstFetch] = []
    members = [first]
    try:
        await wait_for(lambda: settled([first], tps), 90, "the first member settled")
        assert first.sub.positions == committed
        second = await Member.start(
            bootstrap, gid, [topic],
            prepare=lambda m: wrappers.append(KillOnFirstFetch(m, kafka_cluster_3, victim)),
            **config,
        )  # fmt: skip
        members.append(second)
        fetch = wrappers[0]

        def recovered() -> bool:
            moved = all(
                m.coordinator.health().coordinator_id not in (None, *victim) for m in members
            )
            return bool(victim) and moved and settled(members, tps) and bool(second.assigned)

        try:
            await wait_for(recovered, 120, "both members settled on the new coordinator")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {[m.coordinator.health() for m in members]}") from None
        assert fetch.errors >= 1  # the failover really broke an OffsetFetch
        for member in members:
            # every assigned partition starts from its committed offset; none is left
            # without a position, held, or unannounced
            assert member.sub.positions == {tp: committed[tp] for tp in member.assigned}
            assert member.sub.held == set()
            assert not member.coordinator.assignment_pending
            assert member.recorder.assigned()[-1] <= member.assigned
        for tp in second.assigned:
            assert second.sub.applied[tp] == CommittedOffset(committed[tp], "", -1)
    finally:
        await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)
        for node in victim:
            await asyncio.to_thread(kafka_cluster_3.start_node, node)
