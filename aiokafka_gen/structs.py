"""Plain value types shared by the client, producer and consumer (aiokafka-compatible).

Names, field names and field order follow aiokafka's ``structs`` module; fields added here
(leader epoch, offline replicas) come last with defaults so positional use keeps working.
Must not import anything at runtime beyond the standard library.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

if TYPE_CHECKING:
    from aiokafka_gen.errors import KafkaError

__all__ = [
    "BrokerMetadata",
    "ConsumerGroupMetadata",
    "ConsumerRecord",
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
    """One partition: leader (-1 when none), replicas, in-sync replicas and, as in aiokafka,
    the error *class* of the partition's error code (``NoError`` when fine)."""

    topic: str
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]
    error: type[KafkaError] | None
    leader_epoch: int = -1
    offline_replicas: tuple[int, ...] = ()

    @property
    def error_code(self) -> int:
        return int(getattr(self.error, "errno", 0)) if self.error is not None else 0


class OffsetAndMetadata(NamedTuple):
    """A committed offset and its metadata string."""

    offset: int
    metadata: str


class OffsetAndTimestamp(NamedTuple):
    """An offset found by timestamp, with the record's timestamp."""

    offset: int
    timestamp: int | None


class RecordMetadata(NamedTuple):
    """Where a produced record landed."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int | None
    timestamp_type: int
    log_start_offset: int | None


class ConsumerGroupMetadata(NamedTuple):
    """A consumer's group membership, for ``send_offsets_to_transaction`` (KIP-447 fencing).

    ``AIOKafkaConsumer.group_metadata()`` returns one; ``generation_id`` -1 and
    ``member_id`` "" mean "not in a group" (the broker then checks the group id only).
    """

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None


KT = TypeVar("KT")
VT = TypeVar("VT")


@dataclasses.dataclass(slots=True)
class ConsumerRecord(Generic[KT, VT]):
    """One record as the consumer returns it (aiokafka's field names and order).

    ``key`` and ``value`` are what the deserializers returned (raw bytes without one);
    ``headers`` is, as in aiokafka, a tuple of ``(str, bytes)`` tuples in the order they
    were written, duplicates kept (a header written with a null value has None), and the
    empty tuple when the record has none; the annotation stays aiokafka's ``Sequence`` so
    code that builds records with lists type-checks. ``checksum`` is None for v2 batches
    (kept for compatibility); sizes are of the serialized, uncompressed key and value (-1
    for null).
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: KT | None
    value: VT | None
    checksum: int | None
    serialized_key_size: int
    serialized_value_size: int
    headers: Sequence[tuple[str, bytes]]
