"""Transactions against real brokers, under both protocols (``txn_cluster``): transaction
version 2 (KIP-890: implicit partitions and offsets, an epoch bump at every EndTxn) on the
session cluster, and the classic protocol on a cluster formatted with transaction.version=1.
Commit visible and abort invisible to a Java read_committed consumer, the requests each
protocol sends, offsets in a transaction (KIP-447 group metadata from a real group
member), fencing by a second producer with the same transactional id, the state table."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiokafka_gen.messages.end_txn_response import EndTxnResponse

from aiokafka_gen import errors
from aiokafka_gen.client import AIOKafkaClient, CoordinationType
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.producer.accumulator import RecordAccumulator
from aiokafka_gen.producer.idempotence import ProducerIdentity
from aiokafka_gen.producer.transaction_manager import (
    _TRANSITIONS,
    TransactionManager,
    TxnEvent,
    TxnState,
)
from aiokafka_gen.producer.txn_protocol import V2
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.structs import ConsumerGroupMetadata, TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import (
    GroupMember,
    committed_offsets,
    console_read,
    fetch_batches,
    transactions_in_log,
)

Topic = Callable[..., str]


def txn_producer(cluster: KafkaCluster, txn_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=cluster.bootstrap(), transactional_id=txn_id)


def record_requests(producer: AIOKafkaProducer) -> list[str]:
    """Names of every request the producer's client sends from now on."""
    sent: list[str] = []
    original = producer.client.send

    async def send(node: int, request: Any, **kwargs: Any) -> Any:
        sent.append(type(request).__name__)
        return await original(node, request, **kwargs)

    producer.client.send = send  # type: ignore[method-assign]
    return sent


def expected_version(cluster: KafkaCluster, kafka_cluster: KafkaCluster) -> int:
    """Kafka 4.0+ formats new clusters with transaction version 2; 3.9 offers only 1."""
    return 2 if cluster is kafka_cluster and int(cluster.version.split(".")[0]) >= 4 else 1


def test_transition_table_refuses_illegal_events() -> None:
    assert _TRANSITIONS[(TxnState.READY, TxnEvent.BEGIN)] is TxnState.IN_TRANSACTION
    assert (TxnState.READY, TxnEvent.COMMIT) not in _TRANSITIONS
    # fatal is a dead end: only FATAL leads in, and nothing leads out but FATAL itself
    into_fatal = {e for (_, e), to in _TRANSITIONS.items() if to is TxnState.FATAL_ERROR}
    assert into_fatal == {TxnEvent.FATAL}
    out_of_fatal = {to for (state, _), to in _TRANSITIONS.items() if state is TxnState.FATAL_ERROR}
    assert out_of_fatal == {TxnState.FATAL_ERROR}
    assert all((state, TxnEvent.FATAL) in _TRANSITIONS for state in TxnState)
    assert _TRANSITIONS[(TxnState.COMMITTING, TxnEvent.ERROR)] is TxnState.ABORTABLE_ERROR


@pytest.mark.integration
async def test_commit_visible_abort_invisible(
    txn_cluster: KafkaCluster, kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(2, cluster=txn_cluster)
    version = expected_version(txn_cluster, kafka_cluster)
    async with txn_producer(txn_cluster, f"txn-{uuid.uuid4()}") as producer:
        sent = record_requests(producer)
        first_epoch = producer._identity.epoch if producer._identity else -1
        with pytest.raises(errors.IllegalOperation):
            await producer.send(topic, b"outside")
        await producer.begin_transaction()
        assert producer._txn is not None and producer._txn.protocol.version == version
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
        last_epoch = producer._identity.epoch if producer._identity else -1
    explicit = {"AddPartitionsToTxnRequest"} & set(sent)
    assert explicit == (set() if version == 2 else {"AddPartitionsToTxnRequest"})
    assert last_epoch == first_epoch + (3 if version == 2 else 0)  # one bump per EndTxn
    rows = console_read(txn_cluster, topic, 10, read_committed=True)
    assert sorted(r[-1] for r in rows) == sorted(f"committed-{i}" for i in range(10))
    log = transactions_in_log(
        await fetch_batches(txn_cluster.bootstrap(), TopicPartition(topic, 0))
    )
    assert [(committed, values) for committed, _, values in log] == [
        (False, [b"aborted-%d" % i for i in range(0, 10, 2)]),
        (True, [b"committed-%d" % i for i in range(0, 10, 2)]),
        (False, [b"aborted-by-exception"]),
    ]
    epochs = [epoch - first_epoch for _, epoch, _ in log]
    assert epochs == ([0, 1, 2] if version == 2 else [0, 0, 0])


@pytest.mark.integration
async def test_send_offsets_to_transaction(
    txn_cluster: KafkaCluster, kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic, source = kafka_topic(1, cluster=txn_cluster), kafka_topic(1, cluster=txn_cluster)
    group = f"group-{uuid.uuid4()}"
    async with txn_producer(txn_cluster, f"txn-{uuid.uuid4()}") as producer:
        sent = record_requests(producer)
        async with producer.transaction():
            await producer.send(topic, b"with offsets")
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 42}, group)
        async with producer.transaction():  # offsets alone make a transaction too
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): (43, "m")},
                                                       ConsumerGroupMetadata(group))  # fmt: skip
        with pytest.raises(errors.IllegalOperation):
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 44}, group)
    assert await committed_offsets(txn_cluster.bootstrap(), group) == {
        TopicPartition(source, 0): 43
    }
    # right after a commit a request may be retried (CONCURRENT_TRANSACTIONS): counts >= 2
    added = sent.count("AddOffsetsToTxnRequest")
    assert added == 0 if expected_version(txn_cluster, kafka_cluster) == 2 else added >= 2
    assert sent.count("TxnOffsetCommitRequest") >= 2 and sent.count("EndTxnRequest") == 2


@pytest.mark.integration
async def test_second_producer_fences_the_first(
    txn_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1, cluster=txn_cluster)
    txn_id = f"txn-{uuid.uuid4()}"
    first = txn_producer(txn_cluster, txn_id)
    await first.start()
    try:
        await first.begin_transaction()
        await (await first.send(topic, b"from the first"))
        async with txn_producer(txn_cluster, txn_id) as second:
            async with second.transaction():
                await second.send(topic, b"from the second")
            with pytest.raises(errors.ProducerFenced):
                await first.commit_transaction()
            with pytest.raises(errors.ProducerFenced):
                await first.send(topic, b"after fencing")
    finally:
        await first.stop()
    rows = console_read(txn_cluster, topic, 1, read_committed=True)
    assert [r[-1] for r in rows] == ["from the second"]


@pytest.mark.integration
async def test_offsets_fenced_by_group_generation(
    txn_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    """KIP-447: offsets carrying a real member's current generation are accepted; a
    stale generation is refused (ILLEGAL_GENERATION) and the transaction must abort."""
    topic = kafka_topic(1, cluster=txn_cluster)
    group = f"group-{uuid.uuid4()}"
    tp = TopicPartition(topic, 0)
    async with AIOKafkaClient(bootstrap_servers=txn_cluster.bootstrap()) as client:
        member = GroupMember(client, group)
        await member.join()
        stale = member.generation_id
        await member.join()  # the leader rejoining starts a new generation
        assert member.generation_id > stale
        try:
            async with txn_producer(txn_cluster, f"txn-{uuid.uuid4()}") as producer:
                await producer.begin_transaction()
                old = ConsumerGroupMetadata(group, stale, member.member_id)
                with pytest.raises(errors.IllegalGenerationError):
                    await producer.send_offsets_to_transaction({tp: 5}, old)
                with pytest.raises(errors.IllegalGenerationError):
                    await producer.commit_transaction()
                await producer.abort_transaction()
                current = ConsumerGroupMetadata(group, member.generation_id, member.member_id)
                async with producer.transaction():
                    await producer.send_offsets_to_transaction({tp: 7}, current)
        finally:
            await member.leave()
    assert await committed_offsets(txn_cluster.bootstrap(), group) == {tp: 7}


class GroupMetadata:
    """Any object with a consumer's group metadata attributes is accepted too."""

    def __init__(self, group_id: str, generation_id: int, member_id: str) -> None:
        self.group_id = group_id
        self.generation_id = generation_id
        self.member_id = member_id
        self.group_instance_id = None


@pytest.mark.integration
async def test_offsets_for_an_unknown_member_are_refused(
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
    log = transactions_in_log(
        await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    )
    assert [(c, v) for c, _, v in log] == [(False, [b"to be aborted"]), (True, [b"committed"])]


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


class EndTxnScript:
    """Stands in for the coordinator's EndTxn answers (a real broker cannot be made to
    refuse a commit with TRANSACTION_ABORTABLE or to time out on demand)."""

    def __init__(self, *answers: BaseException | Any) -> None:
        self.answers = list(answers)
        self.sent: list[Any] = []

    async def __call__(self, send: Any, request: Any, api_key: int, group: Any = None) -> Any:
        self.sent.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def manager_in_transaction(script: EndTxnScript) -> TransactionManager:
    identity = ProducerIdentity(transactional=True)
    identity.set_id(7, 2)
    manager = TransactionManager(None, identity, "t", 60000, 100)  # type: ignore[arg-type]
    manager.attach(cast(Any, SimpleNamespace()), RecordAccumulator(
        max_batch_size=1024, buffer_memory=1 << 20, linger_ms=0, make_builder=BatchBuilder
    ))  # fmt: skip
    manager.state = TxnState.READY
    manager._offered, manager._offered_at = V2, float("inf")
    manager._retrying = script  # type: ignore[method-assign]
    return manager


async def test_refused_commit_is_abortable_and_the_abort_adopts_the_new_epoch() -> None:
    refused = errors.for_code(120)()  # TRANSACTION_ABORTABLE
    script = EndTxnScript(refused, EndTxnResponse(producer_id=7, producer_epoch=3))
    manager = manager_in_transaction(script)
    await manager.begin()
    assert manager.protocol is V2
    manager._partitions.add(TopicPartition("t", 0))  # as if a Produce went out
    with pytest.raises(errors.TransactionAbortableError):
        await manager.commit()
    assert manager.state is TxnState.ABORTABLE_ERROR
    await manager.abort()
    assert manager.state is TxnState.READY
    assert [r.committed for r in script.sent] == [True, False]
    assert (manager._identity.producer_id, manager._identity.epoch) == (7, 3)


async def test_commit_and_abort_may_be_called_again_after_a_timeout() -> None:
    timeout = errors.KafkaTimeoutError("EndTxnRequest got no final answer")
    done = EndTxnResponse(producer_id=-1, producer_epoch=-1)  # classic: the epoch stays
    script = EndTxnScript(timeout, done, timeout, done)
    manager = manager_in_transaction(script)
    for end in (manager.commit, manager.abort):
        await manager.begin()
        manager._partitions.add(TopicPartition("t", 0))
        with pytest.raises(errors.KafkaTimeoutError):
            await end()
        assert manager.state in (TxnState.COMMITTING, TxnState.ABORTING)
        await end()
        assert manager.state is TxnState.READY
    assert manager._identity.epoch == 2 and len(script.sent) == 4


@pytest.mark.integration
async def test_a_refused_batch_aborts_and_the_next_transaction_starts_clean(
    txn_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    """A batch the broker refuses for good (timestamp too far ahead) leaves a gap in the
    partition's sequence; the batches behind it get OUT_OF_ORDER_SEQUENCE_NUMBER. The
    transaction must be aborted; the next one starts at a new epoch and commits."""
    topic = kafka_topic(1, cluster=txn_cluster, configs={"message.timestamp.after.max.ms": "60000"})
    future_ms = int(time.time() * 1000) + 86_400_000
    async with AIOKafkaProducer(
        bootstrap_servers=txn_cluster.bootstrap(), transactional_id=f"txn-{uuid.uuid4()}",
        max_batch_size=64,
    ) as producer:  # fmt: skip
        assert producer._identity is not None
        await producer.begin_transaction()
        futures = [await producer.send(topic, b"a", partition=0)]  # one record per batch
        futures.append(await producer.send(topic, b"x", partition=0, timestamp_ms=future_ms))
        futures += [await producer.send(topic, v, partition=0) for v in (b"c", b"d")]
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert isinstance(results[1], errors.InvalidTimestampError)
        with pytest.raises(errors.KafkaError):
            await producer.commit_transaction()
        epoch = producer._identity.epoch
        await producer.abort_transaction()
        assert producer._identity.epoch > epoch
        async with producer.transaction():
            await producer.send(topic, b"next", partition=0)
    log = transactions_in_log(
        await fetch_batches(txn_cluster.bootstrap(), TopicPartition(topic, 0))
    )
    assert [(c, v) for c, _, v in log][-1] == (True, [b"next"])
    assert all(not c for c, _, _ in log[:-1])


@pytest.mark.integration
async def test_a_failed_epoch_bump_after_abort_is_retried_by_the_next_begin(
    kafka_cluster_tv1: KafkaCluster, kafka_topic: Topic
) -> None:
    """Classic protocol: after a refused batch the abort must bump the epoch with
    InitProducerId. When that request cannot get through (every InitProducerId reset by
    the proxy until the transaction timeout), abort() fails with KafkaTimeoutError but the
    producer is not wedged: abort() may be called again and the next begin_transaction()
    does the bump first; then a transaction commits."""
    from aiokafka_gen.testing.proxy import ProxyCluster, Trigger, When

    cluster = kafka_cluster_tv1
    topic = kafka_topic(1, cluster=cluster, configs={"message.timestamp.after.max.ms": "60000"})
    future_ms = int(time.time() * 1000) + 86_400_000
    async with ProxyCluster(cluster.bootstrap()) as proxies, AIOKafkaProducer(
        bootstrap_servers=proxies.bootstrap, transactional_id=f"txn-{uuid.uuid4()}",
        max_batch_size=64, transaction_timeout_ms=4000,
    ) as producer:  # fmt: skip
        assert producer._identity is not None
        await producer.begin_transaction()
        bad = await producer.send(topic, b"x", partition=0, timestamp_ms=future_ms)
        with pytest.raises(errors.InvalidTimestampError):
            await bad
        with pytest.raises(errors.KafkaError):
            await producer.commit_transaction()
        epoch = producer._identity.epoch
        triggers = [p.arm(Trigger(22, When.BEFORE, count=10_000)) for p in proxies]
        with pytest.raises(errors.KafkaTimeoutError):
            await producer.abort_transaction()  # EndTxn passes, the bump cannot
        assert sum(t.fired for t in triggers) > 0
        with pytest.raises(errors.KafkaTimeoutError):
            await producer.abort_transaction()  # again: still only the bump is missing
        assert producer._identity.epoch == epoch
        for trigger in triggers:
            trigger.count = trigger.fired  # the network heals
        async with producer.transaction():  # begin bumps first, then the send goes
            await producer.send(topic, b"next", partition=0)
        assert producer._identity.epoch > epoch
    log = transactions_in_log(await fetch_batches(cluster.bootstrap(), TopicPartition(topic, 0)))
    assert [(c, v) for c, _, v in log][-1] == (True, [b"next"])
    assert all(not c for c, _, _ in log[:-1])
