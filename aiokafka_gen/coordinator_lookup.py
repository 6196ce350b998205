"""Which broker coordinates a group or a transactional id: FindCoordinator for the client.

Lookups asked for in the same loop iteration are batched into one FindCoordinator request
(v4+ asks for many keys at once; older versions one request per key, see
``protocol.find_coordinator``), run by one short-lived task; answers are cached until
``error()`` sees a ``COORDINATOR_MOVED`` code or ``invalidate()`` drops one. Retriable
errors are retried with the retry backoff within the request timeout.
``AIOKafkaClient`` owns one and keeps aiokafka's method names (``coordinator_lookup``,
``coordinator_error``); this module knows the client only through the four callables it
is given (pick a ready broker, the negotiated version, send, remember a coordinator's
address).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey
from aiokafka_gen.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from aiokafka_gen.messages.find_coordinator_request import FindCoordinatorRequest
from aiokafka_gen.messages.find_coordinator_response import FindCoordinatorResponse
from aiokafka_gen.protocol import find_coordinator
from aiokafka_gen.protocol._message import Request

__all__ = ["CoordinatorLookup"]

R = TypeVar("R")


class _Send(Protocol):
    def __call__(self, node_id: int, request: Request[R], /) -> Awaitable[R]: ...


class CoordinatorLookup:
    """Cached coordinator node ids by (coordinator type, key), found in batches."""

    def __init__(
        self,
        *,
        ready_node: Callable[[], Awaitable[int]],
        version_for: Callable[[int, int], int | None],
        send: _Send,
        found: Callable[[int, str, int], None],
        request_timeout: float,
        retry_backoff: float,
    ) -> None:
        self._ready_node, self._version_for, self._send, self._found = (
            ready_node, version_for, send, found
        )  # fmt: skip
        self._timeout = request_timeout  # seconds
        self._backoff = retry_backoff  # seconds
        self._known: dict[tuple[int, str], int] = {}
        self._pending: dict[tuple[int, str], asyncio.Future[int]] = {}
        self._task: asyncio.Task[None] | None = None

    async def lookup(self, coordinator_type: int, key: str) -> int:
        """The coordinator's node id (cached); KafkaTimeoutError after the request timeout."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._retrying(coordinator_type, key)
        except TimeoutError:
            raise KafkaTimeoutError(f"no coordinator found for {key!r}") from None

    def error(self, coordinator_type: int, key: str, code: int) -> bool:
        """Forget a cached coordinator after NOT_COORDINATOR-like errors; True if dropped."""
        if code in COORDINATOR_MOVED:
            return self.invalidate(coordinator_type, key)
        return False

    def invalidate(self, coordinator_type: int, key: str) -> bool:
        return self._known.pop((int(coordinator_type), key), None) is not None

    def close(self) -> asyncio.Task[None] | None:
        """Stop: the running batch task (for the owner to cancel and await), if any."""
        task, self._task = self._task, None
        return task

    def fail_pending(self) -> None:
        """Fail lookups still waiting (the owner closed)."""
        pending, self._pending = self._pending, {}
        _fail_all(list(pending.values()), KafkaConnectionError("client closed"))

    async def _retrying(self, coordinator_type: int, key: str) -> int:
        while True:
            try:
                return await self._once(coordinator_type, key)
            except KafkaError as exc:
                if not exc.retriable:
                    raise
            await asyncio.sleep(self._backoff)

    async def _once(self, coordinator_type: int, key: str) -> int:
        wanted = (int(coordinator_type), key)
        if wanted in self._known:
            return self._known[wanted]
        future = self._pending.get(wanted)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[wanted] = future
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._batches())
        return await asyncio.shield(future)

    async def _batches(self) -> None:
        # Lookups queued while a batch is in flight are taken by the next round, so none
        # waits for a task that already took its batch.
        while True:
            await asyncio.sleep(0)  # let lookups made in the same iteration join the batch
            batch, self._pending = self._pending, {}
            if not batch:
                return
            by_type: dict[int, list[str]] = {}
            for kind, name in batch:
                by_type.setdefault(kind, []).append(name)
            for kind, names in by_type.items():
                try:
                    results = await self._find(kind, names)
                except BaseException as exc:
                    _fail_all([batch[(kind, n)] for n in names], exc)
                    if isinstance(exc, asyncio.CancelledError):  # closing: nobody is left
                        _fail_all(list(batch.values()), exc)  # to answer the other kinds
                        _fail_all(list(self._pending.values()), exc)
                        self._pending = {}
                        raise
                    continue
                for name in names:
                    _settle(batch[(kind, name)], results.get(name))

    async def _find(self, kind: int, names: list[str]) -> dict[str, int | BaseException]:
        node_id = await self._ready_node()
        version = self._version_for(node_id, ApiKey.FIND_COORDINATOR) or 0

        def found(name: str, node: int, host: str, port: int) -> None:
            self._found(node, host, port)
            self._known[(kind, name)] = node

        def send(request: FindCoordinatorRequest) -> Awaitable[FindCoordinatorResponse]:
            return self._send(node_id, request)

        return dict(await find_coordinator.lookup(send, kind, names, version, found))


def _settle(future: asyncio.Future[int], result: int | BaseException | None) -> None:
    if future.done():
        return
    if result is None:
        result = KafkaError("FindCoordinator answer lacks this key")
    if isinstance(result, BaseException):
        future.set_exception(result)
        future.exception()  # a caller that went away must not log "never retrieved"
    else:
        future.set_result(result)


def _fail_all(futures: list[asyncio.Future[int]], exc: BaseException) -> None:
    for future in futures:
        if future.done():
            continue
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
            future.exception()
