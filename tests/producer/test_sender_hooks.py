"""The sender <-> transaction manager interface, broker-free: the sender reports failed
batches to its ``TransactionHooks`` and asks them for the Produce version cap of every
request; the manager stops the sender with ``fail_fatally`` when fenced; ``fatal`` is
read-only outside the sender. And the split of a too-large batch: an idempotent producer
starts a new epoch only when the batch's sequence range belongs to the current one, a
transactional producer never bumps by itself in the middle of a transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka_gen.messages.produce_response import (
    PartitionProduceResponse,
    ProduceResponse,
    TopicProduceResponse,
)

from aiokafka_gen import errors
from aiokafka_gen.producer.accumulator import RecordAccumulator
from aiokafka_gen.producer.batch import ProducerBatch
from aiokafka_gen.producer.idempotence import ProducerIdentity
from aiokafka_gen.producer.sender import Sender
from aiokafka_gen.producer.transaction_manager import TransactionManager, TxnState
from aiokafka_gen.producer.txn_protocol import V2
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.structs import RecordMetadata, TopicPartition

TP = TopicPartition("t", 0)
MESSAGE_TOO_LARGE = 10
INVALID_RECORD = 87


class _Cluster:
    def leader_for_partition(self, tp: TopicPartition) -> int:
        return 1

    def topic_id(self, topic: str) -> None:
        return None

    def topic_name(self, topic_id: Any) -> None:
        return None


class ScriptedClient:
    """Answers each partition of a Produce request with ``answer(record count)``; records
    the ``api_version`` each request was sent with."""

    def __init__(self, answer: Any = lambda count: 0) -> None:
        self.cluster = _Cluster()
        self.answer = answer
        self.versions: list[int | None] = []

    def api_version_for(self, node: int, api_key: int) -> int:
        return 12  # (13+ needs topic ids, which this cluster has none of)

    async def ready(self, node: int, **kwargs: Any) -> bool:
        return True

    def force_metadata_update(self) -> None:
        pass

    async def send(self, node: int, request: Any, **kwargs: Any) -> Any:
        from aiokafka_gen.records.reader import iter_records

        self.versions.append(kwargs.get("api_version"))
        answers = []
        for topic in request.topic_data:
            for part in topic.partition_data:
                code = self.answer(sum(1 for _ in iter_records(part.records)))
                answers.append(PartitionProduceResponse(part.index, code, 0 if code == 0 else -1))
        await asyncio.sleep(0)
        return ProduceResponse(responses=[TopicProduceResponse("t", partition_responses=answers)])


class Hooks:
    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.failed: list[BaseException] = []

    def batch_failed(self, exc: BaseException) -> None:
        self.failed.append(exc)

    def produce_version_cap(self) -> int | None:
        return self.cap


def _accumulator() -> RecordAccumulator:
    return RecordAccumulator(
        max_batch_size=1 << 14, buffer_memory=1 << 20, linger_ms=0,
        make_builder=lambda size: BatchBuilder(max_batch_size=size),
    )  # fmt: skip


def _sender(client: Any, acc: RecordAccumulator, **kwargs: Any) -> Sender:
    return Sender(
        client, acc, acks=-1, request_timeout_ms=1000, retry_backoff_ms=10,
        delivery_timeout_ms=5000, max_in_flight=5, max_request_size=1 << 20,
        make_builder=lambda size: BatchBuilder(max_batch_size=size), **kwargs,
    )  # fmt: skip


def _append(acc: RecordAccumulator, count: int) -> list[asyncio.Future[RecordMetadata]]:
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[RecordMetadata]] = []
    for i in range(count):
        future: asyncio.Future[RecordMetadata] = loop.create_future()
        assert acc.append(TP, None, None, b"v%d" % i, None, future)
        futures.append(future)
    return futures


async def _deliver(sender: Sender, futures: list[asyncio.Future[RecordMetadata]]) -> list[Any]:
    sender.start()
    try:
        async with asyncio.timeout(5):
            return await asyncio.gather(*futures, return_exceptions=True)
    finally:
        await sender.close()


# ---- the interface -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("transactional_id", "hooks", "expected"),
    [(None, None, None), ("t", None, 11), ("t", Hooks(9), 9), ("t", Hooks(None), None)],
)
async def test_each_request_takes_the_produce_cap_the_hooks_give(
    transactional_id: str | None, hooks: Hooks | None, expected: int | None
) -> None:
    client, acc = ScriptedClient(), _accumulator()
    sender = _sender(client, acc, transactional_id=transactional_id, transactions=hooks)
    futures = _append(acc, 2)
    assert not [r for r in await _deliver(sender, futures) if isinstance(r, BaseException)]
    assert client.versions == [expected]


async def test_every_failed_batch_is_reported_to_the_hooks() -> None:
    client, acc = ScriptedClient(lambda count: INVALID_RECORD), _accumulator()
    hooks = Hooks(None)
    sender = _sender(client, acc, transactions=hooks)
    results = await _deliver(sender, _append(acc, 3))
    assert all(isinstance(r, errors.InvalidRecordError) for r in results)
    assert len(hooks.failed) == 1 and isinstance(hooks.failed[0], errors.InvalidRecordError)
    assert sender.fatal is None


def test_the_manager_gives_the_produce_cap_of_the_current_transaction() -> None:
    identity = ProducerIdentity(transactional=True)
    manager = TransactionManager(None, identity, "t", 60000, 100)  # type: ignore[arg-type]
    assert manager.produce_version_cap() == 11  # classic until a begin says more
    manager.protocol = V2
    assert manager.produce_version_cap() is None
    idempotent = TransactionManager(None, ProducerIdentity(), None, 60000, 100)  # type: ignore[arg-type]
    assert idempotent.produce_version_cap() is None


async def test_a_fenced_manager_stops_the_sender_through_fail_fatally() -> None:
    identity = ProducerIdentity(transactional=True)
    identity.set_id(7, 2)
    manager = TransactionManager(None, identity, "t", 60000, 100)  # type: ignore[arg-type]
    acc = _accumulator()
    sender = _sender(ScriptedClient(), acc, identity=identity, transactional_id="t",
                     transactions=manager)  # fmt: skip
    manager.attach(sender, acc)
    manager.state = TxnState.IN_TRANSACTION
    futures = _append(acc, 2)  # queued, never sent (the sender is not started)
    manager.batch_failed(errors.for_code(90)())  # PRODUCER_FENCED from some batch
    assert manager.state is TxnState.FATAL_ERROR
    assert isinstance(sender.fatal, errors.ProducerFenced)
    assert all(isinstance(f.exception(), errors.ProducerFenced) for f in futures)
    with pytest.raises(errors.ProducerFenced):
        manager.check_can_send()
    with pytest.raises(AttributeError):
        sender.fatal = None  # type: ignore[misc]


# ---- splitting a too-large batch -----------------------------------------------------------
def _stamped_batch(identity: ProducerIdentity, acc: RecordAccumulator) -> ProducerBatch:
    _append(acc, 4)
    (batch,) = acc.take_all()
    batch.in_flight = True
    identity.stamp(batch)
    return batch


@pytest.mark.parametrize("bumped_since", [False, True])
async def test_a_split_bumps_the_epoch_only_for_a_range_of_the_current_one(
    bumped_since: bool,
) -> None:
    identity = ProducerIdentity()
    identity.set_id(5, 0)
    acc = _accumulator()
    sender = _sender(ScriptedClient(), acc, identity=identity)
    batch = _stamped_batch(identity, acc)
    if bumped_since:  # its sequence range belongs to the epoch before: no gap in this one
        identity.set_id(5, 1)
    sender._split(batch)
    assert identity.bump_needed is not bumped_since
    assert not identity.stamped_now(batch)  # forgotten either way


async def test_a_transactional_split_does_not_bump_the_epoch_mid_transaction() -> None:
    """A bump mid-transaction would send InitProducerId from IN_TRANSACTION: the manager
    refuses it (IllegalStateError) and the sender stopped for good. The abort bumps."""
    identity = ProducerIdentity(transactional=True)
    identity.set_id(7, 2)
    manager = TransactionManager(None, identity, "t", 60000, 100)  # type: ignore[arg-type]
    client, acc = ScriptedClient(lambda n: MESSAGE_TOO_LARGE if n > 1 else 0), _accumulator()
    sender = _sender(client, acc, identity=identity, transactional_id="t",
                     init_producer_id=manager.init_producer_id, transactions=manager)  # fmt: skip
    manager.attach(sender, acc)
    manager.state = TxnState.IN_TRANSACTION
    results = await _deliver(sender, _append(acc, 4))
    assert sender.fatal is None
    assert not [r for r in results if isinstance(r, BaseException)]
    assert (identity.producer_id, identity.epoch, identity.bump_needed) == (7, 2, False)
    assert manager.state is TxnState.IN_TRANSACTION
