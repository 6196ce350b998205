"""The coordinator's assignment bookkeeping without a broker: partitions whose committed
offsets could not be fetched stay held and unannounced, the listener hears of a revocation
at most once and never of a partition it was not told was assigned."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable
from typing import Any

import pytest

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen.coordinator import create_coordinator
from aiokafka_gen.coordinator.base import BaseCoordinator
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    NotCoordinatorForGroupError,
    UnknownError,
)
from aiokafka_gen.structs import TopicPartition

from .support import DEFAULTS, FakeSubscription, Recorder

A, B, C = (TopicPartition("t", p) for p in range(3))


class ScriptedFetch:
    """``offsets.fetch`` answering from a script: an exception is raised, a dict returned."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.asked: list[frozenset[TopicPartition]] = []

    async def __call__(
        self, partitions: Iterable[TopicPartition], *, timeout: float | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        wanted = frozenset(partitions)
        self.asked.append(wanted)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return {tp: step.get(tp) for tp in wanted}


def coordinator(protocol: str, fetch: ScriptedFetch) -> tuple[BaseCoordinator, Recorder]:
    recorder = Recorder()
    sub = FakeSubscription(["t"], listener=recorder)
    recorder.subscription = sub
    config = {**DEFAULTS, "group_protocol": protocol, "retry_backoff_ms": 10}
    if protocol == "classic":
        from aiokafka_gen.coordinator.assignors import RangePartitionAssignor

        config["assignors"] = (RangePartitionAssignor,)
    made = create_coordinator(object(), sub, group_id="g", **config)  # type: ignore[arg-type]
    assert isinstance(made, BaseCoordinator)
    made.offsets.fetch = fetch  # type: ignore[method-assign]
    return made, recorder


PROTOCOLS = ["classic", "consumer"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_failed_fetch_keeps_new_partitions_held_until_a_retry_succeeds(
    protocol: str,
) -> None:
    fetch = ScriptedFetch(
        NotCoordinatorForGroupError(),
        KafkaTimeoutError("slow"),
        {A: CommittedOffset(4), B: None},
    )
    coord, recorder = coordinator(protocol, fetch)
    sub = recorder.subscription
    assert sub is not None
    assert not await coord._assign({A, B}, {A, B})  # one OffsetFetch (its own retries)
    assert len(fetch.asked) == 1 and coord.assignment_pending
    assert sub.held == {A, B} and sub.positions == {} and recorder.events == []
    assert "NotCoordinator" in (coord.health().last_error or "")
    assert await coord._complete_assignment(30.0)  # a timeout, a backoff, then the answer
    assert fetch.asked == [frozenset({A, B})] * 3
    assert sub.applied == {A: CommittedOffset(4), B: None}  # None: the reset policy decides
    assert recorder.events == [("assigned", frozenset({A, B}))]
    assert recorder.seen_positions == [{A: 4, B: 0}]
    assert sub.held == set() and not coord.assignment_pending


async def test_a_partition_revoked_before_it_was_announced_is_not_told() -> None:
    fetch = ScriptedFetch(KafkaTimeoutError("x"), {B: CommittedOffset(1)})
    coord, recorder = coordinator("consumer", fetch)
    sub = recorder.subscription
    assert sub is not None
    assert not await coord._assign({A, B}, {A, B})
    await coord._revoke({A}, always=False)
    assert recorder.events == [] and sub.assigned_partitions() == {B}
    assert coord.assignment_pending
    assert await coord._complete_assignment()
    assert fetch.asked[-1] == {B}
    assert recorder.events == [("assigned", frozenset({B}))]


async def test_losing_everything_drops_an_unannounced_assignment() -> None:
    coord, recorder = coordinator("consumer", ScriptedFetch(KafkaTimeoutError("x")))
    assert not await coord._assign({A}, {A})
    await coord._lose({A})
    assert recorder.events == [] and not coord.assignment_pending
    assert await coord._complete_assignment()  # nothing owed any more
    assert recorder.events == []


async def test_a_non_retriable_fetch_error_is_raised_and_nothing_is_released() -> None:
    coord, recorder = coordinator("consumer", ScriptedFetch(GroupAuthorizationFailedError()))
    with pytest.raises(GroupAuthorizationFailedError):
        await coord._assign({A}, {A})
    assert recorder.subscription is not None and recorder.subscription.held == {A}
    assert recorder.events == [] and coord.assignment_pending


class SlowRevoke(Recorder):
    """Blocks in on_partitions_revoked while ``armed`` (a cancelled call disarms it)."""

    armed = False

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await super().on_partitions_revoked(revoked)
        if self.armed:
            self.armed = False
            await asyncio.sleep(3600)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_cancelled_revocation_is_not_told_again(protocol: str) -> None:
    offsets = {A: None, B: None, C: None}
    coord, _ = coordinator(protocol, ScriptedFetch(offsets, offsets))
    listener = SlowRevoke()
    sub = FakeSubscription(["t"], listener=listener)
    coord._sub = sub
    assert await coord._assign({A, B}, {A, B})
    listener.armed = True
    first = asyncio.ensure_future(coord._revoke({A, B}, always=False))
    await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert sub.assigned_partitions() == {A, B}  # the revocation did not finish
    await coord._revoke({A, B}, always=False)  # close() finishing it: no second call
    assert listener.revoked() == [frozenset({A, B})]
    assert sub.assigned_partitions() == frozenset()
    # given again, revoked again: a new revocation is told
    assert await coord._assign({A, C}, {A, C})
    listener.armed = True
    lost = asyncio.ensure_future(coord._lose({A}))
    await asyncio.sleep(0.01)
    lost.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lost
    await coord._lose({A, C})
    assert listener.revoked() == [frozenset({A, B}), frozenset({A}), frozenset({C})]


class ScriptedHeartbeats:
    """``offsets.send`` answering every ConsumerGroupHeartbeat with the next error code
    (0: a plain success at epoch 1)."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.sent = 0

    async def __call__(self, request: Any, api_key: int, **_: Any) -> Any:
        from aiokafka_gen.messages.consumer_group_heartbeat_response import (
            ConsumerGroupHeartbeatResponse,
        )

        self.sent += 1
        code = self.codes.pop(0)
        return ConsumerGroupHeartbeatResponse(
            error_code=code, member_id=request.member_id, member_epoch=0 if code else 1,
            heartbeat_interval_ms=300,
        )  # fmt: skip


def heartbeating(script: ScriptedHeartbeats, session_ms: int) -> BaseCoordinator:
    coord, _ = coordinator("consumer", ScriptedFetch())
    coord.config = dataclasses.replace(coord.config, session_timeout_ms=session_ms)
    coord.offsets.send = script  # type: ignore[method-assign,assignment]
    return coord


async def test_unknown_server_errors_are_retried_for_the_session_timeout_then_fatal() -> None:
    # Kafka 4.4.0 answers UNKNOWN_SERVER_ERROR to a consumer-protocol member joining while
    # the group's classic members are in their first rebalance; the next try succeeds
    unknown = ErrorCode.UNKNOWN_SERVER_ERROR
    script = ScriptedHeartbeats(unknown, unknown, 0, *[unknown] * 200)
    coord = heartbeating(script, session_ms=300)
    for _ in range(2):
        await coord._heartbeat()
        assert coord._fatal is None
    await coord._heartbeat()  # the success ends the run of errors
    assert coord._fatal is None and coord.generation == 1
    started = time.monotonic()
    while coord._fatal is None:
        await coord._heartbeat()
    waited = time.monotonic() - started
    assert isinstance(coord._fatal, UnknownError)
    assert 0.3 <= waited < 5.0, waited  # the errors lasted the session timeout, then fatal
    assert script.sent > 4  # retried in between (backoff 10 ms)


async def test_other_unexpected_heartbeat_errors_stay_fatal_at_once() -> None:
    coord = heartbeating(ScriptedHeartbeats(ErrorCode.GROUP_AUTHORIZATION_FAILED), 60000)
    await coord._heartbeat()
    assert isinstance(coord._fatal, GroupAuthorizationFailedError)
