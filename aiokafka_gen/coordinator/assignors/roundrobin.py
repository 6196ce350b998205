"""``RoundRobinPartitionAssignor`` ("roundrobin"): partitions dealt one by one.

All subscribed partitions, sorted by topic then partition, are dealt in turn to the
ordered members (static members by instance id first, then member ids), skipping members
not subscribed to the partition's topic; the documented algorithm of Kafka's
RoundRobinAssignor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)
from aiokafka_gen.structs import TopicPartition

from .abstract import (
    AbstractPartitionAssignor,
    ClusterView,
    assignments_from,
    member_order,
    topic_partitions,
)

__all__ = ["RoundRobinPartitionAssignor"]


class RoundRobinPartitionAssignor(AbstractPartitionAssignor):
    """Deal every partition (sorted) to the next member subscribed to its topic."""

    name: ClassVar[str] = "roundrobin"
    version: ClassVar[int] = 0

    @classmethod
    def assign(
        cls, cluster: ClusterView, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """Deal the partitions round robin over the members."""
        ordered = [m for m, _ in sorted(members.items(), key=member_order)]
        subscribed = {m: set(members[m].subscription) for m in ordered}
        topics = set().union(*subscribed.values()) if subscribed else set()
        chosen: dict[str, list[TopicPartition]] = {}
        turn = 0
        for topic, partitions in topic_partitions(cluster, topics).items():
            for partition in partitions:
                while topic not in subscribed[ordered[turn % len(ordered)]]:
                    turn += 1
                member = ordered[turn % len(ordered)]
                chosen.setdefault(member, []).append(TopicPartition(topic, partition))
                turn += 1
        return assignments_from(members, chosen)

    @classmethod
    def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """The subscription, no user data."""
        return ConsumerProtocolMemberMetadata(cls.version, sorted(topics), b"")

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Stateless: nothing to remember."""
