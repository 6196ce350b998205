"""``CooperativeStickyAssignor`` ("cooperative-sticky", KIP-429).

Members keep their partitions while the group rebalances and report them as the
subscription's owned partitions (with their generation). The sticky balance is computed,
then every partition that would move from one member to another is left out of this
round: its owner sees it missing, revokes only it, and rejoins at once; the follow-up
rebalance gives it to its new member. User data is Kafka's cooperative-sticky format (an
int32 generation), for Java members that read it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)
from aiokafka_gen.structs import TopicPartition

from ._sticky import MemberInput, balance
from .abstract import (
    COOPERATIVE,
    EAGER,
    AbstractPartitionAssignor,
    assignments_from,
    topic_partitions,
)

__all__ = ["CooperativeStickyAssignor"]

_I32 = struct.Struct(">i")


class CooperativeStickyAssignor(AbstractPartitionAssignor):
    """Sticky balance with incremental (cooperative) hand-over of moved partitions."""

    name: ClassVar[str] = "cooperative-sticky"
    version: ClassVar[int] = 0
    supported_protocols: ClassVar[tuple[str, ...]] = (COOPERATIVE, EAGER)

    def __init__(self) -> None:
        self.generation = -1

    def assign(
        self, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """The sticky assignment minus partitions still owned by another member."""
        inputs = {m: self._member_input(meta) for m, meta in members.items()}
        topics = {t for meta in members.values() for t in meta.subscription}
        chosen = balance(inputs, topic_partitions(cluster, topics))
        owner = _current_owners(inputs)
        for member, partitions in chosen.items():
            moving = {tp for tp in partitions if owner.get(tp, member) != member}
            partitions -= moving
        return assignments_from(members, chosen)

    @staticmethod
    def _member_input(meta: ConsumerProtocolMemberMetadata) -> MemberInput:
        generation = meta.generation_id
        if generation < 0 and meta.user_data and len(meta.user_data) >= 4:
            generation = _I32.unpack_from(meta.user_data)[0]
        return MemberInput(frozenset(meta.subscription), list(meta.owned_partitions), generation)

    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """The subscription (the coordinator adds owned partitions and generation)."""
        return ConsumerProtocolMemberMetadata(
            self.version, sorted(topics), _I32.pack(self.generation), generation_id=self.generation
        )

    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Stateless apart from the generation."""

    def on_generation_assignment(self, generation: int) -> None:
        """Remember the generation for the next JoinGroup."""
        self.generation = generation


def _current_owners(inputs: Mapping[str, MemberInput]) -> dict[TopicPartition, str]:
    """Who holds each partition now (highest generation wins)."""
    best: dict[TopicPartition, tuple[int, str]] = {}
    for member, info in inputs.items():
        for tp in info.owned:
            if tp not in best or info.generation > best[tp][0]:
                best[tp] = (info.generation, member)
    return {tp: member for tp, (_, member) in best.items()}
