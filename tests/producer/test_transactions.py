"""Transactions against the real broker: commit visible and abort invisible to a Java
read_committed consumer, the transaction() context manager, offsets in a transaction,
fencing by a second producer with the same transactional id, and the state table."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from aiokafka_gen import errors
from aiokafka_gen.client import CoordinationType
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.producer.transaction_manager import _TRANSITIONS, TxnState
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import console_count, console_read, fetch_batches

Topic = Callable[..., str]


def txn_producer(cluster: KafkaCluster, txn_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=cluster.bootstrap(), transactional_id=txn_id)


def test_transition_table_refuses_illegal_events() -> None:
    assert _TRANSITIONS[(TxnState.READY, "begin")] is TxnState.IN_TRANSACTION
    assert (TxnState.READY, "commit") not in _TRANSITIONS
    assert not any(state is TxnState.FATAL_ERROR for state, _ in _TRANSITIONS)


@pytest.mark.integration
async def test_commit_visible_abort_invisible(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(2)
    async with txn_producer(kafka_cluster, f"txn-{uuid.uuid4()}") as producer:
        with pytest.raises(errors.IllegalOperation):
            await producer.send(topic, b"outside")
        await producer.begin_transaction()
        for i in range(10):
            await producer.send(topic, b"aborted-%d" % i, partition=i % 2)
        await producer.abort_transaction()
        async with producer.transaction():
            for i in range(10):
                await producer.send(topic, b"committed-%d" % i, partition=i % 2)
        with pytest.raises(RuntimeError):
            async with producer.transaction():
                await producer.send(topic, b"aborted-by-exception", partition=0)
                raise RuntimeError("boom")
        with pytest.raises(errors.IllegalStateError):
            await producer.commit_transaction()
    rows = console_read(kafka_cluster, topic, 10, read_committed=True)
    assert sorted(r[-1] for r in rows) == sorted(f"committed-{i}" for i in range(10))
    assert console_count(kafka_cluster, topic, read_committed=True) == 10
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert any(b.is_transactional for b in batches)


@pytest.mark.integration
async def test_send_offsets_to_transaction(kafka_cluster: KafkaCluster, kafka_topic: Topic) -> None:
    topic, source = kafka_topic(1), kafka_topic(1)
    group = f"group-{uuid.uuid4()}"
    async with txn_producer(kafka_cluster, f"txn-{uuid.uuid4()}") as producer:
        async with producer.transaction():
            await producer.send(topic, b"with offsets")
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 42}, group)
        with pytest.raises(errors.IllegalOperation):
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 43}, group)
    done = kafka_cluster.run_tool(
        "ConsumerGroupCommand", "--bootstrap-server", kafka_cluster.bootstrap(),
        "--describe", "--group", group,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if source in x)
    assert "42" in line.split()


@pytest.mark.integration
async def test_second_producer_fences_the_first(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    txn_id = f"txn-{uuid.uuid4()}"
    first = txn_producer(kafka_cluster, txn_id)
    await first.start()
    try:
        await first.begin_transaction()
        await (await first.send(topic, b"from the first"))
        async with txn_producer(kafka_cluster, txn_id) as second:
            async with second.transaction():
                await second.send(topic, b"from the second")
            with pytest.raises(errors.ProducerFenced):
                await first.commit_transaction()
            with pytest.raises(errors.ProducerFenced):
                await first.send(topic, b"after fencing")
    finally:
        await first.stop()
    rows = console_read(kafka_cluster, topic, 1, read_committed=True)
    assert [r[-1] for r in rows] == ["from the second"]


class GroupMetadata:
    """What a consumer's group_metadata() carries (KIP-447)."""

    def __init__(self, group_id: str, generation_id: int, member_id: str) -> None:
        self.group_id = group_id
        self.generation_id = generation_id
        self.member_id = member_id
        self.group_instance_id = None


@pytest.mark.integration
async def test_offsets_with_stale_group_metadata_are_refused(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    """Full group metadata reaches the group coordinator: a member the group does not
    know is refused, and the transaction must then be aborted."""
    topic = kafka_topic(1)
    metadata = GroupMetadata(f"group-{uuid.uuid4()}", 5, "no-such-member")
    async with txn_producer(kafka_cluster, f"txn-{uuid.uuid4()}") as producer:
        await producer.begin_transaction()
        await producer.send(topic, b"to be aborted")
        with pytest.raises(errors.BrokerResponseError) as refused:
            await producer.send_offsets_to_transaction({TopicPartition(topic, 0): 1}, metadata)
        assert refused.value.errno in (22, 25, 82)  # ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID...
        with pytest.raises(errors.BrokerResponseError):
            await producer.commit_transaction()
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, b"committed")
    rows = console_read(kafka_cluster, topic, 1, read_committed=True)
    assert [r[-1] for r in rows] == ["committed"]


@pytest.mark.integration
@pytest.mark.slow
async def test_commit_survives_a_coordinator_kill(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    topic = f"txn-failover-{uuid.uuid4().hex[:8]}"
    cluster.create_topic(topic, 1, 3)
    txn_id = f"txn-{uuid.uuid4()}"
    async with txn_producer(cluster, txn_id) as producer:
        coordinator = await producer.client.coordinator_lookup(CoordinationType.TRANSACTION, txn_id)
        async with producer.transaction():
            for i in range(20):
                await producer.send(topic, b"r%d" % i)
            await producer.flush()
            await asyncio.to_thread(cluster.node(coordinator).kill)
        moved = await producer.client.coordinator_lookup(CoordinationType.TRANSACTION, txn_id)
    await asyncio.to_thread(cluster.start_node, coordinator)
    assert moved != coordinator
    rows = console_read(cluster, topic, 20, read_committed=True)
    assert sorted(r[-1] for r in rows) == sorted(f"r{i}" for i in range(20))
