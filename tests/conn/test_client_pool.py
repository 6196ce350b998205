"""AIOKafkaClient's pool and refresh logic against the scripted fake broker.

One connection per (node, group) however many callers race; a failed connect starts the
KIP-601 backoff; error storms and explicit refreshes coalesce into one Metadata request.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiokafka_gen.messages.errors import NotLeaderForPartitionError, TopicAuthorizationFailedError
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse, MetadataResponseBroker

from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup
from aiokafka_gen.errors import NodeNotReadyError

from .fakebroker import FakeBroker, Peer, answer_api_versions

GUARD = 10.0


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Metadata:
    """Serves Metadata naming node 0 at ``port`` (this broker) and node 1 at a dead port."""

    def __init__(self) -> None:
        self.port = 0
        self.dead = dead_port()
        self.metadata_requests = 0

    async def __call__(self, peer: Peer) -> None:
        await answer_api_versions(peer)
        while True:
            request = await peer.read_request()
            if request.api_key == 3:
                self.metadata_requests += 1
            await peer.reply(request, self.response())

    def response(self) -> MetadataResponse:
        brokers = [
            MetadataResponseBroker(node_id=0, host="127.0.0.1", port=self.port),
            MetadataResponseBroker(node_id=1, host="127.0.0.1", port=self.dead),
        ]
        return MetadataResponse(brokers=brokers, cluster_id="fake", controller_id=0)


async def started(script: Metadata, fb: FakeBroker, **kw: object) -> AIOKafkaClient:
    script.port = fb.port
    client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{fb.port}", request_timeout_ms=5000,
                            **kw)  # type: ignore[arg-type]  # fmt: skip
    await client.bootstrap()
    return client


async def test_racing_callers_share_one_connection() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb)
        before = len(fb.peers)
        assert all(await asyncio.gather(*[client.ready(0) for _ in range(20)]))
        assert len(fb.peers) == before + 1
        assert await client.ready(0, group=ConnectionGroup.COORDINATION)
        assert len(fb.peers) == before + 2  # a second purpose gets its own connection
        await client.close()


async def test_failed_connect_backs_off() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb, reconnect_backoff_ms=60000,
                               reconnect_backoff_max_ms=60000)  # fmt: skip
        assert not await client.ready(1)
        with pytest.raises(NodeNotReadyError, match="backoff") as info:
            await client.send(1, MetadataRequest(topics=None))
        assert "Connect call failed" in str(info.value.__cause__)
        assert client._failures[1] == 1  # the second call did not even try
        await client.close()


async def test_error_storm_is_one_refresh() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb, retry_backoff_ms=10)
        before = script.metadata_requests
        assert all(client.report_error(NotLeaderForPartitionError()) for _ in range(100))
        assert client.report_error(3)  # UNKNOWN_TOPIC_OR_PARTITION by code
        assert not client.report_error(TopicAuthorizationFailedError())
        assert await client.force_metadata_update()
        assert script.metadata_requests == before + 1
        await client.close()


async def test_close_resolves_a_pending_refresh() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb)
        await client.close()
        assert await client.force_metadata_update() is False


async def test_fetch_all_metadata_is_a_separate_view() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb)
        updates = client.cluster.updates
        fresh = await client.fetch_all_metadata()
        assert fresh is not client.cluster
        assert fresh.cluster_id == "fake" and {b.nodeId for b in fresh.brokers()} == {0, 1}
        assert client.cluster.updates == updates
        await client.close()


async def test_large_request_is_written_whole_and_in_order() -> None:
    from aiokafka_gen.messages.metadata_request import MetadataRequestTopic

    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb)
        big = MetadataRequest(topics=[MetadataRequestTopic(name=f"t{i:05d}") for i in range(20000)])
        small = MetadataRequest(topics=None)
        results = await asyncio.gather(client.send(0, small), client.send(0, big),
                                       client.send(0, small))  # fmt: skip
        assert [r.cluster_id for r in results] == ["fake"] * 3
        sizes = [len(r.body.topics or []) for r in fb.peers[-1].requests[1:]]  # type: ignore[attr-defined]
        assert sizes == [0, 20000, 0]
        await client.close()


async def test_metadata_is_refreshed_periodically() -> None:
    script = Metadata()
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        client = await started(script, fb, metadata_max_age_ms=50, retry_backoff_ms=10)
        before = script.metadata_requests
        while script.metadata_requests < before + 3:  # nobody forces: the max age does
            await asyncio.sleep(0.02)
        assert client.cluster.updates >= 3
        await client.close()
