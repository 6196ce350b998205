"""Integration: manual assignment and the three ways of polling, against the harness broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, count: int, partition: int = 0) -> None:
    # one request in flight: the tests read the records back in the order they were sent
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_in_flight_requests_per_connection=1
    )
    async with producer:
        futures = [
            await producer.send(topic, b"v%d" % i, key=b"k%d" % i, partition=partition)
            for i in range(count)
        ]
        for future in futures:
            await future


async def test_assign_getmany_getone_and_iteration(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    await _produce(kafka_bootstrap, topic, 300)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([tp])
        first = await consumer.getone()
        assert (first.offset, first.key, first.value) == (0, b"k0", b"v0")
        batch = await consumer.getmany(timeout_ms=5000, max_records=99)
        assert [r.offset for r in batch[tp]] == list(range(1, 100))
        seen = []
        async for record in consumer:
            seen.append(record.offset)
            if record.offset == 299:
                break
        assert seen == list(range(100, 300))
        assert await consumer.position(tp) == 300
        assert consumer.highwater(tp) == 300
    finally:
        await consumer.stop()


async def test_fetches_are_pipelined_and_the_buffer_is_bounded(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    """While the application holds off, the next fetch of a partition is already made
    (prefetch) but no more than the prefetch depth is buffered."""
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    await _produce(kafka_bootstrap, topic, 2000)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        max_partition_fetch_bytes=2048,
    )  # fmt: skip
    async with consumer:
        consumer.assign([tp])
        assert (await consumer.getone()).offset == 0
        buffer = consumer._fetcher.buffer
        async with asyncio.timeout(10):
            while buffer.depth(tp) < 2:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the application does nothing: nothing more is fetched
        queue = buffer.queued(tp)
        assert len(queue) == 2 and queue[0].next_fetch_offset < queue[1].next_fetch_offset
        assert consumer.partition_health()[tp].lag == 1999
        offsets = [(await consumer.getone()).offset for _ in range(1999)]
        assert offsets == list(range(1, 2000))
