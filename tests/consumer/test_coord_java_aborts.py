"""Integration: a read_committed consumer skips the records of transactions that Kafka's
Java producer aborted (and a read_uncommitted one sees them, so the aborts really were
written). The Java side is tests/coordinator/java/TxnAbortProducer.java, compiled against
the kafka-clients jar of the Java reference classpath (needs javac, java and mvn)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.javac import compiled_java

from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import assigned, read

pytestmark = [pytest.mark.integration, pytest.mark.java]
Topic = Callable[..., str]

SOURCE = Path(__file__).resolve().parents[1] / "coordinator" / "java" / "TxnAbortProducer.java"
TRANSACTIONS, PER_TXN = 10, 7  # even-numbered transactions commit, odd ones abort


@pytest.fixture(scope="module")
def txn_abort_producer() -> Callable[..., str]:
    """Compile TxnAbortProducer once (directory keyed by the source's hash); returns a
    function running it that gives its last output line."""
    command = compiled_java(SOURCE)

    def run(*args: str) -> str:
        proc = subprocess.run(
            [*command, *args],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout.strip().splitlines()[-1]

    return run


async def test_read_committed_skips_transactions_aborted_by_java(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, txn_abort_producer: Callable[..., str]
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    done = await asyncio.to_thread(
        txn_abort_producer, kafka_cluster.bootstrap(), topic, f"{topic}-java",
        str(TRANSACTIONS), str(PER_TXN),
    )  # fmt: skip
    assert done == f"done {TRANSACTIONS // 2} {TRANSACTIONS // 2}"
    committed = [
        f"commit-{t}-{n}".encode() for t in range(0, TRANSACTIONS, 2) for n in range(PER_TXN)
    ]
    aborted = {f"abort-{t}-{n}".encode() for t in range(1, TRANSACTIONS, 2) for n in range(PER_TXN)}
    bootstrap = kafka_cluster.bootstrap()
    async with assigned(bootstrap, tp, auto_offset_reset="earliest",
                        isolation_level="read_uncommitted") as raw:  # fmt: skip
        everything = {r.value for r in await read(raw, len(committed) + len(aborted), timeout=60)}
        assert aborted <= everything  # the aborted records are in the log
    async with assigned(bootstrap, tp, auto_offset_reset="earliest",
                        isolation_level="read_committed") as consumer:  # fmt: skip
        got = await read(consumer, len(committed), timeout=60)
        assert [r.value for r in got] == committed
        end = (await consumer.end_offsets([tp]))[tp]
        # every record plus one marker per transaction
        assert end == len(committed) + len(aborted) + TRANSACTIONS
        async with asyncio.timeout(20):
            while await consumer.position(tp) < end:  # past the last abort marker, nothing more
                assert await consumer.getmany(timeout_ms=200) == {}
