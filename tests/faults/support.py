"""Shared pieces of the fault scenarios: sizes, keyed records, read-back and the audit.

Records are keyed: record ``i`` has key ``key-(i % keys)`` and value ``i``, so the value
says which record it is and the order per key is the order of ``i``. The audit reads every
partition back with our own Fetch (``producer.support.fetch_batches``, straight to the
brokers, never through a proxy) and compares with what was sent.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from producer.support import fetch_batches

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster
from faults.verdict import Tally

T = TypeVar("T")
FULL = os.environ.get("AIOKAFKA_GEN_FAULTS", "").strip().lower() == "full"


def pick(short: T, full: T) -> T:
    """The CI (shortened) size, or the full one under ``AIOKAFKA_GEN_FAULTS=full``."""
    return full if FULL else short


def key_of(i: int, keys: int) -> bytes:
    return b"key-%05d" % (i % keys)


def value_of(i: int) -> bytes:
    return b"%d" % i


async def create_topic(cluster: KafkaCluster, prefix: str, partitions: int, rf: int) -> str:
    """A unique topic on ``cluster`` (records kept forever: no retention surprises)."""
    name = f"faults-{prefix}-{uuid.uuid4().hex[:8]}"
    configs = {"retention.ms": "-1", "min.insync.replicas": "2" if rf == 3 else "1"}
    await asyncio.to_thread(cluster.create_topic, name, partitions, rf, configs)
    return name


@dataclass
class Audit:
    """What came back compared with what was sent."""

    sent: int
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    def into(self, tally: Tally) -> None:
        tally.sent += self.sent
        tally.received += self.received
        tally.lost += self.lost
        tally.duplicated += self.duplicated
        tally.problems += self.problems


async def read_back(bootstrap: str, topic: str, partitions: int) -> list[list[tuple[Any, Any]]]:
    """(key, value) of every record of every partition, in offset order."""
    out = []
    for p in range(partitions):
        batches = await fetch_batches(bootstrap, TopicPartition(topic, p))
        out.append([(bytes(r.key or b""), bytes(r.value or b"")) for b in batches for r in b])
    return out


def audit(sent: Sequence[int], keys: int, partitions: Iterable[list[tuple[Any, Any]]]) -> Audit:
    """Exactly the records of ``sent`` (indexes), none twice, each key in send order, each
    key in one partition only."""
    result = Audit(sent=len(sent))
    seen: Counter[int] = Counter()
    per_key: dict[bytes, list[int]] = {}
    home: dict[bytes, int] = {}
    for index, records in enumerate(partitions):
        for key, value in records:
            i = int(value)
            seen[i] += 1
            result.received += 1
            per_key.setdefault(key, []).append(i)
            if home.setdefault(key, index) != index:
                result.problems.append(f"key {key!r} in partitions {home[key]} and {index}")
            if key != key_of(i, keys):
                result.problems.append(f"record {i} carries key {key!r}")
    wanted = set(sent)
    missing = sorted(wanted - seen.keys())
    result.lost = len(missing)
    if missing:
        result.problems.append(f"{len(missing)} records missing, e.g. {missing[:10]}")
    result.duplicated = sum(n - 1 for n in seen.values() if n > 1)
    strangers = seen.keys() - wanted
    if strangers:
        result.problems.append(f"{len(strangers)} records never sent, e.g. {min(strangers)}")
    _check_order(per_key, result)
    return result


def _check_order(per_key: dict[bytes, list[int]], result: Audit) -> None:
    misordered = [
        key for key, seq in per_key.items() if any(a >= b for a, b in itertools.pairwise(seq))
    ]
    if misordered:
        result.problems.append(f"{len(misordered)} keys out of order, e.g. {misordered[0]!r}")


async def wait_full_isr(
    cluster: KafkaCluster, topic: str, partitions: int, timeout: float = 180.0
) -> None:
    """Until every partition of ``topic`` has all its replicas in sync (and a leader)."""
    async with asyncio.timeout(timeout), AIOKafkaClient(
        bootstrap_servers=cluster.bootstrap(), request_timeout_ms=10000
    ) as client:  # fmt: skip
        await client.add_topic(topic)
        while True:
            await client.force_metadata_update()
            metas = [client.cluster.partition_metadata(TopicPartition(topic, p))
                     for p in range(partitions)]  # fmt: skip
            if all(m is not None and m.leader >= 0 and len(m.isr) == len(m.replicas)
                   for m in metas):  # fmt: skip
                return
            await asyncio.sleep(0.5)


async def restart_all(cluster: KafkaCluster) -> None:
    """Start every node that is not running (after a failed scenario too)."""
    for node in cluster.nodes:
        if not node.running:
            await asyncio.to_thread(cluster.start_node, node.node_id)
