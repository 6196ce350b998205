"""Scenario 1: an idempotent producer (acks=all) while partition leaders are SIGKILLed.

6 partitions, RF 3, min ISR 2 on the 3-node cluster. Records are sent in segments; after
each segment but the last, the current leader of one partition is SIGKILLed while that
segment is still in flight, the next segment is sent while the node is down, and the node
is restarted in the background (the next kill waits until every replica is back in
sync). Everything is then read back: exactly the records sent, no duplicates, each key in
send order. Short: 20k records, 2 kills; ``AIOKAFKA_GEN_FAULTS=full``: 200k, 5 kills.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster
from faults.support import (
    audit,
    create_topic,
    key_of,
    pick,
    read_back,
    restart_all,
    value_of,
    wait_full_isr,
)
from faults.verdict import Report

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KEYS = 1000
TOTAL = pick(20_000, 200_000)
KILLS = pick(2, 5)
GUARD = pick(420.0, 1800.0)  # a hang guard, not a speed assertion


async def _send(producer: AIOKafkaProducer, topic: str, indexes: range,
                futures: list[asyncio.Future[object]]) -> None:  # fmt: skip
    for i in indexes:
        futures.append(await producer.send(topic, value_of(i), key=key_of(i, KEYS)))
        if i % 500 == 0:
            await asyncio.sleep(0)  # let the sender and the kill bookkeeping run


async def _kill_a_leader(
    cluster: KafkaCluster, producer: AIOKafkaProducer, topic: str, round_: int
) -> int:
    await producer.client.force_metadata_update()
    tp = TopicPartition(topic, round_ % PARTITIONS)
    leader = producer.client.cluster.leader_for_partition(tp)
    assert leader is not None and leader > 0, f"no leader for {tp}"
    await asyncio.to_thread(cluster.node(leader).kill)
    return leader


async def _restart_later(cluster: KafkaCluster, node_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    await asyncio.to_thread(cluster.start_node, node_id)


async def test_idempotent_producer_survives_leader_kills(
    kafka_cluster_3: KafkaCluster, faults_report: Report
) -> None:
    cluster = kafka_cluster_3
    await restart_all(cluster)
    topic = await create_topic(cluster, "idempotent-kills", PARTITIONS, 3)
    segment = TOTAL // (KILLS + 1)
    bounds = [range(k * segment, TOTAL if k == KILLS else (k + 1) * segment)
              for k in range(KILLS + 1)]  # fmt: skip
    futures: list[asyncio.Future[object]] = []
    restarts: list[asyncio.Task[None]] = []
    with faults_report("idempotent-leader-kills") as tally:
        try:
            async with asyncio.timeout(GUARD), AIOKafkaProducer(
                bootstrap_servers=cluster.bootstrap(), enable_idempotence=True, acks="all",
                linger_ms=5, request_timeout_ms=10000, retry_backoff_ms=100,
            ) as producer:  # fmt: skip
                await producer.partitions_for(topic)
                for k, indexes in enumerate(bounds):
                    await _send(producer, topic, indexes, futures)
                    if k == KILLS:
                        break
                    await asyncio.gather(*restarts)
                    await wait_full_isr(cluster, topic, PARTITIONS)
                    victim = await _kill_a_leader(cluster, producer, topic, k)
                    tally.kills += 1
                    restarts.append(asyncio.create_task(_restart_later(cluster, victim, 3.0)))
                results = await asyncio.gather(*futures, return_exceptions=True)
                await asyncio.gather(*restarts)
        finally:
            for task in restarts:
                task.cancel()
            await asyncio.gather(*restarts, return_exceptions=True)
            await restart_all(cluster)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            tally.problems.append(f"{len(failed)} sends failed, e.g. {failed[0]!r}")
        started = time.monotonic()
        received = await read_back(cluster.bootstrap(), topic, PARTITIONS)
        print(f"read back in {time.monotonic() - started:.1f} s")
        audit(range(TOTAL), KEYS, received).into(tally)
