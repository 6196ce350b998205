"""Integration: transactions on the session broker, with ongoing transactions opened by
our own transactional AIOKafkaProducer."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

import pytest

from aiokafka_gen.admin import AbortTransactionSpec, AIOKafkaAdminClient, IsolationLevel, OffsetSpec
from aiokafka_gen.errors import (
    KafkaError,
    TransactionalIdNotFoundError,
    UnknownTopicOrPartitionError,
)
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration


@pytest.fixture
async def ongoing(
    kafka_bootstrap: str, kafka_topic: Callable[..., str]
) -> AsyncIterator[tuple[str, TopicPartition, AIOKafkaProducer]]:
    """A transactional id with an open transaction holding two records on one partition."""
    tid, topic = f"admin-txn-{os.urandom(4).hex()}", kafka_topic(1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=tid)
    await producer.start()
    try:
        await producer.begin_transaction()
        for value in (b"a", b"b"):
            await producer.send_and_wait(topic, value, partition=0)
        yield tid, TopicPartition(topic, 0), producer
    finally:
        with_timeout = asyncio.wait_for(producer.stop(), 30)
        await asyncio.gather(with_timeout, return_exceptions=True)


async def test_describe_and_list_transactions(
    admin: AIOKafkaAdminClient, ongoing: tuple[str, TopicPartition, AIOKafkaProducer]
) -> None:
    tid, tp, _ = ongoing
    described = (await admin.describe_transactions([tid]))[tid]
    assert described.state == "Ongoing" and described.topic_partitions == {tp}
    assert described.producer_id >= 0 and described.transaction_start_time_ms is not None
    assert described.coordinator_id == await admin.find_coordinator(tid, 1)
    listed = await admin.list_transactions(states=["Ongoing"])
    assert tid in {t.transactional_id for t in listed}
    by_producer = await admin.list_transactions(producer_ids=[described.producer_id])
    assert [t.transactional_id for t in by_producer] == [tid]
    by_pattern = await admin.list_transactions(transactional_id_pattern=f"^{tid}$")
    assert [(t.transactional_id, t.state) for t in by_pattern] == [(tid, "Ongoing")]
    missing = f"{tid}-missing"
    results = await admin.describe_transactions([tid, missing], raise_on_error=False)
    assert results[tid].error is None
    assert isinstance(results[missing].error, TransactionalIdNotFoundError)


async def test_describe_producers_and_abort_a_hanging_transaction(
    admin: AIOKafkaAdminClient, ongoing: tuple[str, TopicPartition, AIOKafkaProducer]
) -> None:
    tid, tp, _ = ongoing
    (state,) = (await admin.describe_producers([tp]))[tp].producers
    txn = (await admin.describe_transactions([tid]))[tid]
    assert state.producer_id == txn.producer_id and state.producer_epoch == txn.producer_epoch
    assert state.current_transaction_start_offset == 0 and state.last_sequence == 1
    stable = await admin.list_offsets(
        {tp: OffsetSpec.LATEST}, isolation_level=IsolationLevel.READ_COMMITTED
    )
    assert stable[tp].offset == 0  # the open transaction holds the last stable offset

    await admin.abort_transaction(AbortTransactionSpec(
        tp.topic, tp.partition, state.producer_id, state.producer_epoch,
        state.coordinator_epoch or 0,
    ))  # fmt: skip
    (after,) = (await admin.describe_producers([tp]))[tp].producers
    assert after.current_transaction_start_offset is None
    stable = await admin.list_offsets(
        {tp: OffsetSpec.LATEST}, isolation_level=IsolationLevel.READ_COMMITTED
    )
    assert stable[tp].offset == 3  # two records and the abort marker

    missing = TopicPartition(f"{tp.topic}-missing", 0)
    results = await admin.describe_producers([tp, missing], raise_on_error=False)
    assert isinstance(results[missing].error, UnknownTopicOrPartitionError)


async def test_fence_producers(
    admin: AIOKafkaAdminClient, ongoing: tuple[str, TopicPartition, AIOKafkaProducer]
) -> None:
    tid, _, producer = ongoing
    before = (await admin.describe_transactions([tid]))[tid]
    fenced = (await admin.fence_producers([tid]))[tid]
    assert fenced.producer_id == before.producer_id
    assert fenced.producer_epoch > before.producer_epoch
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.commit_transaction(), 30)
    after = (await admin.describe_transactions([tid]))[tid]
    assert after.producer_epoch >= fenced.producer_epoch and after.state != "Ongoing"
