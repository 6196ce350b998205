"""TelemetryReporter against a scripted fake client: the KIP-714 state machine, every error
path a real broker cannot be made to produce on demand, payload contents, size limit,
compression, temporality, close and client_instance_id."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka_gen.messages.get_telemetry_subscriptions_request import (
    GetTelemetrySubscriptionsRequest,
)
from aiokafka_gen.messages.get_telemetry_subscriptions_response import (
    GetTelemetrySubscriptionsResponse,
)
from aiokafka_gen.messages.push_telemetry_request import PushTelemetryRequest
from aiokafka_gen.messages.push_telemetry_response import PushTelemetryResponse

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaConnectionError
from aiokafka_gen.metrics import Metrics, telemetry
from aiokafka_gen.metrics import catalogue as C
from aiokafka_gen.metrics.telemetry import TelemetryReporter, TelemetryState
from aiokafka_gen.records.codecs import decompress

from .test_telemetry_support import by_name, decode, wait_until

INSTANCE = uuid.UUID("12345678-1234-5678-1234-567812345678")
ALL = ["*"]


class FakeClient:
    """What the reporter uses of AIOKafkaClient; ``answer(request)`` scripts each reply (a
    response, or an exception to raise)."""

    client_id = "fake-client"

    def __init__(self, answer: Callable[[Any], Any], nodes: tuple[int, ...] = (1,)) -> None:
        self.answer = answer
        self.requests: list[Any] = []
        self.cluster = SimpleNamespace(brokers=lambda: [SimpleNamespace(nodeId=n) for n in nodes])
        self.ready_calls: list[int] = []

    async def ready(self, node_id: int) -> bool:
        self.ready_calls.append(node_id)
        return True

    def api_version_for(self, node_id: int, api_key: int) -> int | None:
        return 0

    async def send(self, node_id: int, request: Any, **kw: Any) -> Any:
        self.requests.append(request)
        await asyncio.sleep(0)
        reply = self.answer(request)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def gets(self) -> list[GetTelemetrySubscriptionsRequest]:
        return [r for r in self.requests if isinstance(r, GetTelemetrySubscriptionsRequest)]

    def pushes(self) -> list[PushTelemetryRequest]:
        return [r for r in self.requests if isinstance(r, PushTelemetryRequest)]


def subscription(
    metrics: list[str] = ALL,
    *,
    interval_ms: int = 20,
    sub_id: int = 7,
    delta: bool = True,
    compression: list[int] | None = None,
    max_bytes: int = 1 << 20,
    error: int = 0,
) -> GetTelemetrySubscriptionsResponse:
    return GetTelemetrySubscriptionsResponse(
        error_code=error, client_instance_id=INSTANCE if not error else uuid.UUID(int=0),
        subscription_id=sub_id, accepted_compression_types=compression or [],
        push_interval_ms=interval_ms, telemetry_max_bytes=max_bytes, delta_temporality=delta,
        requested_metrics=metrics,
    )  # fmt: skip


def answering(
    sub: Callable[[], GetTelemetrySubscriptionsResponse] | GetTelemetrySubscriptionsResponse,
    push: Callable[[PushTelemetryRequest], Any] | None = None,
) -> Callable[[Any], Any]:
    def answer(request: Any) -> Any:
        if isinstance(request, GetTelemetrySubscriptionsRequest):
            return sub() if callable(sub) else sub
        return push(request) if push is not None else PushTelemetryResponse()

    return answer


def registry() -> Metrics:
    metrics = Metrics("fake-client", "producer", clock=asyncio.get_running_loop().time)
    return metrics


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry, "RETRY_BASE", 0.01)


async def run(reporter: TelemetryReporter, until: Callable[[], object], what: str) -> None:
    reporter.start()
    try:
        await wait_until(until, timeout=20, what=what)
    finally:
        await reporter.close(1.0)


# ---- subscription and pushes ---------------------------------------------------------------


async def test_first_get_sends_zero_uuid_then_the_assigned_one() -> None:
    client = FakeClient(answering(subscription([])))  # nothing requested: re-asks each interval
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: len(client.gets()) >= 3, "three GetTelemetrySubscriptions")
    ids = [g.client_instance_id for g in client.gets()]
    assert ids[0] == uuid.UUID(int=0) and set(ids[1:]) == {INSTANCE}
    assert client.pushes() == []  # no metrics requested: nothing pushed, not even on close
    assert await reporter.client_instance_id(0) == INSTANCE


async def test_pushes_the_subscribed_metrics_every_interval() -> None:
    client = FakeClient(answering(subscription(["org.apache.kafka.producer."])))
    metrics = registry()
    now = asyncio.get_running_loop().time()
    metrics.sensor(C.PRODUCER_REQUEST_LATENCY).record(8.0, now)
    metrics.sensor(C.PRODUCER_REQUEST_LATENCY).record(4.0, now)
    metrics.sensor(C.PRODUCER_TOPIC_RECORDS, topic="t1").record(5, now)
    metrics.sensor(C.NODE_LATENCY, node_id=1).record(3.0, now)
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1024.0)
    reporter = TelemetryReporter(
        client, metrics, client_kind="producer",  # type: ignore[arg-type]
        resource_attributes={"transactional_id": "tx-1"},
    )  # fmt: skip
    await run(reporter, lambda: len(client.pushes()) >= 3, "three pushes")
    first = client.pushes()[0]
    assert first.client_instance_id == INSTANCE and first.subscription_id == 7
    assert not first.terminating and first.compression_type == 0
    resource, points = decode(first.metrics)
    assert resource == {"transactional_id": "tx-1"}
    got = by_name(points)
    assert got["org.apache.kafka.producer.request.latency.avg"].value == 6.0
    assert got["org.apache.kafka.producer.request.latency.max"].value == 8.0
    assert got["org.apache.kafka.producer.buffer.available.bytes"].value == 1024.0
    node = got["org.apache.kafka.producer.node.request.latency.avg"]
    assert node.attributes == {"node_id": "node-1"} and node.kind == "gauge"
    total = got["org.apache.kafka.producer.topic.record.send.total"]
    assert (total.kind, total.temporality, total.monotonic) == ("sum", 1, True)
    assert total.value == 5.0 and total.attributes == {"topic": "t1"}
    assert 0 < total.start_time_unix_nano <= total.time_unix_nano
    assert all("client_id" not in p.attributes for p in points)
    # the terminating push on close
    assert client.pushes()[-1].terminating
    assert reporter.state is TelemetryState.TERMINATED


@pytest.mark.parametrize("delta", [True, False])
async def test_delta_temporality_sends_changes_and_cumulative_sends_totals(delta: bool) -> None:
    client = FakeClient(answering(subscription(delta=delta)))
    metrics = registry()
    sensor = metrics.sensor(C.PRODUCER_ERRORS)
    sensor.record(3, asyncio.get_running_loop().time())
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: len(client.pushes()) >= 1, what="a push")
    sensor.record(2, asyncio.get_running_loop().time())
    await wait_until(lambda: len(client.pushes()) >= 2, what="a second push")
    await reporter.close(1.0)
    name = "org.apache.kafka.producer.record.error.total"
    one, two = (by_name(decode(p.metrics)[1])[name] for p in client.pushes()[:2])
    if delta:
        assert (one.value, two.value, one.temporality) == (3.0, 2.0, 1)
        assert two.start_time_unix_nano == one.time_unix_nano  # consecutive intervals
    else:
        assert (one.value, two.value, one.temporality) == (3.0, 5.0, 2)
        assert two.start_time_unix_nano == one.start_time_unix_nano


async def test_first_push_is_jittered_between_half_and_one_and_a_half_intervals() -> None:
    client = FakeClient(answering(subscription(interval_ms=100_000)))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    waits = []
    for _ in range(200):
        before = loop.time()
        await reporter._fetch_subscription()
        waits.append(reporter._due - before)
    assert all(50.0 <= w <= 150.0 + 0.5 for w in waits)
    assert min(waits) < 70.0 and max(waits) > 130.0  # spread, not a constant


async def test_gauge_that_raises_is_skipped_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient(answering(subscription()))
    metrics = registry()

    def broken() -> float:
        raise RuntimeError("boom")

    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, broken)
    metrics.gauge(C.PRODUCER_BUFFER_TOTAL, lambda: 5.0)
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: client.pushes(), "a push")
    names = {p.name for p in decode(client.pushes()[0].metrics)[1]}
    assert "org.apache.kafka.producer.buffer.total.bytes" in names
    assert "org.apache.kafka.producer.buffer.available.bytes" not in names


# ---- errors --------------------------------------------------------------------------------


async def test_unknown_subscription_id_refetches_at_once() -> None:
    subs = iter(
        [subscription(interval_ms=20, sub_id=1), subscription(interval_ms=60_000, sub_id=2)]
    )
    pushed: list[int] = []

    def push(request: PushTelemetryRequest) -> Any:
        pushed.append(request.subscription_id)
        code = ErrorCode.UNKNOWN_SUBSCRIPTION_ID if request.subscription_id == 1 else 0
        return PushTelemetryResponse(error_code=code)

    client = FakeClient(answering(lambda: next(subs), push))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: len(client.gets()) == 2, what="the second GetTelemetrySubscriptions")
    # asked again at once: the new subscription's 60 s interval is what it now waits for
    assert reporter.subscription is not None and reporter.subscription.subscription_id == 2
    assert reporter.state is TelemetryState.PUSH_NEEDED
    assert reporter._due - asyncio.get_running_loop().time() > 20.0
    await reporter.close(1.0)
    assert pushed == [1, 2] and client.pushes()[-1].terminating


@pytest.mark.parametrize(
    "code", [ErrorCode.THROTTLING_QUOTA_EXCEEDED, ErrorCode.TELEMETRY_TOO_LARGE]
)
async def test_throttling_and_too_large_drop_the_push_and_go_on(code: ErrorCode) -> None:
    answers = iter([code, 0, 0, 0, 0, 0, 0])
    client = FakeClient(
        answering(subscription(), lambda r: PushTelemetryResponse(error_code=next(answers)))
    )
    metrics = registry()
    sensor = metrics.sensor(C.PRODUCER_ERRORS)
    sensor.record(4, asyncio.get_running_loop().time())
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: reporter.pushes >= 1, what="a successful push after the error")
    await reporter.close(1.0)
    assert reporter.last_error == code
    # after the refused push: the subscription asked again, after one interval
    kinds = [type(r).__name__[:4] for r in client.requests]
    assert kinds[:4] == ["GetT", "Push", "GetT", "Push"]
    # the refused push's delta was not lost: the next one carries it
    name = "org.apache.kafka.producer.record.error.total"
    assert by_name(decode(client.pushes()[1].metrics)[1])[name].value == 4.0


@pytest.mark.parametrize(
    "code",
    [ErrorCode.INVALID_RECORD, ErrorCode.INVALID_REQUEST, ErrorCode.UNSUPPORTED_VERSION,
     ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
)  # fmt: skip
async def test_fatal_push_errors_turn_telemetry_off_for_good(
    code: ErrorCode, caplog: pytest.LogCaptureFixture
) -> None:
    client = FakeClient(answering(subscription(), lambda r: PushTelemetryResponse(error_code=code)))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, "aiokafka_gen.metrics.telemetry"):
        reporter.start()
        await wait_until(lambda: reporter.state is TelemetryState.DISABLED, what="disabled")
    task = reporter._task
    assert task is not None
    await wait_until(task.done, what="the reporter's task to end")
    await reporter.close(1.0)
    assert len(client.requests) == 2  # one GET, one push; no terminating push
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage().startswith("[fake-client] PushTelemetry answered")
    assert caplog.records[0].client_id == "fake-client"  # type: ignore[attr-defined]
    assert caplog.records[0].client_kind == "producer"  # type: ignore[attr-defined]
    assert code.name in caplog.records[0].getMessage()


async def test_fatal_error_on_get_turns_off() -> None:
    client = FakeClient(answering(subscription(error=ErrorCode.INVALID_REQUEST)))
    reporter = TelemetryReporter(client, registry(), client_kind="consumer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.state is TelemetryState.DISABLED, "disabled")
    assert await reporter.client_instance_id(5.0) is None  # does not wait: telemetry is off


async def test_broker_without_the_apis_turns_off_quietly(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient(
        lambda r: IncompatibleBrokerVersion("the broker does not support GetTelemetrySubscriptions")
    )
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, "aiokafka_gen.metrics.telemetry"):
        await run(reporter, lambda: reporter.state is TelemetryState.DISABLED, "disabled")
    assert len(client.requests) == 1
    assert all(r.levelno < logging.WARNING for r in caplog.records)
    assert await reporter.client_instance_id(1.0) is None


async def test_connection_errors_retry_with_backoff(quick_retries: None) -> None:
    failures = iter([KafkaConnectionError("gone")] * 4)

    def answer(request: Any) -> Any:
        failure = next(failures, None)
        return failure if failure is not None else answering(subscription())(request)

    client = FakeClient(answer)
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: reporter.pushes >= 1, what="a push after four failures")
    await reporter.close(1.0)
    assert [type(r).__name__[:4] for r in client.requests[:6]] == ["GetT"] * 5 + ["Push"]


async def test_backoff_doubles_up_to_the_interval(quick_retries: None) -> None:
    client = FakeClient(lambda r: KafkaConnectionError("gone"))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter._rng = SimpleNamespace(uniform=lambda low, high: (low + high) / 2, shuffle=list)  # type: ignore[assignment]
    loop = asyncio.get_running_loop()
    delays = []
    for _ in range(6):
        await reporter._fetch_subscription()
        delays.append(reporter._due - loop.time())
    for k, delay in enumerate(delays):
        assert 0.01 * 2**k - 0.005 < delay <= 0.01 * 2**k
    reporter._failures = 40
    await reporter._fetch_subscription()  # capped: the default interval, no subscription yet
    assert reporter._due - loop.time() == pytest.approx(telemetry.DEFAULT_PUSH_INTERVAL, abs=1)


async def test_no_ready_broker_is_a_transport_failure(quick_retries: None) -> None:
    client = FakeClient(answering(subscription()), nodes=())
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: reporter._failures >= 3, what="three failed attempts")
    assert reporter.enabled and client.requests == []
    assert await reporter.client_instance_id(0.05) is None  # timed out, no subscription
    await reporter.close(1.0)


# ---- payload limits and compression ----------------------------------------------------------


async def test_payload_over_the_limit_is_cut_to_fit(caplog: pytest.LogCaptureFixture) -> None:
    metrics = registry()
    now = asyncio.get_running_loop().time()
    for i in range(40):
        metrics.sensor(C.PRODUCER_TOPIC_RECORDS, topic=f"topic-{i:02d}").record(i, now)
    client = FakeClient(answering(subscription(max_bytes=1500)))
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, "aiokafka_gen.metrics.telemetry"):
        await run(reporter, lambda: client.pushes(), "a push")
    payload = client.pushes()[0].metrics
    assert 1000 < len(payload) <= 1500
    kept = decode(payload)[1]
    assert 0 < len(kept) < 80
    assert "dropped" in caplog.text and "TelemetryMaxBytes" in caplog.text


@pytest.mark.parametrize("codec", [1, 2, 3, 4])
async def test_first_accepted_usable_compression_is_used(codec: int) -> None:
    metrics = registry()
    now = asyncio.get_running_loop().time()
    for i in range(20):
        metrics.sensor(C.PRODUCER_TOPIC_RECORDS, topic=f"topic-{i}").record(i, now)
    client = FakeClient(answering(subscription(compression=[codec, 0])))
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: client.pushes(), "a push")
    push = client.pushes()[0]
    assert push.compression_type == codec
    points = decode(decompress(codec, push.metrics))[1]
    assert len(points) == 40


async def test_unsupported_compression_type_refetches_and_stops_using_the_codec() -> None:
    def push(request: PushTelemetryRequest) -> Any:
        code = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE if request.compression_type == 4 else 0
        return PushTelemetryResponse(error_code=code)

    client = FakeClient(answering(subscription(compression=[4, 1]), push))
    metrics = registry()
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.pushes >= 1, "an accepted push")
    assert [p.compression_type for p in client.pushes()][:2] == [4, 1]
    assert len(client.gets()) == 2


async def test_unknown_codec_ids_are_skipped() -> None:
    client = FakeClient(answering(subscription(compression=[99, 1])))
    metrics = registry()
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: client.pushes(), "a push")
    assert client.pushes()[0].compression_type == 1


# ---- close and client_instance_id ------------------------------------------------------------


async def test_close_before_any_subscription_sends_nothing_and_never_raises() -> None:
    client = FakeClient(lambda r: KafkaConnectionError("down"))
    reporter = TelemetryReporter(client, registry(), client_kind="admin")  # type: ignore[arg-type]
    await reporter.close(1.0)  # never started
    assert client.requests == [] and reporter.state is TelemetryState.TERMINATED
    reporter.start()  # after close: nothing starts
    assert reporter._task is None


async def test_terminating_push_failure_is_swallowed() -> None:
    calls = {"n": 0}

    def push(request: PushTelemetryRequest) -> Any:
        calls["n"] += 1
        if request.terminating:
            return KafkaConnectionError("lost on close")
        return PushTelemetryResponse()

    client = FakeClient(answering(subscription(), push))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.pushes >= 1, "a push")
    assert client.pushes()[-1].terminating
    await reporter.close(1.0)  # twice: harmless


async def test_terminating_push_respects_the_timeout() -> None:
    stall = asyncio.Event()

    class Stalling(FakeClient):
        async def send(self, node_id: int, request: Any, **kw: Any) -> Any:
            if isinstance(request, PushTelemetryRequest) and request.terminating:
                self.requests.append(request)
                await stall.wait()
            return await super().send(node_id, request, **kw)

    client = Stalling(answering(subscription()))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    await wait_until(lambda: reporter.pushes >= 1, what="a push")
    loop = asyncio.get_running_loop()
    began = loop.time()
    await reporter.close(0.2)
    assert 0.15 < loop.time() - began < 5.0
    assert reporter.state is TelemetryState.TERMINATED


async def test_client_instance_id_waits_for_the_subscription() -> None:
    gate = asyncio.Event()

    class Slow(FakeClient):
        async def send(self, node_id: int, request: Any, **kw: Any) -> Any:
            await gate.wait()
            return await super().send(node_id, request, **kw)

    client = Slow(answering(subscription([])))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    reporter.start()
    assert await reporter.client_instance_id(0.05) is None
    waiter = asyncio.ensure_future(reporter.client_instance_id(20.0))
    gate.set()
    assert await waiter == INSTANCE
    with pytest.raises(ValueError):
        await reporter.client_instance_id(-1)
    await reporter.close(1.0)


async def test_sticks_to_the_node_that_answered() -> None:
    client = FakeClient(answering(subscription()), nodes=(1, 2, 3))
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.pushes >= 3, "three pushes")
    assert len(set(client.ready_calls)) == 1


async def test_no_matching_metric_pushes_an_empty_payload() -> None:
    client = FakeClient(answering(subscription(["org.apache.kafka.consumer."])))
    metrics = registry()
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    reporter = TelemetryReporter(client, metrics, client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.pushes >= 1, "a push")
    assert client.pushes()[0].metrics == b""  # as Java: nothing emitted, nothing encoded


async def test_resource_attributes_can_change_later() -> None:
    client = FakeClient(answering(subscription()))
    metrics = registry()
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    reporter = TelemetryReporter(
        client, metrics, client_kind="consumer",  # type: ignore[arg-type]
        resource_attributes={"group_id": "g", "client_rack": "r"},
    )  # fmt: skip
    reporter.start()
    await wait_until(lambda: reporter.pushes >= 1, what="a push")
    reporter.set_resource_attribute("group_member_id", "m-1")
    reporter.set_resource_attribute("client_rack", None)
    await wait_until(lambda: reporter.pushes >= 2, what="a second push")
    await reporter.close(1.0)
    assert decode(client.pushes()[0].metrics)[0] == {"group_id": "g", "client_rack": "r"}
    assert decode(client.pushes()[1].metrics)[0] == {"group_id": "g", "group_member_id": "m-1"}


async def test_a_throttled_response_delays_the_next_request() -> None:
    client = FakeClient(
        answering(lambda: GetTelemetrySubscriptionsResponse(
            throttle_time_ms=300, client_instance_id=INSTANCE, subscription_id=1,
            push_interval_ms=20, requested_metrics=["*"],
        ))
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    stamps: list[float] = []
    original = client.send

    async def send(node_id: int, request: Any, **kw: Any) -> Any:
        stamps.append(loop.time())
        return await original(node_id, request, **kw)

    client.send = send  # type: ignore[method-assign]
    reporter = TelemetryReporter(client, registry(), client_kind="producer")  # type: ignore[arg-type]
    await run(reporter, lambda: reporter.pushes >= 1, "a push")
    assert stamps[1] - stamps[0] >= 0.3  # not after 10-30 ms: the throttle time first
