"""The admin client's plumbing: routing, retries and error translation.

Routing: "any broker" (KRaft brokers forward controller APIs), a given broker, partition
leaders (from a fresh Metadata request per attempt) or group/transaction coordinators
(the client's batched FindCoordinator). Retries happen at two levels, both bounded by
``request_timeout_ms`` per call: a lost connection or a node that is not ready is retried
by ``_send``; a retriable per-resource error code (NOT_CONTROLLER, NOT_LEADER,
COORDINATOR_LOAD_IN_PROGRESS, ...) is retried for that resource alone by ``_retrying``.
This module must not know any particular admin API; the mixins build requests and results.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from aiokafka_gen._codes import ApiKey, ErrorCode
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base_errors import result_error, should_retry
from aiokafka_gen.admin._coordinators import CoordinatorCache
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    NodeNotReadyError,
    for_code,
)
from aiokafka_gen.messages.find_coordinator_request import FindCoordinatorRequest
from aiokafka_gen.messages.find_coordinator_response import FindCoordinatorResponse
from aiokafka_gen.messages.metadata_request import MetadataRequest, MetadataRequestTopic
from aiokafka_gen.messages.metadata_response import MetadataResponse, MetadataResponseTopic
from aiokafka_gen.protocol import find_coordinator
from aiokafka_gen.protocol._message import Request
from aiokafka_gen.structs import TopicPartition

__all__ = ["AdminBase", "result_error", "should_retry"]

K = TypeVar("K")
R = TypeVar("R")
A = TypeVar("A")  # a response type
_TRANSPORT_ERRORS = (KafkaConnectionError, NodeNotReadyError)
_NODE_ATTEMPTS = 2


class AdminBase:
    """Routing and retry helpers shared by the admin mixins."""

    _client: AIOKafkaClient
    _coordinators: CoordinatorCache
    _request_timeout_ms: float
    _started: bool
    _closed: bool

    # ---- timing ------------------------------------------------------------------------
    def _timeout_ms(self, timeout_ms: int | None) -> int:
        return checks.timeout_ms(timeout_ms, self._request_timeout_ms)

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._request_timeout_ms / 1000.0

    async def _pause(self, deadline: float) -> bool:
        """Sleep the retry backoff if the deadline allows; False when it does not."""
        backoff = self._client.retry_backoff
        if asyncio.get_running_loop().time() + backoff >= deadline:
            return False
        await asyncio.sleep(backoff)
        return True

    def _check_started(self) -> None:
        if self._closed:
            raise IllegalStateError("the admin client is closed")
        if not self._started:
            raise IllegalStateError("call start() (or use async with) first")

    # ---- sending -----------------------------------------------------------------------
    async def _any_node(self) -> int:
        brokers = [b.nodeId for b in self._client.cluster.brokers()]
        random.shuffle(brokers)
        for node_id in brokers:
            if await self._client.ready(node_id):
                return node_id
        self._client.force_metadata_update()
        raise NodeNotReadyError("no broker is reachable")

    async def _version(self, node_id: int, api_key: int, cap: int) -> int:
        if not await self._client.ready(node_id):
            raise NodeNotReadyError(f"node {node_id} is not ready")
        version = self._client.api_version_for(node_id, api_key)
        if version is None:
            raise NodeNotReadyError(f"node {node_id} has no open connection")
        return min(version, cap)

    async def _send(
        self, request: Request[A], node_id: int | None = None, *, cap: int | None = None
    ) -> A:
        """Send to ``node_id`` (None: any broker), at most version ``cap``; lost connections
        and nodes that are not ready are retried with backoff until the request timeout."""
        self._check_started()
        deadline = self._deadline()
        attempts = 0
        while True:
            attempts += 1
            try:
                target = await self._any_node() if node_id is None else node_id
                version = None
                if cap is not None:
                    assert request.API_KEY is not None
                    version = await self._version(target, request.API_KEY, cap)
                return await self._client.send(target, request, api_version=version)
            except _TRANSPORT_ERRORS:
                # A named node (leader, coordinator) may be gone for good: after a second
                # try the caller routes again from fresh metadata; "any broker" picks anew.
                if node_id is not None and attempts >= _NODE_ATTEMPTS:
                    raise
                if not await self._pause(deadline):
                    raise

    # ---- per-resource retries ----------------------------------------------------------
    async def _retrying(
        self, keys: Iterable[K], attempt: Callable[[list[K]], Awaitable[Mapping[K, R]]]
    ) -> dict[K, R]:
        """Run ``attempt`` over ``keys``, then again over the keys whose result has a
        retriable error, until none is left or the request timeout is near."""
        order = list(dict.fromkeys(keys))
        results: dict[K, R] = {}
        pending, deadline = order, self._deadline()
        while pending:
            got = await attempt(pending)
            results.update(got)
            pending = [k for k in pending if should_retry(getattr(got[k], "error", None))]
            if pending and not await self._pause(deadline):
                break
        return {k: results[k] for k in order}

    async def _fan_out(
        self,
        groups: Mapping[int, list[K]],
        send: Callable[[int, list[K]], Awaitable[Mapping[K, R]]],
        failed: Callable[[K, KafkaError], R],
    ) -> dict[K, R]:
        """Call ``send(node, keys)`` for every node at once; a node whose request fails
        entirely turns into a failed result for each of its keys."""
        nodes = list(groups)
        answers = await asyncio.gather(*(send(n, groups[n]) for n in nodes), return_exceptions=True)
        results: dict[K, R] = {}
        for node, answer in zip(nodes, answers, strict=True):
            if isinstance(answer, KafkaError):
                results.update((k, failed(k, answer)) for k in groups[node])
            elif isinstance(answer, BaseException):
                raise answer
            else:
                results.update(answer)
        return results

    # ---- routing -----------------------------------------------------------------------
    async def _metadata(
        self, topics: list[str] | None, *, authorized: bool = False
    ) -> MetadataResponse:
        wanted = None if topics is None else [MetadataRequestTopic(name=t) for t in topics]
        request = MetadataRequest(
            topics=wanted,
            allow_auto_topic_creation=False,
            include_topic_authorized_operations=authorized,
        )
        return await self._send(request)

    async def _by_leader(
        self, partitions: Iterable[TopicPartition]
    ) -> tuple[dict[int, list[TopicPartition]], dict[TopicPartition, KafkaError]]:
        """Group partitions by their leader from a fresh Metadata; the others get an error."""
        wanted = list(dict.fromkeys(partitions))
        response = await self._metadata(sorted({tp.topic for tp in wanted}))
        topics = {t.name: t for t in response.topics}
        groups: dict[int, list[TopicPartition]] = {}
        errors: dict[TopicPartition, KafkaError] = {}
        for tp in wanted:
            node, error = _leader_of(topics.get(tp.topic), tp)
            if error is not None:
                errors[tp] = error
            else:
                groups.setdefault(node, []).append(tp)
        return groups, errors

    async def _by_coordinator(
        self, kind: int, keys: Iterable[str]
    ) -> tuple[dict[int, list[str]], dict[str, KafkaError]]:
        """Group keys by coordinator (cached, else one FindCoordinator); errors per key."""
        groups: dict[int, list[str]] = {}
        errors: dict[str, KafkaError] = {}
        missing = []
        for key in dict.fromkeys(keys):
            node = self._coordinators.get(kind, key)
            if node is None:
                missing.append(key)
            else:
                groups.setdefault(node, []).append(key)
        if missing:
            for key, found in (await self._find_coordinators(kind, missing)).items():
                if isinstance(found, KafkaError):
                    errors[key] = found
                else:
                    groups.setdefault(found, []).append(key)
        return groups, errors

    async def _find_coordinators(self, kind: int, keys: list[str]) -> dict[str, int | KafkaError]:
        node = await self._any_node()
        version = await self._version(node, ApiKey.FIND_COORDINATOR, 6)

        def found(key: str, node_id: int, host: str, port: int) -> None:
            self._client.cluster.add_coordinator(node_id, host, port)
            self._coordinators.put(kind, key, node_id)

        def send(request: FindCoordinatorRequest) -> Awaitable[FindCoordinatorResponse]:
            return self._send(request, node)

        return await find_coordinator.lookup(send, kind, keys, version, found)

    def _coordinator_moved(self, kind: int, key: str, code: int) -> None:
        self._coordinators.moved(kind, key, code)

    def _leader_attempt(
        self,
        send: Callable[[int, list[TopicPartition]], Awaitable[Mapping[TopicPartition, R]]],
        failed: Callable[[TopicPartition, KafkaError], R],
    ) -> Callable[[list[TopicPartition]], Awaitable[dict[TopicPartition, R]]]:
        """An attempt for ``_retrying`` that routes partitions to their current leaders."""

        async def attempt(tps: list[TopicPartition]) -> dict[TopicPartition, R]:
            groups, errors = await self._by_leader(tps)
            results = {tp: failed(tp, error) for tp, error in errors.items()}
            results.update(await self._fan_out(groups, send, failed))
            return results

        return attempt

    def _coordinator_attempt(
        self,
        kind: int,
        send: Callable[[int, list[str]], Awaitable[Mapping[str, R]]],
        failed: Callable[[str, KafkaError], R],
        node_id: int | None = None,
    ) -> Callable[[list[str]], Awaitable[dict[str, R]]]:
        """An attempt for ``_retrying`` that routes keys to their coordinators (or all to
        ``node_id`` when the caller names the coordinator)."""

        async def attempt(keys: list[str]) -> dict[str, R]:
            errors: dict[str, KafkaError] = {}
            if node_id is not None:
                groups = {node_id: keys}
            else:
                groups, errors = await self._by_coordinator(kind, keys)
            results = {k: failed(k, error) for k, error in errors.items()}
            results.update(await self._fan_out(groups, send, moved))
            return results

        def moved(key: str, error: KafkaError) -> R:
            if isinstance(error, _TRANSPORT_ERRORS):  # look the coordinator up again
                self._coordinators.forget(kind, key)
            return failed(key, error)

        return attempt


def _leader_of(
    topic: MetadataResponseTopic | None, tp: TopicPartition
) -> tuple[int, KafkaError | None]:
    what = f"{tp.topic}-{tp.partition}"
    if topic is None:
        return -1, for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(what)
    if topic.error_code:
        return -1, for_code(topic.error_code)(what)
    for partition in topic.partitions:
        if partition.partition_index == tp.partition:
            if partition.leader_id < 0:
                return -1, for_code(ErrorCode.LEADER_NOT_AVAILABLE)(what)
            return int(partition.leader_id), None
    return -1, for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(what)


def timeout_error(what: str) -> KafkaTimeoutError:
    """A call that ran out of time before any broker answered."""
    return KafkaTimeoutError(f"{what}: no answer within the request timeout")
