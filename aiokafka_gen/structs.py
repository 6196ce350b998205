"""Plain value types shared by the client, producer and consumer (aiokafka-compatible).

Names, field names and field order follow aiokafka's ``structs`` module; fields added here
(leader epoch, offline replicas) come last with defaults so positional use keeps working.
Must not import anything beyond the standard library.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BrokerMetadata",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "PartitionMetadata",
    "RecordMetadata",
    "TopicPartition",
]


class TopicPartition(NamedTuple):
    """A topic name and a partition number."""

    topic: str
    partition: int


class BrokerMetadata(NamedTuple):
    """A broker as Metadata describes it (``nodeId`` spelled as aiokafka spells it)."""

    nodeId: int  # aiokafka's spelling
    host: str
    port: int
    rack: str | None


class PartitionMetadata(NamedTuple):
    """One partition: leader (-1 when none), replicas, in-sync replicas, error code."""

    topic: str
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]
    error: int
    leader_epoch: int = -1
    offline_replicas: tuple[int, ...] = ()


class OffsetAndMetadata(NamedTuple):
    """A committed offset and its metadata string."""

    offset: int
    metadata: str


class OffsetAndTimestamp(NamedTuple):
    """An offset found by timestamp, with the record's timestamp."""

    offset: int
    timestamp: int


class RecordMetadata(NamedTuple):
    """Where a produced record landed."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int | None
    timestamp_type: int
    log_start_offset: int | None
