"""The classic group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup.

The membership task joins (KIP-394: a first JoinGroup without a member id is answered
MEMBER_ID_REQUIRED with one to use), the leader runs the assignor over every member's
subscription, SyncGroup hands out the assignments, then the member reconciles:

* eager: everything was revoked before JoinGroup; the whole new assignment is assigned;
* cooperative (KIP-429, every assignor supports it): partitions missing from the new
  assignment are revoked, new ones assigned, and when anything was revoked the member
  rejoins at once so the partitions can move.

A heartbeat task runs while the member has a generation. Errors in any response set
flags for the membership task: REBALANCE_IN_PROGRESS rejoins; ILLEGAL_GENERATION and
UNKNOWN_MEMBER_ID lose the partitions (listener told, no commit) and rejoin (the latter
with a fresh member id); FENCED_INSTANCE_ID, group authorization and the like are fatal.
The member leaves when the application stops polling for max_poll_interval_ms (LeaveGroup
unless static) and rejoins on its next poll. It also rejoins when its subscription moves,
when the pattern matches new topics, and when a subscribed topic's partition count changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup
from aiokafka_gen.coordinator.contract import SubscriptionStateProtocol
from aiokafka_gen.errors import KafkaError, KafkaTimeoutError, for_code
from aiokafka_gen.messages.heartbeat_request import HeartbeatRequest
from aiokafka_gen.messages.join_group_request import JoinGroupRequest, JoinGroupRequestProtocol
from aiokafka_gen.messages.join_group_response import JoinGroupResponse
from aiokafka_gen.messages.leave_group_request import LeaveGroupRequest, MemberIdentity
from aiokafka_gen.messages.sync_group_request import SyncGroupRequest, SyncGroupRequestAssignment
from aiokafka_gen.structs import TopicPartition

from ._features import STATIC_MEMBERSHIP
from .assignors.abstract import COOPERATIVE
from .base import BaseCoordinator, CoordinatorConfig
from .membership import MemberEvent, MemberState
from .protocol import (
    ConsumerProtocol,
    ConsumerProtocolMemberMetadata,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)

__all__ = ["ClassicCoordinator"]

log = client_logger("aiokafka_gen.coordinator")

# the group no longer knows this member or its generation (no flag says so): rejoin
_LOST = frozenset({ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID})
# none of these heal by rejoining
_FATAL = frozenset(
    {
        ErrorCode.GROUP_AUTHORIZATION_FAILED,
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        ErrorCode.INVALID_GROUP_ID,
        ErrorCode.INVALID_SESSION_TIMEOUT,
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        ErrorCode.FENCED_INSTANCE_ID,
    }
)


class _Rejoin(Exception):
    """Internal: this join attempt ended; try again (after a backoff when ``backoff``)."""

    def __init__(self, reason: str, *, backoff: bool = True) -> None:
        super().__init__(reason)
        self.backoff = backoff


class ClassicCoordinator(BaseCoordinator):
    """Group membership over JoinGroup/SyncGroup/Heartbeat with pluggable assignors."""

    protocol: ClassVar[str] = "classic"

    def __init__(
        self,
        client: AIOKafkaClient,
        subscription: SubscriptionStateProtocol,
        config: CoordinatorConfig,
        assignors: list[Any],
    ) -> None:
        super().__init__(client, subscription, config)
        if not assignors:
            raise ValueError("the classic group protocol needs at least one assignor")
        self.assignors = assignors
        self.cooperative = all(
            COOPERATIVE in getattr(a, "supported_protocols", ()) for a in assignors
        )
        self._rejoin_reason: str | None = "initial join"
        self._lost_reason: tuple[str, bool] | None = None  # (reason, reset member id)
        self._joined_version: int | None = None
        self._snapshot: dict[str, int] = {}
        self._group_topics: frozenset[str] = frozenset()
        # eager: the listener was told on_partitions_revoked for the coming join
        self._prepared = False
        self._is_leader = False

    # ---- the membership loop -----------------------------------------------------------
    async def _run(self) -> None:
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat_loop())
        try:
            while self._fatal is None:
                await self._step()
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def _step(self) -> None:
        self._check_subscription()
        if self._lost_reason is not None:
            await self._handle_lost()
        if self.state is MemberState.STABLE and self._poll_timed_out():
            await self._leave_for_poll_timeout()
            return
        if not self._wanted():
            if self.state in (MemberState.STABLE, MemberState.RECONCILING):
                await self._revoke_and_leave("no longer subscribed", "subscribed again")
            await self._sleep(1.0)
            return
        if self._metadata_changed:
            self._metadata_changed = False
            if not await self._refresh_pattern():
                self._metadata_changed = True  # too soon or failed: again on the next step
            self._check_snapshot()
        reason = self._join_reason()
        if reason is not None:
            static = self.config.group_instance_id is not None
            if not static or await self._require(STATIC_MEMBERSHIP):
                await self._join_round_checked(reason)
            return
        if self.assignment_pending:  # committed offsets of new partitions still missing
            await self._finish_reconciling()
            return
        await self._sleep(max(0.0, min(self._poll_deadline() - time.monotonic() + 0.01, 1.0)))

    def _join_reason(self) -> str | None:
        if self.state is MemberState.UNJOINED:
            return self._rejoin_reason or "not a member"
        if self._rejoin_reason is not None:
            return self._rejoin_reason
        if self._joined_version != self._sub.version:
            return "the subscription changed"
        return None

    def _request_rejoin(self, reason: str) -> None:
        if self._rejoin_reason is None:
            self._rejoin_reason = reason
        self._wake.set()

    def _on_subscription_changed(self) -> None:
        if self._joined_version is not None:
            self._stable.clear()

    async def _join_round(self, reason: str) -> None:
        try:
            await self._join_and_sync(reason)
        except BaseException:
            self._abandon_round()
            raise

    def _abandon_round(self) -> None:
        """A join round failed half way: never stay in joining/syncing/reconciling."""
        if self.group_metrics is not None:
            self.group_metrics.failed()
        if self.state in (MemberState.JOINING, MemberState.SYNCING):
            self._fire(MemberEvent.LOST)
        elif self.state is MemberState.RECONCILING:
            self._rejoin_reason = self._rejoin_reason or "the last rebalance did not complete"

    async def _join_round_checked(self, reason: str) -> None:
        try:
            await self._join_round(reason)
        except _Rejoin as exc:
            self._last_error = str(exc)
            log.info("group %s: %s; rejoining", self.config.group_id, exc)
            if exc.backoff:
                await asyncio.sleep(self.config.backoff)
        except (KafkaTimeoutError, KafkaError) as exc:
            if not exc.retriable and not isinstance(exc, KafkaTimeoutError):
                raise
            self._last_error = repr(exc)
            self.offsets.forget_coordinator()
            await asyncio.sleep(self.config.backoff)

    # ---- join and sync -----------------------------------------------------------------
    async def _join_and_sync(self, reason: str) -> None:
        if not self.cooperative and not self._prepared:
            # Eager: everything is revoked before a join; the listener is called even with
            # nothing assigned (so before the first assignment too), once per rebalance.
            await self._revoke(self._group_partitions(), always=True)
            self._prepared = True
        self._rejoin_reason = None
        self._joined_version = self._sub.version
        self._fire(MemberEvent.JOIN)
        response = await self._join_group(reason)
        self._fire(MemberEvent.JOINED)
        assignments = await self._leader_assignments(response)
        assignment = await self._sync_group(response, assignments)
        self._fire(MemberEvent.SYNCED)
        await self._reconcile(assignment)
        if self.state is MemberState.RECONCILING and not self.assignment_pending:
            self._fire(MemberEvent.RECONCILED)

    async def _finish_reconciling(self) -> None:
        """Retry the committed offsets of held new partitions (heartbeats go on in their
        own task); a step at most a second long, so lost membership is seen."""
        try:
            done = await self._complete_assignment(1.0)
        except BaseException:
            self._abandon_round()
            raise
        if done and self.state is MemberState.RECONCILING:
            self._fire(MemberEvent.RECONCILED)

    def _protocols(self) -> list[JoinGroupRequestProtocol]:
        topics = sorted(self._sub.subscribed_topics())
        owned = sorted(self._sub.assigned_partitions())
        protocols = []
        for assignor in self.assignors:
            meta = assignor.metadata(topics)
            full = ConsumerProtocolMemberMetadata(
                version=getattr(meta, "version", 0),
                subscription=list(getattr(meta, "subscription", topics)),
                user_data=getattr(meta, "user_data", b""),
                owned_partitions=owned,
                generation_id=self.generation,
            )
            protocols.append(
                JoinGroupRequestProtocol(name=assignor.name, metadata=encode_subscription(full))
            )
        return protocols

    async def _join_group(self, reason: str) -> JoinGroupResponse:
        if self.group_metrics is not None:
            self.group_metrics.started()
        for _ in range(3):  # KIP-394: at most one MEMBER_ID_REQUIRED round trip
            request = JoinGroupRequest(
                group_id=self.config.group_id,
                session_timeout_ms=self.config.session_timeout_ms,
                rebalance_timeout_ms=self.config.rebalance_timeout_ms,
                member_id=self.member_id,
                group_instance_id=self.config.group_instance_id,
                protocol_type=ConsumerProtocol.PROTOCOL_TYPE,
                protocols=self._protocols(),
                reason=reason,
            )
            timeout = max(self.config.request_timeout_ms, self.config.rebalance_timeout_ms + 5000)
            response = await self.offsets.send(
                request, ApiKey.JOIN_GROUP, request_timeout_ms=timeout
            )
            if response.error_code == ErrorCode.MEMBER_ID_REQUIRED:
                self.member_id = response.member_id
                continue
            self._check_join_error(response.error_code, "JoinGroup")
            self.generation = response.generation_id
            self.member_id = response.member_id
            log.info(
                "group %s: joined generation %d as %s (leader %s, protocol %s)",
                self.config.group_id, self.generation, self.member_id, response.leader,
                response.protocol_name,
            )  # fmt: skip
            return response
        raise _Rejoin("JoinGroup kept asking for a member id")

    def _check_join_error(self, code: int, what: str) -> None:
        if code == 0:
            return
        error = for_code(code)
        if code in _FATAL:
            self._set_fatal(error(f"{what} for group {self.config.group_id!r}"))
            raise _Rejoin(f"{what}: fatal {error.__name__}")
        if code in COORDINATOR_MOVED:
            self.offsets.forget_coordinator()
        if code in _LOST:  # the next step tells the listener (cooperative members hold some)
            self._lost_reason = (f"{what}: {error.__name__}", code == ErrorCode.UNKNOWN_MEMBER_ID)
            self._fire(MemberEvent.LOST)
            raise _Rejoin(f"{what}: {error.__name__}", backoff=False)
        if self.membership.allows(MemberEvent.LOST):
            self._fire(MemberEvent.LOST)
        if code == ErrorCode.REBALANCE_IN_PROGRESS:
            raise _Rejoin(f"{what}: {error.__name__}", backoff=False)
        if error.retriable or code in COORDINATOR_MOVED:
            raise _Rejoin(f"{what}: {error.__name__}")
        raise error(f"{what} for group {self.config.group_id!r}")

    async def _leader_assignments(self, response: JoinGroupResponse) -> dict[str, bytes]:
        self._is_leader = response.leader == self.member_id
        if not self._is_leader or response.skip_assignment:
            self._group_topics = frozenset(self._sub.subscribed_topics())
            return {}
        members = {
            m.member_id: decode_subscription(m.metadata, m.group_instance_id)
            for m in response.members
        }
        topics = frozenset(t for meta in members.values() for t in meta.subscription)
        self._group_topics = topics
        if self._client.cluster.missing_topics(topics):
            await self._track_topics(topics)
        assignor = self._assignor(response.protocol_name)
        result = assignor.assign(self._client.cluster, members)
        log.info("group %s: leader assigned with %s", self.config.group_id, assignor.name)
        return {m: encode_assignment(result[m]) if m in result else b"" for m in members}

    def _assignor(self, name: str | None) -> Any:
        for assignor in self.assignors:
            if assignor.name == name:
                return assignor
        raise KafkaError(f"the group chose assignor {name!r}, which this consumer lacks")

    async def _sync_group(
        self, join: JoinGroupResponse, assignments: dict[str, bytes]
    ) -> set[TopicPartition]:
        request = SyncGroupRequest(
            group_id=self.config.group_id,
            generation_id=self.generation,
            member_id=self.member_id,
            group_instance_id=self.config.group_instance_id,
            protocol_type=ConsumerProtocol.PROTOCOL_TYPE,
            protocol_name=join.protocol_name,
            assignments=[
                SyncGroupRequestAssignment(member_id=m, assignment=a)
                for m, a in sorted(assignments.items())
            ],
        )
        response = await self.offsets.send(request, ApiKey.SYNC_GROUP)
        self._check_join_error(response.error_code, "SyncGroup")
        assignment = decode_assignment(response.assignment)
        assignor = self._assignor(join.protocol_name)
        assignor.on_assignment(assignment)
        on_generation = getattr(assignor, "on_generation_assignment", None)
        if on_generation is not None:
            on_generation(self.generation)
        return set(assignment.partitions())

    async def _reconcile(self, assignment: set[TopicPartition]) -> None:
        self._take_snapshot()
        current = self._sub.assigned_partitions()
        if self.cooperative:
            revoked = current - assignment
            if revoked:
                await self._revoke(revoked, always=False)
                self._request_rejoin("partitions were revoked (cooperative follow-up)")
            await self._assign(assignment, assignment - current)
        else:
            await self._assign(assignment, assignment)
            self._prepared = False

    # ---- metadata snapshot -------------------------------------------------------------
    def _partition_counts(self) -> dict[str, int]:
        counts = {}
        for topic in self._group_topics:
            partitions = self._client.cluster.partitions_for_topic(topic)
            if partitions is not None:
                counts[topic] = len(partitions)
        return counts

    def _take_snapshot(self) -> None:
        self._snapshot = self._partition_counts()

    def _check_snapshot(self) -> None:
        """The leader rejoins when a subscribed topic's partition count moved (as Java's
        leader does; followers leave it to the leader to avoid a rebalance per member)."""
        if self.state is not MemberState.STABLE or not self._is_leader:
            return
        now = self._partition_counts()
        if any(now.get(t, n) != n for t, n in self._snapshot.items()) or set(now) - set(
            self._snapshot
        ):
            self._request_rejoin("partition counts of subscribed topics changed")

    # ---- heartbeats --------------------------------------------------------------------
    async def _heartbeat_loop(self) -> None:
        interval = self.config.heartbeat_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            if self.state not in (MemberState.RECONCILING, MemberState.STABLE):
                continue
            try:
                await self._heartbeat_once()
            except KafkaError as exc:
                self._last_error = repr(exc)
                log.debug("group %s: heartbeat failed: %s", self.config.group_id, exc)
                self.offsets.forget_coordinator()

    async def _heartbeat_once(self) -> None:
        generation, member_id = self.generation, self.member_id
        request = HeartbeatRequest(
            group_id=self.config.group_id,
            generation_id=generation,
            member_id=member_id,
            group_instance_id=self.config.group_instance_id,
        )
        timeout = min(self.config.request_timeout_ms, self.config.session_timeout_ms)
        response = await self.offsets.send(request, ApiKey.HEARTBEAT, request_timeout_ms=timeout)
        if (generation, member_id) != (self.generation, self.member_id):
            return  # a rejoin happened meanwhile: the answer is about an old generation
        self._on_heartbeat(response.error_code)

    def _on_heartbeat(self, code: int) -> None:
        if code == 0:
            self._last_heartbeat = time.monotonic()
            return
        error = for_code(code)
        self._last_error = error.__name__
        if code == ErrorCode.REBALANCE_IN_PROGRESS:
            self._request_rejoin("the group is rebalancing")
        elif code in _LOST:
            self._lost_reason = (
                f"heartbeat: {error.__name__}",
                code == ErrorCode.UNKNOWN_MEMBER_ID,
            )
            self._wake.set()
        elif code in _FATAL:
            self._set_fatal(error(f"Heartbeat for group {self.config.group_id!r}"))
        elif code in COORDINATOR_MOVED:
            self.offsets.forget_coordinator()

    async def _handle_lost(self) -> None:
        assert self._lost_reason is not None
        reason, reset_member = self._lost_reason
        self._lost_reason = None
        log.info("group %s: membership lost (%s)", self.config.group_id, reason)
        await self._lose(self._group_partitions())
        self._prepared = True  # the listener just heard of the revocation
        self.generation = -1
        if reset_member:
            self.member_id = ""
        if self.membership.allows(MemberEvent.LOST):
            self._fire(MemberEvent.LOST)
        self._rejoin_reason = reason

    # ---- leaving -----------------------------------------------------------------------
    def _revoked_all(self, rejoin_reason: str) -> None:
        self._prepared = True
        self._rejoin_reason = rejoin_reason

    async def _leave(self, reason: str) -> None:
        """LeaveGroup for a dynamic member; a static member just stops heartbeating (its
        session expires, or it comes back with the same instance id first)."""
        if self.membership.allows(MemberEvent.LEAVE):
            self._fire(MemberEvent.LEAVE)
        member_id, self.generation = self.member_id, -1
        dynamic = self.config.group_instance_id is None
        try:
            if dynamic and member_id:
                self.member_id = ""
                await self._send_leave(member_id, reason)
        finally:
            if self.state is MemberState.LEAVING:
                self._fire(MemberEvent.LEFT)

    async def _send_leave(self, member_id: str, reason: str) -> None:
        node = await self.offsets.coordinator()
        await self._client.ready(node, group=ConnectionGroup.COORDINATION)
        version = self._client.api_version_for(node, ApiKey.LEAVE_GROUP) or 0
        if version >= 3:
            member = MemberIdentity(member_id=member_id, reason=reason)
            request = LeaveGroupRequest(group_id=self.config.group_id, members=[member])
        else:
            request = LeaveGroupRequest(group_id=self.config.group_id, member_id=member_id)
        timeout = self.config.request_timeout_ms
        response = await self.offsets.send(request, ApiKey.LEAVE_GROUP, request_timeout_ms=timeout)
        if response.error_code and response.error_code != ErrorCode.UNKNOWN_MEMBER_ID:
            log.info(
                "group %s: LeaveGroup answered %s",
                self.config.group_id, for_code(response.error_code).__name__,
            )  # fmt: skip
