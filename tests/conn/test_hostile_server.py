"""A scripted fake broker sends what a real one never would: typed errors, no hang.

Every test runs under a generous hang guard (``asyncio.timeout(10)``); the guard is not a
speed assertion, it turns a hang into a failure.
"""

from __future__ import annotations

import asyncio
import os
import struct
import tracemalloc

import pytest
from aiokafka_gen.messages.api_versions_response import ApiVersion, ApiVersionsResponse
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse

from aiokafka_gen.conn import BrokerConnection, ConnectionConfig, ConnectionState
from aiokafka_gen.errors import (
    IncompatibleBrokerVersion,
    KafkaConnectionError,
    KafkaProtocolError,
    KafkaTimeoutError,
)
from aiokafka_gen.protocol.framing import CorrelationIdError, FrameSizeError

from .fakebroker import FakeBroker, Peer, all_ranges, answer_api_versions, forever, frame

GUARD = 10.0


def config(**kw: object) -> ConnectionConfig:
    base: dict[str, object] = {"request_timeout_ms": 5000, "connect_timeout_ms": 5000}
    return ConnectionConfig(**(base | kw))  # type: ignore[arg-type]


async def connect(broker: FakeBroker, **kw: object) -> BrokerConnection:
    return await BrokerConnection("127.0.0.1", broker.port, config(**kw)).connect()


async def after_handshake(peer: Peer, data: bytes, *, close: bool = False) -> None:
    await answer_api_versions(peer)
    await peer.read_request()
    await peer.write(data)
    if close:
        peer.writer.close()
        return
    await forever(peer)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (frame(os.urandom(3)), KafkaProtocolError),  # too short for a header
        (frame(struct.pack(">i", 999) + b"\x00" * 40), CorrelationIdError),
        (struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 64, FrameSizeError),  # 2 GiB prefix
        (struct.pack(">i", -5), FrameSizeError),
        (frame(struct.pack(">i", 1) + b"\xff\xff\xff\xff"), KafkaProtocolError),  # bad body
    ],
    ids=["short-garbage", "wrong-correlation-id", "2GiB-size", "negative-size", "bad-body"],
)
async def test_hostile_frame_is_a_typed_protocol_error(
    payload: bytes, error: type[Exception]
) -> None:
    async with asyncio.timeout(GUARD), FakeBroker(lambda p: after_handshake(p, payload)) as fb:
        conn = await connect(fb)
        with pytest.raises(error):
            await conn.send(MetadataRequest(topics=None))
        assert conn.state is ConnectionState.CLOSED
        with pytest.raises(KafkaConnectionError, match="closed"):
            await conn.send(MetadataRequest(topics=None))


async def test_huge_size_prefix_allocates_nothing_big() -> None:
    payload = struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 1024
    tracemalloc.start()
    try:
        async with asyncio.timeout(GUARD), FakeBroker(lambda p: after_handshake(p, payload)) as fb:
            conn = await connect(fb)
            tracemalloc.reset_peak()
            with pytest.raises(FrameSizeError):
                await conn.send(MetadataRequest(topics=None))
            peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


async def test_frame_above_configured_maximum_is_refused() -> None:
    payload = frame(b"\x00" * 2048)
    async with asyncio.timeout(GUARD), FakeBroker(lambda p: after_handshake(p, payload)) as fb:
        conn = await connect(fb, max_frame_size=1024)
        with pytest.raises(FrameSizeError, match="2048"):
            await conn.send(MetadataRequest(topics=None))


async def test_close_in_the_middle_of_a_frame() -> None:
    payload = struct.pack(">i", 100) + b"\x00" * 10
    script = lambda p: after_handshake(p, payload, close=True)  # noqa: E731
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await connect(fb)
        with pytest.raises(KafkaConnectionError):
            await conn.send(MetadataRequest(topics=None))
        assert conn.state is ConnectionState.CLOSED


async def test_stalled_broker_times_out_and_closes() -> None:
    async def stall(peer: Peer) -> None:
        await answer_api_versions(peer)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(stall) as fb:
        conn = await connect(fb)
        with pytest.raises(KafkaTimeoutError):
            await conn.send(MetadataRequest(topics=None), timeout=0.2)
        assert conn.state is ConnectionState.CLOSED
        assert conn.in_flight == 0


async def test_connect_to_a_silent_broker_times_out() -> None:
    async with asyncio.timeout(GUARD), FakeBroker(forever) as fb:
        conn = BrokerConnection("127.0.0.1", fb.port, config(connect_timeout_ms=200))
        with pytest.raises(KafkaConnectionError, match="timed out"):
            await conn.connect()
        assert conn.state is ConnectionState.CLOSED


async def test_connection_refused_is_a_connection_error() -> None:
    async with FakeBroker(forever) as fb:
        port = fb.port
    conn = BrokerConnection("127.0.0.1", port, config())
    async with asyncio.timeout(GUARD):
        with pytest.raises(KafkaConnectionError):
            await conn.connect()


async def test_api_versions_unsupported_version_falls_back() -> None:
    async def old_broker(peer: Peer) -> None:
        first = await peer.read_request()
        ranges = [ApiVersion(api_key=18, min_version=0, max_version=2)]
        await peer.reply(first, ApiVersionsResponse(error_code=35, api_keys=ranges), version=0)
        await answer_api_versions(peer, all_ranges() | {18: (0, 2), 3: (0, 8)})
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(old_broker) as fb:
        conn = await connect(fb)
        sent = [r.api_version for r in fb.peers[0].requests]
        assert sent[0] > 2 and sent[1] == 2
        assert conn.versions is not None
        assert conn.versions.version_for(3) == 8


async def test_missing_api_raises_incompatible_naming_it() -> None:
    ranges = {k: v for k, v in all_ranges().items() if k != 3}

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer, ranges)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await connect(fb)
        with pytest.raises(IncompatibleBrokerVersion, match="Metadata"):
            await conn.send(MetadataRequest(topics=None))
        assert conn.state is ConnectionState.READY  # a local refusal, the stream is fine


async def test_pipelined_requests_bounded_by_max_in_flight() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        pending = [await peer.read_request() for _ in range(2)]
        await release.wait()
        for _ in range(3):
            for request in pending:
                await peer.reply(request, MetadataResponse(cluster_id=str(request.correlation_id)))
            more = len(peer.requests) < 7
            pending = [await peer.read_request() for _ in range(2)] if more else []
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await connect(fb, max_in_flight_requests=2)
        sends = [asyncio.ensure_future(conn.send(MetadataRequest(topics=None))) for _ in range(5)]
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert len(fb.peers[0].requests) == 3  # ApiVersions + 2: the bound holds the rest
        release.set()
        results = await asyncio.gather(*sends[:4])
        assert [r.cluster_id for r in results] == ["1", "2", "3", "4"]
        sends[4].cancel()


async def test_idle_connection_is_closed() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await connect(fb, connections_max_idle_ms=100)
        while conn.state is not ConnectionState.CLOSED:
            await asyncio.sleep(0.02)
        assert "idle" in str(conn.close_reason)
        while fb.closed_by_client == 0:
            await asyncio.sleep(0.02)


async def test_busy_connection_is_not_idle() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        request = await peer.read_request()
        await release.wait()
        await peer.reply(request, MetadataResponse(cluster_id="late"))
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await connect(fb, connections_max_idle_ms=50)
        pending = asyncio.ensure_future(conn.send(MetadataRequest(topics=None)))
        for _ in range(10):
            await asyncio.sleep(0.03)
        assert conn.state is ConnectionState.READY  # a request in flight is not idleness
        release.set()
        assert (await pending).cluster_id == "late"
