"""Scenario 2: an exactly-once copier (consume, transform, produce in transactions) while
brokers of the 3-node cluster are SIGKILLed and restarted.

Input and output topics have 6 partitions, RF 3, min ISR 2. An idempotent producer writes
the input at a steady rate; two copiers in one consumer group (read_committed, no
auto-commit) each own a transactional producer and copy record ``r`` of input partition
``p`` to output partition ``p`` as ``b"copy:" + value`` (same key), committing the input
offsets inside the same transaction with ``send_offsets_to_transaction(offsets,
consumer.group_metadata())`` (KIP-447 fencing by generation). Meanwhile brokers are
SIGKILLed and restarted a few seconds later (the next kill waits for full ISRs). Once
the group's committed offsets reach the input's end, the copiers stop and the output is
read with a read_committed consumer: per partition, exactly the input values in input
order, each once.

The copier's loop is the documented application pattern (``_Copier.run``): on
``ProducerFenced`` or any error the producer cannot get past, replace the producer (its
``start()`` re-initialises the transactional id, which ends the old transaction); on any
other error (a ``KafkaError``, or the application's own failure) abort the transaction; in
both cases rewind the consumer to the group's committed offsets (``seek_to_committed``;
the beginning where nothing is committed yet) before reading on. To make sure that path
runs, every 8th transaction of a copier fails on purpose after its records reached the
log (they must stay invisible to read_committed), and halfway through copier 0 is
cancelled wherever it is and replaced by a new instance with the same transactional id
(a hard bounce). Kill targets rotate: group coordinator, copier 0's transaction
coordinator, the leader of an output partition. Short: 3k records, 1 kill per protocol
(classic: the group coordinator; consumer: the transaction coordinator);
``AIOKAFKA_GEN_FAULTS=full``: 40k records, 6 kills each.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.client import AIOKafkaClient, CoordinationType
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import KafkaError, ProducerFenced
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import ConsumerRecord, TopicPartition
from aiokafka_gen.testing import KafkaCluster
from faults.support import create_topic, pick, restart_all
from faults.verdict import Report, Tally
from faults.wave2_support import (
    Landed,
    partitions_of,
    produce_steadily,
    seconds_since,
    wait_in_sync,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KEYS = 300
TOTAL = pick(3000, 40000)
KILLS = pick(1, 6)
COPIERS = 2
BATCH = 100  # records per transaction at most: many transactions, some cut by a kill
POISON = 8  # every 8th transaction of a copier fails in "processing": abort and rewind
PRODUCE_SECONDS = pick(16.0, 120.0)
DOWN = 4.0  # seconds a killed node stays down
DRAIN = 120.0  # after the input is written: the copy must finish within this
GUARD = pick(400.0, 1800.0)  # hang guard, not a speed assertion
PREFIX = b"copy:"


@dataclass
class CopierStats:
    """What the copiers did, summed."""

    committed: int = 0  # transactions committed
    copied: int = 0  # records in committed transactions
    aborted: int = 0
    replaced: int = 0  # producers replaced after a fatal error
    rewinds: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)


class ProcessingFailed(Exception):
    """The application's own failure in the middle of a transaction (injected)."""


class _Copier:
    """One instance of the application: a group member plus a transactional producer."""

    def __init__(
        self, index: int, bootstrap: str, group: str, source: str, target: str, protocol: str,
        stats: CopierStats,
    ) -> None:  # fmt: skip
        self.bootstrap = bootstrap
        self.transactional_id = f"{group}-copier-{index}"
        self.target = target
        self.stats = stats
        self.transactions = 0
        self.consumer = AIOKafkaConsumer(
            source, bootstrap_servers=bootstrap, group_id=group, group_protocol=protocol,
            isolation_level="read_committed", enable_auto_commit=False,
            auto_offset_reset="earliest", request_timeout_ms=10000, retry_backoff_ms=100,
            session_timeout_ms=10000, heartbeat_interval_ms=1000, metadata_max_age_ms=5000,
        )  # fmt: skip

    def _producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, transactional_id=self.transactional_id,
            transaction_timeout_ms=20000, request_timeout_ms=10000, retry_backoff_ms=100,
            linger_ms=5,
        )  # fmt: skip

    async def run(self, stop: asyncio.Event) -> None:
        """Copy until ``stop`` is set (checked between transactions)."""
        producer = self._producer()
        try:
            await self._start(producer)
            while not stop.is_set():
                try:
                    batch = await self.consumer.getmany(timeout_ms=300, max_records=BATCH)
                except KafkaError as exc:  # membership trouble: poll again
                    self.stats.errors[f"poll {type(exc).__name__}"] += 1
                    await asyncio.sleep(0.2)
                    continue
                if not batch:
                    continue
                try:
                    await self._copy(producer, batch)
                except ProducerFenced as exc:
                    producer = await self._replace(producer, exc)
                except (KafkaError, ProcessingFailed) as exc:
                    self.stats.errors[type(exc).__name__] += 1
                    try:
                        await producer.abort_transaction()
                        self.stats.aborted += 1
                    except KafkaError as again:  # cannot abort: a new producer ends it
                        producer = await self._replace(producer, again)
                else:
                    continue
                await self._rewind()
        except Exception as exc:
            self.stats.crashes.append(f"{self.transactional_id}: {exc!r}")
            raise
        finally:
            with contextlib.suppress(Exception):
                await producer.stop()
            await self.consumer.stop()

    async def _start(self, producer: AIOKafkaProducer) -> None:
        await self.consumer.start()
        await self._retry(producer.start)

    async def _copy(
        self, producer: AIOKafkaProducer,
        batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]],
    ) -> None:  # fmt: skip
        """One transaction: the batch's records to the target and its offsets to the group."""
        await producer.begin_transaction()
        futures = []
        for tp, records in batch.items():
            for record in records:
                future = await producer.send(
                    self.target,
                    PREFIX + bytes(record.value or b""),
                    key=record.key,
                    partition=tp.partition,
                )
                future.add_done_callback(_observed)  # failures surface through the commit
                futures.append(future)
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
        await producer.send_offsets_to_transaction(offsets, self.consumer.group_metadata())
        self.transactions += 1
        if self.transactions % POISON == 0:
            await producer.flush()  # its records are in the log: the abort must hide them
            raise ProcessingFailed(f"transaction {self.transactions}")
        await producer.commit_transaction()
        await asyncio.gather(*futures)  # all acknowledged once the commit returned
        self.stats.committed += 1
        self.stats.copied += len(futures)

    async def _replace(self, producer: AIOKafkaProducer, cause: BaseException) -> AIOKafkaProducer:
        """A fatal producer error: stop it, start a new one with the same transactional id
        (InitProducerId completes or aborts whatever the old one left open)."""
        self.stats.errors[f"fatal {type(cause).__name__}"] += 1
        self.stats.replaced += 1
        with contextlib.suppress(Exception):
            await producer.stop()
        fresh = self._producer()
        await self._retry(fresh.start)
        return fresh

    async def _rewind(self) -> None:
        """Back to the committed offsets: the aborted transaction's records come again."""
        self.stats.rewinds += 1

        async def rewind() -> None:
            if not self.consumer.assignment():
                return
            committed = await self.consumer.seek_to_committed()
            for tp, offset in committed.items():
                if offset is None:
                    self.consumer.seek(tp, 0)  # nothing committed yet: from the start

        await self._retry(rewind)

    async def _retry(self, call: Any) -> None:
        """``call()`` until it succeeds (brokers come back); typed errors only."""
        while True:
            try:
                await call()
                return
            except KafkaError as exc:
                self.stats.errors[f"retry {type(exc).__name__}"] += 1
                await asyncio.sleep(0.5)


def _observed(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _coordinator(bootstrap: str, kind: CoordinationType, key: str) -> int:
    async with AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000) as client:
        return await client.coordinator_lookup(kind, key)


async def _leader(bootstrap: str, tp: TopicPartition) -> int:
    async with AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000) as client:
        await client.add_topic(tp.topic)
        await client.force_metadata_update()
        leader = client.cluster.leader_for_partition(tp)
        assert leader is not None and leader > 0, f"no leader for {tp}"
        return leader


async def _healthy(cluster: KafkaCluster, topics: list[str]) -> None:
    await wait_in_sync(cluster.bootstrap(), [*topics, "__consumer_offsets", "__transaction_state"])


async def _victim(bootstrap: str, kind: int, group: str, target: str) -> tuple[int, str]:
    """Kill targets in turn: the group coordinator, copier 0's transaction coordinator,
    the leader of an output partition."""
    if kind % 3 == 0:
        return await _coordinator(bootstrap, CoordinationType.GROUP, group), "group coordinator"
    if kind % 3 == 1:
        txn = f"{group}-copier-0"
        return await _coordinator(bootstrap, CoordinationType.TRANSACTION, txn), "txn coordinator"
    tp = TopicPartition(target, kind % PARTITIONS)
    return await _leader(bootstrap, tp), f"leader of {tp.topic}-{tp.partition}"


async def _kill_and_restart(
    cluster: KafkaCluster, group: str, source: str, target: str, first: int, tally: Tally,
    stop: asyncio.Event,
) -> None:  # fmt: skip
    """KILLS rounds, spread over the input's writing; each node is restarted DOWN seconds
    after its SIGKILL, and the next kill waits for full ISRs."""
    started = time.monotonic()
    for round_ in range(KILLS):
        await asyncio.sleep(PRODUCE_SECONDS / (KILLS + 1))
        if stop.is_set():
            return
        await _healthy(cluster, [source, target])
        victim, what = await _victim(cluster.bootstrap(), first + round_, group, target)
        print(f"{seconds_since(started):5.1f} s: kill {round_ + 1}: node {victim} ({what})")
        await asyncio.to_thread(cluster.node(victim).kill)
        tally.kills += 1
        await asyncio.sleep(DOWN)
        await asyncio.to_thread(cluster.start_node, victim)
        print(f"{seconds_since(started):5.1f} s: node {victim} is back")


async def _bounce(tasks: list[asyncio.Task[None]], make: Any, stop: asyncio.Event) -> None:
    """Halfway through, copier 0 is cancelled wherever it is (mid-transaction, most
    likely) and a new instance with the same transactional id takes its place."""
    await asyncio.sleep(PRODUCE_SECONDS / 2)
    if stop.is_set():
        return
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    tasks[0] = asyncio.create_task(make(0).run(stop))
    print("copier 0 bounced")


async def _copied_everything(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> bool:
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000) as admin:
        try:
            committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
        except KafkaError:
            return False
    return all(committed.get(tp) is not None and committed[tp].offset >= end
               for tp, end in ends.items())  # fmt: skip


async def _read_output(
    bootstrap: str, topic: str, isolation: str = "read_committed"
) -> dict[int, list[bytes]]:
    """Every value of every partition of ``topic`` (committed ones only by default), in
    offset order."""
    out: dict[int, list[bytes]] = {p: [] for p in range(PARTITIONS)}
    tps = partitions_of(topic, PARTITIONS)
    async with AIOKafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level=isolation,
        auto_offset_reset="earliest", request_timeout_ms=15000,
    ) as consumer:  # fmt: skip
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)  # the last stable offsets with read_committed
        async with asyncio.timeout(DRAIN):
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    out[tp.partition].extend(bytes(r.value or b"") for r in records)
    return out


def _compare(landed: Landed, output: dict[int, list[bytes]], tally: Tally) -> None:
    """Per partition: the output is the input, each record once, in input order."""
    tally.sent += landed.total
    for partition in range(PARTITIONS):
        wanted = [v for _, v in sorted(landed.offsets.get(partition, {}).items())]
        got = [v.removeprefix(PREFIX) for v in output.get(partition, [])]
        tally.received += len(got)
        missing = Counter(wanted) - Counter(got)
        extra = Counter(got) - Counter(wanted)
        tally.lost += sum(missing.values())
        tally.duplicated += sum(extra.values())
        if not missing and not extra and got != wanted:
            tally.problems.append(f"partition {partition}: output order differs from the input")
        if any(not v.startswith(PREFIX) for v in output.get(partition, [])):
            tally.problems.append(f"partition {partition}: a record that no copier wrote")


@pytest.mark.parametrize(("protocol", "first"), [("classic", 0), ("consumer", 1)],
                         ids=["classic", "consumer"])  # fmt: skip
async def test_exactly_once_copier_survives_broker_kills(
    kafka_cluster_3: KafkaCluster, faults_report: Report, protocol: str, first: int
) -> None:
    cluster = kafka_cluster_3
    await restart_all(cluster)
    source = await create_topic(cluster, "eos-in", PARTITIONS, 3)
    target = await create_topic(cluster, "eos-out", PARTITIONS, 3)
    group = f"{source}-copiers"
    landed, stats, stop = Landed(), CopierStats(), asyncio.Event()
    with faults_report(f"eos-copier-{protocol}") as tally:
        started = time.monotonic()
        copiers: list[asyncio.Task[None]] = []
        helpers: list[asyncio.Task[None]] = []
        try:
            async with asyncio.timeout(GUARD):
                await _healthy(cluster, [source, target])

                def make(i: int) -> _Copier:
                    return _Copier(i, cluster.bootstrap(), group, source, target, protocol, stats)

                copiers = [asyncio.create_task(make(i).run(stop)) for i in range(COPIERS)]
                helpers = [
                    asyncio.create_task(_bounce(copiers, make, stop)),
                    asyncio.create_task(
                        _kill_and_restart(cluster, group, source, target, first, tally, stop)
                    ),
                ]
                await produce_steadily(
                    cluster.bootstrap(), source, range(TOTAL), PRODUCE_SECONDS, landed, KEYS
                )
                print(f"{seconds_since(started):5.1f} s: input written")
                await asyncio.gather(*helpers)
                async with asyncio.timeout(DRAIN):
                    while not await _copied_everything(
                        cluster.bootstrap(), group, landed.ends(source)
                    ):
                        if all(task.done() for task in copiers):
                            break
                        await asyncio.sleep(1.0)
                print(f"{seconds_since(started):5.1f} s: input copied")
                stop.set()
                await asyncio.gather(*copiers)
        finally:
            stop.set()
            for task in copiers + helpers:
                task.cancel()
            await asyncio.gather(*copiers, *helpers, return_exceptions=True)
            await restart_all(cluster)
        print(f"copiers: {stats.committed} transactions committed ({stats.copied} records), "
              f"{stats.aborted} aborted, {stats.replaced} producers replaced, "
              f"{stats.rewinds} rewinds, errors {dict(stats.errors)}")  # fmt: skip
        tally.problems += stats.crashes
        if landed.failed:
            tally.problems.append(f"{len(landed.failed)} input sends failed")
        output = await _read_output(cluster.bootstrap(), target)
        print(f"{seconds_since(started):5.1f} s: output read")
        # the audit must be able to fail: read_uncommitted sees the aborted copies
        canary = Tally("read_uncommitted")
        _compare(
            landed, await _read_output(cluster.bootstrap(), target, "read_uncommitted"), canary
        )
        print(f"output read uncommitted: {canary.received} records, {canary.duplicated} extra")
        if stats.aborted and not canary.duplicated:
            tally.problems.append("transactions were aborted but read_uncommitted sees no copy")
        _compare(landed, output, tally)
