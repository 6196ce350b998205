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
    flag = "--property" if cluster.version.startswith("3.") else "--formatter-property"
    for prop in ("print.key", "print.timestamp", "print.partition", "print.headers"):
        args += [flag, f"{prop}=true"]
    args += [flag, f"key.separator={SEP}"]
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


def transactions_in_log(batches: list[RecordBatch]) -> list[tuple[bool, int, list[bytes]]]:
    """The log as (committed, data epoch, values) per transaction, in marker order: each
    control marker closes the data batches of its producer id written before it."""
    from aiokafka_gen.records.control import COMMIT, control_markers

    open_data: dict[int, list[RecordBatch]] = {}
    out: list[tuple[bool, int, list[bytes]]] = []
    for batch in batches:
        if not batch.is_control:
            open_data.setdefault(batch.producer_id, []).append(batch)
            continue
        data = open_data.pop(batch.producer_id, [])
        committed = control_markers(batch)[0].type == COMMIT
        epochs = {b.producer_epoch for b in data}
        assert len(epochs) <= 1, f"one transaction, several epochs: {epochs}"
        values = [bytes(r.value or b"") for b in data for r in b]
        out.append((committed, epochs.pop() if epochs else -1, values))
    return out


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """A group's committed offsets (OffsetFetch v9, require_stable: waits out open
    transactions)."""
    from aiokafka_gen.messages.offset_fetch_request import (
        OffsetFetchRequest,
        OffsetFetchRequestGroup,
    )

    from aiokafka_gen.client import CoordinationType

    request = OffsetFetchRequest(
        groups=[OffsetFetchRequestGroup(group_id=group, topics=None)], require_stable=True
    )
    async with AIOKafkaClient(bootstrap_servers=bootstrap) as client:
        for attempt in range(40):
            node = await client.coordinator_lookup(CoordinationType.GROUP, group)
            response = await client.send(node, request, api_version=9)
            result = response.groups[0]
            codes = [p.error_code for t in result.topics for p in t.partitions]
            if result.error_code == 0 and not any(codes):
                return {
                    TopicPartition(t.name, p.partition_index): p.committed_offset
                    for t in result.topics for p in t.partitions
                }  # fmt: skip
            await asyncio.sleep(0.1 * (attempt + 1))
    raise AssertionError(f"OffsetFetch {group}: {result.error_code} {codes}")


class GroupMember:
    """One member of a classic group joined with raw JoinGroup/SyncGroup requests (a
    consumer's membership without a consumer), for KIP-447 offset fencing tests."""

    def __init__(self, client: AIOKafkaClient, group_id: str) -> None:
        self.client = client
        self.group_id = group_id
        self.member_id = ""
        self.generation_id = -1

    async def join(self) -> None:
        """Join (answering MEMBER_ID_REQUIRED once) and sync as the leader."""
        from aiokafka_gen.messages.join_group_request import (
            JoinGroupRequest,
            JoinGroupRequestProtocol,
        )
        from aiokafka_gen.messages.sync_group_request import (
            SyncGroupRequest,
            SyncGroupRequestAssignment,
        )

        from aiokafka_gen.client import CoordinationType

        node = await self.client.coordinator_lookup(CoordinationType.GROUP, self.group_id)
        for _ in range(2):
            join = await self.client.send(node, JoinGroupRequest(
                group_id=self.group_id, session_timeout_ms=45000, rebalance_timeout_ms=10000,
                member_id=self.member_id, protocol_type="txn-test",
                protocols=[JoinGroupRequestProtocol(name="only", metadata=b"")],
            ))  # fmt: skip
            self.member_id = join.member_id
            if join.error_code != 79:  # MEMBER_ID_REQUIRED: join again with the id
                break
        assert join.error_code == 0, join.error_code
        self.generation_id = join.generation_id
        sync = await self.client.send(node, SyncGroupRequest(
            group_id=self.group_id, generation_id=self.generation_id, member_id=self.member_id,
            protocol_type="txn-test", protocol_name="only",
            assignments=[SyncGroupRequestAssignment(member_id=self.member_id, assignment=b"")],
        ))  # fmt: skip
        assert sync.error_code == 0, sync.error_code

    async def leave(self) -> None:
        from aiokafka_gen.messages.leave_group_request import LeaveGroupRequest, MemberIdentity

        from aiokafka_gen.client import CoordinationType

        node = await self.client.coordinator_lookup(CoordinationType.GROUP, self.group_id)
        await self.client.send(node, LeaveGroupRequest(
            group_id=self.group_id, members=[MemberIdentity(member_id=self.member_id)],
        ))  # fmt: skip
