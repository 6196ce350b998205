"""``RangePartitionAssignor`` ("range"): per topic, contiguous ranges of partitions.

For each topic, the members subscribed to it are ordered (static members by instance id
first, then member ids) and the sorted partitions are cut into ranges; the first
``partitions % members`` members get one extra. This is the documented algorithm of
Kafka's RangeAssignor without rack awareness.
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

__all__ = ["RangePartitionAssignor"]


class RangePartitionAssignor(AbstractPartitionAssignor):
    """Contiguous per-topic ranges; the first members get one more when it does not
    divide evenly (C0: [t0p0, t0p1], C1: [t0p2] for 3 partitions and 2 members)."""

    name: ClassVar[str] = "range"
    version: ClassVar[int] = 0

    @classmethod
    def assign(
        cls, cluster: ClusterView, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """Assign each topic's partitions in ranges over its subscribers."""
        ordered = [m for m, _ in sorted(members.items(), key=member_order)]
        topics = {t for meta in members.values() for t in meta.subscription}
        chosen: dict[str, list[TopicPartition]] = {}
        for topic, partitions in topic_partitions(cluster, topics).items():
            subscribers = [m for m in ordered if topic in members[m].subscription]
            per, extra = divmod(len(partitions), len(subscribers))
            for i, member in enumerate(subscribers):
                start = per * i + min(i, extra)
                length = per + (1 if i < extra else 0)
                chosen.setdefault(member, []).extend(
                    TopicPartition(topic, p) for p in partitions[start : start + length]
                )
        return assignments_from(members, chosen)

    @classmethod
    def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """The subscription, no user data."""
        return ConsumerProtocolMemberMetadata(cls.version, sorted(topics), b"")

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Stateless: nothing to remember."""
