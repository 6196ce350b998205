"""Committed offsets: OffsetCommit and OffsetFetch against the group coordinator.

Both are pinned below the versions that identify topics by id (OffsetCommit <= v9,
OffsetFetch <= v9): v10 of each wants topic ids, which a consumer only has for topics in
its metadata; names work for every topic. Retriable answers (coordinator loading, moved,
unavailable, unstable offsets, request timeouts, lost connections) are retried with
``retry_backoff_ms`` until ``request_timeout_ms`` passes (then KafkaTimeoutError); a
coordinator move drops the cached coordinator first. Membership errors in a commit
(illegal generation, unknown member, rebalance in progress, stale member epoch) raise
CommitFailedError: the offsets were not stored. Must not know the membership loop; the
caller passes the member identity to use.

The coordinator is found with the client's lookup (``AIOKafkaClient.coordinator_lookup``:
cached, concurrent lookups batched into one FindCoordinator, retriable errors retried
within the client's request timeout); the node id is kept here too, for ``health()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import (
    CommitFailedError,
    KafkaError,
    KafkaTimeoutError,
    for_code,
)
from aiokafka_gen.messages.offset_commit_request import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
)
from aiokafka_gen.messages.offset_fetch_request import (
    OffsetFetchRequest,
    OffsetFetchRequestGroup,
    OffsetFetchRequestTopic,
    OffsetFetchRequestTopics,
)
from aiokafka_gen.messages.offset_fetch_response import (
    OffsetFetchResponse,
    OffsetFetchResponsePartition,
    OffsetFetchResponsePartitions,
)
from aiokafka_gen.protocol._message import Request
from aiokafka_gen.structs import TopicPartition

__all__ = ["Identity", "OffsetClient"]

log = client_logger("aiokafka_gen.coordinator")

_COMMIT_MAX, _FETCH_MAX = 9, 9
# the member's generation or epoch is not the group's (classic and KIP-848)
_MEMBERSHIP = frozenset(
    {
        ErrorCode.ILLEGAL_GENERATION,
        ErrorCode.UNKNOWN_MEMBER_ID,
        ErrorCode.REBALANCE_IN_PROGRESS,
        ErrorCode.FENCED_MEMBER_EPOCH,
        ErrorCode.STALE_MEMBER_EPOCH,
    }
)
# worth another attempt at once; the coordinator ones after a new lookup
_RETRY = COORDINATOR_MOVED | frozenset(
    {
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.REQUEST_TIMED_OUT,
        ErrorCode.UNSTABLE_OFFSET_COMMIT,
    }
)
# this member can no longer act for the group at all (not authorized, or its static
# instance id taken by another member): the member itself stops, not just this call
_MEMBER_FATAL = frozenset({ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.FENCED_INSTANCE_ID})
Identity = tuple[int, str, str | None]  # (generation or member epoch, member id, instance id)
R = TypeVar("R")
# one topic's committed partitions, as OffsetFetch v0-7 (per topic) and v8+ (per group) say it
_FetchedTopic = tuple[str, list[OffsetFetchResponsePartition] | list[OffsetFetchResponsePartitions]]


class _Retry(Exception):
    """Internal: the request should be sent again after a backoff."""


class OffsetClient:
    """Commits and fetches a group's offsets with retries."""

    def __init__(
        self,
        client: AIOKafkaClient,
        group_id: str,
        *,
        request_timeout_ms: int,
        retry_backoff_ms: int,
    ) -> None:
        self._client = client
        self.group_id = group_id
        self._timeout = request_timeout_ms / 1000.0
        self._backoff = retry_backoff_ms / 1000.0
        self.on_fatal: Callable[[BaseException], None] | None = None
        self.node_id: int | None = None

    async def coordinator(self) -> int:
        """The group coordinator's node id (the client's cached lookup; the membership,
        heartbeat, commit and auto-commit tasks share one answer)."""
        node = self.node_id
        if node is None:
            node = await self._client.coordinator_lookup(CoordinationType.GROUP, self.group_id)
            self.node_id = node
        return node

    def forget_coordinator(self) -> None:
        """Drop the cached coordinator (it moved or its connection failed)."""
        self.node_id = None
        self._client.invalidate_coordinator(CoordinationType.GROUP, self.group_id)

    async def send(
        self,
        request: Request[R],
        api_key: int,
        highest: int | None = None,
        *,
        request_timeout_ms: float | None = None,
    ) -> R:
        """One request to the coordinator, pinned to ``highest`` if given."""
        node = await self.coordinator()
        version = None
        if highest is not None:
            await self._client.ready(node, group=ConnectionGroup.COORDINATION)
            negotiated = self._client.api_version_for(node, api_key)
            version = None if negotiated is None else min(negotiated, highest)
        return await self._client.send(
            node,
            request,
            group=ConnectionGroup.COORDINATION,
            api_version=version,
            request_timeout_ms=request_timeout_ms,
        )

    # ---- commit ------------------------------------------------------------------------
    async def commit(
        self, offsets: Mapping[TopicPartition, CommittedOffset], identity: Callable[[], Identity]
    ) -> None:
        """Commit ``offsets``; ``identity()`` is read for every attempt (a KIP-848 member's
        epoch may move between attempts)."""
        if not offsets:
            return
        await self._retrying(lambda: self._commit_once(offsets, identity), "OffsetCommit")

    async def _commit_once(
        self,
        offsets: Mapping[TopicPartition, CommittedOffset],
        current: Callable[[], Identity],
    ) -> None:
        identity = current()
        generation, member_id, instance_id = identity
        by_topic: dict[str, list[OffsetCommitRequestPartition]] = {}
        for tp, committed in sorted(offsets.items()):
            by_topic.setdefault(tp.topic, []).append(
                OffsetCommitRequestPartition(
                    partition_index=tp.partition,
                    committed_offset=committed.offset,
                    committed_leader_epoch=committed.leader_epoch,
                    committed_metadata=committed.metadata,
                )
            )
        request = OffsetCommitRequest(
            group_id=self.group_id,
            generation_id_or_member_epoch=generation,
            member_id=member_id,
            group_instance_id=instance_id,
            topics=[OffsetCommitRequestTopic(name=t, partitions=p) for t, p in by_topic.items()],
        )
        response = await self.send(request, ApiKey.OFFSET_COMMIT, _COMMIT_MAX)
        codes = [p.error_code for t in response.topics for p in t.partitions if p.error_code]
        if ErrorCode.STALE_MEMBER_EPOCH in codes and current() != identity:
            raise _Retry(
                ErrorCode.STALE_MEMBER_EPOCH
            )  # the epoch moved meanwhile: send the new one
        self._check_codes(codes, commit=True)

    # ---- fetch -------------------------------------------------------------------------
    async def fetch(
        self, partitions: Iterable[TopicPartition], *, timeout: float | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        """Committed offsets of ``partitions`` (None: nothing committed); waits for
        pending transactional offsets (require_stable). Retries for ``timeout`` seconds
        (None: request_timeout_ms), then KafkaTimeoutError."""
        wanted = sorted(set(partitions))
        if not wanted:
            return {}
        result: dict[TopicPartition, CommittedOffset | None] = {}
        await self._retrying(lambda: self._fetch_once(wanted, result), "OffsetFetch", timeout)
        return result

    async def _fetch_once(
        self, wanted: list[TopicPartition], result: dict[TopicPartition, CommittedOffset | None]
    ) -> None:
        node = await self.coordinator()
        await self._client.ready(node, group=ConnectionGroup.COORDINATION)
        version = min(self._client.api_version_for(node, ApiKey.OFFSET_FETCH) or 0, _FETCH_MAX)
        request = _fetch_request(self.group_id, wanted, version)
        response = await self._client.send(
            node, request, group=ConnectionGroup.COORDINATION, api_version=version
        )
        group_code, topics = _fetch_response(response, version)
        codes = [group_code] if group_code else []
        codes += [p.error_code for _, ps in topics for p in ps if p.error_code]
        self._check_codes(codes, commit=False)
        for name, partitions in topics:
            for p in partitions:
                tp = TopicPartition(name, p.partition_index)
                result[tp] = (
                    None
                    if p.committed_offset < 0
                    else CommittedOffset(
                        p.committed_offset, p.metadata or "", p.committed_leader_epoch
                    )
                )
        for tp in wanted:
            result.setdefault(tp, None)

    # ---- errors and retries ------------------------------------------------------------
    def _check_codes(self, codes: list[int], *, commit: bool) -> None:
        if not codes:
            return
        if any(c in COORDINATOR_MOVED for c in codes):
            self.forget_coordinator()
        fatal = [c for c in codes if c not in _RETRY and not for_code(c).retriable]
        if commit and any(c in _MEMBERSHIP for c in fatal):
            code = next(c for c in fatal if c in _MEMBERSHIP)
            raise CommitFailedError(
                "commit failed: the group rebalanced or this member was removed "
                f"({for_code(code).__name__}); the offsets were not committed"
            ) from for_code(code)()
        if fatal:
            error = for_code(fatal[0])()
            if fatal[0] in _MEMBER_FATAL and self.on_fatal is not None:
                self.on_fatal(error)
            raise error
        raise _Retry(codes[0])

    async def _retrying(
        self, attempt: Callable[[], Awaitable[None]], what: str, timeout: float | None = None
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout if timeout is None else timeout):
                while True:
                    try:
                        await attempt()
                        return
                    except _Retry as exc:
                        log.debug("%s for group %s: retrying after %s", what, self.group_id, exc)
                    except KafkaError as exc:
                        if not exc.retriable and not isinstance(exc, KafkaTimeoutError):
                            raise
                        log.debug("%s for group %s: %s; retrying", what, self.group_id, exc)
                        self.forget_coordinator()
                    await asyncio.sleep(self._backoff)
        except TimeoutError:
            raise KafkaTimeoutError(f"{what} for group {self.group_id!r} timed out") from None


def _fetch_request(group_id: str, wanted: list[TopicPartition], version: int) -> OffsetFetchRequest:
    by_topic: dict[str, list[int]] = {}
    for tp in wanted:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    stable = version >= 7
    if version >= 8:
        topics = [
            OffsetFetchRequestTopics(name=t, partition_indexes=p) for t, p in by_topic.items()
        ]
        group = OffsetFetchRequestGroup(group_id=group_id, topics=topics)
        return OffsetFetchRequest(groups=[group], require_stable=stable)
    old = [OffsetFetchRequestTopic(name=t, partition_indexes=p) for t, p in by_topic.items()]
    return OffsetFetchRequest(group_id=group_id, topics=old, require_stable=stable)


def _fetch_response(response: OffsetFetchResponse, version: int) -> tuple[int, list[_FetchedTopic]]:
    if version >= 8:
        group = response.groups[0]
        return group.error_code, [(t.name, t.partitions) for t in group.topics]
    return response.error_code, [(t.name, t.partitions) for t in response.topics]
