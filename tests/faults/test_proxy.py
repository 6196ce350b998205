"""The test proxy itself (``aiokafka_gen.testing.proxy``): it must really sit in the path
and really inject the faults the scenarios count on. Broker tests use the 3-node cluster;
the fault-mechanics tests run against the scripted fake broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse
from conn.fakebroker import FakeBroker, Peer, answer_api_versions

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig
from aiokafka_gen.errors import KafkaConnectionError, KafkaTimeoutError
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import KafkaProxy, Mode, ProxyCluster, Trigger, When

GUARD = 30.0
METADATA = 3


def _config(**kw: int) -> ConnectionConfig:
    base = {"request_timeout_ms": 5000, "connect_timeout_ms": 2000}
    return ConnectionConfig(**(base | kw))  # type: ignore[arg-type]


async def _connect(proxy: KafkaProxy, **kw: int) -> BrokerConnection:
    return await BrokerConnection("127.0.0.1", proxy.port, _config(**kw)).connect()


async def _echo_metadata(peer: Peer) -> None:
    await answer_api_versions(peer)
    while True:
        request = await peer.read_request()
        await peer.reply(request, MetadataResponse(cluster_id=str(request.correlation_id)))


@pytest.mark.integration
@pytest.mark.slow
async def test_clients_stay_behind_the_proxies(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    async with asyncio.timeout(GUARD), ProxyCluster(cluster.bootstrap()) as proxies:
        async with AIOKafkaClient(bootstrap_servers=proxies.bootstrap) as client:
            brokers = {b.nodeId: (b.host, b.port) for b in client.cluster.brokers()}
            assert brokers == {p.node_id: ("127.0.0.1", p.port) for p in proxies}
            for node_id in brokers:
                await client.send(node_id, MetadataRequest(topics=None))
        assert all(p.stats.accepted >= 1 and p.stats.rewritten >= 1 for p in proxies)


async def test_pass_through_and_triggered_resets() -> None:
    async with (
        asyncio.timeout(GUARD),
        FakeBroker(_echo_metadata) as fake,
        KafkaProxy("127.0.0.1", fake.port) as proxy,
    ):
        conn = await _connect(proxy)
        assert (await conn.send(MetadataRequest(topics=None))).cluster_id == "1"
        for when in When:
            trigger = proxy.arm(Trigger(METADATA, when))
            with pytest.raises(KafkaConnectionError):
                await conn.send(MetadataRequest(topics=None))
            assert trigger.fired == 1
            conn = await _connect(proxy)
        served = sum(len(p.requests) for p in fake.peers)
        assert served == 4 + 1 + 1  # handshakes, the first request, AFTER (MIDDLE: half)
        assert proxy.stats.resets == 3


async def test_stall_blackhole_and_refuse() -> None:
    async with (
        asyncio.timeout(GUARD),
        FakeBroker(_echo_metadata) as fake,
        KafkaProxy("127.0.0.1", fake.port) as proxy,
    ):
        conn = await _connect(proxy)
        proxy.stall()
        with pytest.raises(KafkaTimeoutError):
            await conn.send(MetadataRequest(topics=None), timeout=0.3)
        proxy.set_mode(Mode.BLACKHOLE)
        with pytest.raises(KafkaConnectionError, match="timed out"):
            await _connect(proxy, connect_timeout_ms=300)
        assert proxy.stats.swallowed >= 1
        proxy.set_mode(Mode.REFUSE)
        with pytest.raises(KafkaConnectionError):
            await _connect(proxy)
        proxy.restore()
        conn = await _connect(proxy)
        assert (await conn.send(MetadataRequest(topics=None))).cluster_id is not None
