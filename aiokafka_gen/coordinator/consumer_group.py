"""The consumer group protocol (KIP-848): one ConsumerGroupHeartbeat loop, server-side
assignment.

The member picks its own member id (a random uuid, as KIP-1082 wants from v1) and joins
with epoch 0, sending its subscription (topic names, or the pattern's source string as
``SubscribedTopicRegex`` — the broker matches it with RE2J), its rebalance timeout and the
server assignor. Later heartbeats send only what changed. A response may carry a new
target assignment (topic ids): the member resolves the ids to names through metadata
(refreshing for unknown ones), revokes what it no longer owns (listener, then commit),
assigns the rest (committed offsets, then listener), and acknowledges by sending its owned
partitions in the next heartbeat, at once. When the committed offsets of new partitions
cannot be fetched (coordinator moving, timeouts), the member acknowledges what it owns but
stays reconciling, the partitions held and unannounced, and retries the OffsetFetch with
backoff between heartbeats until it succeeds or the partitions go. FENCED_MEMBER_EPOCH and
UNKNOWN_MEMBER_ID lose the partitions and rejoin with epoch 0; leaving sends epoch -1 (-2
for a static member, which keeps its assignment for the session timeout). Reconciliation
runs inside the heartbeat loop, so a slow listener delays heartbeats.

UNKNOWN_SERVER_ERROR is retried with backoff until such answers have come for
``session_timeout_ms`` in a row, then it is fatal (Java's consumer is fatal at once). The
coordinator answers it for an exception it did not expect, and some are passing: Kafka
4.4.0 throws NoSuchElementException when a consumer-protocol member joins a group whose
classic members are in their first rebalance, and the same heartbeat succeeds once that
rebalance is over. The heartbeat that failed changed nothing in the group, so sending it
again is safe.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import ClassVar

from aiokafka_gen._codes import COORDINATOR_MOVED, EPOCH_MEMBER_LOST, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.coordinator.contract import SubscriptionStateProtocol
from aiokafka_gen.errors import KafkaError, KafkaTimeoutError, for_code
from aiokafka_gen.messages.consumer_group_heartbeat_request import (
    ConsumerGroupHeartbeatRequest,
    TopicPartitions,
)
from aiokafka_gen.messages.consumer_group_heartbeat_response import (
    TopicPartitions as AssignedTopic,
)
from aiokafka_gen.structs import TopicPartition

from ._features import KIP848, feature_error
from .base import BaseCoordinator, CoordinatorConfig
from .membership import MemberEvent, MemberState

__all__ = ["ConsumerGroupCoordinator"]

log = client_logger("aiokafka_gen.coordinator")

# none of these heal by rejoining
_FATAL = frozenset(
    {
        ErrorCode.GROUP_AUTHORIZATION_FAILED,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        ErrorCode.FENCED_INSTANCE_ID,
        ErrorCode.UNRELEASED_INSTANCE_ID,
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        ErrorCode.INVALID_REGULAR_EXPRESSION,
    }
)
_LEAVE_EPOCH, _STATIC_LEAVE_EPOCH = -1, -2


def _new_member_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


class ConsumerGroupCoordinator(BaseCoordinator):
    """Group membership over ConsumerGroupHeartbeat (group_protocol="consumer")."""

    protocol: ClassVar[str] = "consumer"

    def __init__(
        self,
        client: AIOKafkaClient,
        subscription: SubscriptionStateProtocol,
        config: CoordinatorConfig,
    ) -> None:
        super().__init__(client, subscription, config)
        self.member_id = _new_member_id()
        self.generation = 0  # the member epoch
        self._interval = self.config.heartbeat_interval_ms / 1000.0
        self._send_full = True
        self._sent_version: int | None = None
        self._ack_pending = False
        self._target: frozenset[TopicPartition] | None = None
        self._pending_ids: list[AssignedTopic] | None = None
        self._regex_sent = False
        self._unknown_since: float | None = None  # the first of a run of UNKNOWN_SERVER_ERROR

    # ---- the heartbeat loop ------------------------------------------------------------
    async def _run(self) -> None:
        while self._fatal is None:
            await self._step()

    async def _step(self) -> None:
        self._check_subscription()
        if self.state is MemberState.STABLE and self._poll_timed_out():
            await self._leave_for_poll_timeout()
            return
        if not self._wanted():
            if self.state in (MemberState.STABLE, MemberState.RECONCILING, MemberState.JOINING):
                await self._revoke_and_leave("no longer subscribed", "subscribed again")
            await self._sleep(1.0)
            return
        if not await self._require(KIP848):
            return
        if self.state is MemberState.UNJOINED:
            self._fire(MemberEvent.JOIN)
        try:
            await self._heartbeat()
        except KafkaError as exc:
            if not exc.retriable and not isinstance(exc, KafkaTimeoutError):
                raise
            self._last_error = repr(exc)
            self._send_full = True
            self.offsets.forget_coordinator()
            await asyncio.sleep(self.config.backoff)
            return
        next_beat = time.monotonic() + self._interval
        if self._pending_ids is not None:
            await self._reconcile(next_beat)
        elif self.assignment_pending:
            await self._finish_reconciling(next_beat)
        if self._ack_pending or self._send_full:
            return  # acknowledge (or resend) at once
        await self._sleep(next_beat - time.monotonic())

    def _request(self) -> ConsumerGroupHeartbeatRequest:
        full = self._send_full or self.generation == 0
        changed = full or self._sent_version != self._sub.version
        request = ConsumerGroupHeartbeatRequest(
            group_id=self.config.group_id,
            member_id=self.member_id,
            member_epoch=self.generation,
            instance_id=self.config.group_instance_id if full else None,
            rebalance_timeout_ms=self.config.rebalance_timeout_ms if full else -1,
            server_assignor=self.config.group_remote_assignor if full else None,
        )
        if changed:
            self._set_subscription(request, full)
        if full or self._ack_pending:
            owned: dict[str, list[int]] = {}
            for tp in self._sub.assigned_partitions():
                owned.setdefault(tp.topic, []).append(tp.partition)
            request.topic_partitions = [
                TopicPartitions(topic_id=tid, partitions=sorted(parts))
                for topic, parts in sorted(owned.items())
                if (tid := self._client.cluster.topic_id(topic)) is not None
            ]
        return request

    def _set_subscription(self, request: ConsumerGroupHeartbeatRequest, full: bool) -> None:
        """Names or the regex; switching between them clears the other (an empty name list,
        or an empty regex), as the broker keeps a field that is sent as null."""
        pattern = self._sub.pattern
        if pattern is not None:
            request.subscribed_topic_regex = pattern.pattern
            if not full:
                request.subscribed_topic_names = []
            self._regex_sent = True
            return
        request.subscribed_topic_names = sorted(self._sub.subscribed_topics())
        if self._regex_sent and not full:
            request.subscribed_topic_regex = ""
        self._regex_sent = False

    async def _heartbeat(self) -> None:
        request = self._request()
        version = self._sub.version
        timeout = min(self.config.request_timeout_ms, self.config.session_timeout_ms)
        response = await self.offsets.send(
            request, ApiKey.CONSUMER_GROUP_HEARTBEAT, request_timeout_ms=timeout
        )
        code = response.error_code
        if code:
            await self._on_error(code, response.error_message)
            return
        self._last_heartbeat = time.monotonic()
        self._unknown_since = None
        self._send_full = False
        self._ack_pending = False
        self._sent_version = version
        if response.member_id:
            self.member_id = response.member_id
        self.generation = response.member_epoch
        if response.heartbeat_interval_ms > 0:
            self._interval = response.heartbeat_interval_ms / 1000.0
        if response.assignment is not None:
            self._pending_ids = list(response.assignment.topic_partitions)
            if self.group_metrics is not None:
                self.group_metrics.started()
        elif self.state is MemberState.JOINING and self.generation > 0:
            self._pending_ids = []
        if (
            self._pending_ids is None
            and self.state is MemberState.RECONCILING
            and not self.assignment_pending
        ):
            self._fire(MemberEvent.RECONCILED)

    async def _on_error(self, code: int, message: str | None) -> None:
        error = for_code(code)
        self._last_error = f"{error.__name__}: {message}" if message else error.__name__
        self._send_full = True
        if code in COORDINATOR_MOVED:
            self.offsets.forget_coordinator()
            await asyncio.sleep(self.config.backoff)
        elif code in EPOCH_MEMBER_LOST:
            log.info("group %s: %s; rejoining", self.config.group_id, self._last_error)
            await self._lose(self._group_partitions())
            self.generation = 0
            self._pending_ids = None
            if self.membership.allows(MemberEvent.LOST):
                self._fire(MemberEvent.LOST)
        elif code == ErrorCode.UNSUPPORTED_VERSION:
            # The API is there (Kafka 3.7-3.9 early access) but the consumer protocol is not
            # enabled (group.coordinator.rebalance.protocols).
            node = self.offsets.node_id
            broker = None if node is None else self._client.cluster.broker_metadata(node)
            where = "?" if broker is None else f"{broker.host}:{broker.port}"
            detail = f"but does not enable it ({message})" if message else "but does not enable it"
            self._set_fatal(feature_error(KIP848, where, detail))
        elif code in _FATAL:
            self._set_fatal(
                error(message or f"ConsumerGroupHeartbeat for {self.config.group_id!r}")
            )
        elif error.retriable or self._passing_unknown(code):
            await asyncio.sleep(self.config.backoff)
        else:
            self._set_fatal(
                error(message or f"ConsumerGroupHeartbeat for {self.config.group_id!r}")
            )

    def _passing_unknown(self, code: int) -> bool:
        """True for an UNKNOWN_SERVER_ERROR while such answers have lasted less than the
        session timeout (see the module's docstring)."""
        if code != ErrorCode.UNKNOWN_SERVER_ERROR:
            return False
        now = time.monotonic()
        if self._unknown_since is None:
            self._unknown_since = now
            log.warning("group %s: %s; retrying", self.config.group_id, self._last_error)
        return now - self._unknown_since < self.config.session_timeout_ms / 1000.0

    # ---- reconciliation ----------------------------------------------------------------
    async def _resolve(self, ids: list[AssignedTopic]) -> frozenset[TopicPartition] | None:
        """Topic ids to partitions; None while some id is unknown to metadata."""
        cluster = self._client.cluster
        if any(cluster.topic_name(t.topic_id) is None for t in ids):
            try:
                fresh = await self._client.fetch_all_metadata()
            except KafkaError:
                return None
            names = {fresh.topic_name(t.topic_id) for t in ids} - {None}
            await self._track_topics(n for n in names if n)
        resolved = set()
        for t in ids:
            name = cluster.topic_name(t.topic_id)
            if name is None:
                return None
            resolved |= {TopicPartition(name, p) for p in t.partitions}
        return frozenset(resolved)

    async def _reconcile(self, next_beat: float) -> None:
        """Revoke, assign, acknowledge; committed offsets of new partitions are fetched for
        ``_fetch_window`` (then retried after the next heartbeat)."""
        assert self._pending_ids is not None
        target = await self._resolve(self._pending_ids)
        if target is None:
            log.debug(
                "group %s: assignment names unknown topic ids; retrying", self.config.group_id
            )
            return
        self._pending_ids = None
        if self.state is not MemberState.RECONCILING:
            self._fire(MemberEvent.ASSIGNED)
        current = self._sub.assigned_partitions()
        revoked = current - target
        if revoked:
            await self._revoke(revoked, always=False)
        done = await self._assign(target, target - current, within=self._fetch_window(next_beat))
        self._ack_pending = True  # the broker hears what is owned even while offsets are missing
        if done:
            self._fire(MemberEvent.RECONCILED)

    def _fetch_window(self, next_beat: float) -> float:
        """How long committed offsets may be fetched before the loop heartbeats again: until
        the next heartbeat, but at least two intervals (within request_timeout_ms), so a
        slow but healthy OffsetFetch is not cut off every time."""
        floor = min(self.config.request_timeout_ms / 1000.0, 2 * self._interval)
        return max(next_beat - time.monotonic(), floor)

    async def _finish_reconciling(self, next_beat: float) -> None:
        """Retry the committed offsets of held new partitions until ``next_beat``."""
        done = await self._complete_assignment(self._fetch_window(next_beat))
        if done and self.state is MemberState.RECONCILING:
            self._fire(MemberEvent.RECONCILED)

    # ---- leaving -----------------------------------------------------------------------

    async def _leave(self, reason: str) -> None:
        """Heartbeat with epoch -1 (dynamic) or -2 (static: keeps its assignment until the
        session times out)."""
        if self.membership.allows(MemberEvent.LEAVE):
            self._fire(MemberEvent.LEAVE)
        static = self.config.group_instance_id is not None
        request = ConsumerGroupHeartbeatRequest(
            group_id=self.config.group_id,
            member_id=self.member_id,
            member_epoch=_STATIC_LEAVE_EPOCH if static else _LEAVE_EPOCH,
            instance_id=self.config.group_instance_id,
        )
        self.generation = 0
        self._send_full = True
        try:
            log.info("group %s: leaving (%s)", self.config.group_id, reason)
            response = await self.offsets.send(request, ApiKey.CONSUMER_GROUP_HEARTBEAT)
            if response.error_code and response.error_code not in EPOCH_MEMBER_LOST:
                log.info(
                    "group %s: leave answered %s",
                    self.config.group_id, for_code(response.error_code).__name__,
                )  # fmt: skip
        finally:
            if self.state is MemberState.LEAVING:
                self._fire(MemberEvent.LEFT)
