"""Test helpers: read back what the producer wrote, with our client's Fetch (to see batch
boundaries, codecs and producer ids) or with Kafka's Java ConsoleConsumer (interop)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.records import RecordBatch, read_batches
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

SEP = "\t"


async def fetch_batches(
    bootstrap: str, tp: TopicPartition, *, read_committed: bool = False
) -> list[RecordBatch]:
    """Every v2 batch of ``tp`` up to the high watermark (or LSO when read_committed)."""
    async with AIOKafkaClient(bootstrap_servers=bootstrap) as client:
        await client.add_topic(tp.topic)
        leader = client.cluster.leader_for_partition(tp)
        assert leader is not None and leader >= 0
        batches: list[RecordBatch] = []
        offset = 0
        while True:
            part = await _fetch_ok(client, leader, tp, offset, read_committed)
            end = part.last_stable_offset if read_committed else part.high_watermark
            for batch in read_batches(bytes(part.records or b"")):
                assert isinstance(batch, RecordBatch)
                if batch.next_offset > offset:
                    batches.append(batch)
                    offset = batch.next_offset
            if offset >= end:
                return batches


async def _fetch_ok(
    client: AIOKafkaClient, node: int, tp: TopicPartition, offset: int, committed: bool
) -> Any:
    # A leader move or a not-yet-propagated topic answers with a retriable error for a
    # moment: ask again with fresh metadata for up to ~10 s, then fail. (OFFSET_OUT_OF_RANGE
    # at offset 0 seen in long runs was retention deleting records with old timestamps:
    # such topics are created with retention.ms=-1.)
    part = await _fetch_once(client, node, tp, offset, committed)
    for attempt in range(8):
        if part.error_code == 0:
            return part
        await asyncio.sleep(0.25 * (attempt + 1))
        await client.force_metadata_update()
        part = await _fetch_once(client, node, tp, offset, committed)
    if part.error_code == 0:
        return part
    raise AssertionError(f"fetch {tp} at offset {offset}: error code {part.error_code}")


async def _fetch_once(
    client: AIOKafkaClient, node: int, tp: TopicPartition, offset: int, committed: bool
) -> Any:
    from aiokafka_gen.messages.fetch_request import FetchPartition, FetchRequest, FetchTopic

    topic_id = client.cluster.topic_id(tp.topic) or uuid.UUID(int=0)
    request = FetchRequest(
        replica_id=-1, max_wait_ms=100, min_bytes=1, max_bytes=50_000_000,
        isolation_level=1 if committed else 0,
        topics=[FetchTopic(topic=tp.topic, topic_id=topic_id, partitions=[
            FetchPartition(partition=tp.partition, fetch_offset=offset,
                           partition_max_bytes=50_000_000)
        ])],
    )  # fmt: skip
    response = await client.send(node, request)
    return response.responses[0].partitions[0]


def console_read(
    cluster: KafkaCluster, topic: str, count: int, *, read_committed: bool = False
) -> list[list[str]]:
    """``count`` records via ConsoleConsumer, as [timestamp, partition, headers, key, value]."""
    args = [
        "--bootstrap-server", cluster.bootstrap(), "--topic", topic, "--from-beginning",
        "--max-messages", str(count), "--timeout-ms", "30000",
    ]  # fmt: skip
    for prop in ("print.key", "print.timestamp", "print.partition", "print.headers"):
        args += ["--formatter-property", f"{prop}=true"]
    args += ["--formatter-property", f"key.separator={SEP}"]
    if read_committed:
        args += ["--isolation-level", "read_committed"]
    done = cluster.run_tool("ConsoleConsumer", *args)
    return [line.split(SEP) for line in done.stdout.splitlines() if line.strip()]


def console_count(cluster: KafkaCluster, topic: str, *, read_committed: bool) -> int:
    """How many records a ConsoleConsumer sees before going idle for a few seconds."""
    args = [
        "--bootstrap-server", cluster.bootstrap(), "--topic", topic, "--from-beginning",
        "--timeout-ms", "8000",
    ]  # fmt: skip
    if read_committed:
        args += ["--isolation-level", "read_committed"]
    done = cluster.run_tool("ConsoleConsumer", *args, check=False)
    return len([line for line in done.stdout.splitlines() if line.strip()])
