"""Shared pieces of the wave-2 fault scenarios (consumers): a producer that remembers where
every record landed, a per-offset ledger of what a consumer returned, and a bounded drain.

The producer here writes straight to the brokers (never through a proxy) so the faults
stay on the consumer's side; ``Landed`` maps partition -> offset -> value from each
record's ``RecordMetadata``, which is what the consumer must hand back, once per offset.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import ConsumerRecord, RecordMetadata, TopicPartition
from faults.support import Audit, key_of, value_of

__all__ = [
    "KINDS", "Landed", "Ledger", "busiest", "churn_plan", "drain", "end_member", "partitions_of",
    "produce_steadily", "seconds_since", "wait_in_sync",
]  # fmt: skip

# the membership changes of the churn scenarios: a new member; stop(); the application's
# task cancelled, then stop(); the task cancelled and the member's network cut
KINDS = ("join", "leave", "cancel", "crash")


def seconds_since(started: float) -> float:
    """Monotonic seconds since ``started``."""
    return time.monotonic() - started


@dataclass
class Landed:
    """Where each produced record landed: partition -> offset -> value."""

    offsets: dict[int, dict[int, bytes]] = field(default_factory=dict)
    failed: list[BaseException] = field(default_factory=list)
    # acknowledged without an offset (-1: an idempotent retry the broker knew as written
    # but no longer had the offset of): partition, value
    unplaced: list[tuple[int, bytes]] = field(default_factory=list)

    def add(self, meta: RecordMetadata, value: bytes) -> None:
        if meta.offset < 0:
            self.unplaced.append((meta.partition, value))
        else:
            self.offsets.setdefault(meta.partition, {})[meta.offset] = value

    @property
    def total(self) -> int:
        return sum(len(per) for per in self.offsets.values()) + len(self.unplaced)

    def ends(self, topic: str) -> dict[TopicPartition, int]:
        """The offset after the last record of each partition written to."""
        return {TopicPartition(topic, p): max(per) + 1 for p, per in self.offsets.items() if per}


async def produce_steadily(
    bootstrap: str, topic: str, indexes: range, seconds: float, landed: Landed, keys: int,
    *, stop: asyncio.Event | None = None,
) -> None:  # fmt: skip
    """Send ``indexes`` (idempotent, acks=all) evenly over about ``seconds``, recording
    where each landed; ``stop`` ends it early. Failed sends are kept in ``landed.failed``."""
    pending: list[tuple[asyncio.Future[Any], bytes]] = []
    steps = max(1, int(seconds / 0.05))
    chunk = max(1, len(indexes) // steps)
    async with AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5,
        request_timeout_ms=10000,
    ) as producer:  # fmt: skip
        for start in range(indexes.start, indexes.stop, chunk):
            if stop is not None and stop.is_set():
                break
            for i in range(start, min(indexes.stop, start + chunk)):
                value = value_of(i)
                pending.append((await producer.send(topic, value, key=key_of(i, keys)), value))
            await asyncio.sleep(0.05)
        results = await asyncio.gather(*(f for f, _ in pending), return_exceptions=True)
    for result, (_, value) in zip(results, pending, strict=True):
        if isinstance(result, BaseException):
            landed.failed.append(result)
        else:
            landed.add(result, value)


@dataclass
class Ledger:
    """What one consumer returned, per partition, checked against ``Landed``.

    Within one consumer and without rebalances every partition must come back as the
    exact run of offsets 0, 1, 2...: a repeat counts as duplicated, a skip as lost."""

    got: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict)

    def add(self, record: ConsumerRecord[Any, Any]) -> None:
        self.got.setdefault(record.partition, []).append(
            (record.offset, bytes(record.value or b""))
        )

    def add_batch(self, batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]]) -> int:
        n = 0
        for records in batch.values():
            for record in records:
                self.add(record)
                n += 1
        return n

    @property
    def count(self) -> int:
        return sum(len(per) for per in self.got.values())

    def reached(self, ends: dict[TopicPartition, int]) -> bool:
        """Has every partition been read up to its end offset?"""
        return all(
            self.got.get(tp.partition) and self.got[tp.partition][-1][0] + 1 >= end
            for tp, end in ends.items()
            if end > 0
        )

    def audit(self, landed: Landed) -> Audit:
        """Exactly once per offset, in offset order, with the values that were written."""
        result = Audit(sent=landed.total, received=self.count)
        for partition in sorted(set(landed.offsets) | set(self.got)):
            wanted = landed.offsets.get(partition, {})
            records = self.got.get(partition, [])
            offsets = [offset for offset, _ in records]
            result.duplicated += len(offsets) - len(set(offsets))
            result.lost += len(wanted.keys() - set(offsets))
            if any(b <= a for a, b in itertools.pairwise(offsets)):
                result.problems.append(f"partition {partition}: offsets not increasing")
            wrong = [o for o, v in records if o in wanted and wanted[o] != v]
            if wrong:
                result.problems.append(f"partition {partition}: wrong value at offset {wrong[0]}")
            strangers = set(offsets) - wanted.keys()
            if strangers:
                result.problems.append(
                    f"partition {partition}: {len(strangers)} offsets never written, "
                    f"e.g. {min(strangers)}"
                )
        return result


async def drain(
    consumer: AIOKafkaConsumer, ledger: Ledger, ends: dict[TopicPartition, int], timeout: float
) -> bool:
    """Poll into ``ledger`` until every partition reached ``ends``; False after ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while not ledger.reached(ends):
                ledger.add_batch(await consumer.getmany(timeout_ms=300))
    except TimeoutError:
        return False
    return True


def partitions_of(topic: str, count: int) -> list[TopicPartition]:
    """``TopicPartition(topic, 0..count-1)``."""
    return [TopicPartition(topic, p) for p in range(count)]


def busiest(leaders: Iterable[int | None]) -> int:
    """The node id that appears most often (the leader of most partitions)."""
    counts: dict[int, int] = {}
    for node in leaders:
        if node is not None and node >= 0:
            counts[node] = counts.get(node, 0) + 1
    if not counts:
        raise AssertionError("no partition has a leader")
    return max(counts, key=lambda n: counts[n])


async def wait_in_sync(bootstrap: str, topics: Iterable[str], timeout: float = 180.0) -> None:
    """Until every partition of each of ``topics`` that exists has a leader and all its
    replicas in sync (a topic missing from metadata, e.g. an internal topic nobody needed
    yet, is skipped)."""
    async with (
        asyncio.timeout(timeout),
        AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000) as client,
    ):
        for topic in topics:
            await client.add_topic(topic)
        while True:
            await client.force_metadata_update()
            metas = [
                client.cluster.partition_metadata(TopicPartition(topic, p))
                for topic in topics
                for p in client.cluster.partitions_for_topic(topic) or ()
            ]
            if all(m is not None and m.leader >= 0 and len(m.isr) == len(m.replicas)
                   for m in metas):  # fmt: skip
                return
            await asyncio.sleep(0.5)


def churn_plan(rng: random.Random, changes: int, live: int, most: int) -> list[str]:
    """A sequence of ``changes`` KINDS keeping 1..``most`` members (``live`` at first);
    every kind appears when there is room for it (the first four changes cover all)."""
    out: list[str] = []
    wanted = list(KINDS)
    rng.shuffle(wanted)
    for _ in range(changes):
        allowed = (["join"] if live < most else []) + (
            [k for k in KINDS if k != "join"] if live > 1 else []
        )
        pending = [k for k in wanted if k in allowed]
        kind = pending[0] if pending else rng.choice(allowed)
        if kind in wanted:
            wanted.remove(kind)
        out.append(kind)
        live += 1 if kind == "join" else -1
    return out


async def end_member(
    task: asyncio.Task[Any], consumer: Any, proxies: Any, how: str, problems: list[str], name: str
) -> None:
    """How a churn member goes (``KINDS``): ``leave``: stop(), then its task ends by itself;
    ``cancel``: the task cancelled, then stop(); ``crash``: the task cancelled, its proxies
    refusing every connection, then stop() in vain. A stop() (and the task's end) taking
    more than 30 s is recorded in ``problems``; the proxies are closed at the end."""
    from aiokafka_gen.testing.proxy import Mode

    if how != "leave":
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if how == "crash":
        for proxy in proxies:
            proxy.set_mode(Mode.REFUSE)
    try:
        async with asyncio.timeout(30.0):
            await consumer.stop()
            await asyncio.gather(task, return_exceptions=True)
    except TimeoutError:
        problems.append(f"member {name}: stop() after {how} took > 30 s")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await proxies.close()
