"""Integration: every producer parameter that changes behaviour, and bad input / failure
paths, against the harness broker (batches read back with our own Fetch)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from aiokafka_gen import errors
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import RecordMetadata, TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import fetch_batches

pytestmark = pytest.mark.integration
Topic = Callable[..., str]


def producer_for(cluster: KafkaCluster, **kwargs: object) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=cluster.bootstrap(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("acks", [0, 1, -1, "all"])
async def test_acks(kafka_cluster: KafkaCluster, kafka_topic: Topic, acks: object) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, acks=acks) as producer:
        metas = [await producer.send(topic, b"v%d" % i) for i in range(10)]
        results = [await m for m in metas]
    if acks == 0:  # no answer, no offsets: the futures resolve to None (as aiokafka's)
        assert results == [None] * 10
    else:
        assert [r.offset for r in results] == list(range(10))
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert sum(b.record_count for b in batches) == 10


def test_bad_configuration() -> None:
    with pytest.raises(ValueError):
        AIOKafkaProducer(acks=2)
    with pytest.raises(ValueError):
        AIOKafkaProducer(compression_type="brotli")
    with pytest.raises(ValueError):
        AIOKafkaProducer(enable_idempotence=True, acks=1)
    assert AIOKafkaProducer(enable_idempotence=True)._acks == -1
    assert AIOKafkaProducer()._acks == 1
    assert AIOKafkaProducer(transactional_id="t")._identity is not None


async def test_linger_collects_one_batch(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, linger_ms=200) as producer:
        futures = []
        for i in range(50):
            futures.append(await producer.send(topic, b"m%d" % i))
            await asyncio.sleep(0)  # the sender gets to run between sends
        await asyncio.gather(*futures)
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert [b.record_count for b in batches] == [50]


async def test_no_linger_sends_as_the_loop_yields(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, linger_ms=0) as producer:
        for i in range(5):
            await (await producer.send(topic, b"m%d" % i))
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert [b.record_count for b in batches] == [1] * 5


async def test_max_batch_size_bounds_batches(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, max_batch_size=1000, linger_ms=100) as producer:
        futures = [await producer.send(topic, b"x" * 90) for _ in range(100)]
        await asyncio.gather(*futures)
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert len(batches) > 5
    assert all(b.size_in_bytes <= 1000 for b in batches)
    assert sum(b.record_count for b in batches) == 100


async def test_serializers_headers_and_timestamps(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1, configs={"retention.ms": "-1"})  # timestamp 1234 is past retention
    async with producer_for(
        kafka_cluster, key_serializer=lambda k: k.encode() if k else None,
        value_serializer=lambda v: json.dumps(v).encode(),
    ) as producer:  # fmt: skip
        meta = await producer.send_and_wait(
            topic, {"a": 1}, key="k", timestamp_ms=1234, headers=[("h", b"1")]
        )
    assert meta == RecordMetadata(topic, 0, TopicPartition(topic, 0), 0, 1234, 0, 0)
    [batch] = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    [record] = list(batch)
    assert (record.key, record.value, record.headers, record.timestamp) == (
        b"k",
        b'{"a": 1}',
        (("h", b"1"),),
        1234,
    )


async def test_log_append_time(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(1, configs={"message.timestamp.type": "LogAppendTime"})
    async with producer_for(kafka_cluster) as producer:
        meta = await producer.send_and_wait(topic, b"v", timestamp_ms=1)
    assert meta.timestamp_type == 1 and meta.timestamp is not None and meta.timestamp > 1


async def test_bad_input_is_refused_and_nothing_else_lost(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)

    broken = False

    def serializer(value: object) -> object:
        if broken:
            raise ZeroDivisionError("serializer bug")
        return value

    async with producer_for(
        kafka_cluster, max_request_size=2000, value_serializer=serializer
    ) as producer:
        good = await producer.send(topic, b"before")
        with pytest.raises(TypeError):
            await producer.send(topic, "not bytes")
        with pytest.raises(TypeError):
            await producer.send(topic, b"v", key=123)
        with pytest.raises(TypeError):
            await producer.send(topic, b"v", headers=[(b"bytes-key", b"v")])
        with pytest.raises(errors.MessageSizeTooLargeError):
            await producer.send(topic, b"x" * 5000)
        with pytest.raises(ValueError):
            await producer.send(topic, b"v", partition=7)
        broken = True
        with pytest.raises(ZeroDivisionError):
            await producer.send(topic, b"v")
        broken = False
        after = await producer.send(topic, b"after")
        assert [(await good).offset, (await after).offset] == [0, 1]


async def test_unknown_topic(kafka_cluster: KafkaCluster) -> None:
    async with producer_for(kafka_cluster, max_block_ms=1500) as producer:
        with pytest.raises(errors.UnknownTopicOrPartitionError):  # type: ignore[attr-defined]
            await producer.send("no-such-topic-anywhere", b"v")
        with pytest.raises(errors.UnknownTopicOrPartitionError):  # type: ignore[attr-defined]
            await producer.partitions_for("no-such-topic-anywhere")


async def test_closed_producer(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(2)
    producer = producer_for(kafka_cluster, linger_ms=60000)
    await producer.start()
    assert await producer.partitions_for(topic) == {0, 1}
    pending = await producer.send(topic, b"flushed by stop")
    await producer.stop()
    await producer.stop()  # idempotent
    assert (await pending).offset == 0  # stop() flushed it despite the linger
    with pytest.raises(errors.ProducerClosed):
        await producer.send(topic, b"v")
    with pytest.raises(errors.ProducerClosed):
        await producer.start()


async def test_flush_sends_lingering_batches(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, linger_ms=60000) as producer:
        future = await producer.send(topic, b"v")
        await producer.flush()
        assert future.done() and future.result().offset == 0


async def test_buffer_memory_back_pressure(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(3)
    async with producer_for(
        kafka_cluster, linger_ms=60000, max_batch_size=1000, buffer_memory=2000,
        max_block_ms=300,
    ) as producer:  # fmt: skip
        first = [await producer.send(topic, b"v", partition=p) for p in (0, 1)]
        with pytest.raises(errors.KafkaTimeoutError):
            await producer.send(topic, b"v", partition=2)  # a third batch does not fit
        waiting = asyncio.ensure_future(producer.send(topic, b"w", partition=2))
        await asyncio.sleep(0)
        assert not waiting.done()
        await producer.flush()  # delivers the two batches: memory frees, the waiter goes
        third = await waiting
        await producer.flush()
    assert [(await f).offset for f in first] == [0, 0] and (await third).offset == 0


async def test_cancelled_send_loses_nothing_else(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(2)
    async with producer_for(
        kafka_cluster, linger_ms=60000, max_batch_size=1000, buffer_memory=1000
    ) as producer:
        first = await producer.send(topic, b"v", partition=0)
        waiting = asyncio.ensure_future(producer.send(topic, b"cancelled", partition=1))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await producer.flush()
        later = await producer.send(topic, b"later", partition=1)
        await producer.flush()
    assert (await first).offset == 0 and (await later).offset == 0
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 1))
    assert [r.value for b in batches for r in b] == [b"later"]


async def test_delivery_timeout(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, linger_ms=2000, delivery_timeout_ms=100) as producer:
        future = await producer.send(topic, b"v")
        with pytest.raises(errors.KafkaTimeoutError):
            await future
        assert not producer._accumulator.has_unfinished()  # its memory is released


async def test_batch_too_large_for_the_topic_is_split(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1, configs={"max.message.bytes": "3000"})
    async with producer_for(kafka_cluster, max_batch_size=20000, linger_ms=100) as producer:
        futures = [await producer.send(topic, b"%04d" % i + b"x" * 96) for i in range(100)]
        offsets = [(await f).offset for f in futures]
    assert offsets == list(range(100))
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    values = [r.value[:4] for b in batches for r in b if r.value]
    assert values == [b"%04d" % i for i in range(100)] and len(batches) > 3


async def test_create_batch_and_send_batch(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(2)
    async with producer_for(kafka_cluster, max_batch_size=500) as producer:
        batch = producer.create_batch()
        appended = 0
        while batch.append(timestamp=None, key=b"k", value=b"v" * 50) is not None:
            appended += 1
        assert batch.append(timestamp=None, key=b"k", value=b"v") is None  # closed now
        assert batch.record_count() == appended and batch.size() <= 500
        meta = await (await producer.send_batch(batch, topic, partition=1))
    assert meta.partition == 1 and meta.offset == 0
    [read] = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 1))
    assert read.record_count == appended


async def test_retriable_request_error_is_retried(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    """A produce whose connection breaks is retried on a new connection."""
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, linger_ms=0) as producer:
        await producer.send_and_wait(topic, b"warm")
        conns = list(producer.client._conns.values())
        future = await producer.send(topic, b"after a broken connection")
        for conn in conns:  # what a network failure does; a broker cannot be asked to
            await conn.close()
        assert (await future).offset == 1


async def test_a_tight_send_loop_lets_other_tasks_run(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    # send() never waits while memory is free, so without a yield a loop of sends would hold
    # the event loop until the buffer filled (starving consumers and heartbeats in the same
    # process). It yields once per filled batch.
    topic = kafka_topic(1)
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    async with producer_for(kafka_cluster, max_batch_size=1024, linger_ms=1000) as producer:
        await producer.partitions_for(topic)
        task = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        before = ticks
        futures = [await producer.send(topic, b"x" * 100) for _ in range(2000)]
        during = ticks - before
        stop.set()
        await task
        await producer.flush()
    assert all(f.done() and not f.exception() for f in futures)
    # ~100 B records, 1 KiB batches: about 200 filled batches, one yield each.
    assert 100 <= during <= 2000, during
