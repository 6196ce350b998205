"""The clients' metrics against a real broker: values checked against what the run did
(records sent and consumed, bytes, request counts, lag after a known backlog, a rebalance
counted, a failed record counted, a throttled request counted with a quota set through our
admin client), and ``metrics_enabled=False`` recording nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.admin.types import ClientQuotaAlteration
from aiokafka_gen.errors import KafkaConfigurationError, MessageSizeTooLargeError

pytestmark = pytest.mark.integration


def value(metrics: Mapping[Any, float], name: str, group: str, **tags: str) -> float:
    """The one metric called ``name`` in ``group`` tagged ``tags`` (and the client id)."""
    want = {t.replace("_", "-"): v for t, v in tags.items()}
    found = [
        v
        for k, v in metrics.items()
        if k.name == name
        and k.group == group
        and {t: v for t, v in k.tags.items() if t != "client-id"} == want
    ]
    assert len(found) == 1, f"{group}/{name} {tags}: {len(found)} matches"
    return found[0]


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_producer_counts_what_it_sent(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(3)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, linger_ms=5, compression_type="gzip"
    ) as producer:
        futures = [await producer.send(topic, b"x" * 100, key=b"%d" % i) for i in range(500)]
        await asyncio.gather(*futures)
        m = producer.metrics()
        client_id = producer.client.client_id
    assert all(k.tags["client-id"] == client_id for k in m)
    pm = "producer-metrics"
    assert value(m, "record-send-total", pm) == 500
    assert value(m, "record-send-total", "producer-topic-metrics", topic=topic) == 500
    assert value(m, "record-error-total", pm) == 0
    produce_requests = value(m, "request-total", "producer-request-metrics", api="Produce")
    assert produce_requests >= 1
    assert value(m, "records-per-request-avg", pm) == pytest.approx(500 / produce_requests)
    # 100 identical bytes compress well; every batch was recorded
    assert 0 < value(m, "compression-rate-avg", pm) < 0.5
    assert value(m, "batch-size-max", pm) >= value(m, "batch-size-avg", pm) > 0
    # key "0".."499" + 100-byte value: a record is 100 + key + ~8 bytes of framing
    assert 108 <= value(m, "record-size-max", pm) <= 120
    assert value(m, "request-latency-max", pm) >= value(m, "request-latency-avg", pm) > 0
    assert value(m, "buffer-available-bytes", pm) == value(m, "buffer-total-bytes", pm)
    assert value(m, "requests-in-flight", pm) == 0
    # the connection layer: every request written was answered
    assert value(m, "request-total", pm) == value(m, "response-total", pm)
    assert value(m, "outgoing-byte-total", pm) > 500 * 100 * 0.01
    node_latency = [k for k in m if k.name == "request-latency-avg" and "node-id" in k.tags]
    assert {k.tags["node-id"] for k in node_latency} >= {"node--1", "node-1"}
    assert value(m, "connection-creation-total", pm) >= 2  # bootstrap + node 1


async def test_producer_counts_failed_records(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1, configs={"max.message.bytes": "1000"})
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
        with pytest.raises(MessageSizeTooLargeError):
            await producer.send_and_wait(topic, b"y" * 5000)
        await producer.send_and_wait(topic, b"ok")
        m = producer.metrics()
    assert value(m, "record-error-total", "producer-metrics") == 1
    assert value(m, "record-error-total", "producer-topic-metrics", topic=topic) == 1
    assert value(m, "record-send-total", "producer-metrics") == 2
    # the Produce answer carried a partition error, not a top-level one: the request
    # itself did not fail (its error sensor is created by the first failure)
    assert not [k for k in m if k.name == "request-error-total" and k.tags.get("api") == "Produce"]


async def test_consumer_counts_records_and_lag(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    total = 2000
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=20) as producer:
        futures = [await producer.send(topic, b"v" * 100) for _ in range(total)]
        await asyncio.gather(*futures)
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16384,  # the backlog takes many fetches
        fetch_max_bytes=16384,
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        got = await consumer.getmany(timeout_ms=10000)
        assert got
        position = await consumer.position(tp)
        m = consumer.metrics()
        fm = "consumer-fetch-manager-metrics"
        # lag recorded after handing out every record of a fetch: end offset - position
        assert value(m, "records-lag", fm, topic=topic, partition="0") == total - position
        assert value(m, "records-lag-max", fm) >= total - position
        assert value(m, "records-lead", fm, topic=topic, partition="0") == position
        n = sum(len(v) for v in got.values())
        while n < total:
            batch = await consumer.getmany(timeout_ms=10000)
            n += sum(len(v) for v in batch.values())
        m = consumer.metrics()
        assert value(m, "records-consumed-total", fm) == total
        assert value(m, "records-consumed-total", fm, topic=topic) == total
        assert value(m, "records-lag", fm, topic=topic, partition="0") == 0
        assert value(m, "bytes-consumed-total", fm) >= total * 100
        fetches = value(m, "fetch-total", fm)
        assert fetches >= total * 100 / 16384
        assert value(m, "fetch-size-max", fm) <= 16384 + 2048
        answered = value(m, "request-total", "consumer-request-metrics", api="Fetch")
        assert answered >= fetches  # the request layer counts each answered Fetch too
        assert value(m, "time-between-poll-max", "consumer-metrics") > 0
        assert value(m, "last-poll-seconds-ago", "consumer-metrics") < 60
        assert 0 <= value(m, "poll-idle-ratio-avg", "consumer-metrics") <= 1
        assert value(m, "assigned-partitions", "consumer-coordinator-metrics") == 1
    finally:
        await consumer.stop()


async def test_consumer_counts_rebalances_and_commits(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(2)
    group = f"metrics-{topic}"
    cc = "consumer-coordinator-metrics"
    first = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group)
    await first.start()
    second = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group)
    try:
        assert value(first.metrics(), "rebalance-total", cc) == 1
        assert value(first.metrics(), "join-total", cc) >= 1
        assert value(first.metrics(), "sync-total", cc) == 1
        await second.start()

        async def first_rebalanced_again() -> bool:
            await first.getmany(timeout_ms=100)  # polls keep the member alive
            return value(first.metrics(), "rebalance-total", cc) >= 2

        await until(first_rebalanced_again)
        m = first.metrics()
        assert value(m, "rebalance-latency-max", cc) > 0
        assert value(m, "last-rebalance-seconds-ago", cc) < 60
        assigned = first.assignment()
        await first.commit({tp: 0 for tp in assigned})
        m = first.metrics()
        assert value(m, "commit-total", cc) >= 1
        assert value(m, "commit-latency-max", cc) > 0
        assert value(m, "commit-sync-time-ns-total", "consumer-metrics") > 0
    finally:
        await second.stop()
        await first.stop()


async def test_throttled_produce_is_counted(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    client_id = f"throttled-{topic}"[:200]
    async with AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        quota = ClientQuotaAlteration({"client-id": client_id}, {"producer_byte_rate": 2048.0})
        await admin.alter_client_quotas([quota])
        try:
            async with AIOKafkaProducer(
                bootstrap_servers=kafka_bootstrap, client_id=client_id, linger_ms=0
            ) as producer:
                throttled = 0.0
                deadline = time.monotonic() + 60
                while throttled <= 0:
                    assert time.monotonic() < deadline, "never throttled"
                    await producer.send_and_wait(topic, b"z" * 10000)
                    m = producer.metrics()
                    throttled = value(m, "produce-throttle-time-max", "producer-metrics")
        finally:
            remove = ClientQuotaAlteration({"client-id": client_id}, {"producer_byte_rate": None})
            await admin.alter_client_quotas([remove])
        am = admin.metrics()
    assert value(am, "request-total", "admin-client-request-metrics", api="AlterClientQuotas") == 2


async def test_metrics_off_records_nothing(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, metrics_enabled=False
    ) as producer:
        await producer.send_and_wait(topic, b"a")
        assert producer.metrics() == {}
        assert producer.client.metrics is None
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        metrics_enabled=False,
    )  # fmt: skip
    await consumer.start()
    try:
        assert (await consumer.getone()).value == b"a"
        assert consumer.metrics() == {}
    finally:
        await consumer.stop()
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_bootstrap, metrics_enabled=False
    ) as admin:
        await admin.list_topics()
        assert admin.metrics() == {}


@pytest.mark.parametrize(
    "options",
    [{"metrics_num_samples": 0}, {"metrics_sample_window_ms": 0},
     {"metrics_num_samples": 1.5}],
)  # fmt: skip
def test_metrics_settings_are_checked(options: dict[str, Any]) -> None:
    for make in (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient):
        with pytest.raises(KafkaConfigurationError, match=next(iter(options))):
            make(**options)


def test_window_settings_reach_the_registry() -> None:
    producer = AIOKafkaProducer(metrics_num_samples=3, metrics_sample_window_ms=5000)
    registry = producer._registry
    assert registry is not None
    assert registry.config.num_samples == 3
    assert registry.config.sample_window == 5.0
    assert registry.prefix == "producer"
