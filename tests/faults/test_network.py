"""Scenario 4 (producer side): network faults between the client and the brokers.

Every client here reaches the 3-node cluster only through ``ProxyCluster`` (one proxy per
broker, broker addresses in responses rewritten), so the test decides what the network
does: connection resets at chosen points of Produce requests, a broker unreachable for a
while (black hole or refused connections), stalled sockets. The idempotent producer must
deliver exactly the records sent, in order per key, within its delivery timeout; requests
that cannot complete must end in typed errors within their timeouts. The read-back goes
straight to the brokers. Short outage 8 s; ``AIOKAFKA_GEN_FAULTS=full``: 30 s.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import C2S, S2C, Direction, Mode, ProxyCluster, Trigger, When
from faults.support import audit, create_topic, key_of, pick, read_back, value_of
from faults.verdict import Report, Tally

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KEYS = 500
PRODUCE = 0
OUTAGE = pick(8.0, 30.0)
GUARD = pick(240.0, 600.0)  # hang guard per test, not a speed assertion


def _producer(bootstrap: str, **overrides: Any) -> AIOKafkaProducer:
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap, "enable_idempotence": True, "acks": "all",
        "linger_ms": 5, "request_timeout_ms": 4000, "retry_backoff_ms": 100,
    }  # fmt: skip
    return AIOKafkaProducer(**(options | overrides))


async def _spread(
    producer: AIOKafkaProducer, topic: str, indexes: range, seconds: float,
    futures: list[asyncio.Future[Any]],
) -> None:  # fmt: skip
    """Send ``indexes`` evenly over about ``seconds`` (so faults land mid-stream)."""
    steps = max(1, int(seconds / 0.05))
    chunk = max(1, len(indexes) // steps)
    for start in range(indexes.start, indexes.stop, chunk):
        for i in range(start, min(indexes.stop, start + chunk)):
            futures.append(await producer.send(topic, value_of(i), key=key_of(i, KEYS)))
        await asyncio.sleep(0.05)


async def _settle(futures: list[asyncio.Future[Any]], tally: Tally) -> None:
    results = await asyncio.gather(*futures, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        kinds = Counter(type(r).__name__ for r in failed)
        tally.problems.append(f"{len(failed)} sends failed: {dict(kinds)}, e.g. {failed[0]!r}")


async def _check(cluster: KafkaCluster, topic: str, total: int, tally: Tally) -> None:
    received = await read_back(cluster.bootstrap(), topic, PARTITIONS)
    audit(range(total), KEYS, received).into(tally)


def _busiest_leader(producer: AIOKafkaProducer, topic: str) -> int:
    leaders = Counter(
        producer.client.cluster.leader_for_partition(TopicPartition(topic, p))
        for p in range(PARTITIONS)
    )
    node, _ = leaders.most_common(1)[0]
    assert node is not None and node > 0
    return node


async def test_connection_resets_mid_request(
    kafka_cluster_3: KafkaCluster, faults_report: Report
) -> None:
    cluster = kafka_cluster_3
    total = pick(6000, 60000)
    topic = await create_topic(cluster, "net-resets", PARTITIONS, 3)
    with faults_report("network-resets") as tally:
        futures: list[asyncio.Future[Any]] = []
        async with asyncio.timeout(GUARD), ProxyCluster(cluster.bootstrap()) as proxies:
            triggers = [
                proxy.arm(Trigger(PRODUCE, when, count=pick(4, 30), every=every))
                for proxy in proxies
                for when, every in ((When.AFTER, 5), (When.MIDDLE, 7), (When.BEFORE, 11))
            ]
            async with _producer(proxies.bootstrap) as producer:
                chaos = asyncio.create_task(_random_resets(proxies, tally))
                try:
                    await _spread(producer, topic, range(total), pick(6.0, 40.0), futures)
                    await _settle(futures, tally)
                finally:
                    chaos.cancel()
        tally.kills += sum(t.fired for t in triggers)
        for when in When:
            if not any(t.fired for t in triggers if t.when is when):
                tally.problems.append(f"no Produce was reset {when.value} (nothing tested)")
        await _check(cluster, topic, total, tally)


async def _random_resets(proxies: ProxyCluster, tally: Tally) -> None:
    """Every ~0.7 s, RST every connection of one proxy (idle or not)."""
    rng = random.Random(11)
    while True:
        await asyncio.sleep(0.7)
        tally.kills += rng.choice(proxies.proxies).reset_connections()


@pytest.mark.parametrize("mode", [Mode.BLACKHOLE, Mode.REFUSE], ids=lambda m: m.value)
async def test_broker_unreachable_for_a_while(
    kafka_cluster_3: KafkaCluster, faults_report: Report, mode: Mode
) -> None:
    cluster = kafka_cluster_3
    total = pick(4000, 20000)
    topic = await create_topic(cluster, f"net-{mode.value}", PARTITIONS, 3)
    with faults_report(f"network-unreachable-{mode.value}") as tally:
        futures: list[asyncio.Future[Any]] = []
        async with (
            asyncio.timeout(GUARD),
            ProxyCluster(cluster.bootstrap()) as proxies,
            _producer(proxies.bootstrap) as producer,
        ):
            await producer.partitions_for(topic)
            victim = proxies.node(_busiest_leader(producer, topic))
            sending = asyncio.create_task(
                _spread(producer, topic, range(total), OUTAGE + 4.0, futures)
            )
            await asyncio.sleep(1.0)
            async with victim.outage(mode):
                tally.kills += 1
                first = len(futures)
                await asyncio.sleep(OUTAGE)
                during = futures[first:]
                ok_during = sum(1 for f in during if f.done() and not f.exception())
            await sending
            await _settle(futures, tally)
        if not ok_during:
            tally.problems.append("no record reached the reachable brokers during the outage")
        if mode is Mode.BLACKHOLE and not victim.stats.swallowed:
            tally.problems.append("the black hole swallowed nothing (nothing tested)")
        await _check(cluster, topic, total, tally)


@pytest.mark.parametrize(
    "direction",
    [S2C, C2S],
    ids=["responses", "requests"],
)
async def test_stalled_socket(
    kafka_cluster_3: KafkaCluster, faults_report: Report, direction: Direction
) -> None:
    cluster = kafka_cluster_3
    total = pick(3000, 20000)
    third = total // 3
    topic = await create_topic(cluster, "net-stall", PARTITIONS, 3)
    name = "network-stall-" + ("responses" if direction is S2C else "requests")
    with faults_report(name) as tally:
        futures: list[asyncio.Future[Any]] = []
        async with (
            asyncio.timeout(GUARD),
            ProxyCluster(cluster.bootstrap()) as proxies,
            _producer(proxies.bootstrap, request_timeout_ms=3000) as producer,
        ):
            await producer.partitions_for(topic)
            victim = proxies.node(_busiest_leader(producer, topic))
            await _spread(producer, topic, range(third), 1.0, futures)
            await asyncio.gather(*futures, return_exceptions=True)
            accepted = victim.stats.accepted
            victim.stall(direction)
            tally.kills += 1
            await _spread(producer, topic, range(third, 2 * third), 1.0, futures)
            await asyncio.sleep(3.0 + 2.0)  # past request_timeout_ms: the client gives up
            victim.restore()
            await _spread(producer, topic, range(2 * third, total), 1.0, futures)
            await _settle(futures, tally)
        if victim.stats.accepted == accepted:
            tally.problems.append("the client never reconnected past the stall (nothing tested)")
        await _check(cluster, topic, total, tally)


async def test_the_audit_sees_duplicates_without_idempotence(kafka_cluster_3: KafkaCluster) -> None:
    """The audit must be able to fail: without idempotence, a Produce whose response is
    lost is written twice by the retry (at least once, not exactly once)."""
    cluster = kafka_cluster_3
    total = 600
    topic = await create_topic(cluster, "net-canary", PARTITIONS, 3)
    futures: list[asyncio.Future[Any]] = []
    async with (
        asyncio.timeout(GUARD),
        ProxyCluster(cluster.bootstrap()) as proxies,
        _producer(proxies.bootstrap, enable_idempotence=False) as producer,
    ):
        for proxy in proxies:
            proxy.arm(Trigger(PRODUCE, When.AFTER, count=3, every=2))
        await _spread(producer, topic, range(total), 1.0, futures)
        await asyncio.gather(*futures)
    received = await read_back(cluster.bootstrap(), topic, PARTITIONS)
    result = audit(range(total), KEYS, received)
    assert result.lost == 0
    assert result.duplicated > 0
