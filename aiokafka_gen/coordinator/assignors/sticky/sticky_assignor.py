"""``StickyPartitionAssignor`` ("sticky", KIP-54): balanced, and keeps what members had.

Eager: members give up everything before joining, so each member remembers its last
assignment and generation and sends them as user data in the format of Kafka's
StickyAssignor (``StickyAssignorUserDataV1``: [(topic, [partition])], int32 generation),
which Java members can read too. Without user data the subscription's owned partitions
are used. aiokafka's module path (``aiokafka.coordinator.assignors.sticky.sticky_assignor``).

State, and aiokafka's classmethods: aiokafka keeps the remembered assignment and
generation on the class (``member_assignment``, ``generation``) and all methods are
classmethods, so every consumer of a process shares one memory. Here ``assign`` is a
classmethod (it uses no state), and ``metadata``, ``on_assignment`` and
``on_generation_assignment`` are ``hybridmethod``s: called on the class
(``StickyPartitionAssignor.metadata(topics)``, as aiokafka code does) they read and write
the class attributes exactly as aiokafka's do; called on an instance they use that
instance's attributes. The consumer instantiates the class it is given, once per consumer,
so each consumer remembers its own assignment.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import ClassVar, TypeAlias

from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
    group_by_topic,
)
from aiokafka_gen.errors import DecodeError
from aiokafka_gen.structs import TopicPartition

from .._sticky import MemberInput, balance
from ..abstract import (
    AbstractPartitionAssignor,
    ClusterView,
    assignments_from,
    hybridmethod,
    topic_partitions,
)

__all__ = ["StickyPartitionAssignor", "decode_user_data", "encode_user_data"]

_I16, _I32 = struct.Struct(">h"), struct.Struct(">i")
# the class or an instance: a hybridmethod's first argument
_Owner: TypeAlias = "type[StickyPartitionAssignor] | StickyPartitionAssignor"


def encode_user_data(partitions: Iterable[TopicPartition], generation: int) -> bytes:
    """Kafka's StickyAssignorUserDataV1 bytes."""
    grouped = group_by_topic(partitions)
    out = [_I32.pack(len(grouped))]
    for topic, parts in grouped:
        name = topic.encode()
        out += [_I16.pack(len(name)), name, _I32.pack(len(parts))]
        out += [_I32.pack(p) for p in parts]
    out.append(_I32.pack(generation))
    return b"".join(out)


def decode_user_data(data: bytes) -> tuple[list[TopicPartition], int]:
    """(previous assignment, generation) from StickyAssignorUserData V0 or V1 bytes;
    ``DecodeError`` when they do not parse."""
    try:
        return _decode(memoryview(data))
    except (struct.error, UnicodeDecodeError) as exc:
        raise DecodeError(f"bad sticky assignor user data: {exc}") from exc


def _decode(view: memoryview) -> tuple[list[TopicPartition], int]:
    (count,), pos = _I32.unpack_from(view), 4
    partitions: list[TopicPartition] = []
    for _ in range(count):
        (size,) = _I16.unpack_from(view, pos)
        topic = bytes(view[pos + 2 : pos + 2 + size]).decode()
        pos += 2 + size
        (n,) = _I32.unpack_from(view, pos)
        parts = struct.unpack_from(f">{n}i", view, pos + 4)
        pos += 4 + 4 * n
        partitions += [TopicPartition(topic, p) for p in parts]
    generation = _I32.unpack_from(view, pos)[0] if len(view) >= pos + 4 else -1
    return partitions, generation


class StickyPartitionAssignor(AbstractPartitionAssignor):
    """Balanced assignment that moves as few partitions as possible between rebalances.

    Usable as aiokafka's (every method on the class, state on the class) and per instance
    (state on the instance; what the consumer does): see the module docstring.
    """

    DEFAULT_GENERATION_ID: ClassVar[int] = -1
    name: ClassVar[str] = "sticky"
    version: ClassVar[int] = 0

    # The last assignment (None before the first) and its generation, sent as user data
    # with the next JoinGroup. Class attributes for class-level calls (aiokafka's
    # defaults); every instance starts with its own.
    member_assignment: list[TopicPartition] | None = None
    generation: int = DEFAULT_GENERATION_ID

    def __init__(self) -> None:
        self.member_assignment = None
        self.generation = self.DEFAULT_GENERATION_ID

    @classmethod
    def assign(
        cls, cluster: ClusterView, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """A balanced assignment keeping each member's previous partitions where possible
        (read from each member's user data, or its owned partitions without any)."""
        inputs = {m: cls._member_input(meta) for m, meta in members.items()}
        topics = {t for meta in members.values() for t in meta.subscription}
        chosen = balance(inputs, topic_partitions(cluster, topics))
        return assignments_from(members, chosen)

    @staticmethod
    def _member_input(meta: ConsumerProtocolMemberMetadata) -> MemberInput:
        if meta.user_data:
            owned, generation = decode_user_data(meta.user_data)
        else:
            owned = list(getattr(meta, "owned_partitions", ()))
            generation = getattr(meta, "generation_id", -1)
        return MemberInput(frozenset(meta.subscription), owned, generation)

    @hybridmethod
    def metadata(owner: _Owner, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """The subscription with the last assignment and generation as user data (none
        before the first assignment, as aiokafka and Java send)."""
        assigned = owner.member_assignment
        data = b"" if assigned is None else encode_user_data(assigned, owner.generation)
        return ConsumerProtocolMemberMetadata(owner.version, sorted(topics), data)

    @hybridmethod
    def on_assignment(owner: _Owner, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Remember the assignment for the next JoinGroup."""
        owner.member_assignment = assignment.partitions()

    @hybridmethod
    def on_generation_assignment(owner: _Owner, generation: int) -> None:
        """Remember the generation for the next JoinGroup."""
        owner.generation = generation
