"""Integration: offset lookups, seeks, positions, resets and out-of-range handling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer, NoOffsetForPartitionError
from aiokafka_gen.errors import ConsumerStoppedError, IllegalStateError, OffsetOutOfRangeError
from aiokafka_gen.structs import OffsetAndTimestamp, TopicPartition

from .support import KEEP, OLD_TS, assigned, produce, read

pytestmark = pytest.mark.integration


async def test_offsets_for_times_beginning_end_and_seeks(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1, configs=KEEP)
    tp = TopicPartition(topic, 0)
    stamps = [OLD_TS + 1000 * i for i in range(20)]
    await produce(kafka_bootstrap, topic, [b"v%d" % i for i in range(20)], timestamps=stamps)
    async with AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap) as consumer:
        other = TopicPartition(topic, 7)
        found = await consumer.offsets_for_times(
            {
                tp: OLD_TS + 4500,
            }
        )
        assert found == {tp: OffsetAndTimestamp(5, OLD_TS + 5000)}
        assert await consumer.offsets_for_times({tp: OLD_TS + 10**6}) == {tp: None}
        with pytest.raises(ValueError):
            await consumer.offsets_for_times({tp: -5})
        assert await consumer.beginning_offsets([tp]) == {tp: 0}
        assert await consumer.end_offsets([tp]) == {tp: 20}
        with pytest.raises(IllegalStateError):
            await consumer.position(tp)  # not assigned
        consumer.assign([tp])
        assert await consumer.position(tp) == 20  # auto_offset_reset="latest"
        assert await consumer.seek_to_beginning(tp) is True
        assert await consumer.position(tp) == 0
        consumer.seek(tp, 15)
        assert [r.offset for r in await read(consumer, 5)] == [15, 16, 17, 18, 19]
        assert consumer.highwater(tp) == 20 and consumer.last_stable_offset(tp) == 20
        assert consumer.last_poll_timestamp(tp) is not None and consumer.lag(tp) == 0
        consumer.seek(tp, 3)
        record = await consumer.getone()
        assert (record.offset, record.timestamp, record.value) == (3, OLD_TS + 3000, b"v3")
        assert await consumer.seek_to_end() is True
        assert await consumer.position(tp) == 20
        assert await consumer.getmany(timeout_ms=200) == {}
        with pytest.raises(IllegalStateError):
            await consumer.seek_to_beginning(other)
        with pytest.raises(IllegalStateError):
            consumer.highwater(other)
        health = consumer.partition_health()[tp]
        assert (health.position, health.highwater, health.lag, health.paused) == (20, 20, 0, False)


async def test_auto_offset_reset_policies_and_out_of_range(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    await produce(kafka_bootstrap, topic, [b"a", b"b", b"c"])
    async with assigned(kafka_bootstrap, tp, auto_offset_reset="earliest") as consumer:
        assert [r.value for r in await read(consumer, 3)] == [b"a", b"b", b"c"]
        consumer.seek(tp, 1000)  # out of range: reset to the earliest again
        assert [r.value for r in await read(consumer, 3)] == [b"a", b"b", b"c"]
    async with assigned(kafka_bootstrap, tp, auto_offset_reset="latest") as consumer:
        assert await consumer.getmany(timeout_ms=300) == {}
        assert await consumer.position(tp) == 3
    async with assigned(kafka_bootstrap, tp, auto_offset_reset="none") as consumer:
        with pytest.raises(NoOffsetForPartitionError):
            await consumer.getmany(timeout_ms=2000)
        consumer.seek(tp, 1)
        assert [r.value for r in await read(consumer, 2)] == [b"b", b"c"]
        consumer.seek(tp, 1000)
        with pytest.raises(OffsetOutOfRangeError):
            async with asyncio.timeout(20):
                while True:
                    await consumer.getmany(timeout_ms=500)
        # Nothing moves the partition on but a seek: every poll says so again (a caught
        # error must not leave a partition that silently never returns records).
        for _ in range(2):
            with pytest.raises(OffsetOutOfRangeError):
                await consumer.getmany(timeout_ms=100)
        consumer.seek(tp, 2)
        assert [r.value for r in await read(consumer, 1)] == [b"c"]


async def test_max_poll_records_pause_resume_and_partition_filter(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(2)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await produce(kafka_bootstrap, topic, [b"x%d" % i for i in range(50)], partition=0)
    await produce(kafka_bootstrap, topic, [b"y%d" % i for i in range(50)], partition=1)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", max_poll_records=7
    )
    async with consumer:
        consumer.assign([tp0, tp1])
        consumer.pause(tp1)
        assert consumer.paused() == {tp1}
        got = await read(consumer, 50)
        assert {(r.partition) for r in got} == {0}
        batch = await consumer.getmany(timeout_ms=300)
        assert batch == {} and await consumer.position(tp1) == 0
        consumer.resume(tp1)
        assert consumer.paused() == set()
        sizes = []
        async with asyncio.timeout(30):
            while sum(sizes) < 50:
                part = await consumer.getmany(tp1, timeout_ms=500)
                sizes += [len(v) for v in part.values()]
        assert max(sizes) <= 7 and sum(sizes) == 50
        assert len((await consumer.getmany(timeout_ms=10, max_records=3)).get(tp1, [])) <= 3


async def test_a_paused_partition_does_not_starve_the_others(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    # A small prefetch bound and a partition paused with data buffered: its data is dropped
    # (fetched again on resume), so the other partition keeps flowing.
    topic = kafka_topic(2)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await produce(kafka_bootstrap, topic, [b"x" * 100] * 300, partition=0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        max_buffer_bytes=4096, max_partition_fetch_bytes=4096, max_poll_records=5,
    )  # fmt: skip
    async with consumer:
        consumer.assign([tp0, tp1])
        first = await read(consumer, 5)
        assert {r.partition for r in first} == {0}
        consumer.pause(tp0)  # with more of tp0 buffered than the bound allows
        await produce(kafka_bootstrap, topic, [b"y%d" % i for i in range(40)], partition=1)
        got = await read(consumer, 40)
        assert [r.value for r in got] == [b"y%d" % i for i in range(40)]
        consumer.resume(tp0)
        position = await consumer.position(tp0)
        rest = await read(consumer, 300 - position)
        assert {r.partition for r in rest} == {0} and rest[0].offset == position


async def test_stop_makes_every_poll_fail(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> None:
    tp = TopicPartition(kafka_topic(1), 0)
    consumer = assigned(kafka_bootstrap, tp)
    await consumer.start()
    waiter = asyncio.ensure_future(consumer.getone())

    async def iterate() -> list[object]:
        return [record async for record in consumer]

    iterating = asyncio.ensure_future(iterate())
    await asyncio.sleep(0.3)
    await consumer.stop()
    with pytest.raises(ConsumerStoppedError):
        await asyncio.wait_for(waiter, 10)
    assert await asyncio.wait_for(iterating, 10) == []  # the iteration just ends
    with pytest.raises(ConsumerStoppedError):
        await consumer.getmany()
    with pytest.raises(ConsumerStoppedError):
        consumer.__aiter__()
    with pytest.raises(ConsumerStoppedError):
        await consumer.start()
    await consumer.stop()  # idempotent
