"""The classic group protocol's embedded "consumer" metadata, as aiokafka's assignors see it.

``ConsumerProtocolMemberMetadata`` (a member's subscription, sent in JoinGroup) and
``ConsumerProtocolMemberAssignment`` (its assignment, sent in SyncGroup) keep aiokafka's
attribute names (``version``, ``subscription``, ``user_data``, ``assignment``,
``partitions()``) so aiokafka-style custom assignors work unchanged; they add what KIP-429
needs (``owned_partitions``, ``generation_id``) and the member's ``group_instance_id``
(Kafka's assignors order static members by it).

On the wire both are Kafka's ``ConsumerProtocolSubscription``/``ConsumerProtocolAssignment``
data specs behind an int16 version prefix, as Java's ConsumerProtocol writes them; a newer
version than we know is read at our newest (its fields are a prefix of theirs).
Must not do I/O.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterable
from typing import Any, NamedTuple

from aiokafka_gen.errors import KafkaProtocolError
from aiokafka_gen.messages.consumer_protocol_assignment import (
    ConsumerProtocolAssignment,
)
from aiokafka_gen.messages.consumer_protocol_assignment import (
    TopicPartition as _AssignedTopic,
)
from aiokafka_gen.messages.consumer_protocol_subscription import (
    ConsumerProtocolSubscription,
)
from aiokafka_gen.messages.consumer_protocol_subscription import (
    TopicPartition as _OwnedTopic,
)
from aiokafka_gen.structs import TopicPartition

__all__ = [
    "ConsumerProtocol",
    "ConsumerProtocolMemberAssignment",
    "ConsumerProtocolMemberMetadata",
    "decode_assignment",
    "decode_subscription",
    "encode_assignment",
    "encode_subscription",
    "group_by_topic",
]

SUBSCRIPTION_VERSION = 3
ASSIGNMENT_VERSION = 3
_VERSION = struct.Struct(">h")


class ConsumerProtocol:
    """Constants of the classic "consumer" protocol type."""

    PROTOCOL_TYPE = "consumer"


@dataclasses.dataclass(slots=True)
class ConsumerProtocolMemberMetadata:
    """One member's subscription as the group leader's assignor receives it."""

    version: int
    subscription: list[str]
    user_data: bytes | None = b""
    owned_partitions: list[TopicPartition] = dataclasses.field(default_factory=list)
    generation_id: int = -1
    group_instance_id: str | None = None
    rack_id: str | None = None


@dataclasses.dataclass(slots=True)
class ConsumerProtocolMemberAssignment:
    """One member's assignment: ``assignment`` is a list of (topic, [partition, ...])."""

    class Assignment(NamedTuple):
        """One (topic, partitions) entry, as aiokafka names it."""

        topic: str
        partitions: list[int]

    version: int
    assignment: list[tuple[str, list[int]]]
    user_data: bytes | None = b""

    def partitions(self) -> list[TopicPartition]:
        """The assigned partitions, flattened."""
        return [TopicPartition(topic, p) for topic, parts in self.assignment for p in parts]

    @classmethod
    def from_partitions(
        cls, partitions: Iterable[TopicPartition], user_data: bytes | None = b"", version: int = 0
    ) -> ConsumerProtocolMemberAssignment:
        """Build an assignment from partitions (sorted by topic, then partition)."""
        return cls(version, group_by_topic(partitions), user_data)


def group_by_topic(partitions: Iterable[TopicPartition]) -> list[tuple[str, list[int]]]:
    """[(topic, sorted partitions)] sorted by topic."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return [(topic, sorted(parts)) for topic, parts in sorted(by_topic.items())]


def _split(data: bytes, kind: str) -> tuple[int, memoryview]:
    if len(data) < 2:
        raise KafkaProtocolError(f"{kind} metadata is {len(data)} bytes: no version")
    (version,) = _VERSION.unpack_from(data)
    if version < 0:
        raise KafkaProtocolError(f"{kind} metadata has negative version {version}")
    return version, memoryview(data)[2:]


def encode_subscription(meta: ConsumerProtocolMemberMetadata) -> bytes:
    """Subscription bytes for JoinGroup (written at version 3, like Java's consumer)."""
    message = ConsumerProtocolSubscription(
        topics=sorted(meta.subscription),
        user_data=meta.user_data,
        owned_partitions=[
            _OwnedTopic(topic=t, partitions=p) for t, p in group_by_topic(meta.owned_partitions)
        ],
        generation_id=meta.generation_id,
        rack_id=meta.rack_id,
    )
    return _VERSION.pack(SUBSCRIPTION_VERSION) + message.encode(SUBSCRIPTION_VERSION)


def decode_subscription(
    data: bytes, group_instance_id: str | None = None
) -> ConsumerProtocolMemberMetadata:
    """Parse a member's JoinGroup metadata (any version; newer ones read at ours)."""
    version, body = _split(data, "subscription")
    parsed = ConsumerProtocolSubscription.decode(body, min(version, SUBSCRIPTION_VERSION))
    owned = [TopicPartition(t.topic, p) for t in parsed.owned_partitions for p in t.partitions]
    return ConsumerProtocolMemberMetadata(
        version=version,
        subscription=list(parsed.topics),
        user_data=parsed.user_data,
        owned_partitions=owned,
        generation_id=parsed.generation_id,
        group_instance_id=group_instance_id,
        rack_id=parsed.rack_id,
    )


def encode_assignment(assignment: Any) -> bytes:
    """SyncGroup bytes for an assignor's result: ours, aiokafka's, or anything with
    ``partitions()`` (or ``assignment``) and ``user_data``."""
    partitions = _partitions_of(assignment)
    message = ConsumerProtocolAssignment(
        assigned_partitions=[
            _AssignedTopic(topic=t, partitions=p) for t, p in group_by_topic(partitions)
        ],
        user_data=getattr(assignment, "user_data", None),
    )
    return _VERSION.pack(ASSIGNMENT_VERSION) + message.encode(ASSIGNMENT_VERSION)


def _partitions_of(assignment: Any) -> list[TopicPartition]:
    if hasattr(assignment, "partitions") and callable(assignment.partitions):
        return [TopicPartition(tp[0], tp[1]) for tp in assignment.partitions()]
    return [TopicPartition(t, p) for t, parts in assignment.assignment for p in parts]


def decode_assignment(data: bytes) -> ConsumerProtocolMemberAssignment:
    """Parse SyncGroup's assignment bytes (empty bytes: nothing assigned)."""
    if not data:
        return ConsumerProtocolMemberAssignment(0, [], None)
    version, body = _split(data, "assignment")
    parsed = ConsumerProtocolAssignment.decode(body, min(version, ASSIGNMENT_VERSION))
    pairs = [(t.topic, sorted(t.partitions)) for t in parsed.assigned_partitions]
    return ConsumerProtocolMemberAssignment(version, sorted(pairs), parsed.user_data)
