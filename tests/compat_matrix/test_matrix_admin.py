"""Compatibility: admin basics (topics, configs, groups), ACLs on the secured listener,
negotiated API versions, and the refusal of a broker older than 2.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen import AIOKafkaProducer
from aiokafka_gen.admin import AIOKafkaAdminClient, ConfigResource, NewTopic
from aiokafka_gen.admin.types import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourceType,
)
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig
from aiokafka_gen.errors import IncompatibleBrokerVersion, TopicAuthorizationFailedError
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.compat import FLOOR_ENV, TOO_OLD

from .conftest import Cell
from .support import DEADLINE_S, client_options, produce, read

pytestmark = pytest.mark.integration

# The APIs the producer, consumer, groups, transactions and admin basics use.
CORE_APIS = (
    "Produce", "Fetch", "ListOffsets", "Metadata", "OffsetCommit", "OffsetFetch",
    "FindCoordinator", "JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup", "DescribeGroups",
    "ListGroups", "SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics",
    "InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "TxnOffsetCommit",
    "DescribeConfigs", "AlterConfigs", "SaslAuthenticate", "OffsetForLeaderEpoch",
)  # fmt: skip


async def test_matrix_admin_basics(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("admin")
    options = client_options(compat_cluster)
    topic = unique("t")
    async with AIOKafkaAdminClient(**options) as admin:
        await admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"retention.ms": "-1"})])
        assert topic in await admin.list_topics()
        described = await admin.describe_topics([topic])
        assert len(described[topic].partitions) == 3
        resource = ConfigResource("TOPIC", topic, {"retention.ms": "86400000"})
        await admin.alter_configs([resource])
        deadline = time.monotonic() + 30
        while True:
            [result] = (await admin.describe_configs([ConfigResource("TOPIC", topic)])).values()
            if result.entries["retention.ms"].value == "86400000" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert result.entries["retention.ms"].value == "86400000"
        # a group with a committed offset: listed and described
        group = unique("g")
        await produce(options, topic, [b"x"])
        await read(options, topic, 1, group_id=group, session_timeout_ms=10000,
                   heartbeat_interval_ms=1000)  # fmt: skip
        groups = await admin.list_consumer_groups()
        assert group in [listing[0] for listing in groups]
        description = (await admin.describe_consumer_groups([group]))[group]
        assert description.group_id == group
        assert description.state in ("Empty", "Stable", "Dead", "PreparingRebalance")
        await admin.delete_topics([topic])
        deadline = time.monotonic() + 30
        while topic in await admin.list_topics() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert topic not in await admin.list_topics()


def _sasl(cluster: KafkaCluster, user: str) -> dict[str, Any]:
    """SASL_SSL PLAIN as ``user`` (PLAIN: every release in the matrix offers it)."""
    return client_options(cluster, "SASL_SSL", sasl_mechanism="PLAIN",
                          sasl_plain_username=user,
                          sasl_plain_password=cluster.credentials[user])  # fmt: skip


async def _until(check: Callable[[], Any], what: str) -> None:
    """Retry ``check`` (a coroutine function returning truthy) until it holds: ACL changes
    reach the authorizer asynchronously (the metadata log in KRaft, a watch in ZooKeeper)."""
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_matrix_acls(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    """The super user ``admin`` (SASL_SSL) creates, describes and deletes an ACL that lets
    ``alice`` write one topic; the authorizer refuses alice before and after, with the
    typed error, and lets her write while the ACL exists."""
    compat_cell("acls")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    alice = _sasl(compat_cluster, "alice")
    acl = AclBinding(ResourceType.TOPIC, topic, "User:alice", AclOperation.WRITE,
                     AclPermissionType.ALLOW, PatternType.LITERAL, "*")  # fmt: skip
    wanted = AclBindingFilter(ResourceType.TOPIC, topic, pattern_type=PatternType.LITERAL)

    async def refused() -> bool:
        try:
            await produce(alice, topic, [b"no"])
        except TopicAuthorizationFailedError:
            return True
        return False

    async def allowed() -> bool:
        try:
            await produce(alice, topic, [b"yes"])
        except TopicAuthorizationFailedError:
            return False
        return True

    assert await refused(), "alice wrote without an ACL"
    async with AIOKafkaAdminClient(**_sasl(compat_cluster, compat_cluster.admin_user)) as admin:
        created = await admin.create_acls([acl])
        assert created[acl].error is None, created
        await _until(lambda: _described(admin, wanted, acl), "describe_acls to list the ACL")
        await _until(allowed, "alice allowed to write with the ACL")
        deleted = await admin.delete_acls([wanted])
        assert deleted[wanted].error is None and deleted[wanted].deleted == (acl,), deleted
        await _until(lambda: _gone(admin, wanted), "describe_acls without the ACL")
    await _until(refused, "alice refused again after the delete")
    records = await read(client_options(compat_cluster), topic, 1)
    assert records[0].value == b"yes", "alice wrote before the ACL existed"


async def _described(admin: AIOKafkaAdminClient, wanted: AclBindingFilter, acl: AclBinding) -> bool:
    return await admin.describe_acls(wanted) == [acl]


async def _gone(admin: AIOKafkaAdminClient, wanted: AclBindingFilter) -> bool:
    return await admin.describe_acls(wanted) == []


async def test_matrix_api_versions(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], record_state: dict[str, Any]
) -> None:
    compat_cell("api-versions")
    host, port = compat_cluster.bootstrap().split(",")[0].rsplit(":", 1)
    conn = BrokerConnection(host, int(port), ConnectionConfig())
    await conn.connect()
    try:
        assert conn.versions is not None
        negotiated = conn.versions.negotiated()
    finally:
        await conn.close()
    record_state["negotiated"] = negotiated
    names = {name.split(" (key")[0] for name in negotiated}
    missing = [api for api in CORE_APIS if api not in names]
    assert not missing, f"no common version for {missing}"


@pytest.mark.skipif(
    __import__("os").environ.get(FLOOR_ENV, "1") == "0", reason="the runner checks it once"
)
async def test_matrix_broker_older_than_2_1_is_refused(record_state: dict[str, Any]) -> None:
    """A Kafka 2.0 broker (from Maven Central, ZooKeeper mode) is refused at connect with a
    typed error naming the minimum, at once (no retries, no hang)."""
    with KafkaCluster(kafka_version=TOO_OLD) as old:
        producer = AIOKafkaProducer(bootstrap_servers=old.bootstrap())
        begin = time.monotonic()
        with pytest.raises(IncompatibleBrokerVersion) as caught:
            async with asyncio.timeout(30):
                await producer.start()
        elapsed = time.monotonic() - begin
        await producer.stop()
    message = str(caught.value)
    assert "older than Kafka 2.1" in message and "needs Kafka 2.1 or newer" in message
    assert elapsed < 10, elapsed
    record_state["floor"].append(
        f"Kafka {TOO_OLD}: `IncompatibleBrokerVersion` after {elapsed:.1f} s: {message}"
    )
