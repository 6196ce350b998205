"""Integration (slow): broker restart, a killed node moving leaders, KIP-368 re-auth.

Waits poll real state under a hang guard; nothing asserts how fast anything happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.conn import ConnectionState
from aiokafka_gen.errors import KafkaConnectionError, KafkaError
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import client_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
GUARD = 90.0


async def send_until_ok(client: AIOKafkaClient, node_id: int) -> object:
    while True:
        try:
            return await client.send(node_id, MetadataRequest(topics=None))
        except KafkaError:
            await asyncio.sleep(0.2)


async def test_broker_restart_reconnects_and_continues(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    async with AIOKafkaClient(bootstrap_servers=cluster.bootstrap(), request_timeout_ms=5000,
                              retry_backoff_ms=50) as client:  # fmt: skip
        assert await client.send(2, MetadataRequest(topics=None))
        conn = client._conns[(2, client_group())]
        cluster.node(2).stop()
        try:
            async with asyncio.timeout(GUARD):
                while conn.state is not ConnectionState.CLOSED:
                    await asyncio.sleep(0.05)
            with pytest.raises(KafkaError):
                await client.send(2, MetadataRequest(topics=None))
        finally:
            await asyncio.to_thread(cluster.start_node, 2)
        async with asyncio.timeout(GUARD):
            response = await send_until_ok(client, 2)
        assert response is not None
        assert client._conns[(2, client_group())] is not conn
        assert isinstance(conn.close_reason, KafkaConnectionError)


def client_group() -> object:
    from aiokafka_gen.client import ConnectionGroup

    return ConnectionGroup.DEFAULT


async def test_killed_node_moves_leaders(
    kafka_cluster_3: KafkaCluster, kafka_topic: Callable[..., str]
) -> None:
    cluster = kafka_cluster_3
    topic = kafka_topic(3, cluster=cluster, replication_factor=3)
    async with AIOKafkaClient(bootstrap_servers=cluster.bootstrap(), request_timeout_ms=5000,
                              retry_backoff_ms=50) as client:  # fmt: skip
        await client.add_topic(topic)
        tp = TopicPartition(topic, 0)
        victim = client.cluster.leader_for_partition(tp)
        assert victim in (1, 2, 3)
        epoch = client.cluster.leader_epoch(tp)
        assert epoch is not None
        cluster.node(victim).kill()
        try:
            async with asyncio.timeout(GUARD):
                while client.cluster.leader_for_partition(tp) in (victim, -1, None):
                    await client.force_metadata_update()
            meta = client.cluster.partition_metadata(tp)
            assert meta is not None and meta.leader != victim
            assert meta.leader_epoch > epoch
            assert victim not in meta.isr
            assert victim not in {b.nodeId for b in client.cluster.brokers()}
        finally:
            await asyncio.to_thread(cluster.start_node, victim)


@pytest.fixture(scope="module")
def reauth_cluster() -> Iterator[KafkaCluster]:
    props = {"connections.max.reauth.ms": "2000"}
    with KafkaCluster(security="sasl_plaintext", broker_properties=props) as cluster:
        yield cluster


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512", "OAUTHBEARER"])
async def test_reauthentication_keeps_the_connection(
    reauth_cluster: KafkaCluster, mechanism: str
) -> None:
    async with client_for(reauth_cluster, "SASL_PLAINTEXT", mechanism) as client:
        node = client.get_random_node()
        assert node is not None
        await client.send(node, MetadataRequest(topics=None))
        conn = client._conns[(node, client_group())]
        assert 0 < conn.session_lifetime_ms <= 2000
        async with asyncio.timeout(GUARD):
            while conn.reauthentications < 2:
                await client.send(node, MetadataRequest(topics=None))
                await asyncio.sleep(0.25)
        assert client._conns[(node, client_group())] is conn
        assert conn.state is ConnectionState.READY
