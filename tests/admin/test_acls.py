"""Integration: ACLs, SCRAM users and authorization errors on a SASL cluster with ACLs
(``admin`` is a super user, ``alice`` is not)."""

from __future__ import annotations

import asyncio
import os

import pytest

from aiokafka_gen.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AIOKafkaAdminClient,
    NewTopic,
    PatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from aiokafka_gen.admin.results import UserScramCredentialsDescription
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    ClusterAuthorizationFailedError,
    DuplicateResourceError,
    InvalidRequestError,
    KafkaConnectionError,
    KafkaError,
    ResourceNotFoundError,
    SecurityDisabled,
    TopicAuthorizationFailedError,
)
from aiokafka_gen.testing import KafkaCluster

from .support import sasl_admin, settled

pytestmark = pytest.mark.integration


def _name(tag: str) -> str:
    return f"acl-{tag}-{os.urandom(4).hex()}"


async def test_create_describe_delete_acls(acl_cluster: KafkaCluster) -> None:
    topic = _name("topic")
    read = AclBinding(ResourceType.TOPIC, topic, "User:alice", AclOperation.READ)
    prefixed = AclBinding(
        ResourceType.GROUP, "team-", "User:alice", AclOperation.DESCRIBE,
        AclPermissionType.DENY, PatternType.PREFIXED, host="10.0.0.1",
    )  # fmt: skip
    invalid = AclBinding(ResourceType.TOPIC, topic, "User:alice", AclOperation.ANY)
    async with sasl_admin(acl_cluster, "admin") as admin:
        results = await admin.create_acls([read, prefixed, invalid], raise_on_error=False)
        assert results[read].error is None and results[prefixed].error is None
        assert isinstance(results[invalid].error, InvalidRequestError)
        mine = AclBindingFilter(principal="User:alice")
        found = await settled(
            lambda: admin.describe_acls(mine), lambda d: {read, prefixed} <= set(d)
        )
        assert {read, prefixed} <= set(found)
        on_topic = await admin.describe_acls(AclBindingFilter(ResourceType.TOPIC, topic))
        assert on_topic == [read]
        group_filter = AclBindingFilter(ResourceType.GROUP, pattern_type=PatternType.PREFIXED)
        deleted = await admin.delete_acls(
            [group_filter, AclBindingFilter(ResourceType.TOPIC, topic)]
        )
        assert deleted[group_filter].deleted == (prefixed,)
        left = await settled(
            lambda: admin.describe_acls(mine), lambda d: read not in d and prefixed not in d
        )
        assert read not in left
        assert prefixed not in left


async def test_unauthorized_principal_gets_typed_errors(acl_cluster: KafkaCluster) -> None:
    secret = _name("secret")
    async with sasl_admin(acl_cluster, "admin") as admin:
        await admin.create_topics([NewTopic(secret, 1, 1)])
    async with sasl_admin(acl_cluster, "alice") as alice:
        created = await alice.create_topics([NewTopic(_name("alice"), 1, 1)], raise_on_error=False)
        assert all(isinstance(r.error, TopicAuthorizationFailedError) for r in created.values())
        described = await alice.describe_topics([secret], raise_on_error=False)
        assert isinstance(described[secret].error, TopicAuthorizationFailedError)
        with pytest.raises(TopicAuthorizationFailedError):
            await alice.delete_topics([secret])
        assert secret not in await alice.list_topics()
        with pytest.raises(ClusterAuthorizationFailedError):
            await alice.describe_acls()
        with pytest.raises(ClusterAuthorizationFailedError):
            await alice.create_acls(
                [AclBinding(ResourceType.TOPIC, secret, "User:alice", AclOperation.ALL)]
            )


async def test_allowing_alice_lets_her_describe(acl_cluster: KafkaCluster) -> None:
    topic = _name("shared")
    allow = AclBinding(ResourceType.TOPIC, topic, "User:alice", AclOperation.DESCRIBE)
    async with sasl_admin(acl_cluster, "admin") as admin:
        await admin.create_topics([NewTopic(topic, 1, 1)])
        await admin.create_acls([allow])
    try:
        async with sasl_admin(acl_cluster, "alice") as alice:
            found = await settled(
                lambda: alice.describe_topics(
                    [topic], include_authorized_operations=True, raise_on_error=False
                ),
                lambda d: d[topic].error is None,
            )
            assert found[topic].error is None
            assert found[topic].authorized_operations == {AclOperation.DESCRIBE}
    finally:
        async with sasl_admin(acl_cluster, "admin") as admin:
            await admin.delete_acls([AclBindingFilter(ResourceType.TOPIC, topic)])


async def test_scram_credentials(acl_cluster: KafkaCluster) -> None:
    user = _name("bob")
    async with sasl_admin(acl_cluster, "admin") as admin:
        twice = [
            UserScramCredentialUpsertion(user, "bob-secret", ScramMechanism.SCRAM_SHA_256),
            UserScramCredentialUpsertion(user, "bob-secret", ScramMechanism.SCRAM_SHA_512, 8192),
        ]
        with pytest.raises(DuplicateResourceError):  # one change per user and request
            await admin.alter_user_scram_credentials(twice)
        for change in twice:
            altered = await admin.alter_user_scram_credentials([change])
            assert altered[user].error is None
        both = {(ScramMechanism.SCRAM_SHA_256, 4096), (ScramMechanism.SCRAM_SHA_512, 8192)}
        described = await settled(
            lambda: admin.describe_user_scram_credentials([user], raise_on_error=False),
            lambda found: _infos(found[user]) == both,
        )
        assert described[user].error is None
        assert _infos(described[user]) == both
        assert user in await admin.describe_user_scram_credentials()
        await _login(acl_cluster, user, "bob-secret")  # the salted hash we sent works
        with pytest.raises(KafkaError):
            await _login(acl_cluster, user, "wrong-secret")
        for mechanism in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512):
            await admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, mechanism)])
        missing = await settled(
            lambda: admin.describe_user_scram_credentials([user], raise_on_error=False),
            lambda found: found[user].error is not None,
        )
        assert isinstance(missing[user].error, ResourceNotFoundError)
        with pytest.raises(ResourceNotFoundError):
            await admin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_256)]
            )
    async with sasl_admin(acl_cluster, "alice") as alice:
        with pytest.raises(ClusterAuthorizationFailedError):
            await alice.describe_user_scram_credentials()


def _infos(description: UserScramCredentialsDescription) -> set[tuple[ScramMechanism, int]]:
    return {(c.mechanism, c.iterations) for c in description.credentials}


async def _login(cluster: KafkaCluster, user: str, password: str) -> None:
    for attempt in range(20):  # credentials are metadata records too
        client = AIOKafkaClient(
            bootstrap_servers=cluster.bootstrap("SASL_PLAINTEXT"),
            security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
            sasl_plain_username=user, sasl_plain_password=password,
        )  # fmt: skip
        try:
            await client.bootstrap()
            return
        except KafkaConnectionError as exc:
            if attempt == 19 or password.startswith("wrong"):
                raise KafkaError("login failed") from exc
            await asyncio.sleep(0.2)
        finally:
            await client.close()


async def test_acls_without_an_authorizer(admin: AIOKafkaAdminClient) -> None:
    with pytest.raises(SecurityDisabled):
        await admin.describe_acls()
