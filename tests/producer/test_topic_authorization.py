"""Integration: a topic the user may not describe (Metadata answers TOPIC_AUTHORIZATION_FAILED,
29) fails the producer's send and partitions_for at once with TopicAuthorizationFailedError
instead of waiting max_block_ms for metadata that will never come; once an ACL allows it,
the same producer sends (the refusal is not remembered past the next Metadata answer).
The consumer's offset lookups fail at once the same way. A cluster with SASL and
StandardAuthorizer ACLs: admin is a super user, alice is not."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

from aiokafka_gen.admin import AclBinding, AclOperation, AIOKafkaAdminClient, ResourceType
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import TopicAuthorizationFailedError
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration
QUICK = 5.0  # seconds; request_timeout_ms (and so max_block_ms) stays at 40 s


@pytest.fixture(scope="module")
def acl_cluster() -> Iterator[KafkaCluster]:
    with KafkaCluster(security="sasl_plaintext", acls=True) as cluster:
        yield cluster


def as_user(cluster: KafkaCluster, user: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": cluster.bootstrap("SASL_PLAINTEXT"),
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
        "sasl_plain_username": user, "sasl_plain_password": cluster.credentials[user],
    }  # fmt: skip


async def test_unauthorized_topic_fails_at_once(acl_cluster: KafkaCluster) -> None:
    topic = f"guarded-{os.urandom(4).hex()}"
    acl_cluster.create_topic(topic)
    async with AIOKafkaProducer(**as_user(acl_cluster, "alice")) as producer:
        for attempt in (producer.partitions_for, lambda t: producer.send_and_wait(t, b"v")):
            async with asyncio.timeout(QUICK):
                with pytest.raises(TopicAuthorizationFailedError, match=topic) as info:
                    await attempt(topic)
            assert info.value.errno == 29
        async with AIOKafkaAdminClient(**as_user(acl_cluster, "admin")) as admin:
            await admin.create_acls([
                AclBinding(ResourceType.TOPIC, topic, "User:alice", operation)
                for operation in (AclOperation.DESCRIBE, AclOperation.WRITE)
            ])  # fmt: skip
        meta = await _eventually_sent(producer, topic)
        assert meta.topic == topic and meta.offset == 0


async def test_client_wait_on_metadata_reports_authorization(acl_cluster: KafkaCluster) -> None:
    topic = f"guarded-{os.urandom(4).hex()}"
    acl_cluster.create_topic(topic)
    async with AIOKafkaClient(**as_user(acl_cluster, "alice")) as client:
        async with asyncio.timeout(QUICK):
            with pytest.raises(TopicAuthorizationFailedError):
                await client._wait_on_metadata(topic)
        assert client.cluster.unauthorized_topics == {topic}
        assert isinstance(client.cluster.topic_error(topic), TopicAuthorizationFailedError)


async def test_consumer_offset_lookups_report_authorization(acl_cluster: KafkaCluster) -> None:
    topic = f"guarded-{os.urandom(4).hex()}"
    acl_cluster.create_topic(topic)
    tp = TopicPartition(topic, 0)
    async with AIOKafkaConsumer(**as_user(acl_cluster, "alice")) as consumer:
        for lookup in (consumer.beginning_offsets, consumer.end_offsets):
            async with asyncio.timeout(QUICK):  # the lookup's own deadline is 40 s
                with pytest.raises(TopicAuthorizationFailedError, match=topic):
                    await lookup([tp])


async def _eventually_sent(producer: AIOKafkaProducer, topic: str) -> Any:
    """ACLs are metadata records: the broker applies a new one a moment after the
    controller accepted it, so retry the send (0.2 s apart, 10 s at most)."""
    for _ in range(50):
        try:
            return await producer.send_and_wait(topic, b"allowed")
        except TopicAuthorizationFailedError:
            await asyncio.sleep(0.2)
    return await producer.send_and_wait(topic, b"allowed")
