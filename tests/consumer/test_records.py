"""Integration: what the consumer hands out. Records written by our producer read back equal
(keys, values, headers, timestamps), deserializers and their errors, every codec written by
Kafka's Java ProducerPerformance, read_committed against transactions written by our
producer and by Java's, and fetch sessions that really go incremental."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import KEEP, OLD_TS, assigned, produce, read

pytestmark = pytest.mark.integration
Topic = Callable[..., str]


async def test_keys_values_headers_timestamps_read_back_equal(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1, configs=KEEP)
    tp = TopicPartition(topic, 0)
    sent: list[tuple[Any, ...]] = [
        (b"k1", b"v1", [("a", b"1"), ("a", b"2"), ("empty", b"")], OLD_TS),
        (None, b"no key", [], OLD_TS + 1),
        (b"no value", None, [("trace", b"\x00\xff" * 40)], OLD_TS + 10_000_000),
        (b"big", b"x" * 300_000, [], OLD_TS + 5),
        ("uni\u00e7ode".encode(), b"", [("h\u00e9", b"v")], OLD_TS + 6),
    ]
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, compression_type="gzip") as p:
        for key, value, headers, ts in sent:
            await p.send_and_wait(topic, value, key=key, partition=0, timestamp_ms=ts,
                                  headers=headers)  # fmt: skip
    async with assigned(kafka_bootstrap, tp, auto_offset_reset="earliest") as consumer:
        got = await read(consumer, len(sent))
    assert [(r.key, r.value, r.headers, r.timestamp) for r in got] == [
        (k, v, tuple(h), ts) for k, v, h, ts in sent
    ]
    assert all(type(r.headers) is tuple for r in got)  # as aiokafka: a tuple of tuples
    assert all(type(h) is tuple for r in got for h in r.headers)
    assert [r.serialized_key_size for r in got] == [2, -1, 8, 3, 8]
    assert all(r.timestamp_type == 0 and r.topic == topic and r.partition == 0 for r in got)


async def test_deserializers_and_their_errors(kafka_bootstrap: str, kafka_topic: Topic) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    values = [json.dumps({"n": 0}).encode(), b"{not json", json.dumps({"n": 2}).encode()]
    await produce(kafka_bootstrap, topic, values)
    consumer = assigned(
        kafka_bootstrap, tp, auto_offset_reset="earliest",
        key_deserializer=lambda k: k.decode(), value_deserializer=json.loads,
    )  # fmt: skip
    async with consumer:
        first = await consumer.getone()
        assert (first.key, first.value) == ("k0", {"n": 0})
        for _ in range(2):  # the bad record stays in the way until the application seeks
            with pytest.raises(json.JSONDecodeError):
                await consumer.getmany(timeout_ms=5000)
        assert await consumer.position(tp) == 1
        consumer.seek(tp, 2)
        last = await consumer.getone()
        assert (last.offset, last.value) == (2, {"n": 2})


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
async def test_codecs_written_by_java_producer_performance(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, codec: str
) -> None:
    topic = kafka_topic(1)
    count, size = 3000, 200
    await asyncio.to_thread(
        kafka_cluster.run_tool, "ProducerPerformance", "--topic", topic,
        "--num-records", str(count), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={kafka_cluster.bootstrap()}",
        f"compression.type={codec}", "linger.ms=20", "acks=1",
    )  # fmt: skip
    tp = TopicPartition(topic, 0)
    async with assigned(kafka_cluster.bootstrap(), tp, auto_offset_reset="earliest") as consumer:
        got = await read(consumer, count, timeout=60)
        assert [r.offset for r in got] == list(range(count))
        assert {len(r.value) for r in got} == {size} and {r.key for r in got} == {None}
        assert await consumer.getmany(timeout_ms=100) == {}


async def test_read_committed_against_our_transactions(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=f"{topic}-t")
    async with producer:
        for name, commit in (("c1", True), ("a1", False), ("c2", True), ("a2", False)):
            await producer.begin_transaction()
            for i in range(3):
                await producer.send(topic, b"%s-%d" % (name.encode(), i), partition=0)
            await (producer.commit_transaction() if commit else producer.abort_transaction())
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"open-0", partition=0)  # left open for now
        committed = assigned(kafka_bootstrap, tp, auto_offset_reset="earliest",
                             isolation_level="read_committed")  # fmt: skip
        uncommitted = assigned(kafka_bootstrap, tp, auto_offset_reset="earliest")
        async with committed, uncommitted:
            got = [r.value for r in await read(committed, 6)]
            assert got == [b"c1-0", b"c1-1", b"c1-2", b"c2-0", b"c2-1", b"c2-2"]
            assert await committed.getmany(timeout_ms=500) == {}  # the LSO holds the open one
            lso = committed.last_stable_offset(tp)
            assert lso is not None and lso < committed.highwater(tp)  # type: ignore[operator]
            all_values = [r.value for r in await read(uncommitted, 13)]
            assert all_values[3:6] == [b"a1-0", b"a1-1", b"a1-2"] and all_values[-1] == b"open-0"
            await producer.commit_transaction()
            assert [r.value for r in await read(committed, 1)] == [b"open-0"]
            # 4 x (3 records + marker), open-0 and its marker: the marker is passed, not shown
            assert await committed.end_offsets([tp]) == {tp: 18}
            async with asyncio.timeout(10):
                while await committed.position(tp) < 18:
                    assert await committed.getmany(timeout_ms=100) == {}


async def test_read_committed_against_java_transactions(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    await asyncio.to_thread(
        kafka_cluster.run_tool, "ProducerPerformance", "--topic", topic,
        "--num-records", "500", "--record-size", "50", "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={kafka_cluster.bootstrap()}",
        "--transactional-id", f"{topic}-java", "--transaction-duration-ms", "50",
    )  # fmt: skip
    consumer = assigned(kafka_cluster.bootstrap(), tp, auto_offset_reset="earliest",
                        isolation_level="read_committed")  # fmt: skip
    async with consumer:
        got = await read(consumer, 500, timeout=60)
        assert len({r.offset for r in got}) == 500 and {len(r.value) for r in got} == {50}
        end = (await consumer.end_offsets([tp]))[tp]
        assert end > 500  # the commit markers take offsets that are never handed out
        async with asyncio.timeout(20):
            while await consumer.position(tp) < end:
                assert await consumer.getmany(timeout_ms=200) == {}


async def test_fetch_sessions_go_incremental(kafka_bootstrap: str, kafka_topic: Topic) -> None:
    topic = kafka_topic(3)
    tps = [TopicPartition(topic, p) for p in range(3)]
    async with AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap,
                                fetch_max_wait_ms=50) as consumer:  # fmt: skip
        consumer.assign(tps)
        await consumer.seek_to_end()
        for partition in range(3):
            await produce(kafka_bootstrap, topic, [b"p%d" % partition], partition=partition)
        got = await read(consumer, 3)
        assert sorted(r.partition for r in got) == [0, 1, 2]
        sessions = list(consumer._fetcher.sessions.values())
        assert len(sessions) == 1
        session = sessions[0]
        assert session.session_id != 0 and session.epoch > 1
        assert session.incremental_requests > session.full_requests >= 1
    async with AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, fetch_sessions=False,
                                auto_offset_reset="earliest") as consumer:  # fmt: skip
        consumer.assign(tps)
        assert len(await read(consumer, 3)) == 3
        session = next(iter(consumer._fetcher.sessions.values()))
        assert session.session_id == 0 and session.incremental_requests == 0
