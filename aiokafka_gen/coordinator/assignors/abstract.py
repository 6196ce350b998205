"""The assignor interface of the classic group protocol (aiokafka's shape).

The group leader calls ``assign(cluster, members)`` with every member's decoded
subscription and returns one assignment per member id; each member's coordinator calls
``metadata(topics)`` before JoinGroup and ``on_assignment(assignment)`` after SyncGroup
(and ``on_generation_assignment(generation)`` when defined). Implementations may use
classmethods (as aiokafka's do, and as a custom assignor written for aiokafka does) or
instance methods; the coordinator instantiates an assignor class that takes no arguments
(a classmethod still binds to the class) so per-consumer state stays per consumer.
Stateful assignors (sticky, cooperative-sticky) use ``hybridmethod``: called on the class
their methods work as aiokafka's classmethods, with the state on the class; called on the
instance a consumer made, with the state on that instance.

Added to aiokafka's interface: ``supported_protocols`` (KIP-429; "eager" and/or
"cooperative"). The group rebalances cooperatively when every configured assignor
supports it. Must not do I/O.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from types import MethodType
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, Protocol, TypeVar, cast

from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)
from aiokafka_gen.structs import TopicPartition

__all__ = [
    "COOPERATIVE",
    "EAGER",
    "AbstractPartitionAssignor",
    "ClusterView",
    "hybridmethod",
    "member_order",
    "topic_partitions",
]

EAGER = "eager"
COOPERATIVE = "cooperative"

_O = TypeVar("_O")
_P = ParamSpec("_P")
_R = TypeVar("_R")


class ClusterView(Protocol):
    """What an assignor reads of the cluster (``ClusterMetadata`` and aiokafka's fit)."""

    def partitions_for_topic(self, topic: str) -> AbstractSet[int] | None:
        """The topic's partition ids; None when the topic is unknown."""


class hybridmethod(Generic[_O, _P, _R]):
    """A method bound to the instance when looked up on one, to the class otherwise.

    ``Assignor.metadata(topics)`` then behaves as aiokafka's classmethod (it reads and
    writes attributes of the class) while ``Assignor().metadata(topics)`` reads and writes
    the instance's, which start as copies of the class's defaults. Write the method with
    one first parameter for both (``owner``: annotated ``type[X] | X``) and touch state
    only as its attributes.
    """

    def __init__(self, func: Callable[Concatenate[_O, _P], _R]) -> None:
        self.__func__ = func
        functools.update_wrapper(cast(Any, self), func)  # name and docstring, for help()

    def __get__(self, obj: object, owner: type | None = None) -> Callable[_P, _R]:
        return cast(Callable[_P, _R], MethodType(self.__func__, owner if obj is None else obj))


class AbstractPartitionAssignor(abc.ABC):
    """Base class for partition assignors: a ``name`` (the JoinGroup protocol name),
    ``assign``, ``metadata`` and ``on_assignment``."""

    supported_protocols: ClassVar[tuple[str, ...]] = (EAGER,)
    version: ClassVar[int] = 0

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The protocol name this assignor registers in JoinGroup."""

    @abc.abstractmethod
    def assign(
        self, cluster: ClusterView, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """The group's assignment: ``{member_id: assignment}`` for every member.

        ``cluster`` has ``partitions_for_topic(topic) -> set[int] | None``."""

    @abc.abstractmethod
    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """This member's subscription metadata for JoinGroup."""

    @abc.abstractmethod
    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Called with this member's assignment after every SyncGroup."""

    def on_generation_assignment(self, generation: int) -> None:  # noqa: B027 (optional hook)
        """Called with the group generation after every SyncGroup (no-op by default)."""


def member_order(item: tuple[str, ConsumerProtocolMemberMetadata]) -> tuple[int, str, str]:
    """Kafka's member ordering: static members first (by instance id), then member id."""
    member_id, meta = item
    instance = getattr(meta, "group_instance_id", None)
    if instance is not None:
        return (0, instance, member_id)
    return (1, "", member_id)


def topic_partitions(cluster: ClusterView, topics: Iterable[str]) -> dict[str, list[int]]:
    """Sorted partition ids of each topic the cluster knows (unknown topics are left out)."""
    found: dict[str, list[int]] = {}
    for topic in sorted(set(topics)):
        partitions = cluster.partitions_for_topic(topic)
        if partitions:
            found[topic] = sorted(partitions)
    return found


def assignments_from(
    members: Iterable[str], chosen: Mapping[str, Iterable[TopicPartition]], user_data: bytes = b""
) -> dict[str, ConsumerProtocolMemberAssignment]:
    """One ``ConsumerProtocolMemberAssignment`` per member (empty for members with none)."""
    return {
        m: ConsumerProtocolMemberAssignment.from_partitions(chosen.get(m, ()), user_data)
        for m in members
    }
