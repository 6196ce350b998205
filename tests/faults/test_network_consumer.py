"""Scenario 4 (consumer side): network faults between a consumer and the brokers.

The consumer reaches the 3-node cluster only through ``ProxyCluster`` (as in
``test_network.py``); a producer writes straight to the brokers at a steady rate while the
proxies reset connections in the middle of Fetch requests (before the broker sees them,
halfway through the frame, after the broker answered), make the broker leading most
partitions unreachable for a while (black hole or refused connections), or stall the open
sockets one way. The consumer (manually assigned, so no rebalance is involved) must give
back every offset of every partition exactly once and in order: a repeat is a duplicate, a
skipped offset is lost. While a broker is unreachable the other partitions keep flowing,
and a request that needs that broker ends in a typed ``KafkaError`` within its timeout.
Short: a 10 s black hole and stalled responses; ``AIOKAFKA_GEN_FAULTS=full``: a 30 s
outage both ways (black hole, refused), both stall directions, larger volumes.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import C2S, S2C, Direction, Mode, ProxyCluster, Trigger, When
from faults.support import create_topic, pick
from faults.verdict import Report, Tally
from faults.wave2_support import (
    Landed,
    Ledger,
    busiest,
    drain,
    partitions_of,
    produce_steadily,
    seconds_since,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KEYS = 500
FETCH = 1
REQUEST_TIMEOUT = 5.0  # the consumer's request_timeout_ms, in seconds
OUTAGE = pick(10.0, 30.0)
DRAIN = 90.0  # after the faults end: everything must be read within this
GUARD = pick(240.0, 600.0)  # hang guard per test, not a speed assertion
PROBE_BOUND = REQUEST_TIMEOUT + 8.0  # a request needing a dark broker must fail by then


def _consumer(bootstrap: str, **overrides: Any) -> AIOKafkaConsumer:
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap, "auto_offset_reset": "earliest",
        "request_timeout_ms": int(REQUEST_TIMEOUT * 1000), "retry_backoff_ms": 100,
        "metadata_max_age_ms": 5000, "fetch_max_wait_ms": 200,
        "max_partition_fetch_bytes": 4096,  # many small fetches: faults land mid-stream
    }  # fmt: skip
    return AIOKafkaConsumer(**(options | overrides))


async def _leaders(bootstrap: str, topic: str) -> dict[int, int | None]:
    """partition -> leader node, asked straight from the brokers."""
    async with AIOKafkaClient(bootstrap_servers=bootstrap) as client:
        await client.add_topic(topic)
        await client.force_metadata_update()
        return {
            p: client.cluster.leader_for_partition(TopicPartition(topic, p))
            for p in range(PARTITIONS)
        }


async def _poll_while(consumer: AIOKafkaConsumer, ledger: Ledger, task: asyncio.Task[Any]) -> None:
    """Poll into ``ledger`` until ``task`` is done."""
    while not task.done():
        ledger.add_batch(await consumer.getmany(timeout_ms=200))


def _finish(landed: Landed, ledger: Ledger, drained: bool, tally: Tally) -> None:
    if landed.failed:
        tally.problems.append(f"{len(landed.failed)} sends failed, e.g. {landed.failed[0]!r}")
    if not drained:
        tally.problems.append(f"the consumer did not reach the end within {DRAIN:.0f} s")
    ledger.audit(landed).into(tally)


async def _random_resets(proxies: ProxyCluster, tally: Tally) -> None:
    """Every ~0.7 s, RST every connection of one proxy (fetches in flight included)."""
    rng = random.Random(12)
    while True:
        await asyncio.sleep(0.7)
        tally.kills += rng.choice(proxies.proxies).reset_connections()


async def test_consumer_connection_resets_mid_fetch(
    kafka_cluster_3: KafkaCluster, faults_report: Report
) -> None:
    cluster = kafka_cluster_3
    total = pick(6000, 60000)
    topic = await create_topic(cluster, "netc-resets", PARTITIONS, 3)
    landed, ledger = Landed(), Ledger()
    with faults_report("network-consumer-resets") as tally:
        async with asyncio.timeout(GUARD), ProxyCluster(cluster.bootstrap()) as proxies:
            triggers = [
                proxy.arm(Trigger(FETCH, when, count=pick(4, 30), every=every))
                for proxy in proxies
                for when, every in ((When.AFTER, 5), (When.MIDDLE, 7), (When.BEFORE, 11))
            ]
            async with _consumer(proxies.bootstrap) as consumer:
                consumer.assign(partitions_of(topic, PARTITIONS))
                producing = asyncio.create_task(produce_steadily(
                    cluster.bootstrap(), topic, range(total), pick(6.0, 40.0), landed, KEYS,
                ))  # fmt: skip
                chaos = asyncio.create_task(_random_resets(proxies, tally))
                try:
                    await _poll_while(consumer, ledger, producing)
                    await producing
                finally:
                    chaos.cancel()
                    producing.cancel()
                drained = await drain(consumer, ledger, landed.ends(topic), DRAIN)
        tally.kills += sum(t.fired for t in triggers)
        for when in When:
            if not any(t.fired for t in triggers if t.when is when):
                tally.problems.append(f"no Fetch was reset {when.value} (nothing tested)")
        _finish(landed, ledger, drained, tally)


async def _probe(consumer: AIOKafkaConsumer, tp: TopicPartition) -> tuple[str, float]:
    """end_offsets of a partition whose leader is dark: outcome name and seconds taken."""
    started = time.monotonic()
    try:
        await consumer.end_offsets([tp])
    except KafkaError as exc:
        return type(exc).__name__, seconds_since(started)
    except Exception as exc:  # an untyped error is a finding, reported by the caller
        return f"untyped {type(exc).__name__}: {exc}", seconds_since(started)
    return "answered", seconds_since(started)


@pytest.mark.parametrize(
    "mode", pick([Mode.BLACKHOLE], [Mode.BLACKHOLE, Mode.REFUSE]), ids=lambda m: m.value
)
async def test_consumer_broker_unreachable_for_a_while(
    kafka_cluster_3: KafkaCluster, faults_report: Report, mode: Mode
) -> None:
    cluster = kafka_cluster_3
    total = pick(5000, 30000)
    topic = await create_topic(cluster, f"netc-{mode.value}", PARTITIONS, 3)
    landed, ledger = Landed(), Ledger()
    with faults_report(f"network-consumer-unreachable-{mode.value}") as tally:
        async with (
            asyncio.timeout(GUARD),
            ProxyCluster(cluster.bootstrap()) as proxies,
            _consumer(proxies.bootstrap) as consumer,
        ):
            consumer.assign(partitions_of(topic, PARTITIONS))
            leaders = await _leaders(cluster.bootstrap(), topic)
            node = busiest(leaders.values())
            victim = proxies.node(node)
            dark = [p for p, leader in leaders.items() if leader == node]
            lit = [p for p in range(PARTITIONS) if p not in dark]
            producing = asyncio.create_task(produce_steadily(
                cluster.bootstrap(), topic, range(total), OUTAGE + 6.0, landed, KEYS,
            ))  # fmt: skip
            polling = asyncio.create_task(_poll_while(consumer, ledger, producing))
            try:
                await asyncio.sleep(2.0)
                async with victim.outage(mode):
                    tally.kills += 1
                    before = {p: len(ledger.got.get(p, [])) for p in range(PARTITIONS)}
                    probe = await _probe(consumer, TopicPartition(topic, dark[0]))
                    await asyncio.sleep(max(0.0, OUTAGE - probe[1]))
                    during = {p: len(ledger.got.get(p, [])) - before[p] for p in range(PARTITIONS)}
                await polling
                await producing
            finally:
                polling.cancel()
                producing.cancel()
            drained = await drain(consumer, ledger, landed.ends(topic), DRAIN)
        print(f"{mode.value}: dark partitions {dark}, read during the outage {during}, "
              f"probe {probe[0]} after {probe[1]:.1f} s")  # fmt: skip
        if lit and not any(during[p] for p in lit):
            tally.problems.append("no partition of a reachable broker was read during the outage")
        if probe[0] == "answered" or probe[0].startswith("untyped"):
            tally.problems.append(f"end_offsets on a dark leader: {probe[0]} (wanted a KafkaError)")
        if probe[1] > PROBE_BOUND:
            tally.problems.append(f"end_offsets on a dark leader took {probe[1]:.1f} s")
        if mode is Mode.BLACKHOLE and not victim.stats.swallowed:
            tally.problems.append("the black hole swallowed nothing (nothing tested)")
        _finish(landed, ledger, drained, tally)


@pytest.mark.parametrize(
    "direction", pick([S2C], [S2C, C2S]), ids=pick(["responses"], ["responses", "requests"])
)
async def test_consumer_stalled_socket(
    kafka_cluster_3: KafkaCluster, faults_report: Report, direction: Direction
) -> None:
    cluster = kafka_cluster_3
    total = pick(4000, 20000)
    topic = await create_topic(cluster, "netc-stall", PARTITIONS, 3)
    name = "network-consumer-stall-" + ("responses" if direction is S2C else "requests")
    landed, ledger = Landed(), Ledger()
    with faults_report(name) as tally:
        async with (
            asyncio.timeout(GUARD),
            ProxyCluster(cluster.bootstrap()) as proxies,
            _consumer(proxies.bootstrap) as consumer,
        ):
            consumer.assign(partitions_of(topic, PARTITIONS))
            leaders = await _leaders(cluster.bootstrap(), topic)
            victim = proxies.node(busiest(leaders.values()))
            producing = asyncio.create_task(produce_steadily(
                cluster.bootstrap(), topic, range(total), REQUEST_TIMEOUT + 8.0, landed, KEYS,
            ))  # fmt: skip
            polling = asyncio.create_task(_poll_while(consumer, ledger, producing))
            try:
                await asyncio.sleep(2.0)
                accepted = victim.stats.accepted
                victim.stall(direction)
                tally.kills += 1
                await asyncio.sleep(REQUEST_TIMEOUT + 2.0)  # past the timeout: reconnect
                reconnected = victim.stats.accepted > accepted
                victim.restore()
                await polling
                await producing
            finally:
                polling.cancel()
                producing.cancel()
            drained = await drain(consumer, ledger, landed.ends(topic), DRAIN)
        if not reconnected:
            tally.problems.append("the consumer did not reconnect during the stall")
        _finish(landed, ledger, drained, tally)


def test_the_ledger_sees_repeats_and_skips() -> None:
    """The per-offset audit must be able to fail: offset 2 returned twice and offset 4
    never (what a position reset to the wrong place does) is one duplicate, one loss."""
    landed, ledger = Landed(), Ledger()
    landed.offsets[0] = {offset: b"%d" % offset for offset in range(6)}
    ledger.got[0] = [(offset, b"%d" % offset) for offset in (0, 1, 2, 2, 3, 5)]
    result = ledger.audit(landed)
    assert (result.sent, result.received, result.duplicated, result.lost) == (6, 6, 1, 1)
    assert result.problems == ["partition 0: offsets not increasing"]
