"""The accumulator's drain over many partitions that need the "earlier batch in flight"
check (retried batches, idempotent first batches): the in-flight partitions are looked up
once per drain, not once per partition (which was partitions x unfinished batches: over a
minute of CPU for a first round of sends to 5000 partitions with retries)."""

from __future__ import annotations

import asyncio

from aiokafka_gen.producer.accumulator import RecordAccumulator
from aiokafka_gen.producer.batch import ProducerBatch
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.structs import TopicPartition


class CountingSet(set[ProducerBatch]):
    """A set that counts how often it is iterated."""

    iterations = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        CountingSet.iterations += 1
        return super().__iter__()


def many(partitions: int) -> RecordAccumulator:
    acc = RecordAccumulator(
        max_batch_size=40, buffer_memory=1_000_000, linger_ms=0,
        make_builder=lambda size: BatchBuilder(max_batch_size=size),
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    for p in range(partitions):
        for i in range(2):  # two one-record batches per partition
            tp = TopicPartition("t", p)
            assert acc.append(tp, 1, None, b"%020d" % i, None, loop.create_future())
    return acc


async def test_idempotent_drain_checks_in_flight_once() -> None:
    acc = many(200)
    now = asyncio.get_running_loop().time()
    everyone = lambda tp: True  # noqa: E731  (no partition acknowledged yet)
    first, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, everyone)
    assert len(first[1]) == 200  # one first batch of every partition
    for batch in first[1][:150]:
        batch.in_flight = True
    acc._unfinished = CountingSet(acc._unfinished)  # type: ignore[misc]
    CountingSet.iterations = 0
    second, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, everyone)
    # the 150 partitions with a batch in flight hold their second batch; the other 50
    # (first batch drained but not in flight) send theirs
    assert sorted(b.tp.partition for b in second[1]) == list(range(150, 200))
    assert CountingSet.iterations == 1


async def test_retried_batches_wait_for_their_partition() -> None:
    acc = many(3)
    now = asyncio.get_running_loop().time()
    drained, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, None)
    a, b, c = drained[1]
    a.in_flight = True
    acc.requeue(b, retry_at=now)  # b failed; nothing of its partition is in flight
    b.in_flight = False
    again, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, None)
    parts = sorted(x.tp.partition for x in again[1])
    # partition 0: its second batch is not a retry, so it goes even with a in flight
    # (no idempotence); partition 1: the retried b; partition 2: its second batch
    assert parts == [0, 1, 2]
    # a retry waits while an earlier batch of its partition is in flight
    acc.requeue(c, retry_at=now)
    c2 = next(x for x in again[1] if x.tp.partition == 2)
    c2.in_flight = True
    held, _, _ = acc.drain(now, lambda tp: 1, lambda node: True, None)
    assert all(x.tp.partition != 2 for x in held.get(1, []))
