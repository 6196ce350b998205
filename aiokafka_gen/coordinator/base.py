"""What both group protocols share: configuration, tasks, the rebalance listener calls,
offsets, auto-commit, the poll timer, metadata watching and health.

Tasks (all owned here, cancelled by ``close()``): the membership task (``_run``, written by
each protocol: joins, heartbeats or KIP-848 heartbeats, reconciliation) and the
auto-commit task. Only the membership task changes the assignment; other tasks and the
consumer's calls set flags and ``_wake`` it. Listener calls follow the timing rules in
``contract.py``. Must not import ``aiokafka_gen.consumer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.coordinator.contract import (
    CommittedOffset,
    GroupHealth,
    SubscriptionStateProtocol,
)
from aiokafka_gen.errors import IllegalStateError, KafkaError
from aiokafka_gen.structs import ConsumerGroupMetadata, TopicPartition

from .membership import Membership, MemberState
from .offsets import Identity, OffsetClient

__all__ = ["BaseCoordinator", "CoordinatorConfig"]

log = logging.getLogger("aiokafka_gen.coordinator")


@dataclasses.dataclass(frozen=True, slots=True)
class CoordinatorConfig:
    """The consumer settings group coordination uses (see ``create_coordinator``)."""

    group_id: str
    group_instance_id: str | None
    group_protocol: str
    session_timeout_ms: int
    heartbeat_interval_ms: int
    rebalance_timeout_ms: int
    max_poll_interval_ms: int
    retry_backoff_ms: int
    request_timeout_ms: int
    enable_auto_commit: bool
    auto_commit_interval_ms: int
    exclude_internal_topics: bool
    group_remote_assignor: str | None

    @property
    def backoff(self) -> float:
        """retry_backoff_ms in seconds."""
        return self.retry_backoff_ms / 1000.0


async def call_listener(
    method: Callable[[set[TopicPartition]], Any], partitions: Iterable[TopicPartition]
) -> None:
    """Call a rebalance listener method, awaiting it when it returns an awaitable; a
    failing listener is logged, not raised (the rebalance must go on)."""
    try:
        result = method(set(partitions))
        if inspect.isawaitable(result):
            await result
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("rebalance listener %s failed", getattr(method, "__qualname__", method))


class BaseCoordinator:
    """Shared state and behaviour of the classic and the consumer group protocols."""

    protocol: ClassVar[str] = ""

    def __init__(
        self,
        client: AIOKafkaClient,
        subscription: SubscriptionStateProtocol,
        config: CoordinatorConfig,
    ) -> None:
        self._client = client
        self._sub = subscription
        self.config = config
        self.offsets = OffsetClient(
            client,
            config.group_id,
            request_timeout_ms=config.request_timeout_ms,
            retry_backoff_ms=config.retry_backoff_ms,
        )
        self.offsets.on_fatal = self._set_fatal
        self.membership = Membership()
        self.generation = -1
        self.member_id = ""
        self._fatal: BaseException | None = None
        self._wake = asyncio.Event()
        self._stable = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False
        self._poll_expired = False
        self._metadata_changed = False
        self._last_poll = time.monotonic()
        self._last_heartbeat: float | None = None
        self._last_rebalance: float | None = None
        self._rebalances = 0
        self._last_error: str | None = None
        self._auto_committed: dict[TopicPartition, CommittedOffset] = {}
        self._tracked_version: int | None = None
        self._pattern_checked = 0.0

    # ---- state -------------------------------------------------------------------------
    @property
    def state(self) -> MemberState:
        """The membership state."""
        return self.membership.state

    def _event(self, name: str) -> None:
        target = self.membership.event(name)
        if target is MemberState.STABLE:
            self._stable.set()
        else:
            self._stable.clear()
        if target in (MemberState.FENCED, MemberState.STOPPED):
            self._stable.set()  # wake ensure_active() so it can raise

    def _set_fatal(self, error: BaseException) -> None:
        if self._fatal is None:
            self._fatal = error
            self._last_error = repr(error)
            log.error("group %s: fatal error %s", self.config.group_id, error)
        if self.membership.allows("fatal"):
            self._event("fatal")
        self._wake.set()

    def _identity(self) -> Identity:
        """(generation or epoch, member id, instance id) for commits."""
        if self._sub.user_assigned or not self.membership.in_group:
            return (-1, "", None)
        return (self.generation, self.member_id, self.config.group_instance_id)

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Start the membership and auto-commit tasks (idempotent)."""
        if self._started:
            return
        self._started = True
        self._last_poll = time.monotonic()
        loop = asyncio.get_running_loop()
        self._client.cluster.add_listener(self._on_metadata)
        self._tasks.append(loop.create_task(self._supervise(), name="group-membership"))
        if self.config.enable_auto_commit:
            self._tasks.append(loop.create_task(self._auto_commit_loop(), name="auto-commit"))

    async def close(self) -> None:
        """Commit (auto-commit), revoke, leave (dynamic members), stop tasks. Idempotent."""
        if self._closed:
            return
        self._closed = True
        membership_task = self._tasks[0] if self._tasks else None
        if membership_task is not None:
            membership_task.cancel()
            await asyncio.gather(membership_task, return_exceptions=True)
        try:
            await self._shutdown()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(ValueError):
                self._client.cluster.remove_listener(self._on_metadata)
            self._event("stop")

    async def _shutdown(self) -> None:
        if self._sub.user_assigned:
            await self._commit_quietly(self._sub.assigned_partitions())
            return
        if self.state in (MemberState.STABLE, MemberState.RECONCILING):
            with contextlib.suppress(KafkaError, TimeoutError):
                async with asyncio.timeout(self.config.request_timeout_ms / 1000.0):
                    await self._revoke(self._sub.assigned_partitions(), always=False)
                    await self._leave("the consumer is closing")
        elif self.member_id and self.state in (MemberState.JOINING, MemberState.SYNCING):
            with contextlib.suppress(KafkaError, TimeoutError):
                async with asyncio.timeout(self.config.request_timeout_ms / 1000.0):
                    await self._leave("the consumer is closing")

    async def _supervise(self) -> None:
        """Run the protocol loop; a bug is logged and the loop restarted after a backoff."""
        while self._fatal is None:
            try:
                await self._run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._last_error = repr(exc)
                log.exception("group %s: membership loop failed", self.config.group_id)
                if isinstance(exc, IllegalStateError):
                    self._reset_after_bug()
                await asyncio.sleep(max(self.config.backoff, 0.1))

    def _reset_after_bug(self) -> None:
        if self.membership.allows("lost"):
            self._event("lost")

    # ---- what subclasses implement -----------------------------------------------------
    async def _run(self) -> None:
        raise NotImplementedError

    async def _leave(self, reason: str) -> None:
        raise NotImplementedError

    async def _leave_quietly(self, reason: str) -> None:
        """Leave; a failure is logged, not raised. The member ends up unjoined either way."""
        try:
            await self._leave(reason)
        except KafkaError as exc:
            log.info("group %s: leaving failed: %s", self.config.group_id, exc)
        finally:
            if self.membership.allows("lost") and self.state is not MemberState.UNJOINED:
                self._event("lost")

    # ---- consumer-facing calls ---------------------------------------------------------
    async def ensure_active(self) -> None:
        """Wait until the member is stable with an assignment (no-op with assign())."""
        self.check_errors()
        if self._sub.user_assigned or self._closed:
            return
        self._check_subscription()
        while not (self._stable.is_set() and self.state is MemberState.STABLE):
            self.check_errors()
            await self._stable.wait()
            if self._closed:
                return
        self.check_errors()

    def notify_poll(self) -> None:
        """The application polled: restart the max_poll_interval_ms clock."""
        self._last_poll = time.monotonic()
        if self._poll_expired:
            self._poll_expired = False
            self._wake.set()
        self._check_subscription()

    def check_errors(self) -> None:
        """Raise a fatal membership error, if one happened."""
        if self._fatal is not None:
            raise self._fatal

    def _check_subscription(self) -> None:
        if self._sub.version != self._tracked_version:
            self._tracked_version = self._sub.version
            topics = self._sub.subscribed_topics()
            if topics and not self._sub.user_assigned:
                self._track_topics(topics)
            if self._sub.pattern is not None and not self._sub.user_assigned:
                self._metadata_changed = True  # match the pattern before the next join
            self._on_subscription_changed()
            self._wake.set()

    def _track_topics(self, topics: Iterable[str]) -> asyncio.Future[bool]:
        """Make the client's metadata cover ``topics`` without narrowing it: with a pattern
        the consumer tracks no topic names (Metadata then returns every topic), which a
        name list would turn off."""
        if self._sub.pattern is not None and not self._client.topics:
            return self._client.force_metadata_update()
        return self._client.set_topics(self._client.topics | set(topics))

    def _on_subscription_changed(self) -> None:
        """Hook: the subscription's version moved."""

    async def commit_offsets(self, offsets: Mapping[TopicPartition, CommittedOffset]) -> None:
        """OffsetCommit with the current generation (or member epoch) and member id."""
        self.check_errors()
        await self.offsets.commit(offsets, self._identity)
        # What the broker now holds: auto-commit compares against it, so a manual commit
        # of a lower offset is not mistaken for one auto-commit already made.
        self._auto_committed.update(offsets)

    async def fetch_committed(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, CommittedOffset | None]:
        """OffsetFetch (require_stable)."""
        return await self.offsets.fetch(partitions)

    def group_metadata(self) -> ConsumerGroupMetadata:
        """KIP-447 metadata for send_offsets_to_transaction."""
        generation, member_id, instance = self._identity()
        return ConsumerGroupMetadata(self.config.group_id, generation, member_id, instance)

    def health(self) -> GroupHealth:
        """A snapshot of the membership."""
        return GroupHealth(
            group_id=self.config.group_id,
            protocol=self.protocol,
            state=self.state.value,
            generation_id=self.generation,
            member_id=self.member_id,
            group_instance_id=self.config.group_instance_id,
            coordinator_id=self.offsets.node_id,
            assignment=self._sub.assigned_partitions(),
            last_heartbeat=self._last_heartbeat,
            last_poll=self._last_poll,
            last_rebalance=self._last_rebalance,
            rebalances=self._rebalances,
            last_error=self._last_error,
        )

    # ---- waiting -----------------------------------------------------------------------
    def _wanted(self) -> bool:
        """Should this consumer be a group member right now?"""
        if self._sub.user_assigned or self._poll_expired:
            return False
        return bool(self._sub.subscribed_topics()) or self._sub.pattern is not None

    async def _sleep(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass or something wakes the membership task."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._wake.wait()
        self._wake.clear()

    def _poll_deadline(self) -> float:
        return self._last_poll + self.config.max_poll_interval_ms / 1000.0

    def _poll_timed_out(self) -> bool:
        return time.monotonic() > self._poll_deadline()

    # ---- metadata ----------------------------------------------------------------------
    def _on_metadata(self, cluster: ClusterMetadata) -> None:
        self._metadata_changed = True
        self._wake.set()

    async def _refresh_pattern(self) -> bool:
        """Match the pattern against every topic in the cluster (a full Metadata request,
        at most once per second); new matches bump the subscription version. False when
        it has to be tried again (too soon after the last one, or the request failed)."""
        if self._sub.pattern is None:
            return True
        if time.monotonic() - self._pattern_checked < 1.0:
            return False
        self._pattern_checked = time.monotonic()
        try:
            fresh = await self._client.fetch_all_metadata()
        except KafkaError as exc:
            log.debug("group %s: pattern metadata failed: %s", self.config.group_id, exc)
            return False
        topics = fresh.topics(exclude_internal_topics=self.config.exclude_internal_topics)
        if self._sub.update_pattern_matches(topics):
            log.info(
                "group %s: pattern now matches %s",
                self.config.group_id,
                sorted(self._sub.subscribed_topics()),
            )
            self._check_subscription()
        return True

    # ---- reconciliation ----------------------------------------------------------------
    async def _revoke(self, partitions: Iterable[TopicPartition], *, always: bool) -> None:
        """Listener first, then commit the revoked partitions' consumed offsets (auto-commit),
        then drop them from the assignment."""
        revoked = frozenset(partitions)
        listener = self._sub.listener
        self._sub.hold(revoked, True)  # nothing more of them reaches the application
        try:
            if listener is not None and (revoked or always):
                await call_listener(listener.on_partitions_revoked, revoked)
            if revoked:
                await self._commit_quietly(revoked)
                self._sub.set_group_assignment(self._sub.assigned_partitions() - revoked)
                self._forget_auto_commits(revoked)
        finally:
            self._sub.hold(revoked, False)  # no-op for partitions already dropped

    async def _lose(self, partitions: Iterable[TopicPartition]) -> None:
        """The membership is gone: the partitions may already belong to others, so no
        commit; the listener still hears about the revocation."""
        lost = frozenset(partitions)
        if not lost:
            return
        listener = self._sub.listener
        if listener is not None:
            await call_listener(listener.on_partitions_revoked, lost)
        self._sub.set_group_assignment(self._sub.assigned_partitions() - lost)
        self._forget_auto_commits(lost)

    async def _assign(
        self, full: Iterable[TopicPartition], added: Iterable[TopicPartition]
    ) -> None:
        """Set the full assignment, seek new partitions to their committed offsets, then
        call the listener with ``added``."""
        self._sub.set_group_assignment(full)
        added = frozenset(added)
        self._sub.hold(added, True)  # no records of them before the listener returned
        try:
            needing = self._sub.partitions_needing_committed()
            if needing:
                self._sub.apply_committed(await self.offsets.fetch(needing))
            listener = self._sub.listener
            if listener is not None:
                await call_listener(listener.on_partitions_assigned, added)
        finally:
            self._sub.hold(added, False)
        self._rebalances += 1
        self._last_rebalance = time.monotonic()

    # ---- auto-commit -------------------------------------------------------------------
    async def _commit_quietly(self, partitions: Iterable[TopicPartition]) -> None:
        """Auto-commit the consumed offsets of ``partitions``; failures are logged."""
        if not self.config.enable_auto_commit:
            return
        wanted = frozenset(partitions)
        offsets = {
            tp: o
            for tp, o in self._sub.consumed_offsets().items()
            if tp in wanted and self._auto_committed.get(tp) != o
        }
        if not offsets:
            return
        try:
            await self.offsets.commit(offsets, self._identity)
        except KafkaError as exc:
            self._last_error = repr(exc)
            log.warning("group %s: auto-commit failed: %s", self.config.group_id, exc)
            return
        self._auto_committed.update(offsets)

    def _forget_auto_commits(self, partitions: Iterable[TopicPartition]) -> None:
        # Another member may commit these partitions before they come back.
        for tp in partitions:
            self._auto_committed.pop(tp, None)

    async def _auto_commit_loop(self) -> None:
        interval = self.config.auto_commit_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            if self._sub.user_assigned or self.state is MemberState.STABLE:
                await self._commit_quietly(self._sub.assigned_partitions())
