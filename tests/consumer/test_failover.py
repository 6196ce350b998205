"""Integration (3 nodes): the leader of a partition dies while the consumer reads it; the
consumer follows the new leader (metadata refresh, leader epoch validated with
OffsetForLeaderEpoch, KIP-320) and reads every record once, in order."""

from __future__ import annotations

import asyncio

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import produce, read

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_leader_kill_consumer_follows_the_new_leader(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    topic = "consumer-leader-kill"
    cluster.create_topic(topic, 1, 3)
    tp = TopicPartition(topic, 0)
    total = 2000
    half = total // 2
    await produce(cluster.bootstrap(), topic, [b"%06d" % i for i in range(half)], acks="all")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=cluster.bootstrap(), auto_offset_reset="earliest",
        max_partition_fetch_bytes=4096, request_timeout_ms=15000, metadata_max_age_ms=5000,
    )  # fmt: skip
    async with consumer:
        consumer.assign([tp])
        first = await read(consumer, half)
        leader = consumer._client.cluster.leader_for_partition(tp)
        epoch = consumer._client.cluster.leader_epoch(tp)
        assert leader is not None and leader > 0 and epoch is not None
        await asyncio.to_thread(cluster.node(leader).kill)
        try:
            # The second half is written after the kill, so the consumer cannot have it
            # buffered already (fetches are pipelined): it must fetch from the new leader.
            values = [b"%06d" % i for i in range(half, total)]
            await produce(cluster.bootstrap(), topic, values, acks="all", enable_idempotence=True)
            rest = await read(consumer, total - len(first), timeout=90)
            moved = consumer._client.cluster.leader_for_partition(tp)
            assert moved not in (None, -1, leader)
            assert (consumer._client.cluster.leader_epoch(tp) or 0) > epoch
            state = consumer._subscription.state(tp)
            assert state.validated_epoch > epoch  # the position was checked on the new leader
        finally:
            await asyncio.to_thread(cluster.start_node, leader)
    got = [r.value for r in first + rest]
    assert got == [b"%06d" % i for i in range(total)]
