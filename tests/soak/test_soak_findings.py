"""Regression tests for what the soak found (docs/faults.md, "Soak").

1. A producer learnt a topic from the all-topics Metadata answer it gets at bootstrap but
   did not track it; the first send to a topic created later made the client ask Metadata
   for that topic alone, the answer replaced the cluster view, and the first topic
   vanished from it. Produce answers (v13+, by topic id) for it that arrived meanwhile
   could not be matched to their batches: records that were written failed with
   ``KafkaError("no produce result for ...")`` (the soak's first runs: 4 and 16 records
   at the first topic creation). Fixed: the producer tracks a topic it finds in the view.
2. The same mismatch from the sender's side, whatever makes the view lose a topic (the
   bug above, a topic deleted and re-created, a Metadata answer from a broker that does
   not know the topic yet): ``Sender._settle`` looks a v13 answer's topic id up in the
   cluster view of the moment, drops the answer when the view no longer has it, and fails
   the batch with a non-retriable ``KafkaError`` although the broker wrote it. Fixed: the
   sender matches the answer by the ids its request carried, and a partition an answer
   leaves out is sent again (``KafkaProtocolError``, retriable) instead of failed.
3. A producer kept everything it learnt of every topic it wrote to, deleted ones included
   (its metadata topic list, the cluster view, partition queues, sequences): a producer
   writing to short-lived topics grew with each. Fixed: ``metadata_max_idle_ms`` (Java's
   ``metadata.max.idle.ms``) forgets idle topics, and the sequences of deleted ones.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster


@pytest.mark.integration
async def test_a_topic_known_from_bootstrap_stays_in_the_view(
    kafka_cluster_3: KafkaCluster,
) -> None:
    cluster = kafka_cluster_3
    first = f"soak-finding-a-{uuid.uuid4().hex[:8]}"
    second = f"soak-finding-b-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(cluster.create_topic, first, 3, 1)
    async with AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap(), enable_idempotence=True, linger_ms=20
    ) as producer:
        await producer.send_and_wait(first, b"before")  # known from the bootstrap answer
        await asyncio.to_thread(cluster.create_topic, second, 1, 1)
        pending = [await producer.send(first, b"%d" % i, key=b"%d" % i) for i in range(200)]
        await producer.send_and_wait(second, b"other")  # Metadata for the new topic
        assert first in producer.client.topics
        assert producer.client.cluster.topic_id(first) is not None
        results = await asyncio.gather(*pending, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        assert not failed, f"{len(failed)} sends failed, e.g. {failed[0]!r}"


TOPIC_ID = uuid.UUID("5f1e0c4e-1a1b-4c3d-9e8f-0123456789ab")


class _ViewLost:
    """A cluster view that gave the topic's id when the request was built and no longer
    knows it when the answer comes (a Metadata answer without the topic came between)."""

    def leader_for_partition(self, tp: Any) -> int:
        return 1

    def topic_id(self, topic: str) -> uuid.UUID:
        return TOPIC_ID

    def topic_name(self, topic_id: uuid.UUID) -> None:
        return None


async def test_a_produce_answer_is_matched_by_the_ids_the_request_carried() -> None:
    failed = await _send_twenty(drop_first_answer_of=None)
    assert not failed, f"{len(failed)} of 20 written records failed, e.g. {failed[0]!r}"


async def test_a_partition_left_out_of_an_answer_is_sent_again() -> None:
    failed = await _send_twenty(drop_first_answer_of=1)
    assert not failed, f"{len(failed)} of 20 written records failed, e.g. {failed[0]!r}"


async def _send_twenty(drop_first_answer_of: int | None) -> list[BaseException]:
    """20 records to partitions 0 and 1 through a Sender whose broker answers Produce v13
    (topics by id) while the cluster view has lost the topic; ``drop_first_answer_of``:
    the first answer leaves that partition out (the broker wrote it all the same)."""
    from aiokafka_gen.messages.produce_response import ProduceResponse, TopicProduceResponse
    from producer.test_sender_model import TOPIC, FakeClient, SimulatedBroker

    from aiokafka_gen.producer.accumulator import RecordAccumulator
    from aiokafka_gen.producer.idempotence import ProducerIdentity
    from aiokafka_gen.producer.sender import Sender
    from aiokafka_gen.producer.transaction_manager import TransactionManager
    from aiokafka_gen.records.builder import BatchBuilder
    from aiokafka_gen.structs import RecordMetadata, TopicPartition

    dropped = [False]

    class V13Client(FakeClient):
        def api_version_for(self, node: int, api_key: int) -> int:
            return 13

        async def send(self, node: int, request: Any, **kwargs: Any) -> Any:
            answer = await super().send(node, request, **kwargs)
            if isinstance(answer, ProduceResponse):  # v13: the topic by id, no name
                answer.responses = [
                    TopicProduceResponse("", partition_responses=t.partition_responses,
                                         topic_id=TOPIC_ID)
                    for t in answer.responses
                ]  # fmt: skip
                if drop_first_answer_of is not None and not dropped[0]:
                    for t in answer.responses:
                        kept = [p for p in t.partition_responses
                                if p.index != drop_first_answer_of]  # fmt: skip
                        dropped[0] = dropped[0] or len(kept) < len(t.partition_responses)
                        t.partition_responses = kept
            return answer

    broker = SimulatedBroker(random.Random(1), 0.0)
    client: Any = V13Client(broker)
    client.cluster = _ViewLost()
    identity = ProducerIdentity()
    txn = TransactionManager(client, identity, None, 60000, 20)
    acc = RecordAccumulator(
        max_batch_size=300, buffer_memory=1 << 24, linger_ms=1,
        make_builder=lambda size: BatchBuilder(max_batch_size=size),
    )  # fmt: skip
    sender = Sender(
        client, acc, acks=-1, request_timeout_ms=1000, retry_backoff_ms=10,
        delivery_timeout_ms=3000, max_in_flight=5, max_request_size=1 << 20,
        make_builder=lambda size: BatchBuilder(max_batch_size=size), identity=identity,
        init_producer_id=txn.init_producer_id,
    )  # fmt: skip
    await txn.init_producer_id()
    sender.start()
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[RecordMetadata]] = []
    try:
        for i in range(20):
            future: asyncio.Future[RecordMetadata] = loop.create_future()
            assert acc.append(TopicPartition(TOPIC, i % 2), None, None, b"%d" % i, None, future)
            futures.append(future)
        async with asyncio.timeout(30):
            results = await asyncio.gather(*futures, return_exceptions=True)
    finally:
        await sender.close()
    assert drop_first_answer_of is None or dropped[0], "the answer was never cut"
    for partition in (0, 1):  # every record once in the log: a resend was deduplicated
        expected = [b"%d" % i for i in range(partition, 20, 2)]
        assert broker.partitions[partition].log == expected
    return [r for r in results if isinstance(r, BaseException)]


@pytest.mark.integration
async def test_a_producer_forgets_idle_topics_and_the_sequences_of_deleted_ones(
    kafka_bootstrap: str,
) -> None:
    from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka_gen.consumer import AIOKafkaConsumer
    from aiokafka_gen.structs import TopicPartition

    tag = uuid.uuid4().hex[:8]
    busy, idle, doomed = (f"forget-{name}-{tag}" for name in ("busy", "idle", "doomed"))
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True,
        metadata_max_idle_ms=5000, metadata_max_age_ms=500,
    )  # fmt: skip
    try:
        await admin.create_topics([NewTopic(t, 2, 1) for t in (busy, idle, doomed)])
        await producer.start()
        for topic in (busy, idle, doomed):
            for i in range(4):
                await producer.send_and_wait(topic, b"%d" % i, partition=i % 2)
        identity: Any = producer._identity
        acc: Any = producer._accumulator
        assert {busy, idle, doomed} <= producer.client.topics
        await admin.delete_topics([doomed])

        async def forgotten() -> bool:
            await producer.send_and_wait(busy, b"tick")  # keeps ``busy`` in use
            view = set(producer.client.cluster.topics())  # asked no more: gone at the next
            return not {idle, doomed} & (producer.client.topics | view)

        async with asyncio.timeout(60):
            while not await forgotten():
                await asyncio.sleep(0.5)
        assert busy in producer.client.topics
        left = {tp.topic for tp in acc._batches}
        assert left <= {busy}, left
        seqs = {tp.topic for tp in identity._next}
        assert doomed not in seqs  # deleted: its sequences went
        assert idle in seqs  # still there: its sequences must continue, so they stay

        # both come back on the next send; the broker accepts the sequences used
        await admin.create_topics([NewTopic(doomed, 2, 1)])
        again = [await producer.send(t, b"again", partition=0) for t in (idle, doomed)]
        metas = await asyncio.wait_for(asyncio.gather(*again), 60)
        assert [m.offset for m in metas] == [2, 0]  # idle: after its two records; doomed: new
    finally:
        await producer.stop()
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(idle, 0)])
        got: list[bytes] = []
        async with asyncio.timeout(30):
            while len(got) < 3:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    got += [r.value for r in records]
        assert got == [b"0", b"2", b"again"]
    finally:
        await consumer.stop()
