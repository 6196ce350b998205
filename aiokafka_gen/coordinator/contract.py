"""The contract between the consumer (``aiokafka_gen.consumer``) and group coordination
(``aiokafka_gen.coordinator``).

The consumer owns a ``SubscriptionState`` (what is subscribed, what is assigned, positions)
and the fetcher. The coordinator owns group membership (classic JoinGroup/SyncGroup/
Heartbeat or KIP-848 ConsumerGroupHeartbeat), committed offsets and auto-commit. Each side
sees the other only through the protocols below, so either can be tested with a fake of the
other. Everything runs on one event loop; nothing here takes locks.

Timing rules the coordinator keeps:

* revocation: ``hold`` the revoked partitions, call ``listener.on_partitions_revoked``
  (awaiting coroutines), commit the consumed offsets of revoked partitions when auto-commit
  is on, then ``set_group_assignment`` without them;
* assignment: ``set_group_assignment`` with the new full assignment, ``hold`` the added
  partitions, fetch committed offsets for ``partitions_needing_committed()`` and hand them
  to ``apply_committed``, call ``listener.on_partitions_assigned``, then release the hold.
  Records of a partition never reach the application before its listener returned.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.structs import ConsumerGroupMetadata, TopicPartition

if TYPE_CHECKING:
    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.coordinator._metrics import GroupMetrics

__all__ = [
    "CommittedOffset",
    "CoordinatorFactory",
    "GroupCoordinatorProtocol",
    "GroupHealth",
    "SubscriptionStateProtocol",
]


@dataclasses.dataclass(frozen=True, slots=True)
class CommittedOffset:
    """A committed offset as OffsetFetch returns it (leader epoch -1 when unknown)."""

    offset: int
    metadata: str = ""
    leader_epoch: int = -1


@dataclasses.dataclass(frozen=True, slots=True)
class GroupHealth:
    """A snapshot of a consumer's group membership (``AIOKafkaConsumer.group_health()``).

    ``state`` is the membership state machine's state name (e.g. "stable", "joining",
    "reconciling", "unjoined", "fenced", "stopped"); times are ``time.monotonic()`` seconds
    or None when it never happened.
    """

    group_id: str
    protocol: str  # "classic" or "consumer"
    state: str
    generation_id: int
    member_id: str
    group_instance_id: str | None
    coordinator_id: int | None
    assignment: frozenset[TopicPartition]
    last_heartbeat: float | None
    last_poll: float | None
    last_rebalance: float | None
    rebalances: int
    last_error: str | None


class SubscriptionStateProtocol(Protocol):
    """What the coordinator reads and changes in the consumer's subscription state."""

    @property
    def version(self) -> int:
        """Bumped whenever the subscribed topics or pattern change (the coordinator rejoins
        or sends a new heartbeat subscription when it moves)."""

    @property
    def user_assigned(self) -> bool:
        """True after ``assign()``: no membership, the coordinator only commits/fetches."""

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The subscribed regex, if subscribed by pattern."""

    @property
    def listener(self) -> ConsumerRebalanceListener | None: ...

    def subscribed_topics(self) -> frozenset[str]:
        """Topics subscribed by name, or the pattern's current matches."""

    def update_pattern_matches(self, topics: Iterable[str]) -> bool:
        """With a pattern subscription: match ``topics`` (all topic names in metadata,
        internal topics already excluded when configured); True and a new ``version`` if the
        matched set changed. No-op returning False without a pattern."""

    def assigned_partitions(self) -> frozenset[TopicPartition]: ...

    def set_group_assignment(self, partitions: Iterable[TopicPartition]) -> None:
        """Replace the group-given assignment. Kept partitions keep their position; removed
        ones lose position and buffered records; new ones wait for ``apply_committed``.
        Ignored while ``user_assigned``: the application's ``assign()`` owns the partitions
        (a leave that ``unsubscribe()`` started may finish after it)."""

    def hold(self, partitions: Iterable[TopicPartition], held: bool) -> None:
        """Keep (``held=True``) or stop keeping the records of assigned ``partitions`` from
        the application: held while their revocation or assignment is in progress, so no
        record of a partition being revoked is handed out after its offsets were read for
        the commit, and none of a new partition before ``on_partitions_assigned`` returned.
        Fetching goes on; unknown partitions are ignored."""

    def partitions_needing_committed(self) -> frozenset[TopicPartition]:
        """Assigned partitions that have no position yet and no reset pending."""

    def apply_committed(self, committed: Mapping[TopicPartition, CommittedOffset | None]) -> None:
        """Seek each partition to its committed offset; None means nothing committed, so the
        partition is reset by auto_offset_reset (or fails with NoOffsetForPartitionError when
        it is "none")."""

    def consumed_offsets(self) -> dict[TopicPartition, CommittedOffset]:
        """Positions of assigned partitions that have one (what auto-commit commits), with
        the leader epoch of the last consumed record."""


class GroupCoordinatorProtocol(Protocol):
    """What the consumer calls on the coordinator. Built by the consumer when group_id is set:
    ``aiokafka_gen.coordinator.create_coordinator(client, subscription, **config)``."""

    #: Rebalance sensors, set by a consumer with metrics on (None: nothing recorded).
    group_metrics: GroupMetrics | None

    async def start(self) -> None:
        """Start background tasks (membership once subscribed, auto-commit timer)."""

    async def close(self) -> None:
        """Commit consumed offsets (auto-commit on), leave the group (dynamic members only;
        a static member stays until its session times out), cancel tasks. Idempotent."""

    async def ensure_active(self) -> None:
        """Return once the member is stable with an assignment (or immediately when
        ``user_assigned``); raises a pending fatal error."""

    async def commit_offsets(self, offsets: Mapping[TopicPartition, CommittedOffset]) -> None:
        """OffsetCommit with the current generation/member id; CommitFailedError when the
        membership changed under it; retries retriable errors within request_timeout_ms."""

    async def fetch_committed(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, CommittedOffset | None]:
        """OffsetFetch (waits for stable offsets: require_stable)."""

    def notify_poll(self) -> None:
        """The application polled (getone/getmany/iteration): resets max_poll_interval_ms."""

    def subscription_changed(self) -> None:
        """The application called subscribe/unsubscribe/assign: join, rejoin or leave now."""

    def check_errors(self) -> None:
        """Raise a fatal membership error (fenced static member, group authorization...)."""

    def group_metadata(self) -> ConsumerGroupMetadata: ...

    def health(self) -> GroupHealth: ...


class CoordinatorFactory(Protocol):
    """The signature of ``aiokafka_gen.coordinator.create_coordinator``.

    ``assignors`` are aiokafka-style assignor classes or instances (classic protocol only);
    ``group_remote_assignor`` names a server-side assignor ("uniform", "range") for the
    consumer protocol (None: the broker's default). ``client`` is the consumer's started
    ``AIOKafkaClient``.
    """

    def __call__(
        self,
        client: AIOKafkaClient,
        subscription: SubscriptionStateProtocol,
        *,
        group_id: str,
        group_instance_id: str | None,
        group_protocol: str,
        session_timeout_ms: int,
        heartbeat_interval_ms: int,
        rebalance_timeout_ms: int | None,
        max_poll_interval_ms: int,
        retry_backoff_ms: int,
        request_timeout_ms: int,
        assignors: Sequence[object],
        enable_auto_commit: bool,
        auto_commit_interval_ms: int,
        exclude_internal_topics: bool,
        group_remote_assignor: str | None,
    ) -> GroupCoordinatorProtocol: ...
