"""Typed results of ``AIOKafkaAdminClient`` calls: frozen dataclasses, never raw responses.

The per-resource error rule (the same for every method): a method acting on several
resources returns one result per resource, keyed by the resource as the caller named it,
in request order. Each result carries ``error``: None on success, else the typed broker
error (``TopicAlreadyExistsError``, ``TopicAuthorizationFailedError``, ...) for that
resource alone. With ``raise_on_error=True`` (the default) the call raises the first
failed resource's error after every resource has been handled; that exception carries
``results`` (every result, successes included) and ``errors`` ({resource: error}).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, Protocol, TypeVar

from aiokafka_gen.admin.types import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    ConfigResource,
    ConfigSource,
    ConfigType,
    ScramMechanism,
)
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.structs import TopicPartition

__all__ = [
    "AclCreateResult",
    "AclDeleteResult",
    "AlterConfigsResult",
    "BrokerDescription",
    "ClientQuotaAlterResult",
    "ClientQuotaEntry",
    "ClusterDescription",
    "ConfigEntry",
    "ConfigSynonym",
    "CreatePartitionsResult",
    "CreateTopicResult",
    "DeleteTopicResult",
    "DeletedRecords",
    "DescribeConfigsResult",
    "FeatureMetadata",
    "FenceProducerResult",
    "GroupDescription",
    "GroupListing",
    "GroupResult",
    "ListOffsetsResult",
    "LogDirDescription",
    "MemberDescription",
    "MemberRemovalResult",
    "PartitionInfo",
    "PartitionProducers",
    "PartitionReassignment",
    "PartitionResult",
    "ProducerState",
    "QuorumInfo",
    "ReplicaInfo",
    "ReplicaState",
    "ScramCredentialInfo",
    "ShareGroupDescription",
    "ShareMemberDescription",
    "TopicDescription",
    "TopicResult",
    "TransactionDescription",
    "TransactionListing",
    "UpdateFeatureResult",
    "UserResult",
    "UserScramCredentialsDescription",
    "VersionRange",
    "raise_for_errors",
]


class _HasError(Protocol):
    @property
    def error(self) -> KafkaError | None: ...


K = TypeVar("K")
R = TypeVar("R", bound=_HasError)
_INT32_MIN = -(2**31)


def raise_for_errors(results: Mapping[K, R]) -> Mapping[K, R]:
    """Raise the first failed result's error (with ``results`` and ``errors`` attached)."""
    errors = {key: r.error for key, r in results.items() if r.error is not None}
    if not errors:
        return results
    first = next(iter(errors.values()))
    first.results = dict(results)  # type: ignore[attr-defined]
    first.errors = errors  # type: ignore[attr-defined]
    raise first


def _errno(error: KafkaError | None) -> int:
    """The protocol error code of ``error`` (0 for None, -1 for a client-side error)."""
    if error is None:
        return 0
    return int(getattr(error, "errno", -1))


class _ReadsAsAiokafkaDict(Mapping[str, Any]):
    """A read-only mapping view with the keys and value shapes of the plain dict aiokafka
    returns for the same call; the typed attributes stay the primary interface."""

    __slots__ = ()

    def _aiokafka_dict(self) -> dict[str, object]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self._aiokafka_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._aiokafka_dict())

    def __len__(self) -> int:
        return len(self._aiokafka_dict())


def _frozen(self: object, name: str, *args: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def operations(bits: int) -> frozenset[AclOperation] | None:
    """Decode an ``authorized_operations`` bit field (None when it was not asked for)."""
    if bits == _INT32_MIN:
        return None
    return frozenset(op for op in AclOperation if op > AclOperation.ANY and bits & (1 << op))


# ---- topics and partitions ---------------------------------------------------------------
@dataclass(frozen=True)
class ConfigSynonym:
    """Another place the same config is set, in precedence order."""

    name: str
    value: str | None
    source: ConfigSource


@dataclass(frozen=True)
class ConfigEntry:
    """One config of a resource, as DescribeConfigs (or CreateTopics v5+) reports it."""

    name: str
    value: str | None
    source: ConfigSource = ConfigSource.UNKNOWN
    read_only: bool = False
    is_sensitive: bool = False
    synonyms: tuple[ConfigSynonym, ...] = ()
    config_type: ConfigType = ConfigType.UNKNOWN
    documentation: str | None = None


@dataclass(frozen=True)
class CreateTopicResult:
    """A created (or validated) topic; counts and configs as the broker settled them."""

    name: str
    topic_id: uuid.UUID | None = None
    num_partitions: int = -1
    replication_factor: int = -1
    configs: Mapping[str, ConfigEntry] = field(default_factory=dict)
    error: KafkaError | None = None


@dataclass(frozen=True)
class DeleteTopicResult:
    """A deleted topic, by the name or id it was asked by."""

    name: str | None
    topic_id: uuid.UUID | None = None
    error: KafkaError | None = None


@dataclass(frozen=True)
class PartitionInfo:
    """One partition of a described topic."""

    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()
    error: KafkaError | None = None


@dataclass(frozen=True)
class TopicDescription(_ReadsAsAiokafkaDict):
    """A described topic: id, partitions and (when asked) the caller's allowed operations.

    Also reads as the dict aiokafka's ``describe_topics`` lists for a topic:
    ``d["topic"]``, ``d["error_code"]``, ``d["is_internal"]`` and ``d["partitions"]`` (a
    list of dicts with ``error_code``, ``partition``, ``leader``, ``replicas``, ``isr``,
    ``offline_replicas``); ``dict(d)`` is that dict.
    """

    name: str | None
    topic_id: uuid.UUID | None = None
    is_internal: bool = False
    partitions: tuple[PartitionInfo, ...] = ()
    authorized_operations: frozenset[AclOperation] | None = None
    error: KafkaError | None = None

    def _aiokafka_dict(self) -> dict[str, object]:
        partitions = [
            {
                "error_code": _errno(p.error), "partition": p.partition, "leader": p.leader,
                "replicas": list(p.replicas), "isr": list(p.isr),
                "offline_replicas": list(p.offline_replicas),
            }
            for p in self.partitions
        ]  # fmt: skip
        return {
            "error_code": _errno(self.error), "topic": self.name,
            "is_internal": self.is_internal, "partitions": partitions,
        }  # fmt: skip


@dataclass(frozen=True)
class CreatePartitionsResult:
    """The outcome for one topic of ``create_partitions``."""

    name: str
    error: KafkaError | None = None


@dataclass(frozen=True)
class PartitionResult:
    """The outcome for one partition (elect leaders, reassignments, group offsets)."""

    topic: str
    partition: int
    error: KafkaError | None = None


class DeletedRecords(int):
    """The partition's new log start offset after ``delete_records``.

    The object is that offset as an ``int`` (aiokafka's ``delete_records`` returns
    {partition: low watermark}), so ``result == 3`` and arithmetic work; ``topic``,
    ``partition``, ``low_watermark`` and ``error`` are attributes. Two results are equal
    when partition, offset and error are; a result equals an int of its offset.
    """

    topic: str
    partition: int
    error: KafkaError | None

    def __new__(
        cls, topic: str, partition: int, low_watermark: int = -1, error: KafkaError | None = None
    ) -> DeletedRecords:
        self = super().__new__(cls, low_watermark)
        self.__dict__.update(topic=topic, partition=partition, error=error)
        return self

    @property
    def low_watermark(self) -> int:
        """The new log start offset (-1 when the deletion failed)."""
        return int(self)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.topic, self.partition, int(self), self.error)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeletedRecords):
            return (self.topic, self.partition, int(self), self.error) == (
                other.topic, other.partition, int(other), other.error
            )  # fmt: skip
        return int.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = int.__hash__
    __setattr__ = _frozen
    __delattr__ = _frozen

    def __str__(self) -> str:
        return str(int(self))

    def __repr__(self) -> str:
        return (
            f"DeletedRecords(topic={self.topic!r}, partition={self.partition}, "
            f"low_watermark={int(self)}, error={self.error!r})"
        )


@dataclass(frozen=True)
class ListOffsetsResult:
    """The offset ``list_offsets`` found (-1 when no record matches the timestamp)."""

    topic: str
    partition: int
    offset: int = -1
    timestamp: int = -1
    leader_epoch: int = -1
    error: KafkaError | None = None


@dataclass(frozen=True)
class PartitionReassignment:
    """An ongoing reassignment: target replicas and those being added or removed."""

    topic: str
    partition: int
    replicas: tuple[int, ...]
    adding_replicas: tuple[int, ...]
    removing_replicas: tuple[int, ...]


# ---- configs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DescribeConfigsResult:
    """The configs of one resource, by name."""

    resource: ConfigResource
    entries: Mapping[str, ConfigEntry] = field(default_factory=dict)
    error: KafkaError | None = None


@dataclass(frozen=True)
class AlterConfigsResult:
    """The outcome for one resource of ``alter_configs`` / ``incremental_alter_configs``."""

    resource: ConfigResource
    error: KafkaError | None = None


# ---- cluster -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BrokerDescription:
    """A broker as DescribeCluster reports it."""

    node_id: int
    host: str
    port: int
    rack: str | None = None
    is_fenced: bool = False


@dataclass(frozen=True)
class ClusterDescription(_ReadsAsAiokafkaDict):
    """``describe_cluster``: id, controller (a random broker in KRaft), brokers.

    Also reads as the dict aiokafka's ``describe_cluster`` returns: ``c["cluster_id"]``,
    ``c["controller_id"]``, ``c["throttle_time_ms"]`` and ``c["brokers"]`` (a list of
    dicts with ``node_id``, ``host``, ``port``, ``rack``); ``dict(c)`` is that dict.
    """

    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerDescription, ...]
    authorized_operations: frozenset[AclOperation] | None = None
    throttle_time_ms: int = field(default=0, repr=False, compare=False)

    def _aiokafka_dict(self) -> dict[str, object]:
        brokers = [
            {"node_id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack}
            for b in self.brokers
        ]
        return {
            "throttle_time_ms": self.throttle_time_ms, "brokers": brokers,
            "cluster_id": self.cluster_id, "controller_id": self.controller_id,
        }  # fmt: skip


@dataclass(frozen=True)
class ReplicaInfo:
    """A replica in a log directory."""

    size: int
    offset_lag: int
    is_future: bool


@dataclass(frozen=True)
class LogDirDescription:
    """One log directory of one broker."""

    broker: int
    path: str
    replicas: Mapping[TopicPartition, ReplicaInfo] = field(default_factory=dict)
    total_bytes: int = -1
    usable_bytes: int = -1
    error: KafkaError | None = None


@dataclass(frozen=True)
class VersionRange:
    """A feature's min and max version (supported) or level (finalized)."""

    min_version: int
    max_version: int


@dataclass(frozen=True)
class FeatureMetadata:
    """Finalized and supported feature levels (from ApiVersions)."""

    finalized: Mapping[str, VersionRange]
    finalized_epoch: int | None
    supported: Mapping[str, VersionRange]


@dataclass(frozen=True)
class UpdateFeatureResult:
    """The outcome for one feature of ``update_features``."""

    feature: str
    error: KafkaError | None = None


@dataclass(frozen=True)
class ReplicaState:
    """A voter or observer of the metadata quorum."""

    replica_id: int
    directory_id: uuid.UUID | None
    log_end_offset: int
    last_fetch_timestamp: int | None
    last_caught_up_timestamp: int | None


@dataclass(frozen=True)
class QuorumInfo:
    """``describe_metadata_quorum``: the KRaft leader, its high watermark, voters, observers."""

    leader_id: int
    leader_epoch: int
    high_watermark: int
    voters: tuple[ReplicaState, ...]
    observers: tuple[ReplicaState, ...]
    nodes: Mapping[int, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)


# ---- groups ------------------------------------------------------------------------------
class GroupListing(tuple[str, str]):
    """A group known to a coordinator (``state`` and ``type`` need ListGroups v4/v5).

    The object is aiokafka's ``(group_id, protocol_type)`` tuple: it unpacks, indexes and
    compares as one (``group_id, protocol_type = listing``); ``state`` and ``type`` are
    extra attributes. Two listings are equal when all four fields are.
    """

    state: str | None
    type: str | None

    def __new__(
        cls,
        group_id: str,
        protocol_type: str,
        state: str | None = None,
        type: str | None = None,
    ) -> GroupListing:
        self = super().__new__(cls, (group_id, protocol_type))
        self.__dict__.update(state=state, type=type)
        return self

    @property
    def group_id(self) -> str:
        """The group's id."""
        return self[0]

    @property
    def protocol_type(self) -> str:
        """The protocol type: "consumer", or "" for a group that only stores offsets."""
        return self[1]

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self[0], self[1], self.state, self.type)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GroupListing):
            return tuple(self) == tuple(other) and (self.state, self.type) == (
                other.state, other.type
            )  # fmt: skip
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__
    __setattr__ = _frozen
    __delattr__ = _frozen

    def __repr__(self) -> str:
        return (
            f"GroupListing(group_id={self[0]!r}, protocol_type={self[1]!r}, "
            f"state={self.state!r}, type={self.type!r})"
        )


@dataclass(frozen=True)
class MemberDescription:
    """A group member. For consumer groups ``assignment`` is decoded (classic: from the
    assignment bytes); ``member_epoch`` and ``target_assignment`` exist for KIP-848 groups."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    assignment: frozenset[TopicPartition] = frozenset()
    target_assignment: frozenset[TopicPartition] | None = None
    member_epoch: int | None = None
    subscribed_topics: tuple[str, ...] = ()
    member_metadata: bytes = b""
    member_assignment: bytes = b""


@dataclass(frozen=True)
class GroupDescription:
    """A described group. ``group_type`` is "classic" or "consumer" (KIP-848);
    ``protocol`` is the classic protocol name or the consumer group's assignor."""

    group_id: str
    group_type: str = "classic"
    state: str = ""
    protocol_type: str = ""
    protocol: str = ""
    members: tuple[MemberDescription, ...] = ()
    coordinator: int = -1
    group_epoch: int | None = None
    assignment_epoch: int | None = None
    authorized_operations: frozenset[AclOperation] | None = None
    error: KafkaError | None = None


@dataclass(frozen=True)
class GroupResult:
    """The outcome for one group (``delete_consumer_groups``)."""

    group_id: str
    error: KafkaError | None = None


@dataclass(frozen=True)
class MemberRemovalResult:
    """The outcome for one member of ``remove_members_from_consumer_group``."""

    member_id: str
    group_instance_id: str | None = None
    error: KafkaError | None = None


# ---- share groups (KIP-932) --------------------------------------------------------------
@dataclass(frozen=True)
class ShareMemberDescription:
    """A member of a share group: the partitions the coordinator assigned it (several
    members may share a partition) and its member epoch."""

    member_id: str
    client_id: str
    client_host: str
    assignment: frozenset[TopicPartition] = frozenset()
    member_epoch: int = -1
    rack_id: str | None = None
    subscribed_topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShareGroupDescription:
    """A described share group: state ("Empty", "Stable", "Dead", ...), members, the group
    epoch (bumped by every membership or subscription change) and the epoch of the
    assignment the members were last given."""

    group_id: str
    state: str = ""
    members: tuple[ShareMemberDescription, ...] = ()
    group_epoch: int = -1
    assignment_epoch: int = -1
    assignor: str = ""
    coordinator: int = -1
    authorized_operations: frozenset[AclOperation] | None = None
    error: KafkaError | None = None


@dataclass(frozen=True)
class TopicResult:
    """The outcome for one topic (``delete_share_group_offsets``)."""

    topic: str
    error: KafkaError | None = None


# ---- ACLs, users, quotas -----------------------------------------------------------------
@dataclass(frozen=True)
class AclCreateResult:
    """The outcome for one ACL of ``create_acls``."""

    acl: AclBinding
    error: KafkaError | None = None


@dataclass(frozen=True)
class AclDeleteResult:
    """The ACLs one filter of ``delete_acls`` deleted."""

    filter: AclBindingFilter
    deleted: tuple[AclBinding, ...] = ()
    error: KafkaError | None = None


@dataclass(frozen=True)
class ScramCredentialInfo:
    """A mechanism a user has a credential for, and its iteration count."""

    mechanism: ScramMechanism
    iterations: int


@dataclass(frozen=True)
class UserScramCredentialsDescription:
    """A user's SCRAM credentials (never the secrets)."""

    user: str
    credentials: tuple[ScramCredentialInfo, ...] = ()
    error: KafkaError | None = None


@dataclass(frozen=True)
class UserResult:
    """The outcome for one user of ``alter_user_scram_credentials``."""

    user: str
    error: KafkaError | None = None


@dataclass(frozen=True)
class ClientQuotaEntry:
    """One entity's quotas, e.g. entity {"user": "alice"}, values {"producer_byte_rate": 1e6}."""

    entity: Mapping[str, str | None]
    values: Mapping[str, float]


@dataclass(frozen=True)
class ClientQuotaAlterResult:
    """The outcome for one entity of ``alter_client_quotas``."""

    entity: Mapping[str, str | None]
    error: KafkaError | None = None


# ---- transactions ------------------------------------------------------------------------
@dataclass(frozen=True)
class TransactionDescription:
    """A transactional id's state at its coordinator."""

    transactional_id: str
    state: str = ""
    coordinator_id: int = -1
    producer_id: int = -1
    producer_epoch: int = -1
    transaction_timeout_ms: int = -1
    transaction_start_time_ms: int | None = None
    topic_partitions: frozenset[TopicPartition] = frozenset()
    error: KafkaError | None = None


@dataclass(frozen=True)
class TransactionListing:
    """A transaction a coordinator knows."""

    transactional_id: str
    producer_id: int
    state: str


@dataclass(frozen=True)
class ProducerState:
    """An active producer of a partition (``current_transaction_start_offset`` None when
    it has no open transaction there)."""

    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int | None
    current_transaction_start_offset: int | None


@dataclass(frozen=True)
class PartitionProducers:
    """``describe_producers`` for one partition."""

    topic: str
    partition: int
    producers: tuple[ProducerState, ...] = ()
    error: KafkaError | None = None


@dataclass(frozen=True)
class FenceProducerResult:
    """The producer id and the bumped epoch that fenced a transactional id."""

    transactional_id: str
    producer_id: int = -1
    producer_epoch: int = -1
    error: KafkaError | None = None
