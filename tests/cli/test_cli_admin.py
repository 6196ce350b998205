"""``topics``, ``groups``, ``configs``, ``cluster``, ``records delete`` and ``api-versions``
against the session broker; every JSON answer is compared with what the admin client (or
our own negotiation) reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, ConfigResource, OffsetSpec
from aiokafka_gen.errors import UnknownTopicOrPartitionError
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration

Cli = Callable[..., Any]


async def test_topic_lifecycle(cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient) -> None:
    name = kafka_topic(1) + "-new"
    created = cli("topics", "create", name, "-p", "2", "-r", "1", "-c", "retention.ms=123456",
                  "--json").json()  # fmt: skip
    assert created["partitions"] == 2
    assert cli("topics", "create", name, "-p", "2").code == 1
    assert cli("topics", "create", name, "--if-not-exists").code == 0
    listed = {t["name"]: t["partitions"] for t in cli("topics", "list", "--json").json()}
    assert listed[name] == 2
    # other tests create and delete topics meanwhile: no comparison with a second listing,
    # but every name listed is a topic (or one deleted since), and no internal one
    assert not any(n.startswith("__") for n in listed)
    described = await admin.describe_topics(sorted(listed), raise_on_error=False)
    assert set(described) == set(listed)
    for listed_name, found in described.items():
        assert found.error is None or isinstance(found.error, UnknownTopicOrPartitionError), (
            listed_name
        )
    (described,) = cli("topics", "describe", name, "--json").json()
    truth = (await admin.describe_topics([name]))[name]
    assert described["topic_id"] == str(truth.topic_id)
    shown = [
        (p["partition"], p["leader"], p["replicas"], p["isr"]) for p in described["partitions"]
    ]
    assert shown == [
        (p.partition, p.leader, list(p.replicas), list(p.isr))
        for p in sorted(truth.partitions, key=lambda p: p.partition)
    ]  # fmt: skip
    assert cli("topics", "add-partitions", name, "--total", "4").code == 0
    assert len((await admin.describe_topics([name]))[name].partitions) == 4
    assert cli("topics", "alter-config", name, "--set", "cleanup.policy=compact",
               "--delete", "retention.ms").code == 0  # fmt: skip
    configs = {c["name"]: c for c in cli("configs", "describe", "topic", name, "--json").json()}
    assert configs["cleanup.policy"]["value"] == "compact"
    assert configs["cleanup.policy"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert "retention.ms" not in configs  # back to the default, which is not listed
    resource = ConfigResource("TOPIC", name)
    truth_configs = (await admin.describe_configs([resource]))[resource].entries
    assert truth_configs["cleanup.policy"].value == "compact"
    assert cli("topics", "delete", name).code == 0
    assert name not in await admin.list_topics()


@pytest.mark.parametrize(
    "args",
    [["topics", "describe", "no-such-topic-here"], ["consume", "no-such-topic-here"],
     ["consume", "no-such-topic-here", "-G", "g"], ["produce", "no-such-topic-here"]],
    ids=" ".join,
)  # fmt: skip
async def test_unknown_topic_is_a_typed_one_line_error(cli: Cli, args: list[str]) -> None:
    # the reads describe the topic first and fail at once; produce waits for the topic to
    # appear in metadata for up to --timeout (auto-creating brokers need that wait), so its
    # case gets a short one
    timeout = "5" if args[0] == "produce" else "30"
    done = cli(*args, "--timeout", timeout, stdin="x\n")
    assert done.code == 1
    assert done.err.startswith("UnknownTopicOrPartitionError"), done.err
    assert len(done.err.strip().splitlines()) == 1


async def test_groups_describe_lag_and_reset_offsets(
    cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    topic = kafka_topic(2)
    group = f"{topic}-g"
    cli("produce", topic, "-p", "0", "-q", stdin="".join(f"{i}\n" for i in range(6))).ok()
    cli("produce", topic, "-p", "1", "-q", stdin="".join(f"{i}\n" for i in range(4))).ok()
    await admin.alter_consumer_group_offsets(
        group, {TopicPartition(topic, 0): 2, TopicPartition(topic, 1): 4}
    )
    described = cli("groups", "describe", group, "--json").json()
    assert described["state"] == "Empty" and described["members"] == []
    lags = {p["partition"]: (p["committed_offset"], p["log_end_offset"], p["lag"])
            for p in described["partitions"]}  # fmt: skip
    assert lags == {0: (2, 6, 4), 1: (4, 4, 0)}
    assert described["total_lag"] == 4
    listed = {g["group"]: g for g in cli("groups", "list", "--json").json()}
    assert listed[group]["state"] == "Empty"

    dry = cli("groups", "reset-offsets", group, "--topic", topic, "--to-earliest", "--json")
    assert {p["partition"]: p["new_offset"] for p in dry.json()["partitions"]} == {0: 0, 1: 0}
    assert dry.json()["executed"] is False
    committed = await admin.list_consumer_group_offsets(group)
    assert committed[TopicPartition(topic, 0)].offset == 2  # a dry run changes nothing

    shifted = cli("groups", "reset-offsets", group, "--topic", f"{topic}:0", "--shift-by",
                  "10", "--execute", "--json").json()  # fmt: skip
    assert shifted["partitions"] == [
        {"topic": topic, "partition": 0, "current_offset": 2, "new_offset": 6}
    ]  # clamped to the log end
    committed = await admin.list_consumer_group_offsets(group)
    assert committed[TopicPartition(topic, 0)].offset == 6
    assert committed[TopicPartition(topic, 1)].offset == 4
    cli("groups", "reset-offsets", group, "--all-topics", "--to-offset", "1", "--execute").ok()
    committed = await admin.list_consumer_group_offsets(group)
    assert {o.offset for o in committed.values()} == {1}
    assert cli("groups", "delete", group).code == 0
    assert group not in {g.group_id for g in await admin.list_consumer_groups()}


async def test_records_delete(cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient) -> None:
    topic = kafka_topic(1)
    cli("produce", topic, "-q", stdin="a\nb\nc\nd\n").ok()
    done = cli("records", "delete", f"{topic}:0:3", "--json").json()
    assert done == [{"topic": topic, "partition": 0, "low_watermark": 3}]
    found = await admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.EARLIEST})
    assert found[TopicPartition(topic, 0)].offset == 3
    assert cli("consume", topic, "-f", "%s ").text.split() == ["d"]


async def test_cluster_matches_the_admin_client(cli: Cli, admin: AIOKafkaAdminClient) -> None:
    shown = cli("cluster", "--json").json()
    truth = await admin.describe_cluster()
    assert shown["cluster_id"] == truth.cluster_id
    assert shown["controller"] == truth.controller_id
    assert [(b["id"], b["host"], b["port"]) for b in shown["brokers"]] == sorted(
        (b.node_id, b.host, b.port) for b in truth.brokers
    )
    features = await admin.describe_features()
    assert shown["features"]["finalized"] == {
        k: v.max_version for k, v in features.finalized.items()
    }
    quorum = await admin.describe_metadata_quorum()
    assert shown["quorum"]["leader"] == quorum.leader_id
    dirs = cli("cluster", "--log-dirs", "--json").json()["log_dirs"]
    truth_dirs = await admin.describe_log_dirs()
    assert {(d["broker"], d["path"]) for d in dirs} == {
        (broker, path) for broker, found in truth_dirs.items() for path in found
    }
    assert all(d["total_bytes"] >= d["usable_bytes"] >= 0 for d in dirs)


async def test_broker_configs(cli: Cli, admin: AIOKafkaAdminClient) -> None:
    node = (await admin.describe_cluster()).brokers[0].node_id
    shown = {c["name"]: c for c in cli("configs", "describe", "broker", str(node), "--all",
                                       "--json").json()}  # fmt: skip
    resource = ConfigResource("BROKER", str(node))
    truth = (await admin.describe_configs([resource]))[resource].entries
    assert set(shown) == set(truth)
    for name, entry in truth.items():
        expected = None if entry.is_sensitive else entry.value
        assert shown[name]["value"] == expected, name


async def test_api_versions_against_our_negotiation(cli: Cli, kafka_bootstrap: str) -> None:
    from aiokafka_gen.messages import APIS

    from aiokafka_gen.client import AIOKafkaClient

    shown = cli("api-versions", "--json").json()
    rows = {r["api_key"]: r for r in shown["apis"]}
    assert set(APIS) <= set(rows)
    async with AIOKafkaClient(bootstrap_servers=kafka_bootstrap) as client:
        node = shown["broker"]
        assert await client.ready(node)
        for key in (0, 1, 3, 18, 19, 68):
            assert rows[key]["used"] == client.api_version_for(node, key), APIS[key].name
    assert rows[3]["broker"] is not None and rows[3]["note"] == ""
    assert any(r["note"] == "client only" for r in rows.values())  # e.g. controller APIs
    text = cli("api-versions").text
    assert text.splitlines()[0].split() == ["key", "api", "broker", "aiokafka_gen", "used", "note"]


async def test_kip848_group(cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient) -> None:
    topic = kafka_topic(2)
    group = f"{topic}-848"
    cli("produce", topic, "-K:", "-q", stdin="".join(f"{i}:{i}\n" for i in range(8))).ok()
    read = cli("consume", topic, "-G", group, "-X", "group.protocol=consumer", "--json")
    assert len(read.lines()) == 8
    described = cli("groups", "describe", group, "--json").json()
    truth = (await admin.describe_consumer_groups([group]))[group]
    assert described["type"] == truth.group_type == "consumer"
    assert described["total_lag"] == 0
    assert sum(p["committed_offset"] for p in described["partitions"]) == 8
    listed = {g["group"]: g["type"] for g in cli("groups", "list", "--json").json()}
    assert listed[group] == "consumer"


async def test_group_configs(cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient) -> None:
    group = kafka_topic(1) + "-cfg"
    done = cli("configs", "alter", "group", group, "--set", "consumer.session.timeout.ms=50000")
    assert done.code == 0, done.err
    resource = ConfigResource("GROUP", group)
    truth = (await admin.describe_configs([resource]))[resource].entries
    assert truth["consumer.session.timeout.ms"].value == "50000"
    shown = {c["name"]: c for c in cli("configs", "describe", "group", group, "--json").json()}
    assert shown["consumer.session.timeout.ms"]["value"] == "50000"
    assert shown["consumer.session.timeout.ms"]["source"] == "GROUP_CONFIG"
    assert cli("configs", "alter", "group", group).code == 2  # nothing to change


async def test_groups_list_and_describe_a_share_group(
    cli: Cli, kafka_topic: Any, kafka_bootstrap: str, admin: AIOKafkaAdminClient
) -> None:
    """A share group (KIP-932) is listed with its type and described with its member, its
    start offset and what is not yet acknowledged."""
    import asyncio
    import uuid

    from aiokafka_gen import AIOKafkaProducer, AIOKafkaShareConsumer
    from aiokafka_gen.admin.types import AlterConfigOp, ConfigResourceType

    topic, group = kafka_topic(1), f"cli-share-{uuid.uuid4().hex[:8]}"
    await admin.incremental_alter_configs({
        ConfigResource(ConfigResourceType.GROUP, group):
            [AlterConfigOp("share.auto.offset.reset", "earliest")],
    })  # fmt: skip
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
        for i in range(20):
            await producer.send_and_wait(topic, b"job-%d" % i)
    async with AIOKafkaShareConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, client_id="cli-share-member",
        fetch_max_wait_ms=200,
    ) as consumer:  # fmt: skip
        got = 0
        async with asyncio.timeout(60):
            while got < 20:
                got += sum(len(r) for r in (await consumer.getmany(timeout_ms=500)).values())
        await consumer.commit()
        listed = {g["group"]: g for g in cli("groups", "list", "--json").ok().json()}
        assert listed[group]["type"] == "share"
        described = cli("groups", "describe", group, "--json").ok().json()
        truth = (await admin.describe_share_groups([group]))[group]  # the member still in
        start = (await admin.list_share_group_offsets(group)).get(TopicPartition(topic, 0))
    assert described["type"] == "share" and described["state"] == truth.state == "Stable"
    assert [m["client_id"] for m in described["members"]] == ["cli-share-member"]
    assert described["members"][0]["assignment"] == [f"{topic}:0"]
    [row] = described["partitions"]
    assert (row["topic"], row["partition"], row["log_end_offset"]) == (topic, 0, 20)
    # the start offset trails acknowledgements and only moves forward
    shown = row["committed_offset"]
    assert shown is not None and 0 <= shown <= (start if start is not None else 20)
    assert row["lag"] == 20 - shown
    assert cli("groups", "describe", f"no-such-group-{uuid.uuid4().hex[:6]}").code == 1
