"""Share groups (KIP-932) against the harness's Kafka 4.4 broker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.share import AcknowledgeType, ShareConsumerRecord

from .share_support import consumer, earliest_group, poll_until, produce, wait_for

pytestmark = pytest.mark.integration


async def test_one_member_gets_every_record_once(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    values = await produce(kafka_bootstrap, topic, 50)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(kafka_bootstrap, group, topic) as member:
        got = await poll_until(member, lambda rs: len(rs) >= 50, 60)
        assert sorted(r.value for r in got) == sorted(values)
        assert {r.delivery_count for r in got} == {1}
        results = await member.commit()
        assert all(e is None for e in results.values()), results
        health = member.group_health()
        assert health.protocol == "share" and health.generation_id > 0
        assert member.acquisition_lock_timeout_ms and member.acquisition_lock_timeout_ms > 0


async def test_three_members_split_a_partition_exactly_once(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    """Queue semantics: 20k records on one partition, every record accepted by exactly
    one of three members."""
    topic = kafka_topic(1)
    count = 20_000
    group = await earliest_group(kafka_bootstrap)
    members = [consumer(kafka_bootstrap, group, topic, max_poll_records=100) for _ in range(3)]
    await asyncio.gather(*(m.start() for m in members))
    try:
        await wait_for(lambda: all(m.assignment() for m in members), 60, "three assignments")
        values = await produce(kafka_bootstrap, topic, count, per_batch=100)
        seen: dict[int, list[bytes]] = {i: [] for i in range(3)}

        async def run(i: int) -> None:
            while sum(len(v) for v in seen.values()) < count:
                batch = await members[i].getmany(timeout_ms=200)
                for records in batch.values():
                    seen[i].extend(r.value for r in records)
                    await asyncio.sleep(0.0002 * len(records))  # "processing"

        await asyncio.wait_for(asyncio.gather(*(run(i) for i in range(3))), 240)
        await asyncio.gather(*(m.commit() for m in members))
        everything = [v for vs in seen.values() for v in vs]
        counts = {i: len(vs) for i, vs in seen.items()}
        print("per-member counts:", counts)
        assert sorted(everything) == sorted(values), "a record was lost or delivered twice"
        assert sum(1 for n in counts.values() if n) >= 2, counts
    finally:
        await asyncio.gather(*(m.stop() for m in members))


async def test_release_redelivers_with_a_higher_delivery_count(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 1)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(
        kafka_bootstrap, group, topic, share_acknowledgement_mode="explicit"
    ) as member:
        (first,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert first.delivery_count == 1
        member.acknowledge(first, AcknowledgeType.RELEASE)
        assert all(e is None for e in (await member.commit()).values())
        (again,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert (again.offset, again.value) == (first.offset, first.value)
        assert again.delivery_count == 2
        member.acknowledge(again)
        assert all(e is None for e in (await member.commit()).values())


async def test_reject_is_never_delivered_again(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 2, per_batch=1)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(
        kafka_bootstrap, group, topic, share_acknowledgement_mode="explicit"
    ) as member:
        got: list[ShareConsumerRecord] = []

        def ack(records: list[ShareConsumerRecord]) -> None:
            for r in records:
                kind = AcknowledgeType.REJECT if r.value == b"v0" else AcknowledgeType.ACCEPT
                member.acknowledge(r, kind)
            got.extend(records)

        await poll_until(member, lambda rs: len(rs) >= 2, 60, on_records=ack)
        await member.commit()
        await produce(kafka_bootstrap, topic, 1)  # a marker after them
        later = await poll_until(member, lambda rs: len(rs) >= 1, 60, on_records=ack)
        assert [r.value for r in later] == [b"v0"] and later[0].offset == 2  # the marker
        assert sorted(r.offset for r in got) == [0, 1, 2]


async def test_delivery_count_limit_archives_the_record(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 1)
    group = await earliest_group(kafka_bootstrap, share_delivery_count_limit="2")
    async with consumer(
        kafka_bootstrap, group, topic, share_acknowledgement_mode="explicit"
    ) as member:
        counts = []
        for _ in range(2):
            (record,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
            counts.append(record.delivery_count)
            member.acknowledge(record, AcknowledgeType.RELEASE)
            await member.commit()
        assert counts == [1, 2]
        await produce(kafka_bootstrap, topic, 1)  # offset 1: the only record left
        (marker,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert marker.offset == 1 and marker.delivery_count == 1
        member.acknowledge(marker)
        await member.commit()


async def test_renew_keeps_the_record_until_its_final_acknowledgement(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 1)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(
        kafka_bootstrap, group, topic, share_acknowledgement_mode="explicit"
    ) as member:
        (record,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        member.acknowledge(record, AcknowledgeType.RENEW)
        results = await member.commit()
        assert all(e is None for e in results.values()), results
        member.acknowledge(record, AcknowledgeType.ACCEPT)  # still held after the renewal
        assert all(e is None for e in (await member.commit()).values())
        await produce(kafka_bootstrap, topic, 1)
        (marker,) = await poll_until(member, lambda rs: len(rs) >= 1, 60)
        assert marker.offset == 1  # the accepted record did not come back
        member.acknowledge(marker)


async def test_implicit_mode_async_for_and_callback(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 5, per_batch=5)
    group = await earliest_group(kafka_bootstrap)
    reports: list[dict[Any, Any]] = []

    async def on_commit(results: dict[Any, Any]) -> None:
        reports.append(results)

    member = consumer(kafka_bootstrap, group, topic, acknowledgement_commit_callback=on_commit)
    async with member:
        seen = []
        async for record in member:
            seen.append(record.offset)
            if len(seen) == 5:
                break
        assert seen == [0, 1, 2, 3, 4]
    # stop() accepted the last record; every acknowledgement answer reached the callback
    assert reports and all(e is None for r in reports for e in r.values())
    async with consumer(kafka_bootstrap, group, topic) as again:
        await produce(kafka_bootstrap, topic, 1)
        (marker,) = await poll_until(again, lambda rs: len(rs) >= 1, 60)
        assert marker.offset == 5  # nothing implicit mode accepted came back


@pytest.mark.parametrize("isolation", ["read_committed", "read_uncommitted"])
async def test_share_isolation_level_and_aborted_transactions(
    kafka_bootstrap: str, kafka_topic: Any, isolation: str
) -> None:
    topic = kafka_topic(1)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=f"share-txn-{topic}"
    ) as producer:
        for outcome in ("aborted", "committed"):
            await producer.begin_transaction()
            for i in range(3):
                await producer.send_and_wait(topic, f"{outcome}-{i}".encode())
            if outcome == "aborted":
                await producer.abort_transaction()
            else:
                await producer.commit_transaction()
    group = await earliest_group(kafka_bootstrap, share_isolation_level=isolation)
    expected = {f"committed-{i}" for i in range(3)}
    if isolation == "read_uncommitted":
        expected |= {f"aborted-{i}" for i in range(3)}
    async with consumer(kafka_bootstrap, group, topic) as member:
        got = await poll_until(member, lambda rs: {r.value.decode() for r in rs} >= expected, 60)
        assert sorted(r.value.decode() for r in got) == sorted(expected)
        assert all(e is None for e in (await member.commit()).values())


async def test_acknowledgements_go_out_while_polls_drain_the_buffer(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    """One fetch brings a whole 300-record batch; polls of 10 drain it slowly; the accepted
    records' acknowledgements are sent meanwhile, not when the buffer is empty."""
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 300, per_batch=300)
    group = await earliest_group(kafka_bootstrap)
    acked: list[int] = []

    def on_commit(results: dict[Any, Any]) -> None:
        assert all(e is None for e in results.values()), results
        acked.append(len(results))

    async with consumer(
        kafka_bootstrap,
        group,
        topic,
        max_poll_records=10,
        acknowledgement_commit_callback=on_commit,
    ) as member:
        got = await poll_until(member, lambda rs: len(rs) >= 10, 60)
        while not acked:
            batch = await member.getmany(timeout_ms=100)
            got.extend(r for rs in batch.values() for r in rs)
            await asyncio.sleep(0.05)  # "processing"
            assert len(got) < 300, "no acknowledgement was sent before the buffer drained"
        assert len(got) < 300
