"""The balancing core shared by the sticky and cooperative-sticky assignors.

Input: each member's subscribed topics and the partitions it owned before (with the
generation it owned them in); output: a balanced assignment that keeps as many owned
partitions as possible. Steps:

1. ownership: a partition claimed by several members goes to the claim of the highest
   generation (equal claims: to nobody); claims on topics the member no longer subscribes
   to, or on partitions that no longer exist, are dropped;
2. fill: unowned partitions (those with the fewest eligible members first) go to the
   eligible member with the fewest partitions;
3. balance: while some partition can move to an eligible member that has at least two
   fewer partitions than its holder, move it. Each move lowers the sum of squared counts,
   so this ends; at the end no single move improves balance (KIP-54's definition).
Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka_gen.structs import TopicPartition

__all__ = ["MemberInput", "balance"]


@dataclass(slots=True)
class MemberInput:
    """One member as the sticky core sees it."""

    topics: frozenset[str]
    owned: list[TopicPartition] = field(default_factory=list)
    generation: int = -1


def balance(
    members: Mapping[str, MemberInput], partitions: Mapping[str, list[int]]
) -> dict[str, set[TopicPartition]]:
    """A balanced assignment keeping owned partitions where balance allows."""
    eligible = _eligible(members, partitions)
    result = _ownership(members, eligible)
    _fill(result, eligible)
    _rebalance(result, eligible)
    return result


def _eligible(
    members: Mapping[str, MemberInput], partitions: Mapping[str, list[int]]
) -> dict[TopicPartition, list[str]]:
    eligible: dict[TopicPartition, list[str]] = {}
    for topic in sorted(partitions):
        subscribers = sorted(m for m, info in members.items() if topic in info.topics)
        if subscribers:
            for p in partitions[topic]:
                eligible[TopicPartition(topic, p)] = subscribers
    return eligible


def _ownership(
    members: Mapping[str, MemberInput], eligible: Mapping[TopicPartition, list[str]]
) -> dict[str, set[TopicPartition]]:
    claims: dict[TopicPartition, list[tuple[int, str]]] = {}
    for member, info in members.items():
        for tp in set(info.owned):
            if tp in eligible and member in eligible[tp]:
                claims.setdefault(tp, []).append((info.generation, member))
    result: dict[str, set[TopicPartition]] = {m: set() for m in members}
    for tp, found in claims.items():
        found.sort(reverse=True)
        if len(found) == 1 or found[0][0] > found[1][0]:
            result[found[0][1]].add(tp)
    return result


def _fill(
    result: dict[str, set[TopicPartition]], eligible: Mapping[TopicPartition, list[str]]
) -> None:
    taken = set().union(*result.values()) if result else set()
    free = sorted(
        (tp for tp in eligible if tp not in taken), key=lambda tp: (len(eligible[tp]), tp)
    )
    for tp in free:
        target = min(eligible[tp], key=lambda m: (len(result[m]), m))
        result[target].add(tp)


def _rebalance(
    result: dict[str, set[TopicPartition]], eligible: Mapping[TopicPartition, list[str]]
) -> None:
    while _one_move(result, eligible):
        pass


def _one_move(
    result: dict[str, set[TopicPartition]], eligible: Mapping[TopicPartition, list[str]]
) -> bool:
    for holder in sorted(result, key=lambda m: (-len(result[m]), m)):
        for tp in sorted(result[holder], reverse=True):
            target = min(eligible[tp], key=lambda m: (len(result[m]), m))
            if len(result[target]) < len(result[holder]) - 1:
                result[holder].discard(tp)
                result[target].add(tp)
                return True
    return False
