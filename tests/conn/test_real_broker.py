"""Integration: AIOKafkaClient and BrokerConnection against real brokers from the harness.

Every listener kind and SASL mechanism of the secure cluster, typed auth failures,
negotiated versions on the pinned 4.x broker and on 3.9.1, coalesced metadata refreshes,
batched coordinator lookups.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.produce_request import ProduceRequest

from aiokafka_gen.client import AIOKafkaClient, CoordinationType
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig
from aiokafka_gen.errors import BrokerResponseError, KafkaConnectionError, NodeNotReadyError
from aiokafka_gen.helpers import create_ssl_context
from aiokafka_gen.protocol.negotiation import client_range
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import client_for

pytestmark = pytest.mark.integration
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
SECURE_CASES = [("PLAINTEXT", None), ("SSL", None)] + [
    (listener, mech) for listener in ("SASL_PLAINTEXT", "SASL_SSL") for mech in MECHANISMS
]


async def first_conn(client: AIOKafkaClient) -> BrokerConnection:
    node = client.get_random_node()
    assert node is not None
    assert await client.ready(node)
    return next(c for (n, _), c in client._conns.items() if n == node)


async def test_bootstrap_metadata_and_topic(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(3)
    bogus = "127.0.0.1:1"  # several bootstrap addresses: a dead one first
    async with AIOKafkaClient(bootstrap_servers=f"{bogus},{kafka_cluster.bootstrap()}") as client:
        assert client.cluster.cluster_id == kafka_cluster.describe().cluster_id
        assert await client.add_topic(topic)
        assert client.cluster.partitions_for_topic(topic) == {0, 1, 2}
        assert client.cluster.leader_for_partition(TopicPartition(topic, 0)) == 1
        assert client.cluster.topic_id(topic) not in (None, uuid.UUID(int=0))
        meta = client.cluster.partition_metadata(TopicPartition(topic, 1))
        assert meta is not None and meta.isr == [1] and meta.leader_epoch >= 0
        assert client.cluster.controller is not None
        assert "topics=1 connections=[1/default:ready]" in repr(client)


def expected_versions(conn: BrokerConnection) -> dict[int, int]:
    assert conn.versions is not None
    out = {}
    for key, (lo, hi) in conn.versions.ranges.items():
        try:
            ours = client_range(key)
        except KeyError:
            continue
        if max(lo, ours[0]) <= min(hi, ours[1]):
            out[key] = min(hi, ours[1])
    return out


async def check_negotiation(bootstrap: str, metadata_version: int) -> BrokerConnection:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    conn = await BrokerConnection(host, int(port), ConnectionConfig()).connect()
    assert conn.versions is not None
    for key, version in expected_versions(conn).items():
        assert conn.versions.version_for(key) == version
    assert conn.versions.version_for(3) == metadata_version
    response = await conn.send(MetadataRequest(topics=None))
    assert response.brokers
    pinned = await conn.send(MetadataRequest(topics=None), api_version=1)
    assert pinned.controller_id == response.controller_id
    return conn


async def test_negotiated_versions_pinned_broker(kafka_cluster: KafkaCluster) -> None:
    conn = await check_negotiation(kafka_cluster.bootstrap(), 13)
    assert conn.versions is not None and conn.versions.ranges[0][0] <= 3
    await conn.close()


@pytest.fixture(scope="module")
def kafka_391() -> Iterator[KafkaCluster]:
    with KafkaCluster(version="3.9.1") as cluster:
        yield cluster


@pytest.mark.slow
async def test_negotiated_versions_kafka_391(kafka_391: KafkaCluster) -> None:
    conn = await check_negotiation(kafka_391.bootstrap(), 12)
    assert conn.versions is not None
    assert conn.versions.ranges[18][1] < client_range(18)[1]  # KIP-511 fallback was used
    await conn.close()
    async with AIOKafkaClient(bootstrap_servers=kafka_391.bootstrap()) as client:
        assert client.cluster.brokers()


async def test_acks_zero_produce_keeps_the_stream_in_step(kafka_cluster: KafkaCluster) -> None:
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        assert await client.send(1, ProduceRequest(acks=0, timeout_ms=1000)) is None
        response = await client.send(1, MetadataRequest(topics=None))
        assert response.cluster_id == client.cluster.cluster_id


async def test_metadata_storm_is_one_request(kafka_cluster: KafkaCluster) -> None:
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        before = client.metadata_requests
        futures = [client.force_metadata_update() for _ in range(200)]
        assert all(f is futures[0] for f in futures)
        assert await futures[0]
        assert client.metadata_requests == before + 1


async def test_coordinator_lookups_are_batched(kafka_cluster: KafkaCluster) -> None:
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        sent: list[Any] = []
        original = client.send

        async def counting(node_id: int, request: Any, **kw: Any) -> Any:
            sent.append(request)
            return await original(node_id, request, **kw)

        client.send = counting  # type: ignore[method-assign]
        names = [f"group-{i}" for i in range(5)]
        lookups = [client.coordinator_lookup(CoordinationType.GROUP, n) for n in names]
        assert await asyncio.gather(*lookups) == [1] * 5
        finds = [r for r in sent if r.API_KEY == 10]
        assert finds and all(sorted(r.coordinator_keys) == names for r in finds)
        assert await client.coordinator_lookup(CoordinationType.GROUP, "group-0") == 1
        assert len([r for r in sent if r.API_KEY == 10]) == len(finds)  # cached
        assert client.coordinator_error(CoordinationType.GROUP, "group-0", 16)
        assert not client.coordinator_error(CoordinationType.GROUP, "group-0", 16)


async def test_lookup_made_while_a_batch_is_in_flight_is_answered(
    kafka_cluster: KafkaCluster,
) -> None:
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        original = client.send
        in_flight = asyncio.Event()

        async def slow(node_id: int, request: Any, **kw: Any) -> Any:
            if request.API_KEY == 10:
                in_flight.set()
                await asyncio.sleep(0.2)
            return await original(node_id, request, **kw)

        client.send = slow  # type: ignore[method-assign]
        first = asyncio.ensure_future(client.coordinator_lookup(CoordinationType.GROUP, "g-a"))
        await in_flight.wait()  # the batch with "g-a" is on the wire
        async with asyncio.timeout(10):  # before the fix: waited the whole request timeout
            late = await client.coordinator_lookup(CoordinationType.GROUP, "g-b")
        assert late == 1 and await first == 1


async def test_unknown_node_is_not_ready(kafka_cluster: KafkaCluster) -> None:
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        assert not await client.ready(77)
        with pytest.raises(NodeNotReadyError):
            await client.send(77, MetadataRequest(topics=None))


@pytest.mark.parametrize(("listener", "mechanism"), SECURE_CASES)
async def test_every_listener_and_mechanism(
    kafka_secure_cluster: KafkaCluster, listener: str, mechanism: str | None
) -> None:
    client = client_for(kafka_secure_cluster, listener, mechanism)
    try:
        await client.bootstrap()
        conn = await first_conn(client)
        response = await conn.send(MetadataRequest(topics=None))
        assert response.cluster_id == kafka_secure_cluster.describe().cluster_id
        if mechanism == "OAUTHBEARER":  # the session ends when the token expires (1 h)
            assert 0 < conn.session_lifetime_ms <= 3600 * 1000
        elif mechanism is not None:
            assert conn.session_lifetime_ms == 0  # no connections.max.reauth.ms here
    finally:
        await client.close()


async def test_mtls_with_and_without_client_certificate(
    kafka_secure_cluster: KafkaCluster,
) -> None:
    async with client_for(kafka_secure_cluster, "MTLS", client_cert=True) as client:
        assert client.cluster.brokers()
    anonymous = client_for(kafka_secure_cluster, "MTLS", request_timeout_ms=5000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.bootstrap()
    await anonymous.close()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_wrong_password_is_a_typed_auth_error(
    kafka_secure_cluster: KafkaCluster, mechanism: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiokafka_gen")
    password = "definitely-wrong-pw"
    client = client_for(kafka_secure_cluster, "SASL_PLAINTEXT", mechanism, password=password,
                        request_timeout_ms=10000)  # fmt: skip
    async with asyncio.timeout(10):
        with pytest.raises(BrokerResponseError) as info:
            await client.bootstrap()
    await client.close()
    assert info.value.errno == 58  # SASL_AUTHENTICATION_FAILED
    assert password not in str(info.value) and password not in repr(client)
    assert password not in caplog.text


async def test_unknown_mechanism_on_listener_is_typed(kafka_secure_cluster: KafkaCluster) -> None:
    pytest.importorskip("gssapi")  # without it the mechanism cannot even start (SaslError)
    client = client_for(kafka_secure_cluster, "SASL_PLAINTEXT", "GSSAPI", password="x")
    with pytest.raises(BrokerResponseError) as info:
        await client.bootstrap()
    await client.close()
    # the broker refuses the mechanism (UNSUPPORTED_SASL_MECHANISM, 33): bootstrap tries
    # every address, and when all refuse it, raises that typed error (not a connection
    # error: retrying cannot help), naming what the listener offers
    assert info.value.errno == 33 and "unable to bootstrap from" in str(info.value)
    assert "does not enable sasl_mechanism 'GSSAPI'; it offers " in str(info.value)
    assert "PLAIN" in str(info.value) and "OAUTHBEARER" in str(info.value)


async def test_create_ssl_context_for_mtls(kafka_secure_cluster: KafkaCluster) -> None:
    tls = kafka_secure_cluster.tls
    context = create_ssl_context(
        cafile=str(tls.ca_pem), certfile=str(tls.client_cert_pem), keyfile=str(tls.client_key_pem)
    )
    async with AIOKafkaClient(bootstrap_servers=kafka_secure_cluster.bootstrap("MTLS"),
                              security_protocol="SSL", ssl_context=context) as client:  # fmt: skip
        assert client.cluster.brokers()


async def test_untrusted_broker_certificate_is_refused(kafka_secure_cluster: KafkaCluster) -> None:
    client = AIOKafkaClient(
        bootstrap_servers=kafka_secure_cluster.bootstrap("SSL"), security_protocol="SSL",
        ssl_context=create_ssl_context(), request_timeout_ms=10000,
    )  # fmt: skip
    with pytest.raises(KafkaConnectionError) as info:
        await client.bootstrap()
    await client.close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value.__cause__)
