"""Share groups against the broker: a member dying mid-batch, and misuse that must raise
typed errors without losing records."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiokafka_gen.errors import KafkaError, UnknownTopicOrPartitionError
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.share import (
    AcknowledgeType,
    InvalidAcknowledgeTypeError,
    RecordAlreadyAcknowledgedError,
    RecordNotAcquiredError,
    ShareConsumerRecord,
    UnacknowledgedRecordsError,
)
from aiokafka_gen.testing.proxy import Mode, ProxyCluster

from .share_support import consumer, earliest_group, poll_until, produce, wait_for

pytestmark = pytest.mark.integration

EXPLICIT = {"share_acknowledgement_mode": "explicit"}


async def test_cancelled_member_records_come_back_after_the_lock(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 5, per_batch=5)
    group = await earliest_group(kafka_bootstrap, share_record_lock_duration_ms="15000")
    dying = consumer(kafka_bootstrap, group, topic, **EXPLICIT)
    await dying.start()
    held: list[ShareConsumerRecord] = []
    started = asyncio.Event()

    async def work() -> None:
        while len(held) < 5:
            for records in (await dying.getmany(timeout_ms=500)).values():
                held.extend(records)
        started.set()
        await asyncio.Event().wait()  # "processing" forever, never acknowledging

    task = asyncio.create_task(work())
    try:
        await asyncio.wait_for(started.wait(), 60)
        task.cancel()
        assert dying.acquisition_lock_timeout_ms == 15000
        async with consumer(kafka_bootstrap, group, topic, **EXPLICIT) as survivor:
            back: list[ShareConsumerRecord] = []

            def accept(records: list[ShareConsumerRecord]) -> None:
                for r in records:
                    survivor.acknowledge(r)
                back.extend(records)

            await poll_until(survivor, lambda rs: len(rs) >= 5, 90, on_records=accept)
            results = await survivor.commit()
            assert all(e is None for e in results.values()), results
        assert sorted(r.offset for r in back) == sorted(r.offset for r in held)
        assert {r.delivery_count for r in back} == {2}
    finally:
        task.cancel()
        await dying.stop()


async def test_stop_releases_what_it_holds(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 3, per_batch=3)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(kafka_bootstrap, group, topic, **EXPLICIT) as first:
        got = await poll_until(first, lambda rs: len(rs) >= 3, 60)
    async with consumer(kafka_bootstrap, group, topic) as second:
        again = await poll_until(second, lambda rs: len(rs) >= 3, 30)
    assert sorted(r.offset for r in again) == sorted(r.offset for r in got)
    assert {r.delivery_count for r in again} == {2}


async def test_explicit_mode_refuses_to_poll_past_unacknowledged_records(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 4, per_batch=4)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(kafka_bootstrap, group, topic, max_poll_records=2, **EXPLICIT) as member:
        got = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert 1 <= len(got) <= 2  # max_poll_records
        with pytest.raises(UnacknowledgedRecordsError) as info:
            await member.getmany(timeout_ms=100)
        assert sorted(info.value.records) == sorted((r.topic, r.partition, r.offset) for r in got)
        # misuse is refused and loses nothing
        with pytest.raises(InvalidAcknowledgeTypeError):
            member.acknowledge(got[0], 7)
        with pytest.raises(InvalidAcknowledgeTypeError):
            member.acknowledge(got[0], "accept")  # type: ignore[arg-type]
        member.acknowledge(got[0], AcknowledgeType.ACCEPT)
        with pytest.raises(RecordAlreadyAcknowledgedError):
            member.acknowledge(got[0], AcknowledgeType.REJECT)
        for r in got[1:]:
            member.acknowledge(r)
        rest = await poll_until(
            member,
            lambda rs: len(rs) + len(got) >= 4,
            60,
            on_records=lambda rs: [member.acknowledge(r) for r in rs] and None,
        )
        assert sorted(r.offset for r in got + rest) == [0, 1, 2, 3]
        assert all(e is None for e in (await member.commit()).values())


async def test_acknowledging_another_consumers_record_is_refused(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 1)
    owner_group = await earliest_group(kafka_bootstrap)
    other_group = await earliest_group(kafka_bootstrap)
    async with (
        consumer(kafka_bootstrap, owner_group, topic, **EXPLICIT) as owner,
        consumer(kafka_bootstrap, other_group, topic, **EXPLICIT) as other,
    ):
        (record,) = await poll_until(owner, lambda rs: len(rs) >= 1, 60)
        with pytest.raises(RecordNotAcquiredError):
            other.acknowledge(record)
        owner.acknowledge(record)
        assert all(e is None for e in (await owner.commit()).values())


async def test_unknown_topic_raises_from_poll(kafka_bootstrap: str) -> None:
    group = await earliest_group(kafka_bootstrap)
    member = consumer(kafka_bootstrap, group, "share-no-such-topic-x1", request_timeout_ms=3000)
    async with member:
        raised: list[BaseException] = []

        async def polled() -> bool:
            try:
                await member.getmany(timeout_ms=200)
            except UnknownTopicOrPartitionError as exc:
                raised.append(exc)
            return bool(raised)

        await wait_for(polled, 30, "UnknownTopicOrPartitionError")
        assert "share-no-such-topic-x1" in str(raised[0])


async def test_member_cut_off_mid_batch_loses_nothing(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    """Its connections refused through the fault proxy, a member's acquired records come
    back to another member (Kafka 4.4 drops a share session with its connection and
    releases its records at once; the lock expiry is the upper bound); once reconnected,
    its late acknowledgements are answered with typed errors (not raised), and it
    consumes again."""
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 5, per_batch=5)
    group = await earliest_group(kafka_bootstrap, share_record_lock_duration_ms="15000")
    async with ProxyCluster(kafka_bootstrap) as proxies:
        cut = consumer(proxies.bootstrap, group, topic, request_timeout_ms=5000, **EXPLICIT)
        await cut.start()
        try:
            held = await poll_until(cut, lambda rs: len(rs) >= 5, 60)
            for proxy in proxies:
                proxy.set_mode(Mode.REFUSE)
            async with consumer(kafka_bootstrap, group, topic, **EXPLICIT) as survivor:
                back = await poll_until(
                    survivor,
                    lambda rs: len(rs) >= 5,
                    90,
                    on_records=lambda rs: [survivor.acknowledge(r) for r in rs] and None,
                )
                assert all(e is None for e in (await survivor.commit()).values())
                assert sorted(r.offset for r in back) == sorted(r.offset for r in held)
                assert {r.delivery_count for r in back} == {2}
                proxies.restore()
                for r in held:
                    cut.acknowledge(r)
                late = await cut.commit()
                assert late and all(isinstance(e, KafkaError) for e in late.values()), late
                await produce(kafka_bootstrap, topic, 1)
                fresh = await poll_until(
                    cut,
                    lambda rs: len(rs) >= 1,
                    60,
                    on_records=lambda rs: [cut.acknowledge(r) for r in rs] and None,
                )
                assert [r.offset for r in fresh] == [5]
        finally:
            await cut.stop()


async def test_undeserializable_record_is_rejected_and_reported(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
        for value in (b"1", b"oops", b"3"):
            await producer.send_and_wait(topic, value)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(kafka_bootstrap, group, topic, value_deserializer=int) as member:
        got: list[ShareConsumerRecord] = []
        raised: list[BaseException] = []

        async def polled() -> bool:
            try:
                for records in (await member.getmany(timeout_ms=200)).values():
                    got.extend(records)
            except ValueError as exc:
                raised.append(exc)
            return len(got) >= 2 and bool(raised)

        await wait_for(polled, 60, "two records and the deserializer's error")
        assert sorted(r.value for r in got) == [1, 3]
        await member.commit()
    # the first member is gone before the next record exists: an open member's prefetch
    # could take it and hold it for the record lock's 30 s
    await produce(kafka_bootstrap, topic, 1)  # b"v0": fails too, but comes after
    async with consumer(kafka_bootstrap, group, topic) as raw:  # no deserializer
        (later,) = await poll_until(raw, lambda rs: len(rs) >= 1, 60)
    assert later.offset == 3  # the rejected record (offset 1) never came back


async def test_no_poll_for_max_poll_interval_leaves_until_the_next_poll(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 2, per_batch=1)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(
        kafka_bootstrap, group, topic, max_poll_interval_ms=1500, max_poll_records=1
    ) as member:
        (first,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert all(e is None for e in (await member.commit()).values())
        await wait_for(
            lambda: member.group_health().state == "left", 30, "leaving after the poll interval"
        )
        assert member.assignment() == frozenset()
        rest = await poll_until(member, lambda rs: len(rs) >= 1, 60)  # joins again
        assert member.group_health().generation_id > 0
        assert (first.offset, [r.offset for r in rest]) == (0, [1])
