"""The command line over SASL_SSL with ACLs: settings from librdkafka- and Java-style
config files, ``acls list|create|delete`` checked with the admin client, authorization
failures reported as one typed line, and no password in any output."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import Result, run_cli, wait_for

from aiokafka_gen.admin import AclBindingFilter, AIOKafkaAdminClient, NewTopic
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure_cluster() -> Iterator[KafkaCluster]:
    """One node with PLAINTEXT and SASL_SSL listeners and StandardAuthorizer ACLs (admin is
    a super user, alice is not)."""
    with KafkaCluster(security="sasl_ssl", acls=True) as cluster:
        yield cluster


def _rdkafka_config(cluster: KafkaCluster, user: str, directory: Path) -> Path:
    path = directory / f"{user}.properties"
    path.write_text(
        f"bootstrap.servers={cluster.bootstrap('SASL_SSL')}\n"
        "security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\n"
        f"sasl.username={user}\nsasl.password={cluster.credentials[user]}\n"
        f"ssl.ca.location={cluster.tls.ca_pem}\n"
    )
    return path


def _secure_admin(cluster: KafkaCluster) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=cluster.bootstrap("SASL_SSL"), security_protocol="SASL_SSL",
        ssl_context=cluster.ssl_context(), sasl_mechanism="PLAIN",
        sasl_plain_username="admin", sasl_plain_password=cluster.credentials["admin"],
    )  # fmt: skip


def _no_secrets(cluster: KafkaCluster, *results: Result) -> None:
    for result in results:
        for secret in cluster.credentials.values():
            assert secret not in result.err and secret.encode() not in result.out


def test_sasl_ssl_with_a_librdkafka_config(secure_cluster: KafkaCluster, tmp_path: Path) -> None:
    config = str(_rdkafka_config(secure_cluster, "admin", tmp_path))
    topic = "secure-" + tmp_path.name[-20:].replace("_", "-")
    made = run_cli(["topics", "create", topic, "-p", "1", "--config", config])
    assert made.code == 0, made.err
    sent = run_cli(["produce", topic, "-K:", "--config", config], stdin="k:v\n").ok()
    got = run_cli(["consume", topic, "--json", "--config", config])
    assert [(r["key"], r["value"]) for r in got.lines()] == [("k", "v")]
    shown = run_cli(["cluster", "--json", "--config", config])
    assert shown.json()["brokers"]
    _no_secrets(secure_cluster, made, sent, got, shown)


def test_java_style_config_with_jaas_and_pem_truststore(
    secure_cluster: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "java.properties"
    password = secure_cluster.credentials["admin"]
    path.write_text(
        f"bootstrap.servers={secure_cluster.bootstrap('SASL_SSL')}\n"
        "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
        f' username="admin" password="{password}";\n'
        f"ssl.truststore.type=PEM\nssl.truststore.location={secure_cluster.tls.ca_pem}\n"
    )
    done = run_cli(["topics", "list", "--config", str(path)])
    assert done.code == 0, done.err
    wrong = run_cli(["topics", "list", "--config", str(path), "-X", "sasl.password=nope-123"])
    assert wrong.code == 1
    assert len(wrong.err.strip().splitlines()) == 1
    assert "Authentication" in wrong.err.split(":")[0] or "Sasl" in wrong.err.split(":")[0]
    assert "nope-123" not in wrong.err
    # the client's debug logs and a traceback: where a password would leak first
    chatty = run_cli(["topics", "list", "-vv", "--debug", "--config", str(path)])
    assert chatty.code == 0, chatty.err
    assert "DEBUG" in chatty.err  # the logs are really there
    failing = run_cli(["topics", "list", "-vv", "--debug", "--config", str(path), "-X",
                       "sasl.password=nope-123"])  # fmt: skip
    assert failing.code == 1 and "Traceback" in failing.err
    assert "nope-123" not in failing.err + failing.out.decode()
    _no_secrets(secure_cluster, done, wrong, chatty, failing)


async def test_acls_and_authorization_errors(secure_cluster: KafkaCluster, tmp_path: Path) -> None:
    admin_config = str(_rdkafka_config(secure_cluster, "admin", tmp_path))
    alice_config = str(_rdkafka_config(secure_cluster, "alice", tmp_path))
    topic = "acl-" + tmp_path.name[-20:].replace("_", "-")
    async with _secure_admin(secure_cluster) as admin:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    run_cli(["produce", topic, "-q", "--config", admin_config], stdin="hello\n").ok()

    denied = run_cli(["produce", topic, "--config", alice_config, "--timeout", "10"],
                     stdin="x\n")  # fmt: skip
    assert denied.code == 1
    assert denied.err.startswith("TopicAuthorizationFailedError"), denied.err
    assert len(denied.err.strip().splitlines()) == 1

    made = run_cli(["acls", "create", "--principal", "User:alice", "--operation", "READ",
                    "--operation", "DESCRIBE", "--topic", topic, "--json", "--config",
                    admin_config])  # fmt: skip
    assert made.code == 0, made.err
    mine = AclBindingFilter(principal="User:alice")

    def listed() -> Any:
        done = run_cli(["acls", "list", "--principal", "User:alice", "--topic", topic,
                        "--json", "--config", admin_config])  # fmt: skip
        return done.json()

    async with _secure_admin(secure_cluster) as admin:

        async def visible() -> bool:
            return len(await admin.describe_acls(mine)) == 2

        await wait_for(visible, "the new ACLs to be visible")
        truth = await admin.describe_acls(mine)
    shown = await asyncio.to_thread(listed)
    assert sorted((a["operation"], a["resource_name"], a["permission"]) for a in shown) == sorted(
        (a.operation.name, a.resource_name, a.permission_type.name) for a in truth
    )
    read = run_cli(["consume", topic, "-f", "%s", "--config", alice_config])
    assert read.code == 0, read.err
    assert read.out == b"hello"

    gone = run_cli(["acls", "delete", "--principal", "User:alice", "--topic", topic, "--json",
                    "--config", admin_config]).json()  # fmt: skip
    assert len(gone["deleted"]) == 2
    async with _secure_admin(secure_cluster) as admin:

        async def removed() -> bool:
            return not await admin.describe_acls(mine)

        await wait_for(removed, "the ACLs to be deleted")


async def test_acls_delete_matches_literal_allow_unless_told(
    secure_cluster: KafkaCluster, tmp_path: Path
) -> None:
    """As kafka-acls.sh: ``delete`` without --prefixed/--deny/--pattern/--permission
    removes LITERAL ALLOW bindings only."""
    config = str(_rdkafka_config(secure_cluster, "admin", tmp_path))
    topic = "acld-" + tmp_path.name[-20:].replace("_", "-")
    base = ["--principal", "User:carol", "--operation", "READ", "--topic", topic]

    def acl(action: str, *extra: str) -> Any:
        return run_cli(["acls", action, *base, *extra, "--json", "--config", config]).json()

    acl("create")
    acl("create", "--deny")
    acl("create", "--prefixed")
    mine = AclBindingFilter(principal="User:carol")

    async def count(n: int) -> None:
        async with _secure_admin(secure_cluster) as admin:

            async def seen() -> bool:
                return len(await admin.describe_acls(mine)) == n

            await wait_for(seen, f"{n} ACLs of carol")

    await count(3)
    gone = (await asyncio.to_thread(acl, "delete"))["deleted"]
    assert [(a["pattern_type"], a["permission"]) for a in gone] == [("LITERAL", "ALLOW")]
    await count(2)
    gone = (await asyncio.to_thread(acl, "delete", "--deny"))["deleted"]
    assert [(a["pattern_type"], a["permission"]) for a in gone] == [("LITERAL", "DENY")]
    gone = (await asyncio.to_thread(acl, "delete", "--pattern", "any",
                                    "--permission", "any"))["deleted"]  # fmt: skip
    assert [(a["pattern_type"], a["permission"]) for a in gone] == [("PREFIXED", "ALLOW")]
    await count(0)
