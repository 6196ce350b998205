"""Group coordinator failover on three brokers: the members find the new coordinator and
keep (or regain) a complete assignment; commits go to the new coordinator."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from aiokafka_gen.coordinator.contract import CommittedOffset
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
