"""Log lines name their client (and broker where they have one), as text and as structured
fields, and a DEBUG-level SASL_SSL run logs no credential."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka_gen._logging import client_logger, current, tagged
from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.testing import KafkaCluster


def _ours(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name.startswith("aiokafka_gen")]


def test_the_adapter_prefixes_and_adds_fields(caplog: pytest.LogCaptureFixture) -> None:
    log = client_logger("aiokafka_gen.test")
    with caplog.at_level(logging.DEBUG, logger="aiokafka_gen"):
        log.info("outside")
        with tagged("cid-1", "producer"):
            assert current() is not None
            log.info("inside %d", 1)
            log.info("at a node", extra={"node_id": 3})
        assert current() is None
    outside, inside, node = caplog.records
    assert outside.getMessage() == "outside" and not hasattr(outside, "client_id")
    assert inside.getMessage() == "[cid-1] inside 1"
    assert (inside.client_id, inside.client_kind) == ("cid-1", "producer")  # type: ignore[attr-defined]
    assert node.getMessage() == "[cid-1 node=3] at a node"
    assert node.node_id == 3  # type: ignore[attr-defined]


async def test_tasks_keep_the_tag_of_the_client_that_made_them() -> None:
    seen: list[object] = []

    async def background() -> None:
        await asyncio.sleep(0)
        seen.append(current())

    with tagged("cid-2", "consumer"):
        task = asyncio.get_running_loop().create_task(background())
    seen.append(current())  # the caller's own context is left untouched
    await task
    assert seen[0] is None
    tag = seen[1]
    assert tag is not None and tag.client_id == "cid-2"  # type: ignore[attr-defined]


@pytest.mark.integration
async def test_every_line_of_a_run_names_its_client(
    kafka_bootstrap: str, kafka_topic: object, caplog: pytest.LogCaptureFixture
) -> None:
    topic = kafka_topic(2)  # type: ignore[operator]
    group = f"log-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.DEBUG, logger="aiokafka_gen"):
        async with AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, client_id="log-producer"
        ) as producer:
            for i in range(20):
                await producer.send_and_wait(topic, b"%d" % i)
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, client_id="log-consumer", group_id=group,
            auto_offset_reset="earliest",
        )  # fmt: skip
        async with consumer:
            seen = 0
            while seen < 20:
                batch = await consumer.getmany(timeout_ms=5000)
                seen += sum(len(v) for v in batch.values())
        async with AIOKafkaAdminClient(
            bootstrap_servers=kafka_bootstrap, client_id="log-admin"
        ) as admin:
            await admin.list_topics()
    records = _ours(caplog.records)
    # the group's join is logged at INFO; the admin client's start at DEBUG
    assert any(r.name == "aiokafka_gen.coordinator" for r in records)
    assert any(r.name == "aiokafka_gen.admin" for r in records)
    untagged = [(r.name, r.getMessage()) for r in records if not hasattr(r, "client_id")]
    assert not untagged
    for r in records:
        client_id = r.client_id  # type: ignore[attr-defined]
        assert client_id in ("log-producer", "log-consumer", "log-admin")
        assert r.getMessage().startswith(f"[{client_id}")
        assert r.client_kind in ("producer", "consumer", "admin-client")  # type: ignore[attr-defined]


@pytest.mark.integration
async def test_a_sasl_ssl_run_logs_no_credential(
    kafka_secure_cluster: KafkaCluster, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = kafka_secure_cluster
    topic = f"log-sasl-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(cluster.create_topic, topic)
    user = cluster.admin_user
    password = cluster.credentials[user]
    secure = {
        "bootstrap_servers": cluster.bootstrap("SASL_SSL"), "security_protocol": "SASL_SSL",
        "ssl_context": cluster.ssl_context(), "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": user, "sasl_plain_password": password,
    }  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        async with AIOKafkaProducer(**secure, enable_idempotence=True) as producer:
            await producer.send_and_wait(topic, b"secret-free")
        consumer = AIOKafkaConsumer(
            topic, **secure, group_id=f"g-{topic}", auto_offset_reset="earliest"
        )
        async with consumer:
            assert (await consumer.getone()).value == b"secret-free"
        wrong = AIOKafkaProducer(**(secure | {"sasl_plain_password": password + "-wrong"}))
        with pytest.raises(Exception):  # noqa: B017 (any refusal; its text is checked below)
            await wrong.start()
        await wrong.stop()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(f"{formatter.format(r)} {r.__dict__}" for r in caplog.records)
    assert _ours(caplog.records), "the run logged nothing: the check would prove nothing"
    assert password not in text
    assert password + "-wrong" not in text
