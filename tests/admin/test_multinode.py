"""Integration (3 nodes): partition requests routed to each leader, a leader killed mid-way
(retries reach the new leader), preferred leader election and a real replica move."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, ElectionType, NewTopic, OffsetSpec
from aiokafka_gen.errors import ElectionNotNeededError, UnknownTopicOrPartitionError
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
async def admin3(kafka_cluster_3: KafkaCluster) -> AsyncIterator[AIOKafkaAdminClient]:
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_cluster_3.bootstrap(), request_timeout_ms=30000
    ) as client:
        yield client


async def _leaders(admin: AIOKafkaAdminClient, topic: str) -> dict[int, int]:
    described = (await admin.describe_topics([topic]))[topic]
    return {p.partition: p.leader for p in described.partitions}


async def test_leaders_killed_and_elected_back(
    admin3: AIOKafkaAdminClient, kafka_cluster_3: KafkaCluster
) -> None:
    topic = f"admin-multi-{os.urandom(4).hex()}"
    await admin3.create_topics([NewTopic(topic, 6, 3)])
    tps = [TopicPartition(topic, p) for p in range(6)]
    for tp in tps[:3]:
        await produce(kafka_cluster_3.bootstrap(), topic, tp.partition + 1, partition=tp.partition)
    before = await _leaders(admin3, topic)
    assert len(set(before.values())) == 3  # spread over every broker
    ends = await admin3.list_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    assert [ends[tp].offset for tp in tps] == [1, 2, 3, 0, 0, 0]
    dirs = await admin3.describe_log_dirs(topic_partitions=tps)
    assert sorted(dirs) == [1, 2, 3]

    victim = before[0]
    kafka_cluster_3.node(victim).kill()
    try:
        moved = await admin3.list_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
        assert [moved[tp].offset for tp in tps] == [1, 2, 3, 0, 0, 0]
        assert all(
            moved[tp].leader_epoch > ends[tp].leader_epoch
            for tp in tps
            if before[tp.partition] == victim
        )
        assert victim not in (await _leaders(admin3, topic)).values()
    finally:
        await asyncio.to_thread(kafka_cluster_3.start_node, victim)

    elected = await _elect_until_back(admin3, tps)
    won = {tp for tp, r in elected.items() if r.error is None}
    assert won == {tp for tp in tps if before[tp.partition] == victim}
    for _ in range(60):  # the broker that answers may not have the new leaders yet
        if (now := await _leaders(admin3, topic)) == before:
            break
        await asyncio.sleep(0.5)
    assert now == before
    await admin3.delete_topics([topic])


async def _elect_until_back(admin: AIOKafkaAdminClient, tps: list[TopicPartition]) -> dict:  # type: ignore[type-arg]
    """The restarted broker must rejoin the ISR before it can lead again."""
    won: dict = {}  # type: ignore[type-arg]
    for _ in range(60):
        results = await admin.elect_leaders(ElectionType.PREFERRED, tps, raise_on_error=False)
        won |= {tp: r for tp, r in results.items() if r.error is None}
        pending = [tp for tp, r in results.items() if r.error is not None and tp not in won]
        if all(isinstance(results[tp].error, ElectionNotNeededError) for tp in pending):
            return {tp: won.get(tp, results[tp]) for tp in tps}
        await asyncio.sleep(0.5)
    raise AssertionError(f"preferred leaders not back: {results}")


async def test_reassignment_moves_a_replica(admin3: AIOKafkaAdminClient) -> None:
    topic = f"admin-move-{os.urandom(4).hex()}"
    await admin3.create_topics([NewTopic(topic, -1, -1, replica_assignments={0: [1]})])
    tp = TopicPartition(topic, 0)
    assert (await admin3.alter_partition_reassignments({tp: [2]}))[tp].error is None
    partition = None
    for _ in range(60):
        # The broker that answers may not have the new topic in its metadata yet (topic
        # creation is only known to the controller at first): an unknown topic is retried.
        found = (await admin3.describe_topics([topic], raise_on_error=False))[topic]
        if found.error is None:
            partition = found.partitions[0]
            if partition.replicas == (2,) and not await admin3.list_partition_reassignments([tp]):
                break
        else:
            assert isinstance(found.error, UnknownTopicOrPartitionError), found.error
        await asyncio.sleep(0.5)
    assert partition is not None and partition.replicas == (2,) and partition.leader == 2
    await admin3.delete_topics([topic])
