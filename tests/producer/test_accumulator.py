"""The accumulator alone (no broker is needed to count wake-ups): memory waiters are served
FIFO and one at a time, never broadcast; linger and fullness decide what is sendable."""

from __future__ import annotations

import asyncio

from aiokafka_gen.producer.accumulator import RecordAccumulator
from aiokafka_gen.producer.batch import ProducerBatch
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.structs import RecordMetadata, TopicPartition


def accumulator(
    buffer_memory: int, linger_ms: float = 0, max_batch_size: int = 100
) -> RecordAccumulator:
    return RecordAccumulator(
        max_batch_size=max_batch_size, buffer_memory=buffer_memory, linger_ms=linger_ms,
        make_builder=lambda size: BatchBuilder(max_batch_size=size),
    )  # fmt: skip


def drain_one(acc: RecordAccumulator, now: float) -> ProducerBatch:
    """The one batch the next drain hands to node 1, marked in flight."""
    drained, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, None)
    [batch] = drained[1]
    batch.in_flight = True
    return batch


def filled(max_batch_size: int, values: list[int]) -> RecordAccumulator:
    """An accumulator holding one 20-byte record per value for partition ("t", 0)."""
    acc = accumulator(buffer_memory=10_000, max_batch_size=max_batch_size)
    for i in values:
        assert acc.append(TopicPartition("t", 0), 1, None, b"%020d" % i, None, future())
    return acc


def settle(acc: RecordAccumulator, batch: ProducerBatch) -> None:
    acc.finished(batch)
    batch.in_flight = False


def future() -> asyncio.Future[RecordMetadata]:
    return asyncio.get_running_loop().create_future()


async def test_one_release_wakes_one_waiter() -> None:
    acc = accumulator(buffer_memory=100)
    assert acc.append(TopicPartition("t", 0), 1, None, b"v", None, future())
    assert not acc.append(TopicPartition("t", 1), 1, None, b"v", None, future())
    woken: list[int] = []

    async def wait(i: int) -> None:
        await acc.wait_for_memory(10, 60)
        woken.append(i)

    waiters = [asyncio.ensure_future(wait(i)) for i in range(100)]
    await asyncio.sleep(0)
    drained, _, _ = acc.drain(
        asyncio.get_running_loop().time(), lambda tp: 1, lambda node: True, None
    )
    [batch] = drained[1]
    acc.finished(batch)  # 100 bytes come back: enough for one batch
    for _ in range(3):
        await asyncio.sleep(0)
    assert woken == [0]  # the first in line, and only it
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_linger_and_full_batches() -> None:
    acc = accumulator(buffer_memory=10_000, linger_ms=60_000)
    tp = TopicPartition("t", 0)
    now = asyncio.get_running_loop().time()
    acc.append(tp, 1, None, b"v", None, future())
    drained, delay, _ = acc.drain(now, lambda tp: 1, lambda node: True, None)
    assert drained == {} and delay is not None and delay > 50
    for _ in range(20):  # the first batch fills up, a second one opens
        acc.append(tp, 1, None, b"x" * 10, None, future())
    taken = 0
    while acc.drain(now, lambda tp: 1, lambda node: True, None)[0]:
        taken += 1  # full batches go at once, one per partition and drain
    assert taken >= 1 and acc.queued(TopicPartition("t", 0)) == 1  # the open batch keeps lingering


async def test_done_resolves_each_record_with_its_offset_and_timestamp() -> None:
    from aiokafka_gen.producer.batch import ProducerBatch

    tp = TopicPartition("t", 3)

    def batch_of(stamps: list[int]) -> ProducerBatch:
        batch = ProducerBatch(tp, BatchBuilder(max_batch_size=1000), 0.0, 0)
        for stamp in stamps:
            assert batch.append(stamp, None, b"v", None, future())
        return batch

    created = batch_of([10, 30, 20])
    created.futures[1].cancel()  # the application gave up on this one: left alone
    created.done(100, -1, 7)
    first, third = created.futures[0].result(), created.futures[2].result()
    assert first == RecordMetadata("t", 3, tp, 100, 10, 0, 7)
    assert third == RecordMetadata("t", 3, tp, 102, 20, 0, 7)
    assert isinstance(first, RecordMetadata) and first.offset == 100 and third.timestamp == 20

    appended = batch_of([10, 30])
    appended.done(5, 999, -1)  # LogAppendTime: the broker's time for every record
    assert [f.result() for f in appended.futures] == [
        RecordMetadata("t", 3, tp, 5, 999, 1, None),
        RecordMetadata("t", 3, tp, 6, 999, 1, None),
    ]

    unacked = batch_of([1, 2])
    unacked.done(-1, -1, -1)  # acks=0: no offsets known
    assert [f.result().offset for f in unacked.futures] == [-1, -1]


async def test_batches_failed_together_go_out_again_in_their_old_order() -> None:
    # Without sequences (no idempotence) two batches of a partition in flight on a
    # connection that dies are re-queued in whatever order their failures are handled:
    # they must still leave in the order they were created, or records are reordered.
    acc = filled(30, [0, 1, 2])  # a batch each
    now = asyncio.get_running_loop().time()
    sent = [drain_one(acc, now) for _ in range(3)]
    assert len({id(b) for b in sent}) == 3
    for batch in (sent[1], sent[0], sent[2]):  # failures handled in any order
        acc.requeue(batch, now)
    for batch in sent:  # one at a time (retries go alone), oldest first
        assert drain_one(acc, now) is batch
        settle(acc, batch)


async def test_a_failed_split_part_goes_back_before_later_batches() -> None:
    # A batch split (MESSAGE_TOO_LARGE) is re-queued as parts at the front, ahead of a batch
    # created after it; a part that fails again must go back in front of that batch too.
    acc = filled(150, [0, 1, 2, 9])  # three records in a batch, the fourth in a later one
    now = asyncio.get_running_loop().time()
    big = drain_one(acc, now)
    parts = big.split(100, lambda size: BatchBuilder(max_batch_size=size))
    assert big.record_count == 3 and len(parts) == 3 and acc.queued(TopicPartition("t", 0)) == 1
    acc.requeue_split(big, parts)
    for part in parts:
        assert drain_one(acc, now) is part
        acc.requeue(part, now)  # it fails: back to the front, before the later batch
        assert drain_one(acc, now) is part
        settle(acc, part)


async def test_an_idempotent_partition_sends_its_first_batch_alone() -> None:
    """Until the broker acknowledged something of a partition (this epoch), a second batch
    must not go out while the first is in flight: a broker without producer state would
    accept it even if the first never arrived (see ``idempotence``)."""
    acc = filled(max_batch_size=40, values=[0, 1])  # one record per batch
    now = asyncio.get_running_loop().time()
    pending = {TopicPartition("t", 0)}

    def drain() -> list[ProducerBatch]:
        drained, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, pending.__contains__)
        return drained.get(1, [])

    [first] = drain()
    first.in_flight = True
    assert drain() == []  # held while the first is in flight
    pending.clear()  # the broker acknowledged the first
    assert len(drain()) == 1
