"""Integration: records, offsets, leader elections and reassignments on the session broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.admin import (
    AIOKafkaAdminClient,
    ElectionType,
    IsolationLevel,
    OffsetSpec,
    RecordsToDelete,
)
from aiokafka_gen.errors import (
    ElectionNotNeededError,
    InvalidReplicationAssignmentError,
    NoReassignmentInProgressError,
    OffsetOutOfRangeError,
    UnknownTopicOrPartitionError,
)
from aiokafka_gen.structs import TopicPartition

from .support import produce

pytestmark = pytest.mark.integration
T0 = 1_700_000_000_000  # old timestamps: the topics keep them with retention.ms=-1
KEEP = {"retention.ms": "-1"}


async def test_list_offsets_by_spec_and_time(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], kafka_bootstrap: str
) -> None:
    topic = kafka_topic(2, configs=KEEP)
    stamps = [T0, T0 + 3000, T0 + 1000, T0 + 2000]
    await produce(kafka_bootstrap, topic, 4, timestamps=stamps)
    tp, empty = TopicPartition(topic, 0), TopicPartition(topic, 1)
    specs = [OffsetSpec.EARLIEST, OffsetSpec.LATEST, OffsetSpec.MAX_TIMESTAMP, T0 + 1500, T0 + 9999]
    found = [(await admin.list_offsets({tp: spec}))[tp] for spec in specs]
    # by time: the first offset whose timestamp is at or after the target (offset 1 here)
    assert [r.offset for r in found] == [0, 4, 1, 1, -1]
    assert found[2].timestamp == T0 + 3000 and found[3].timestamp == T0 + 3000
    both = await admin.list_offsets(
        {tp: OffsetSpec.LATEST, empty: OffsetSpec.LATEST},
        isolation_level=IsolationLevel.READ_COMMITTED,
    )
    assert (both[tp].offset, both[empty].offset) == (4, 0)


async def test_list_offsets_unknown_partition_is_reported_alone(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1)
    good, bad = TopicPartition(topic, 0), TopicPartition(topic, 7)
    missing = TopicPartition(f"{topic}-missing", 0)
    results = await admin.list_offsets(
        {good: OffsetSpec.LATEST, bad: OffsetSpec.LATEST, missing: OffsetSpec.EARLIEST},
        raise_on_error=False,
    )
    assert results[good].error is None and results[good].offset == 0
    assert isinstance(results[bad].error, UnknownTopicOrPartitionError)
    assert isinstance(results[missing].error, UnknownTopicOrPartitionError)


async def test_delete_records(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], kafka_bootstrap: str
) -> None:
    topic = kafka_topic(2)
    await produce(kafka_bootstrap, topic, 5)
    await produce(kafka_bootstrap, topic, 2, partition=1)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    results = await admin.delete_records({p0: RecordsToDelete(3), p1: -1})
    assert (results[p0].low_watermark, results[p1].low_watermark) == (3, 2)
    earliest = await admin.list_offsets({p0: OffsetSpec.EARLIEST})
    assert earliest[p0].offset == 3
    with pytest.raises(OffsetOutOfRangeError):
        await admin.delete_records({p0: RecordsToDelete(99)})


async def test_elect_leaders_not_needed_on_one_node(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    results = await admin.elect_leaders(ElectionType.PREFERRED, [tp], raise_on_error=False)
    assert isinstance(results[tp].error, ElectionNotNeededError)
    with pytest.raises(ElectionNotNeededError):
        await admin.elect_leaders(ElectionType.PREFERRED, [tp])
    missing = TopicPartition(f"{topic}-missing", 0)
    unknown = await admin.elect_leaders(ElectionType.PREFERRED, [missing], raise_on_error=False)
    assert isinstance(unknown[missing].error, UnknownTopicOrPartitionError)


async def test_partition_reassignments(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(2)
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    broker = (await admin.describe_cluster()).brokers[0].node_id
    results = await admin.alter_partition_reassignments(
        {p0: [broker], p1: [broker + 100]}, raise_on_error=False
    )
    assert results[p0].error is None
    assert isinstance(results[p1].error, InvalidReplicationAssignmentError)
    assert await admin.list_partition_reassignments([p0, p1]) == {}
    with pytest.raises(NoReassignmentInProgressError):
        await admin.alter_partition_reassignments({p0: None})
