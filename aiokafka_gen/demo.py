"""``python -m aiokafka_gen.demo`` (``make demo``): a local Kafka, end to end, narrated.

Starts a single-node Kafka (pinned version, jars from Maven Central), prints what the
cluster reports about itself and how long it took, creates a topic with Kafka's Java tool,
then reads the cluster through aiokafka_gen's own ``AIOKafkaClient`` (version negotiation,
metadata), produces keyed records with aiokafka_gen's ``AIOKafkaProducer`` and reads them
back with Kafka's Java console consumer (our consumer replaces that step when it lands),
then stops the cluster. Must not hide failures: any step
that fails ends the demo with a non-zero status and says which step it was.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiokafka_gen.testing import KafkaCluster

if TYPE_CHECKING:
    from aiokafka_gen.structs import TopicPartition

__all__ = ["STEPS", "main"]

TOPIC = "aiokafka-gen-demo"
Step = Callable[[KafkaCluster], str]


def describe_cluster(cluster: KafkaCluster) -> str:
    view = cluster.describe()
    brokers = ", ".join(f"node {b.node_id} at {b.host}:{b.port}" for b in view.brokers)
    return (
        f"cluster id {view.cluster_id}, controller {view.controller_id}, brokers: {brokers}\n"
        f"  listener PLAINTEXT {cluster.bootstrap()}, Kafka {cluster.version}, "
        f"started in {cluster.startup_seconds or 0.0:.1f} s"
    )


def create_topic(cluster: KafkaCluster) -> str:
    cluster.create_topic(TOPIC, partitions=3)
    return f"created topic {TOPIC!r} with 3 partitions (Kafka's TopicCommand)"


def list_topics(cluster: KafkaCluster) -> str:
    return f"topics on the broker: {cluster.list_topics()}"


async def _metadata_through_our_client(bootstrap: str) -> str:
    from aiokafka_gen import AIOKafkaClient
    from aiokafka_gen.messages import api_info

    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="aiokafka-gen-demo")
    await client.bootstrap()
    try:
        await client.add_topic(TOPIC)
        node = client.get_random_node()
        if node is None or not await client.ready(node):
            raise RuntimeError("no broker is ready")
        parts = sorted(client.cluster.partitions_for_topic(TOPIC) or ())
        leaders = [client.cluster.leader_for_partition(_tp(p)) for p in parts]
        versions = {api_info(key).name: client.api_version_for(node, key) for key in (0, 1, 3, 18)}
        return (
            f"cluster id {client.cluster.cluster_id}, topic {TOPIC!r}: partitions {parts}, "
            f"leaders {leaders}\n  negotiated versions: {versions}"
        )
    finally:
        await client.close()


def _tp(partition: int) -> TopicPartition:
    from aiokafka_gen import TopicPartition

    return TopicPartition(TOPIC, partition)


def metadata_through_our_client(cluster: KafkaCluster) -> str:
    return asyncio.run(_metadata_through_our_client(cluster.bootstrap()))


N_RECORDS = 10


async def _produce(bootstrap: str) -> list[tuple[int, int]]:
    from aiokafka_gen import AIOKafkaProducer

    async with AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all") as producer:
        sent = [
            await producer.send_and_wait(TOPIC, b"hello %d" % i, key=b"key-%d" % i)
            for i in range(N_RECORDS)
        ]
    return [(meta.partition, meta.offset) for meta in sent]


def produce_with_our_producer(cluster: KafkaCluster) -> str:
    placed = asyncio.run(_produce(cluster.bootstrap()))
    per_partition = {p: sum(1 for q, _ in placed if q == p) for p in sorted({p for p, _ in placed})}
    return f"{len(placed)} records acknowledged (acks=all); records per partition {per_partition}"


def read_back_with_java(cluster: KafkaCluster) -> str:
    done = cluster.run_tool(
        "ConsoleConsumer",
        *("--bootstrap-server", cluster.bootstrap(), "--topic", TOPIC, "--from-beginning"),
        *("--max-messages", str(N_RECORDS), "--timeout-ms", "30000"),
        *("--formatter-property", "print.key=true", "--formatter-property", "key.separator=="),
    )
    lines = sorted(line for line in done.stdout.splitlines() if line.startswith("key-"))
    if len(lines) != N_RECORDS:
        raise RuntimeError(f"Java read {len(lines)} of {N_RECORDS} records: {lines}")
    return f"Kafka's ConsoleConsumer read all {len(lines)}: {', '.join(lines[:3])}, ..."


STEPS: list[tuple[str, Step]] = [
    ("describe the cluster", describe_cluster),
    ("create a topic", create_topic),
    ("list topics", list_topics),
    ("metadata through aiokafka_gen's AIOKafkaClient", metadata_through_our_client),
    ("produce with aiokafka_gen's AIOKafkaProducer", produce_with_our_producer),
    ("read back with Kafka's Java consumer", read_back_with_java),
]


def _run_steps(cluster: KafkaCluster) -> int:
    for title, step in STEPS:
        began = time.perf_counter()
        try:
            result = step(cluster)
        except Exception as exc:
            print(f"FAILED step {title!r}: {exc}", file=sys.stderr)
            return 1
        print(f"[{time.perf_counter() - began:5.1f} s] {title}: {result}", flush=True)
    return 0


def main() -> int:
    print("starting a single-node Kafka from Maven jars (first run downloads them) ...")
    began = time.perf_counter()
    with KafkaCluster() as cluster:
        print(f"[{time.perf_counter() - began:5.1f} s] Kafka is up", flush=True)
        status = _run_steps(cluster)
        print("stopping the cluster ...", flush=True)
    print(f"done in {time.perf_counter() - began:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
