"""Cancellation safety: a cancelled caller neither leaks nor desynchronises the stream.

Uses the scripted fake broker so the test controls exactly when each response arrives.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest, MetadataRequestTopic
from aiokafka_gen.messages.metadata_response import MetadataResponse, MetadataResponseBroker

from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig, ConnectionState
from aiokafka_gen.errors import KafkaConnectionError

from .fakebroker import FakeBroker, Peer, answer_api_versions, forever

GUARD = 10.0
CONFIG = ConnectionConfig(request_timeout_ms=5000)


def named(request_id: int) -> MetadataResponse:
    return MetadataResponse(cluster_id=f"answer-{request_id}")


async def test_cancelled_caller_response_is_read_and_dropped() -> None:
    go = asyncio.Event()

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        first = await peer.read_request()
        second = await peer.read_request()
        await go.wait()
        await peer.reply(first, named(1))
        await peer.reply(second, named(2))
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await BrokerConnection("127.0.0.1", fb.port, CONFIG).connect()
        first = asyncio.ensure_future(conn.send(MetadataRequest(topics=None)))
        second = asyncio.ensure_future(conn.send(MetadataRequest(topics=None)))
        while len(fb.peers[0].requests) < 3:
            await asyncio.sleep(0.01)
        first.cancel()
        go.set()
        assert (await second).cluster_id == "answer-2"  # not answer-1: no desync
        assert first.cancelled()
        assert conn.in_flight == 0
        assert conn.state is ConnectionState.READY
        await conn.close()


async def test_cancel_during_connect_closes_the_socket() -> None:
    async with asyncio.timeout(GUARD), FakeBroker(forever) as fb:
        conn = BrokerConnection("127.0.0.1", fb.port, CONFIG)
        task = asyncio.ensure_future(conn.connect())
        while not fb.peers or not fb.peers[0].requests:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        assert conn.state is ConnectionState.CLOSED
        while fb.closed_by_client == 0:  # the fake broker sees EOF: nothing leaked open
            await asyncio.sleep(0.01)
        leftovers = [t for t in asyncio.all_tasks() if "aiokafka_gen-read" in t.get_name()]
        assert all(t.done() for t in leftovers)


async def test_timed_out_request_fails_the_other_pipelined_ones() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await BrokerConnection("127.0.0.1", fb.port, CONFIG).connect()
        waiting = asyncio.ensure_future(conn.send(MetadataRequest(topics=None)))
        await asyncio.sleep(0)
        timed = conn.send(MetadataRequest(topics=None), timeout=0.1)
        results = await asyncio.gather(timed, waiting, return_exceptions=True)
        assert [type(r).__name__ for r in results] == ["KafkaTimeoutError", "KafkaConnectionError"]
        assert conn.in_flight == 0


def metadata_for(port: int) -> MetadataResponse:
    broker = MetadataResponseBroker(node_id=0, host="127.0.0.1", port=port)
    return MetadataResponse(brokers=[broker], cluster_id="fake", controller_id=0)


async def test_cancelled_pool_connect_then_ready_again() -> None:
    state = {"stall": True}
    port_box: list[int] = []

    async def script(peer: Peer) -> None:
        if state["stall"] and len(port_box) and fb_peers_count(peer) > 1:
            await forever(peer)
        await answer_api_versions(peer)
        while True:
            request = await peer.read_request()
            await peer.reply(request, metadata_for(port_box[0]))

    peers: list[Peer] = []

    def fb_peers_count(peer: Peer) -> int:
        peers.append(peer)
        return len(peers)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        port_box.append(fb.port)
        client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{fb.port}", request_timeout_ms=5000)
        await client.bootstrap()
        attempt = asyncio.ensure_future(client.ready(0))
        while len(peers) < 2:
            await asyncio.sleep(0.01)
        attempt.cancel()
        await asyncio.gather(attempt, return_exceptions=True)
        state["stall"] = False
        assert await client.ready(0)
        assert "0/default:ready" in repr(client)
        await client.close()
        assert "closed" in repr(client)


async def test_close_does_not_leave_the_socket_open_when_the_peer_stops_reading() -> None:
    """A broker that stops reading (hung, paused) keeps the send buffer full: a clean
    close cannot flush it, so after a short grace the socket is dropped instead of living
    on until the event loop dies (a ResourceWarning, a descriptor held)."""
    stop = asyncio.Event()

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await stop.wait()  # reads nothing more

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        for reason in (None, RuntimeError("given up on it")):
            conn = await BrokerConnection("127.0.0.1", fb.port, CONFIG).connect()
            writer = conn._writer
            assert writer is not None
            many = [MetadataRequestTopic(name=f"topic-{i:07d}") for i in range(400_000)]  # ~6 MB
            sending = asyncio.ensure_future(conn.send(MetadataRequest(topics=many)))
            while writer.transport.get_write_buffer_size() == 0:
                await asyncio.sleep(0.01)
            await conn.close(reason)
            await asyncio.gather(sending, return_exceptions=True)
            assert writer.get_extra_info("socket").fileno() == -1
        stop.set()


async def test_close_during_a_pool_connect_leaves_no_connection_open() -> None:
    """close() clears the pool while a connection to a node is still being set up: that
    connection must be closed when it gets ready, not put in the emptied pool and left
    open (found by the soak: sockets reported unclosed after the test's loop ended)."""
    release = asyncio.Event()
    port_box: list[int] = []
    peers: list[Peer] = []

    async def script(peer: Peer) -> None:
        peers.append(peer)
        if len(peers) > 1:  # the pool's connection: held in ApiVersions until released
            await release.wait()
        await answer_api_versions(peer)
        while True:
            request = await peer.read_request()
            await peer.reply(request, metadata_for(port_box[0]))

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        port_box.append(fb.port)
        client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{fb.port}", request_timeout_ms=5000)
        await client.bootstrap()
        attempt = asyncio.ensure_future(client.ready(0))
        while len(peers) < 2:  # accepted: the client is in connect(), waiting for ApiVersions
            await asyncio.sleep(0.01)
        closed_before = fb.closed_by_client
        await client.close()
        release.set()
        assert await attempt is False  # refused: the client is closed
        while fb.closed_by_client == closed_before:  # the broker sees that socket closed
            await asyncio.sleep(0.01)
        assert "closed" in repr(client)
        with pytest.raises(KafkaConnectionError, match="the client is closed"):
            await client._get_conn(0, ConnectionGroup.DEFAULT)
