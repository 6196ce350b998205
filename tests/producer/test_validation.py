"""Integration: what the producer refuses or reports at once instead of waiting for a
timeout or writing nonsense (issue #18): topic names Kafka does not allow (client side,
and the broker's INVALID_TOPIC_EXCEPTION when our check is bypassed), negative
timestamps, a record larger than buffer_memory; acks=0 futures resolving to None; the
ResourceWarning of a started producer dropped without stop(); max_batch_size=0."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    IllegalArgumentError,
    InvalidTopicError,
    MessageSizeTooLargeError,
)
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import fetch_batches

pytestmark = pytest.mark.integration
Topic = Callable[..., str]
QUICK = 5.0  # seconds; the request timeout (and max_block) stays at its 40 s default
BAD_NAME = "bad topic name!"


def producer_for(cluster: KafkaCluster, **kwargs: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=cluster.bootstrap(), **kwargs)


async def test_illegal_topic_names_fail_at_once(kafka_cluster: KafkaCluster) -> None:
    async with producer_for(kafka_cluster) as producer:
        batch = producer.create_batch()
        batch.append(timestamp=None, key=None, value=b"v")
        rule = "may hold only ASCII letters, digits"
        attempts = [
            (lambda: producer.send(BAD_NAME, b"v"), rule),
            (lambda: producer.send_and_wait(BAD_NAME, b"v"), rule),
            (lambda: producer.send_batch(batch, BAD_NAME, partition=0), rule),
            (lambda: producer.partitions_for(BAD_NAME), rule),
            (lambda: producer.send("x" * 250, b"v"), "at most 249 characters"),
            (lambda: producer.send("..", b"v"), "cannot be '..'"),
        ]
        for attempt, why in attempts:
            async with asyncio.timeout(QUICK):
                with pytest.raises(InvalidTopicError, match=why) as info:
                    await attempt()
            assert info.value.errno == 17
        with pytest.raises(TypeError):
            await producer.send(b"bytes-topic", b"v")  # type: ignore[arg-type]
        assert BAD_NAME not in producer.client.topics  # never asked the broker


async def test_broker_refusal_of_a_name_is_final(kafka_cluster: KafkaCluster) -> None:
    """Our check skipped (as if it let a name through): the broker's Metadata answer
    INVALID_TOPIC_EXCEPTION ends the wait at once instead of after max_block_ms."""
    async with producer_for(kafka_cluster) as producer:
        producer._valid_topics.add(BAD_NAME)
        for attempt in (producer.partitions_for, lambda t: producer.send_and_wait(t, b"v")):
            async with asyncio.timeout(QUICK):
                with pytest.raises(InvalidTopicError, match="the broker refuses"):
                    await attempt(BAD_NAME)
    async with AIOKafkaClient(bootstrap_servers=kafka_cluster.bootstrap()) as client:
        async with asyncio.timeout(QUICK):
            with pytest.raises(InvalidTopicError, match="the broker refuses"):
                await client._wait_on_metadata(BAD_NAME)
        assert client.cluster.invalid_topics == {BAD_NAME}


async def test_negative_timestamp_is_refused(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster) as producer:
        with pytest.raises(IllegalArgumentError, match="timestamp_ms") as info:
            await producer.send_and_wait(topic, b"v", timestamp_ms=-5)
        assert isinstance(info.value, ValueError)
        with pytest.raises(TypeError, match="timestamp_ms"):
            await producer.send(topic, b"v", timestamp_ms=1.5)  # type: ignore[arg-type]
        meta = await producer.send_and_wait(topic, b"v", timestamp_ms=0)
    assert (meta.offset, meta.timestamp) == (0, 0)
    [batch] = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert [r.timestamp for r in batch] == [0]  # nothing was written with -5


async def test_acks_zero_resolves_to_none(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, acks=0) as producer:
        assert await producer.send_and_wait(topic, b"a") is None
        future = await producer.send(topic, b"b")
        batch = producer.create_batch()
        batch.append(timestamp=None, key=None, value=b"c")
        whole = await producer.send_batch(batch, topic, partition=0)
        assert await future is None and await whole is None
    # acks=0 confirms nothing: the broker appends after our futures resolved (and after
    # stop), so read back until all three are there rather than once.
    tp = TopicPartition(topic, 0)
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        values = sorted(
            r.value for b in await fetch_batches(kafka_cluster.bootstrap(), tp) for r in b
        )
        if len(values) >= 3 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert values == [b"a", b"b", b"c"]


async def test_record_larger_than_buffer_memory_fails_at_once(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, max_batch_size=1024, buffer_memory=4096) as producer:
        async with asyncio.timeout(QUICK):  # before: waited max_block_ms for memory
            with pytest.raises(MessageSizeTooLargeError, match="buffer_memory"):
                await producer.send(topic, b"x" * 5000)
        assert (await producer.send_and_wait(topic, b"x" * 3000)).offset == 0


async def test_zero_batch_size_sends_one_record_per_batch(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with producer_for(kafka_cluster, max_batch_size=0, linger_ms=50) as producer:
        futures = [await producer.send(topic, b"v%d" % i) for i in range(3)]
        assert [(await f).offset for f in futures] == [0, 1, 2]
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert [b.record_count for b in batches] == [1, 1, 1]


async def test_unclosed_started_producer_warns(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    producer = producer_for(kafka_cluster)
    await producer.start()
    client, sender = producer.client, producer._sender
    try:
        await producer.send_and_wait(topic, b"v")
        with pytest.warns(ResourceWarning, match="Unclosed AIOKafkaProducer"):
            del producer
            gc.collect()
        assert [c["message"] for c in reported] == ["Unclosed AIOKafkaProducer"]
        assert isinstance(reported[0]["producer"], AIOKafkaProducer)
    finally:
        loop.set_exception_handler(previous)
        reported.clear()
        await sender.close()
        await client.close()


async def test_stopped_producer_is_collected_silently(kafka_cluster: KafkaCluster) -> None:
    producer = producer_for(kafka_cluster)
    await producer.start()
    await producer.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del producer
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
