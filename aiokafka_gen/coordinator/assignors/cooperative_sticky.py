"""``CooperativeStickyAssignor`` ("cooperative-sticky", KIP-429).

Members keep their partitions while the group rebalances and report them as the
subscription's owned partitions (with their generation). The sticky balance is computed,
then every partition that would move from one member to another is left out of this
round: its owner sees it missing, revokes only it, and rejoins at once; the follow-up
rebalance gives it to its new member. User data is Kafka's cooperative-sticky format (an
int32 generation), for Java members that read it.

Like the sticky assignor, usable on the class (aiokafka's classmethod style: ``assign`` is a
classmethod, the generation-keeping methods are ``hybridmethod``s with the generation on
the class) and per instance (the generation on the instance; one per consumer).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import ClassVar

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
    ClusterView,
    assignments_from,
    hybridmethod,
    topic_partitions,
)

__all__ = ["CooperativeStickyAssignor"]

_I32 = struct.Struct(">i")


class CooperativeStickyAssignor(AbstractPartitionAssignor):
    """Sticky balance with incremental (cooperative) hand-over of moved partitions."""

    name: ClassVar[str] = "cooperative-sticky"
    version: ClassVar[int] = 0
    supported_protocols: ClassVar[tuple[str, ...]] = (COOPERATIVE, EAGER)

    # The generation of the last assignment, sent with the next JoinGroup (a class
    # attribute for class-level calls; every instance starts with its own).
    generation: int = -1

    def __init__(self) -> None:
        self.generation = -1

    @classmethod
    def assign(
        cls, cluster: ClusterView, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """The sticky assignment minus partitions still owned by another member."""
        inputs = {m: cls._member_input(meta) for m, meta in members.items()}
        topics = {t for meta in members.values() for t in meta.subscription}
        chosen = balance(inputs, topic_partitions(cluster, topics))
        owner = _current_owners(inputs)
        for member, partitions in chosen.items():
            moving = {tp for tp in partitions if owner.get(tp, member) != member}
            partitions -= moving
        return assignments_from(members, chosen)

    @staticmethod
    def _member_input(meta: ConsumerProtocolMemberMetadata) -> MemberInput:
        generation = getattr(meta, "generation_id", -1)
        if generation < 0 and meta.user_data and len(meta.user_data) >= 4:
            generation = _I32.unpack_from(meta.user_data)[0]
        owned = list(getattr(meta, "owned_partitions", ()))
        return MemberInput(frozenset(meta.subscription), owned, generation)

    @hybridmethod
    def metadata(
        owner: type[CooperativeStickyAssignor] | CooperativeStickyAssignor, topics: Iterable[str]
    ) -> ConsumerProtocolMemberMetadata:
        """The subscription (the coordinator adds owned partitions and generation)."""
        return ConsumerProtocolMemberMetadata(
            owner.version,
            sorted(topics),
            _I32.pack(owner.generation),
            generation_id=owner.generation,
        )

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Stateless apart from the generation."""

    @hybridmethod
    def on_generation_assignment(
        owner: type[CooperativeStickyAssignor] | CooperativeStickyAssignor, generation: int
    ) -> None:
        """Remember the generation for the next JoinGroup."""
        owner.generation = generation


def _current_owners(inputs: Mapping[str, MemberInput]) -> dict[TopicPartition, str]:
    """Who holds each partition now (highest generation wins)."""
    best: dict[TopicPartition, tuple[int, str]] = {}
    for member, info in inputs.items():
        for tp in info.owned:
            if tp not in best or info.generation > best[tp][0]:
                best[tp] = (info.generation, member)
    return {tp: member for tp, (_, member) in best.items()}
