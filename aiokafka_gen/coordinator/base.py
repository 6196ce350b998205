"""What both group protocols share: configuration, tasks, the rebalance listener calls,
offsets, auto-commit, the poll timer, metadata watching and health.

Tasks (all owned here): the membership task (``_run``, written by each protocol: joins,
heartbeats or KIP-848 heartbeats, reconciliation) and the auto-commit task. ``close()``
cancels both at once and awaits them before its own revoke/commit/leave, and again (shielded)
when it is itself cancelled. Only the membership task changes the assignment; other tasks
and the consumer's calls set flags and ``_wake`` it. Listener calls follow the timing rules
in ``contract.py``; the listener hears of a revocation at most once, even when the revoking
task is cancelled half way and the revocation is finished by ``close()``, and never of a
partition it was not told was assigned.

Newly assigned partitions are held until their committed offsets are known: a retriable
OffsetFetch failure leaves them held and unannounced (``assignment_pending``), the member
reconciling, and the protocol loop retries (``_complete_assignment``) until the offsets
come back or the partitions are revoked or lost. Only the broker's answer "nothing
committed" sends a partition to auto_offset_reset. Must not import ``aiokafka_gen.consumer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Final

from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.coordinator.contract import (
    CommittedOffset,
    GroupHealth,
    SubscriptionStateProtocol,
)
from aiokafka_gen.errors import (
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    UnsupportedVersionError,
)
from aiokafka_gen.structs import ConsumerGroupMetadata, TopicPartition

from ._features import Feature, require
from ._metrics import GroupMetrics
from .membership import MemberEvent, Membership, MemberState
from .offsets import Identity, OffsetClient

__all__ = ["GROUP_PROTOCOLS", "BaseCoordinator", "CoordinatorConfig"]

log = client_logger("aiokafka_gen.coordinator")
GROUP_PROTOCOLS: Final = ("classic", "consumer")


@dataclasses.dataclass(frozen=True, slots=True)
class CoordinatorConfig:
    """The consumer settings group coordination uses (``create``; the consumer derives it
    from its ``ConsumerConfig``, ``create_coordinator`` from its keyword arguments)."""

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

    @classmethod
    def create(
        cls,
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
        enable_auto_commit: bool,
        auto_commit_interval_ms: int,
        exclude_internal_topics: bool,
        group_remote_assignor: str | None,
    ) -> CoordinatorConfig:
        """The settings of one group member (``group_protocol`` already checked by the
        caller). ValueError for an empty ``group_id``. ``rebalance_timeout_ms`` None means
        session_timeout_ms for the classic protocol (as aiokafka does) and
        max_poll_interval_ms for the consumer protocol (as Java does)."""
        if not group_id:
            raise ValueError("group coordination needs a group_id")
        if rebalance_timeout_ms is None:
            classic = group_protocol == "classic"
            rebalance_timeout_ms = session_timeout_ms if classic else max_poll_interval_ms
        return cls(
            group_id=group_id,
            group_instance_id=group_instance_id,
            group_protocol=group_protocol,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            rebalance_timeout_ms=rebalance_timeout_ms,
            max_poll_interval_ms=max_poll_interval_ms,
            retry_backoff_ms=retry_backoff_ms,
            request_timeout_ms=request_timeout_ms,
            enable_auto_commit=enable_auto_commit,
            auto_commit_interval_ms=auto_commit_interval_ms,
            exclude_internal_topics=exclude_internal_topics,
            group_remote_assignor=group_remote_assignor,
        )

    @property
    def backoff(self) -> float:
        """retry_backoff_ms in seconds."""
        return self.retry_backoff_ms / 1000.0


async def call_listener(
    method: Callable[[set[TopicPartition]], object], partitions: Iterable[TopicPartition]
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
        self.group_metrics: GroupMetrics | None = None  # set by a consumer with metrics on
        self._last_error: str | None = None
        self._auto_committed: dict[TopicPartition, CommittedOffset] = {}
        # Assigned, held, the listener not told yet (committed offsets still being fetched).
        self._unannounced: frozenset[TopicPartition] = frozenset()
        self._announce = False  # an on_partitions_assigned call is owed
        self._features_ok: set[str] = set()  # group features the coordinator was found to have
        # The listener was told these are revoked; the revocation did not finish yet.
        self._told_revoked: frozenset[TopicPartition] = frozenset()
        self._tracked_version: int | None = None
        self._pattern_checked = 0.0

    # ---- state -------------------------------------------------------------------------
    @property
    def state(self) -> MemberState:
        """The membership state."""
        return self.membership.state

    def _fire(self, event: MemberEvent) -> None:
        target = self.membership.fire(event)
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
        if self.membership.allows(MemberEvent.FATAL):
            self._fire(MemberEvent.FATAL)
        self._wake.set()

    async def _require(self, feature: Feature) -> bool:
        """False, with the member failed by a typed ``UnsupportedVersionError`` naming the
        feature and the Kafka it needs, when the coordinator's broker lacks ``feature``.
        Checked once; a lookup or connection failure is left to the request that follows."""
        if feature.name in self._features_ok:
            return True
        try:
            await require(self._client, await self.offsets.coordinator(), feature)
        except UnsupportedVersionError as exc:
            self._set_fatal(exc)
            return False
        except KafkaError:
            return True
        self._features_ok.add(feature.name)
        return True

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
        """Stop every task, then commit (auto-commit), revoke, leave (dynamic members).
        Idempotent. Cancelling it skips what is left of the revoke/commit/leave, but every
        task is still cancelled and awaited (shielded) and the member ends stopped."""
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:  # membership and auto-commit together: no commit races the close
            task.cancel()
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._shutdown()
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(ValueError):
                self._client.cluster.remove_listener(self._on_metadata)
            try:
                if not all(task.done() for task in tasks):
                    await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
            finally:
                self._fire(MemberEvent.STOP)

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
        if self.membership.allows(MemberEvent.LOST):
            self._fire(MemberEvent.LOST)

    # ---- what subclasses implement -----------------------------------------------------
    async def _run(self) -> None:
        raise NotImplementedError

    async def _leave(self, reason: str) -> None:
        raise NotImplementedError

    def _revoked_all(self, rejoin_reason: str) -> None:
        """Hook: everything was revoked before a leave; the member joins again (for
        ``rejoin_reason``) once it is wanted again."""

    async def _revoke_and_leave(self, reason: str, rejoin_reason: str) -> None:
        """Revoke every partition the group gave (listener, then commit), then leave
        quietly. After ``unsubscribe()`` they are gone already, and what ``assign()`` gave
        since is the application's, never revoked here."""
        await self._revoke(self._group_partitions(), always=False)
        if self._sub.user_assigned:
            self._unannounced, self._announce = frozenset(), False
            self._told_revoked = frozenset()
        self._revoked_all(rejoin_reason)
        await self._leave_quietly(reason)

    def _group_partitions(self) -> frozenset[TopicPartition]:
        """The partitions the group assigned (none once the application assigned its own)."""
        return frozenset() if self._sub.user_assigned else self._sub.assigned_partitions()

    async def _leave_for_poll_timeout(self) -> None:
        """The application stopped polling: give the partitions up and leave; the next
        poll (``notify_poll``) makes the member join again."""
        log.warning(
            "group %s: no poll for max_poll_interval_ms=%d; leaving the group",
            self.config.group_id, self.config.max_poll_interval_ms,
        )  # fmt: skip
        self._poll_expired = True
        self._last_error = "max_poll_interval_ms exceeded"
        await self._revoke_and_leave(
            "consumer poll timeout has expired", "the application polled again"
        )

    async def _leave_quietly(self, reason: str) -> None:
        """Leave; a failure is logged, not raised. The member ends up unjoined either way."""
        try:
            await self._leave(reason)
        except KafkaError as exc:
            log.info("group %s: leaving failed: %s", self.config.group_id, exc)
        finally:
            if self.membership.allows(MemberEvent.LOST) and self.state is not MemberState.UNJOINED:
                self._fire(MemberEvent.LOST)

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

    def subscription_changed(self) -> None:
        """The application changed the subscription or assignment: act on it now (join,
        rejoin or leave) rather than at the membership task's next look."""
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
        then drop them from the assignment. The listener hears only of partitions it was
        told were assigned and not yet told were revoked (``always``: it is called even
        when that leaves nothing, as eager rebalances want)."""
        revoked = frozenset(partitions)
        tell = revoked - self._told_revoked - self._unannounced
        listener = self._sub.listener
        self._sub.hold(revoked, True)  # nothing more of them reaches the application
        try:
            if listener is not None and (tell or (always and not revoked)):
                self._told_revoked |= tell  # before the call: a cancelled call counts too
                await call_listener(listener.on_partitions_revoked, tell)
            if revoked:
                await self._commit_quietly(revoked)
                self._drop(revoked)
        finally:
            self._sub.hold(revoked, False)  # no-op for partitions already dropped

    async def _lose(self, partitions: Iterable[TopicPartition]) -> None:
        """The membership is gone: the partitions may already belong to others, so no
        commit; the listener still hears about the revocation."""
        lost = frozenset(partitions)
        if not lost:
            return
        tell = lost - self._told_revoked - self._unannounced
        listener = self._sub.listener
        if listener is not None and tell:
            self._told_revoked |= tell
            await call_listener(listener.on_partitions_revoked, tell)
        self._drop(lost)

    def _drop(self, partitions: frozenset[TopicPartition]) -> None:
        """Take revoked or lost partitions out of the assignment and every record of them."""
        self._sub.set_group_assignment(self._sub.assigned_partitions() - partitions)
        self._forget_auto_commits(partitions)
        self._told_revoked -= partitions
        if self._unannounced:
            self._unannounced -= partitions
            if not self._unannounced:
                self._announce = False  # what was to be announced is gone

    @property
    def assignment_pending(self) -> bool:
        """True while newly assigned partitions wait for their committed offsets (held,
        the listener not told yet)."""
        return self._announce

    async def _assign(
        self,
        full: Iterable[TopicPartition],
        added: Iterable[TopicPartition],
        *,
        within: float | None = None,
    ) -> bool:
        """Set the full assignment, hold the ``added`` partitions and complete the
        assignment (``_complete_assignment``); False while it is still pending."""
        full = frozenset(full)
        added = frozenset(added)
        self._sub.set_group_assignment(full)
        self._told_revoked -= added  # given again: a new assignment, a new revocation
        self._unannounced = (self._unannounced & full) | added
        self._announce = True
        self._sub.hold(self._unannounced, True)  # no records before the listener returned
        self._rebalances += 1
        self._last_rebalance = time.monotonic()
        if self.group_metrics is not None:
            self.group_metrics.completed()
        return await self._complete_assignment(within)

    async def _complete_assignment(self, within: float | None = None) -> bool:
        """Seek partitions without a position to their committed offsets, then call the
        listener with the partitions assigned since it was last called and release them.

        A retriable OffsetFetch failure (coordinator moved or loading, timeout, unstable
        offsets...) is retried after retry_backoff_ms for ``within`` seconds (None: one
        OffsetFetch with its own retries for request_timeout_ms); when the time is up the
        partitions stay held and unannounced and False is returned: call again. Nothing
        goes to auto_offset_reset unless the broker answered that nothing is committed."""
        deadline = None if within is None else time.monotonic() + within
        while self._announce:
            needing = self._sub.partitions_needing_committed()
            if not needing:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            try:
                committed = await self.offsets.fetch(needing, timeout=left)
            except KafkaError as exc:
                if not exc.retriable and not isinstance(exc, KafkaTimeoutError):
                    raise
                self._last_error = repr(exc)
                log.info(
                    "group %s: committed offsets of %d assigned partitions not fetched (%s);"
                    " retrying", self.config.group_id, len(needing), exc,
                )  # fmt: skip
                if deadline is None or deadline - time.monotonic() < self.config.backoff:
                    return False
                await asyncio.sleep(self.config.backoff)
                continue
            self._sub.apply_committed(committed)
            break
        if not self._announce:
            return True
        added, self._unannounced, self._announce = self._unannounced, frozenset(), False
        try:
            listener = self._sub.listener
            if listener is not None:
                await call_listener(listener.on_partitions_assigned, added)
        finally:
            self._sub.hold(added, False)
        return True

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
