"""What callers hand to ``AIOKafkaAdminClient``: resource descriptions and Kafka's enums.

``NewTopic``, ``NewPartitions``, ``RecordsToDelete`` and ``ConfigResource`` keep aiokafka's
constructor arguments; the rest are small frozen value types. Enum values are the numbers
Kafka puts on the wire. No I/O and no protocol messages here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka_gen._validate import check_range, check_topic
from aiokafka_gen.errors import IllegalArgumentError

__all__ = [
    "AbortTransactionSpec",
    "AclBinding",
    "AclBindingFilter",
    "AclOperation",
    "AclPermissionType",
    "AlterConfigOp",
    "AlterConfigOpType",
    "ClientQuotaAlteration",
    "ClientQuotaFilterComponent",
    "ConfigResource",
    "ConfigResourceType",
    "ConfigSource",
    "ConfigType",
    "ElectionType",
    "FeatureUpdate",
    "FeatureUpgradeType",
    "IsolationLevel",
    "MemberToRemove",
    "NewPartitions",
    "NewTopic",
    "OffsetSpec",
    "PatternType",
    "QuotaMatchType",
    "RecordsToDelete",
    "ResourceType",
    "ScramMechanism",
    "UserScramCredentialDeletion",
    "UserScramCredentialUpsertion",
]


class ConfigResourceType(enum.IntEnum):
    """The kind of resource a config belongs to (aiokafka has BROKER and TOPIC)."""

    UNKNOWN = 0
    TOPIC = 2
    BROKER = 4
    BROKER_LOGGER = 8
    CLIENT_METRICS = 16
    GROUP = 32


class ConfigSource(enum.IntEnum):
    """Where a config value comes from (DescribeConfigs)."""

    UNKNOWN = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
    CLIENT_METRICS_CONFIG = 7
    GROUP_CONFIG = 8


class ConfigType(enum.IntEnum):
    """A config's value type (DescribeConfigs v3+ with documentation)."""

    UNKNOWN = 0
    BOOLEAN = 1
    STRING = 2
    INT = 3
    SHORT = 4
    LONG = 5
    DOUBLE = 6
    LIST = 7
    CLASS = 8
    PASSWORD = 9


class AlterConfigOpType(enum.IntEnum):
    """What an incremental config change does."""

    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ResourceType(enum.IntEnum):
    """ACL resource types."""

    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(enum.IntEnum):
    """How an ACL's resource name matches: exactly, by prefix (MATCH and ANY for filters)."""

    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class AclOperation(enum.IntEnum):
    """ACL operations; also the bits of ``authorized_operations`` in describe results."""

    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14
    TWO_PHASE_COMMIT = 15


class AclPermissionType(enum.IntEnum):
    """Whether an ACL allows or denies (ANY for filters)."""

    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


class ScramMechanism(enum.IntEnum):
    """SCRAM mechanisms a user credential can exist for."""

    UNKNOWN = 0
    SCRAM_SHA_256 = 1
    SCRAM_SHA_512 = 2


class ElectionType(enum.IntEnum):
    """Leader election kinds for ``elect_leaders``."""

    PREFERRED = 0
    UNCLEAN = 1


class FeatureUpgradeType(enum.IntEnum):
    """How ``update_features`` may move a feature's level."""

    UPGRADE = 1
    SAFE_DOWNGRADE = 2
    UNSAFE_DOWNGRADE = 3


class IsolationLevel(enum.IntEnum):
    """Which records ``list_offsets`` may see."""

    READ_UNCOMMITTED = 0
    READ_COMMITTED = 1


class OffsetSpec(enum.IntEnum):
    """Special ListOffsets timestamps; any other non-negative int is a timestamp in ms."""

    LATEST = -1
    EARLIEST = -2
    MAX_TIMESTAMP = -3
    EARLIEST_LOCAL = -4
    LATEST_TIERED = -5


class QuotaMatchType(enum.IntEnum):
    """How a client-quota filter component matches an entity name."""

    EXACT = 0
    DEFAULT = 1
    SPECIFIED = 2


# the widths of the protocol fields the numbers travel in (also used by ``_checks``)
INT16_MAX = 2**15 - 1
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _count(name: str, value: object, at_most: int) -> None:
    """A partition count or replication factor: -1 (unset) or 1..at_most."""
    if isinstance(value, bool) or not isinstance(value, int) or value != -1:
        check_range(name, value, at_least=1, at_most=at_most, integral=True)


class NewTopic:
    """A topic to create (aiokafka's arguments).

    Either ``num_partitions`` and ``replication_factor`` are given, or
    ``replica_assignments`` ({partition: [broker ids]}) with at least one count -1;
    anything else raises IllegalArgumentError, as aiokafka does. The name must be a legal
    topic name (InvalidTopicError otherwise); a count is -1 or at least 1
    (KafkaConfigurationError otherwise; the replication factor is an int16 on the wire).
    """

    def __init__(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        replica_assignments: Mapping[int, list[int]] | None = None,
        topic_configs: Mapping[str, str] | None = None,
    ) -> None:
        counts_set = num_partitions != -1 and replication_factor != -1
        if counts_set == (replica_assignments is not None):
            raise IllegalArgumentError(
                "give either num_partitions and replication_factor, or replica_assignments"
                " with a count of -1"
            )
        check_topic(name)
        _count("num_partitions", num_partitions, INT32_MAX)
        _count("replication_factor", replication_factor, INT16_MAX)
        self.name = name
        self.num_partitions = num_partitions
        self.replication_factor = replication_factor
        self.replica_assignments = dict(replica_assignments or {})
        self.topic_configs = dict(topic_configs or {})

    def __repr__(self) -> str:
        return (
            f"NewTopic({self.name!r}, {self.num_partitions}, {self.replication_factor},"
            f" replica_assignments={self.replica_assignments}, topic_configs={self.topic_configs})"
        )


class NewPartitions:
    """The new total partition count of a topic (at least 1), with optional assignments
    for the new ones (one list of broker ids per added partition)."""

    def __init__(self, total_count: int, new_assignments: list[list[int]] | None = None) -> None:
        check_range("total_count", total_count, at_least=1, at_most=INT32_MAX, integral=True)
        self.total_count = total_count
        self.new_assignments = new_assignments

    def __repr__(self) -> str:
        return f"NewPartitions({self.total_count}, {self.new_assignments})"


class RecordsToDelete:
    """Delete every record before ``before_offset`` (-1: up to the high watermark)."""

    def __init__(self, before_offset: int) -> None:
        check_range("before_offset", before_offset, at_least=-1, at_most=INT64_MAX, integral=True)
        self.before_offset = before_offset

    def __repr__(self) -> str:
        return f"RecordsToDelete({self.before_offset})"


class ConfigResource:
    """A config resource (aiokafka's arguments): type (enum or its name), name, configs.

    For describe, ``configs`` keys restrict the answer (None: every config); for
    ``alter_configs`` it maps names to new values. Equality and hash use type and name, so
    a ConfigResource also serves as a result key.
    """

    def __init__(
        self,
        resource_type: ConfigResourceType | str | int,
        name: str,
        configs: Mapping[str, object] | None = None,
    ) -> None:
        if isinstance(resource_type, str):
            resource_type = ConfigResourceType[resource_type.upper()]
        self.resource_type = ConfigResourceType(resource_type)
        self.name = str(name)
        self.configs = None if configs is None else dict(configs)

    def _key(self) -> tuple[int, str]:
        return (int(self.resource_type), self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigResource) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"ConfigResource({self.resource_type.name}, {self.name!r}, {self.configs!r})"


@dataclass(frozen=True)
class AlterConfigOp:
    """One incremental change: set, delete, append to or subtract from a list config."""

    name: str
    value: str | None = None
    op_type: AlterConfigOpType = AlterConfigOpType.SET


@dataclass(frozen=True)
class AclBinding:
    """One ACL: who (principal, host) may or may not do what to which resources."""

    resource_type: ResourceType
    resource_name: str
    principal: str
    operation: AclOperation
    permission_type: AclPermissionType = AclPermissionType.ALLOW
    pattern_type: PatternType = PatternType.LITERAL
    host: str = "*"


@dataclass(frozen=True)
class AclBindingFilter:
    """Matches ACLs; None and the ANY members match everything."""

    resource_type: ResourceType = ResourceType.ANY
    resource_name: str | None = None
    principal: str | None = None
    operation: AclOperation = AclOperation.ANY
    permission_type: AclPermissionType = AclPermissionType.ANY
    pattern_type: PatternType = PatternType.ANY
    host: str | None = None

    def matches(self, acl: AclBinding) -> bool:
        """Does ``acl`` match this filter (literal name comparison, as Kafka's filter)?"""
        return (
            self.resource_type in (ResourceType.ANY, acl.resource_type)
            and self.resource_name in (None, acl.resource_name)
            and self.principal in (None, acl.principal)
            and self.operation in (AclOperation.ANY, acl.operation)
            and self.permission_type in (AclPermissionType.ANY, acl.permission_type)
            and self.pattern_type in (PatternType.ANY, PatternType.MATCH, acl.pattern_type)
            and self.host in (None, acl.host)
        )


@dataclass(frozen=True)
class UserScramCredentialUpsertion:
    """Create or replace ``user``'s credential for ``mechanism``; the password is salted
    and hashed here (PBKDF2, as SCRAM does) and never sent in clear."""

    user: str
    password: str = field(default="", repr=False)
    mechanism: ScramMechanism = ScramMechanism.SCRAM_SHA_256
    iterations: int = 4096
    salt: bytes | None = None


@dataclass(frozen=True)
class UserScramCredentialDeletion:
    """Delete ``user``'s credential for ``mechanism``."""

    user: str
    mechanism: ScramMechanism = ScramMechanism.SCRAM_SHA_256


@dataclass(frozen=True)
class ClientQuotaFilterComponent:
    """Filter part: an entity type ("user", "client-id", "ip") and how its name matches."""

    entity_type: str
    match_type: QuotaMatchType = QuotaMatchType.EXACT
    match: str | None = None

    @classmethod
    def of_entity(cls, entity_type: str, name: str) -> ClientQuotaFilterComponent:
        """Match exactly ``name``."""
        return cls(entity_type, QuotaMatchType.EXACT, name)

    @classmethod
    def of_default_entity(cls, entity_type: str) -> ClientQuotaFilterComponent:
        """Match the default entity of this type."""
        return cls(entity_type, QuotaMatchType.DEFAULT)

    @classmethod
    def of_entity_type(cls, entity_type: str) -> ClientQuotaFilterComponent:
        """Match any entity of this type that has a quota."""
        return cls(entity_type, QuotaMatchType.SPECIFIED)


@dataclass(frozen=True)
class ClientQuotaAlteration:
    """Quota changes for one entity ({"user": "alice"}; a None name is the default entity).

    ``ops`` maps a quota key ("producer_byte_rate", ...) to a new value, or None to remove it.
    """

    entity: Mapping[str, str | None]
    ops: Mapping[str, float | None]


@dataclass(frozen=True)
class FeatureUpdate:
    """A new maximum level for a feature (0 removes it, which needs a downgrade type)."""

    max_version_level: int
    upgrade_type: FeatureUpgradeType = FeatureUpgradeType.UPGRADE


@dataclass(frozen=True)
class MemberToRemove:
    """A classic-group member to remove, by static ``group_instance_id`` or by member id."""

    group_instance_id: str | None = None
    member_id: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class AbortTransactionSpec:
    """Which hanging transaction to abort on ``topic_partition`` (see ``describe_producers``)."""

    topic: str
    partition: int
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int


def group_by_topic(items: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    """{topic: [partitions]} keeping first-seen order."""
    topics: dict[str, list[int]] = {}
    for topic, partition in items:
        topics.setdefault(topic, []).append(partition)
    return topics
