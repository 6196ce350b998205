"""``python -m aiokafka_gen.demo`` (``make demo``): a local Kafka, end to end, narrated.

Starts a single-node Kafka (pinned version, jars from Maven Central), prints what the
cluster reports about itself and how long it took, creates a topic with aiokafka_gen's
``AIOKafkaAdminClient``, reads the cluster through ``AIOKafkaClient`` (version negotiation,
metadata), produces keyed records with ``AIOKafkaProducer``, consumes them in a consumer
group with ``AIOKafkaConsumer`` (and commits), has Kafka's Java console consumer read them
too (interoperability), then stops the cluster. Must not hide failures: any step that fails
ends the demo with a non-zero status and says which step it was.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiokafka_gen._codes import ApiKey
from aiokafka_gen.messages import api_info
from aiokafka_gen.testing import KafkaCluster

if TYPE_CHECKING:
    from aiokafka_gen.structs import TopicPartition

__all__ = ["STEPS", "main"]

TOPIC = "aiokafka-gen-demo"
_SHOWN_APIS = (ApiKey.PRODUCE, ApiKey.FETCH, ApiKey.METADATA, ApiKey.API_VERSIONS)
Step = Callable[[KafkaCluster], str]


def describe_cluster(cluster: KafkaCluster) -> str:
    view = cluster.describe()
    brokers = ", ".join(f"node {b.node_id} at {b.host}:{b.port}" for b in view.brokers)
    return (
        f"cluster id {view.cluster_id}, controller {view.controller_id}, brokers: {brokers}\n"
        f"  listener PLAINTEXT {cluster.bootstrap()}, Kafka {cluster.version}, "
        f"started in {cluster.startup_seconds or 0.0:.1f} s"
    )


async def _create_topic(bootstrap: str) -> str:
    from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic

    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        created = await admin.create_topics([NewTopic(TOPIC, 3, 1)])
        topics = sorted(await admin.list_topics())
    result = created[TOPIC]
    return (
        f"created topic {TOPIC!r}: {result.num_partitions} partitions, "
        f"topic id {result.topic_id}\n  topics on the broker: {topics}"
    )


def create_topic(cluster: KafkaCluster) -> str:
    return asyncio.run(_create_topic(cluster.bootstrap()))


async def _metadata_through_our_client(bootstrap: str) -> str:
    from aiokafka_gen import AIOKafkaClient

    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="aiokafka-gen-demo")
    await client.bootstrap()
    try:
        await client.add_topic(TOPIC)
        node = client.get_random_node()
        if node is None or not await client.ready(node):
            raise RuntimeError("no broker is ready")
        parts = sorted(client.cluster.partitions_for_topic(TOPIC) or ())
        leaders = [client.cluster.leader_for_partition(_tp(p)) for p in parts]
        versions = {api_info(key).name: client.api_version_for(node, key) for key in _SHOWN_APIS}
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


GROUP = "aiokafka-gen-demo-group"


async def _consume(bootstrap: str) -> str:
    from aiokafka_gen import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, group_id=GROUP,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    async with consumer:
        values: list[bytes] = []
        async with asyncio.timeout(60):
            while len(values) < N_RECORDS:
                batches = await consumer.getmany(timeout_ms=1000)
                values += [r.value for records in batches.values() for r in records if r.value]
        await consumer.commit()
        health = consumer.group_health()
        lag = sum(consumer.lag(tp) or 0 for tp in consumer.assignment())
    if len(values) != N_RECORDS:
        raise RuntimeError(f"consumed {len(values)} of {N_RECORDS} records")
    shown = ", ".join(v.decode() for v in sorted(values)[:3])
    state = f"group {GROUP!r} {health.state}, generation {health.generation_id}" if health else ""
    return f"consumed all {len(values)}: {shown}, ...; committed; {state}; lag {lag}"


def consume_with_our_consumer(cluster: KafkaCluster) -> str:
    return asyncio.run(_consume(cluster.bootstrap()))


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
    ("create a topic with aiokafka_gen's AIOKafkaAdminClient", create_topic),
    ("metadata through aiokafka_gen's AIOKafkaClient", metadata_through_our_client),
    ("produce with aiokafka_gen's AIOKafkaProducer", produce_with_our_producer),
    ("consume in a group with aiokafka_gen's AIOKafkaConsumer", consume_with_our_consumer),
    ("read back with Kafka's Java consumer (interop)", read_back_with_java),
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


def implementation() -> str:
    """Which build runs: the compiled modules, or pure Python (and why not compiled)."""
    import aiokafka_gen
    from aiokafka_gen import _accel

    found = aiokafka_gen.compiled()
    if all(found.values()):
        return f"compiled ({len(found)} accelerated modules)"
    if _accel.disabled():
        return f"pure Python ({_accel.ENV} is set)"
    if any(found.values()):
        return f"mixed: {sorted(name for name, ok in found.items() if ok)} compiled"
    return "pure Python (no compiled modules were built: no C compiler at install time?)"


def main() -> int:
    print(f"aiokafka_gen implementation: {implementation()}")
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
