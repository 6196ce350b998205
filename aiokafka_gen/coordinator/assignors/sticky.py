"""``StickyPartitionAssignor`` ("sticky", KIP-54): balanced, and keeps what members had.

Eager: members give up everything before joining, so each member remembers its last
assignment and generation and sends them as user data in the format of Kafka's
StickyAssignor (``StickyAssignorUserDataV1``: [(topic, [partition])], int32 generation),
which Java members can read too. Without user data the subscription's owned partitions
are used. Keeps per-instance state: the coordinator creates one instance per consumer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
    group_by_topic,
)
from aiokafka_gen.errors import KafkaProtocolError
from aiokafka_gen.structs import TopicPartition

from ._sticky import MemberInput, balance
from .abstract import AbstractPartitionAssignor, assignments_from, topic_partitions

__all__ = ["StickyPartitionAssignor", "decode_user_data", "encode_user_data"]

_I16, _I32 = struct.Struct(">h"), struct.Struct(">i")


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
    """(previous assignment, generation) from StickyAssignorUserData V0 or V1 bytes."""
    try:
        return _decode(memoryview(data))
    except (struct.error, UnicodeDecodeError) as exc:
        raise KafkaProtocolError(f"bad sticky assignor user data: {exc}") from exc


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
    """Balanced assignment that moves as few partitions as possible between rebalances."""

    name: ClassVar[str] = "sticky"
    version: ClassVar[int] = 0

    def __init__(self) -> None:
        self.member_assignment: list[TopicPartition] = []
        self.generation = -1

    def assign(
        self, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """A balanced assignment keeping each member's previous partitions where possible."""
        inputs = {m: self._member_input(meta) for m, meta in members.items()}
        topics = {t for meta in members.values() for t in meta.subscription}
        chosen = balance(inputs, topic_partitions(cluster, topics))
        return assignments_from(members, chosen)

    def _member_input(self, meta: ConsumerProtocolMemberMetadata) -> MemberInput:
        if meta.user_data:
            owned, generation = decode_user_data(meta.user_data)
        else:
            owned, generation = list(meta.owned_partitions), meta.generation_id
        return MemberInput(frozenset(meta.subscription), owned, generation)

    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """The subscription with the last assignment and generation as user data."""
        data = encode_user_data(self.member_assignment, self.generation)
        return ConsumerProtocolMemberMetadata(self.version, sorted(topics), data)

    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Remember the assignment for the next JoinGroup."""
        self.member_assignment = assignment.partitions()

    def on_generation_assignment(self, generation: int) -> None:
        """Remember the generation for the next JoinGroup."""
        self.generation = generation
