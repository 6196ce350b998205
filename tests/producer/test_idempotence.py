"""Idempotence: producer ids and sequences in the written batches, KIP-360 decisions, and
no loss, no duplicates and kept order across a leader kill on a 3-node cluster."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest

from aiokafka_gen import errors
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.producer.batch import ProducerBatch
from aiokafka_gen.producer.idempotence import ProducerIdentity, SequenceVerdict
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import fetch_batches

Topic = Callable[..., str]
TP = TopicPartition("t", 0)


def make_batch(records: int) -> ProducerBatch:
    batch = ProducerBatch(TP, BatchBuilder(), 0.0, 0)
    for i in range(records):
        batch.builder.append(1, None, b"%d" % i)
    return batch


def test_sequences_are_consecutive_and_reset_on_a_new_epoch() -> None:
    identity = ProducerIdentity()
    identity.set_id(7, 0)
    first, second = make_batch(3), make_batch(2)
    identity.stamp(first)
    identity.stamp(second)
    assert (first.sequence, second.sequence) == (0, 3)
    identity.stamp(first)  # stamping again under the same epoch changes nothing
    assert first.sequence == 0
    identity.acked(first)
    assert identity.classify(second) is SequenceVerdict.BUMP_EPOCH  # it was next in line
    identity.set_id(7, 1)
    identity.stamp(second)  # re-stamped in place: new epoch, sequence from 0
    assert second.sequence == 0 and second.data is not None
    assert second.data[43:57] == (7).to_bytes(8, "big") + (1).to_bytes(2, "big") + bytes(4)


def test_out_of_order_behind_an_earlier_failure_is_retried() -> None:
    identity = ProducerIdentity()
    identity.set_id(1, 0)
    first, second = make_batch(1), make_batch(1)
    identity.stamp(first)
    identity.stamp(second)
    assert identity.classify(second) is SequenceVerdict.RETRY  # first is still unacked
    identity.request_bump()
    assert not identity.has_id


def test_a_batch_below_an_acknowledged_sequence_is_written() -> None:
    """Its first answer was lost, an earlier and a later batch were accepted: the broker
    held our state and takes sequences only in order, so it has this one too."""
    identity = ProducerIdentity()
    identity.set_id(1, 0)
    done, lost, later, last = make_batch(1), make_batch(4), make_batch(2), make_batch(3)
    for batch in (done, lost, later, last):
        identity.stamp(batch)
    identity.acked(done)  # sequence 0
    identity.acked(last)  # sequences 7..9 acknowledged: 1..6 must be in the log
    assert identity.classify(lost) is SequenceVerdict.WRITTEN
    assert identity.classify(later) is SequenceVerdict.WRITTEN
    identity.acked(lost)  # a late duplicate answer does not move the expected sequence back
    fresh = make_batch(1)
    identity.stamp(fresh)
    assert fresh.sequence == 10
    assert identity.classify(fresh) is SequenceVerdict.BUMP_EPOCH  # next in line: a real gap


def test_a_first_batch_overtaken_by_a_later_one_is_resent_not_assumed_written() -> None:
    """A broker without state for the producer on a partition takes any sequence: the first
    batch can be refused by a leader that moved (nothing appended) while the second one
    reaches the new leader and is accepted. The first batch's retry is then out of order,
    and nothing proves it was written: a new epoch and a resend, never a silent success
    (the fault suite lost records this way)."""
    identity = ProducerIdentity()
    identity.set_id(1, 0)
    first, second = make_batch(2), make_batch(3)
    identity.stamp(first)
    assert identity.first_pending(TP)
    identity.stamp(second)
    identity.acked(second)  # sequences 2..4, the broker's first batch from us
    assert not identity.first_pending(TP)
    assert identity.classify(first) is SequenceVerdict.BUMP_EPOCH
    identity.set_id(1, 1)
    assert identity.first_pending(TP)  # a new epoch: nothing acknowledged under it yet


def test_sequence_comparisons_survive_the_wrap_at_two_to_the_31() -> None:
    identity = ProducerIdentity()
    identity.set_id(1, 0)
    identity._next[TP] = 0x7FFFFFFC  # four sequences before the wrap
    done, before, after = make_batch(2), make_batch(2), make_batch(2)
    for batch in (done, before, after):
        identity.stamp(batch)
    assert (done.sequence, before.sequence, after.sequence) == (0x7FFFFFFC, 0x7FFFFFFE, 0)
    identity.acked(done)
    identity.acked(after)
    assert identity.classify(before) is SequenceVerdict.WRITTEN
    identity.acked(before)
    assert identity._acked[TP] == 2  # still after the wrap


@pytest.mark.integration
async def test_batches_carry_producer_id_and_sequences(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), enable_idempotence=True,
        max_batch_size=500, linger_ms=20,
    ) as producer:  # fmt: skip
        futures = [await producer.send(topic, b"%05d" % i + b"x" * 45) for i in range(200)]
        await asyncio.gather(*futures)
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert len({b.producer_id for b in batches}) == 1 and batches[0].producer_id >= 0
    expected = 0
    for batch in batches:
        assert batch.base_sequence == expected
        expected += batch.record_count
    assert expected == 200


@pytest.mark.integration
@pytest.mark.slow
async def test_leader_kill_no_loss_no_duplicates_order_kept(
    kafka_cluster_3: KafkaCluster,
) -> None:
    cluster = kafka_cluster_3
    topic = "idempotent-leader-kill"
    cluster.create_topic(topic, 1, 3)
    tp = TopicPartition(topic, 0)
    total = 3000
    async with AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap(), enable_idempotence=True, linger_ms=5,
        max_batch_size=2000, request_timeout_ms=15000,
    ) as producer:  # fmt: skip
        await producer.partitions_for(topic)
        leader = producer.client.cluster.leader_for_partition(tp)
        assert leader is not None and leader > 0
        futures = []
        try:
            for i in range(total):
                futures.append(await producer.send(topic, b"%06d" % i))
                if i == total // 3:
                    await asyncio.to_thread(cluster.node(leader).kill)
                if i % 50 == 0:
                    await asyncio.sleep(0.001)
            metas = await asyncio.gather(*futures)
            moved = producer.client.cluster.leader_for_partition(tp)
            assert moved not in (None, -1, leader)  # the producer followed the new leader
        finally:
            await asyncio.to_thread(cluster.start_node, leader)
    assert sorted(m.offset for m in metas) == [m.offset for m in metas]
    batches = await fetch_batches(cluster.bootstrap(), tp)
    values = [r.value for b in batches for r in b]
    assert values == [b"%06d" % i for i in range(total)]


@pytest.mark.integration
async def test_a_refused_batch_bumps_the_epoch_and_later_batches_follow(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, caplog: pytest.LogCaptureFixture
) -> None:
    """KIP-360 against a real broker: a batch the broker refuses for good (a timestamp
    too far in the future) leaves a gap in the partition's sequence; the batches already
    in flight behind it get OUT_OF_ORDER_SEQUENCE_NUMBER. The producer bumps its epoch
    itself (same producer id; the broker takes a higher epoch starting at sequence 0),
    re-sequences them from 0 and delivers them once, in order."""
    topic = kafka_topic(1, configs={"message.timestamp.after.max.ms": "60000"})
    tp = TopicPartition(topic, 0)
    caplog.set_level(logging.DEBUG, logger="aiokafka_gen.producer")
    future_ms = int(time.time() * 1000) + 86_400_000
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), enable_idempotence=True,
        max_batch_size=64, linger_ms=0,
    ) as producer:  # fmt: skip
        await producer.partitions_for(topic)
        assert producer._identity is not None
        producer_id, epoch = producer._identity.producer_id, producer._identity.epoch
        futures = [await producer.send(topic, b"a", partition=0)]  # one record per batch
        futures.append(await producer.send(topic, b"refused", partition=0, timestamp_ms=future_ms))
        futures += [await producer.send(topic, v, partition=0) for v in (b"c", b"d", b"e")]
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert (producer._identity.producer_id, producer._identity.epoch) == (
            producer_id, epoch + 1
        )  # fmt: skip
    assert isinstance(results[1], errors.InvalidTimestampError)
    assert not any(isinstance(r, BaseException) for i, r in enumerate(results) if i != 1)
    assert any("OutOfOrderSequenceNumber" in r.getMessage() for r in caplog.records)
    batches = await fetch_batches(kafka_cluster.bootstrap(), tp)
    assert [r.value for b in batches for r in b] == [b"a", b"c", b"d", b"e"]
    assert [(b.producer_epoch - epoch, b.base_sequence) for b in batches] == [
        (0, 0),
        (1, 0),
        (1, 1),
        (1, 2),
    ]
