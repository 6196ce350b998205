"""Integration: manual assignment and the three ways of polling, against the harness broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, count: int, partition: int = 0) -> None:
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5) as producer:
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
