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

Two ways to the bytes. aiokafka's ``encode()`` / ``decode(data)`` methods write and read the
object as it is, at its own ``version`` (version 0, which aiokafka's assignors use, gives
exactly aiokafka's bytes: topics and assignment in the given order). The coordinator uses
``encode_subscription`` / ``decode_subscription`` / ``encode_assignment`` /
``decode_assignment``, which write the newest version (owned partitions, generation, rack)
in Kafka's sorted order and accept anything shaped like aiokafka's objects.
Must not do I/O.
"""

from __future__ import annotations

import dataclasses
import io
import struct
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from aiokafka_gen.errors import DecodeError
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


@dataclasses.dataclass(slots=True)
class ConsumerProtocolMemberMetadata:
    """One member's subscription as the group leader's assignor receives it.

    Built as aiokafka's: ``ConsumerProtocolMemberMetadata(version, topics, user_data)``.
    """

    version: int
    subscription: list[str]
    user_data: bytes | None = b""
    owned_partitions: list[TopicPartition] = dataclasses.field(default_factory=list)
    generation_id: int = -1
    group_instance_id: str | None = None
    rack_id: str | None = None

    def encode(self) -> bytes:
        """The subscription bytes at ``version`` (aiokafka's method): int16 version, then
        Kafka's ConsumerProtocolSubscription at that version. At version 0 (topics in the
        given order, user data) the bytes are aiokafka's; versions 1-3 add the owned
        partitions, generation and rack as Kafka defines them (aiokafka writes its version
        0 body behind any version); a newer version is written as our newest, 3."""
        version = min(self.version, SUBSCRIPTION_VERSION)
        message = _subscription(self, list(self.subscription))
        return _VERSION.pack(version) + message.encode(version)

    @classmethod
    def decode(
        cls, data: bytes | bytearray | memoryview | io.BytesIO
    ) -> ConsumerProtocolMemberMetadata:
        """Parse subscription bytes of any version (aiokafka's classmethod); a version newer
        than ours is read at ours. ``DecodeError`` when they do not parse."""
        return decode_subscription(_bytes(data))


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

    def encode(self) -> bytes:
        """The assignment bytes at ``version`` (aiokafka's method): int16 version, then
        [(topic, [partition])] in the given order and the user data: aiokafka's bytes
        (Kafka's ConsumerProtocolAssignment has the same fields at versions 0-3; a newer
        version is written as 3)."""
        version = min(self.version, ASSIGNMENT_VERSION)
        message = ConsumerProtocolAssignment(
            assigned_partitions=[
                _AssignedTopic(topic=t, partitions=list(p)) for t, p in self.assignment
            ],
            user_data=self.user_data,
        )
        return _VERSION.pack(version) + message.encode(version)

    @classmethod
    def decode(
        cls, data: bytes | bytearray | memoryview | io.BytesIO
    ) -> ConsumerProtocolMemberAssignment:
        """Parse assignment bytes (aiokafka's classmethod): ``assignment`` holds
        ``Assignment(topic, partitions)`` tuples in wire order; empty bytes (a member the
        leader gave nothing) are an empty version 0 assignment. ``DecodeError`` when they
        do not parse."""
        raw = _bytes(data)
        if not raw:
            return cls(0, [], None)
        version, body = _split(raw, "assignment")
        parsed = ConsumerProtocolAssignment.decode(body, min(version, ASSIGNMENT_VERSION))
        pairs: list[tuple[str, list[int]]] = [
            cls.Assignment(t.topic, list(t.partitions)) for t in parsed.assigned_partitions
        ]
        return cls(version, pairs, parsed.user_data)

    @classmethod
    def from_partitions(
        cls, partitions: Iterable[TopicPartition], user_data: bytes | None = b"", version: int = 0
    ) -> ConsumerProtocolMemberAssignment:
        """Build an assignment from partitions (sorted by topic, then partition)."""
        return cls(version, group_by_topic(partitions), user_data)


class ConsumerProtocol:
    """Constants of the classic "consumer" protocol type (aiokafka's names)."""

    PROTOCOL_TYPE: ClassVar[str] = "consumer"
    ASSIGNMENT_STRATEGIES: ClassVar[tuple[str, ...]] = ("range", "roundrobin")
    METADATA: ClassVar[type[ConsumerProtocolMemberMetadata]] = ConsumerProtocolMemberMetadata
    ASSIGNMENT: ClassVar[type[ConsumerProtocolMemberAssignment]] = ConsumerProtocolMemberAssignment


def _bytes(data: bytes | bytearray | memoryview | io.BytesIO) -> bytes:
    """Decode input as bytes; a BytesIO is read from its position to the end."""
    return data.read() if isinstance(data, io.BytesIO) else bytes(data)


def group_by_topic(partitions: Iterable[TopicPartition]) -> list[tuple[str, list[int]]]:
    """[(topic, sorted partitions)] sorted by topic."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return [(topic, sorted(parts)) for topic, parts in sorted(by_topic.items())]


def _split(data: bytes, kind: str) -> tuple[int, memoryview]:
    if len(data) < 2:
        raise DecodeError(f"{kind} metadata is {len(data)} bytes: no version")
    (version,) = _VERSION.unpack_from(data)
    if version < 0:
        raise DecodeError(f"{kind} metadata has negative version {version}")
    return version, memoryview(data)[2:]


def _subscription(
    meta: ConsumerProtocolMemberMetadata, topics: list[str]
) -> ConsumerProtocolSubscription:
    return ConsumerProtocolSubscription(
        topics=topics,
        user_data=meta.user_data,
        owned_partitions=[
            _OwnedTopic(topic=t, partitions=p) for t, p in group_by_topic(meta.owned_partitions)
        ],
        generation_id=meta.generation_id,
        rack_id=meta.rack_id,
    )


def encode_subscription(meta: ConsumerProtocolMemberMetadata) -> bytes:
    """Subscription bytes for JoinGroup (written at version 3 with sorted topics, like
    Java's consumer, whatever ``meta.version`` says)."""
    message = _subscription(meta, sorted(meta.subscription))
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
    """Parse SyncGroup's assignment bytes (empty bytes: nothing assigned), topics and
    partitions sorted."""
    found = ConsumerProtocolMemberAssignment.decode(data)
    found.assignment = sorted(
        ConsumerProtocolMemberAssignment.Assignment(t, sorted(p)) for t, p in found.assignment
    )
    return found
