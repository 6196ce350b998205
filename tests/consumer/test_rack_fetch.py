"""Follower fetching (KIP-392) against a real rack-aware cluster: the session's 3-node
cluster puts each broker in its own rack and runs Kafka's RackAwareReplicaSelector, so a
consumer with ``client_rack`` is told (preferred_read_replica) to fetch from the follower in
its rack, and must then read everything from there, in order, exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration

RECORDS = 300


async def test_a_consumer_with_client_rack_fetches_from_the_replica_in_its_rack(
    kafka_cluster_3: KafkaCluster,
) -> None:
    cluster = kafka_cluster_3
    topic = f"rack-fetch-{id(cluster):x}-{asyncio.get_running_loop().time():.0f}"
    await asyncio.to_thread(cluster.create_topic, topic, 1, 3, {"min.insync.replicas": "3"})
    tp = TopicPartition(topic, 0)
    async with AIOKafkaProducer(bootstrap_servers=cluster.bootstrap(), acks="all") as producer:
        for i in range(RECORDS):
            await producer.send(topic, b"%d" % i, partition=0)
        await producer.flush()  # acks=all with min ISR 3: every replica has every record
        leader = producer.client.cluster.leader_for_partition(tp)
    assert leader is not None
    follower = next(n for n in (1, 2, 3) if n != leader)

    consumer = AIOKafkaConsumer(
        bootstrap_servers=cluster.bootstrap(), client_rack=f"rack-{follower}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    fetched_from: list[int] = []
    await consumer.start()
    try:
        original = consumer._client.send

        async def send(node: int, request: Any, **kwargs: Any) -> Any:
            if type(request).__name__ == "FetchRequest":
                fetched_from.append(node)
            return await original(node, request, **kwargs)

        consumer._client.send = send  # type: ignore[method-assign]
        consumer.assign([tp])
        values: list[bytes] = []
        async with asyncio.timeout(60):  # a hang guard
            while len(values) < RECORDS:
                batches = await consumer.getmany(timeout_ms=1000)
                values += [bytes(r.value or b"") for r in batches.get(tp, [])]
    finally:
        await consumer.stop()
    assert values == [b"%d" % i for i in range(RECORDS)]
    assert fetched_from[0] == leader  # the first fetch asks the leader ...
    assert follower in fetched_from  # ... which points the consumer at its rack's replica
    assert fetched_from[-1] == follower
