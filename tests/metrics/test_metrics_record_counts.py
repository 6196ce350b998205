"""The metrics stay off the per-record path: on a real broker, the sensor records made while
producing and consuming N records are counted (every sensor class's ``record``) and must be
a small fraction of N. A change that records per record fails here long before a benchmark
could tell it from noise (a record costs ~90 ns interpreted: once per record would be
several percent of produce and consume)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka_gen.metrics import _core

pytestmark = pytest.mark.integration

N = 20_000


@pytest.fixture
def record_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts every sensor record (each sensor class's own ``record``)."""
    calls = [0]
    classes = [_core.Sensor, *_core.Sensor.__subclasses__()]
    for cls in classes:
        if "record" not in vars(cls):
            continue
        original = vars(cls)["record"]

        def counting(self: Any, value: float, now: float, _original: Any = original) -> None:
            calls[0] += 1
            _original(self, value, now)

        monkeypatch.setattr(cls, "record", counting)
    yield calls


async def test_producing_records_per_batch_not_per_record(
    kafka_bootstrap: str, kafka_topic: Any, record_calls: list[int]
) -> None:
    topic = kafka_topic(3)
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5) as producer:
        await producer.send_and_wait(topic, b"warm")  # connections and metadata first
        before = record_calls[0]
        futures = [await producer.send(topic, b"x" * 100) for _ in range(N)]
        await asyncio.gather(*futures)
        used = record_calls[0] - before
        sent = producer.metrics()
    print(f"produce: {used} sensor records for {N} records")
    assert used > 0  # metrics are on: the counting works
    assert used / N < 0.15, f"{used} sensor records for {N} records"
    total = [v for k, v in sent.items() if k.name == "record-send-total" and "topic" not in k.tags]
    assert total == [N + 1]


@pytest.mark.parametrize("mode", ["getmany", "iterate"])
async def test_consuming_records_per_fetch_not_per_record(
    kafka_bootstrap: str, kafka_topic: Any, record_calls: list[int], mode: str
) -> None:
    topic = kafka_topic(1)
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=20) as producer:
        futures = [await producer.send(topic, b"y" * 100) for _ in range(N)]
        await asyncio.gather(*futures)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    async with consumer:
        consumer.assign([TopicPartition(topic, 0)])
        before = record_calls[0]
        seen = 0
        if mode == "getmany":
            while seen < N:
                got = await consumer.getmany(timeout_ms=5000, max_records=500)
                seen += sum(len(v) for v in got.values())
        else:
            async for _ in consumer:
                seen += 1
                if seen == N:
                    break
        used = record_calls[0] - before
    print(f"consume ({mode}): {used} sensor records for {N} records")
    assert used > 0
    assert used / N < 0.1, f"{used} sensor records for {N} records ({mode})"
