"""Helpers for the consumer's broker tests: write records with our producer, read with
our consumer until a count is reached (bounded)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import ConsumerRecord, TopicPartition

OLD_TS = 1_700_000_000_000  # topics written with it need retention.ms=-1
KEEP = {"retention.ms": "-1"}


async def produce(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    *,
    partition: int = 0,
    timestamps: Sequence[int] | None = None,
    **options: Any,
) -> None:
    """Write ``values`` (key b"k<i>") to one partition, in this order, and wait for every ack.

    Callers compare what they read with ``values``, so the log must keep their order: without
    idempotence only one request is in flight (with five, a batch retried after NOT_LEADER on
    a new topic may land after a later one, as in Java's producer)."""
    if not options.get("enable_idempotence"):
        options.setdefault("max_in_flight_requests_per_connection", 1)
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **options) as producer:
        futures = [
            await producer.send(
                topic, value, key=b"k%d" % i, partition=partition,
                timestamp_ms=None if timestamps is None else timestamps[i],
            )
            for i, value in enumerate(values)
        ]  # fmt: skip
        await asyncio.gather(*futures)


async def read(
    consumer: AIOKafkaConsumer, count: int, *, timeout: float = 30.0
) -> list[ConsumerRecord[Any, Any]]:
    """Exactly ``count`` records via getmany (fails after ``timeout`` seconds)."""
    out: list[ConsumerRecord[Any, Any]] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(records)
    return out


def assigned(bootstrap: str, tp: TopicPartition, **options: Any) -> AIOKafkaConsumer:
    """A consumer (not started) with ``tp`` assigned."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **options)
    consumer.assign([tp])
    return consumer
