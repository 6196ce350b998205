"""Integration: consumer behaviours aiokafka programs rely on (issue #18), on a real broker.

Switching from a group subscription to a manual assignment keeps the manual assignment; a
seek made in ``on_partitions_assigned`` wins over the committed offset and the reset
policy; a subscribed topic created later is picked up on the retry backoff, not at the
next periodic metadata refresh; subscribing again with a new listener uses it (the classic
protocol rejoins, as aiokafka does);
a pending ``getmany()`` returns ``{}`` when the consumer stops; the eager classic protocol
tells the listener ``on_partitions_revoked(set())`` before the first assignment.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import produce
from .test_group import PROTOCOLS, Recorder, member, wait_for

pytestmark = pytest.mark.integration
Topic = Callable[..., str]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_unsubscribe_then_assign_keeps_the_manual_assignment(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(2)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    for partition in (0, 1):
        await produce(kafka_bootstrap, topic, [b"p%d-%d" % (partition, i) for i in range(3)],
                      partition=partition)  # fmt: skip
    consumer = member(kafka_bootstrap, f"{topic}-g", protocol, topic)
    await consumer.start()
    try:
        # (a KIP-848 member may first be given nothing: the coordinator did not know the topic)
        await wait_for(lambda: consumer.assignment() == {tp0, tp1}, 30, "the assignment")
        assert await consumer.position(tp0) == 0  # a group member with a position
        for target in (tp0, tp1):
            consumer.unsubscribe()
            consumer.assign([target])
            assert consumer.assignment() == {target}
            record = await asyncio.wait_for(consumer.getone(), 30)
            assert (record.partition, record.offset) == (target.partition, 0)
            await consumer.commit()
            assert await consumer.committed(target) == 1
            # the leave the unsubscribe started has finished by now; nothing undid assign()
            await wait_for(lambda: consumer.group_health().state == "unjoined", 30, "the leave")
            assert consumer.assignment() == {target}
            consumer.seek(target, 2)
            assert (await asyncio.wait_for(consumer.getone(), 30)).offset == 2
    finally:
        await consumer.stop()


class SeekInListener(ConsumerRebalanceListener):
    def __init__(self, consumer: AIOKafkaConsumer, how: str) -> None:
        self.consumer, self.how = consumer, how
        self.seen: list[set[TopicPartition]] = []

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.seen.append(set(assigned))
        if not assigned:
            return
        if self.how == "beginning":
            assert await self.consumer.seek_to_beginning(*assigned)
        elif self.how == "end":
            assert await self.consumer.seek_to_end(*assigned)
        else:
            for tp in assigned:
                self.consumer.seek(tp, 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("how", ["beginning", "end", "seek"])
async def test_a_seek_in_the_assign_listener_wins_over_reset_none_and_commits(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str, how: str
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    group = f"{topic}-g"
    await produce(kafka_bootstrap, topic, [b"v%d" % i for i in range(4)])
    if how == "seek":  # a committed offset the seek must override
        async with member(kafka_bootstrap, group, protocol, topic) as first:
            await first.commit({tp: 3})
    consumer = member(kafka_bootstrap, group, protocol, auto_offset_reset="none")
    listener = SeekInListener(consumer, how)
    consumer.subscribe([topic], listener=listener)
    await consumer.start()
    try:
        if how == "end":
            await wait_for(lambda: consumer.assignment() == {tp}, 30, "the assignment")
            assert await consumer.position(tp) == 4
            await produce(kafka_bootstrap, topic, [b"after"])
            record = await asyncio.wait_for(consumer.getone(), 30)
            assert (record.offset, record.value) == (4, b"after")
        else:
            record = await asyncio.wait_for(consumer.getone(), 30)
            assert record.offset == (0 if how == "beginning" else 1)
        assert {tp} in listener.seen
    finally:
        await consumer.stop()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_subscribed_topic_created_later_is_picked_up_quickly(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, protocol: str
) -> None:
    bootstrap = kafka_cluster.bootstrap()
    name = kafka_topic(1) + "-later"  # a fresh name nobody created yet
    consumer = member(bootstrap, f"{name}-g", protocol, name)
    await consumer.start()  # the default metadata_max_age_ms: 5 minutes
    try:
        kafka_cluster.create_topic(name, partitions=1)
        created = time.monotonic()
        await produce(bootstrap, name, [b"first"])
        record = await asyncio.wait_for(consumer.getone(), 60)
        assert record.value == b"first"
        # well under the 5-minute periodic refresh; KIP-848 adds its own heartbeat delay
        assert time.monotonic() - created < 30
    finally:
        await consumer.stop()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscribing_again_with_a_new_listener_rejoins_and_uses_it(
    kafka_bootstrap: str, kafka_topic: Topic, protocol: str
) -> None:
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    await produce(kafka_bootstrap, topic, [b"v"])
    old, new = Recorder(), Recorder()
    consumer = member(kafka_bootstrap, f"{topic}-g", protocol)
    consumer.subscribe([topic], listener=old)
    await consumer.start()
    try:
        await wait_for(lambda: ("assigned", frozenset({tp})) in old.calls, 30, "the assignment")
        before = len(old.calls)
        consumer.subscribe([topic], listener=new)
        if protocol == "classic":  # a rejoin, as aiokafka: eager revokes and assigns again
            await wait_for(lambda: ("assigned", frozenset({tp})) in new.calls, 30, "a rejoin")
        # KIP-848: the broker's assignment is unchanged, so nothing is revoked or assigned
        # until the next change; the new listener hears of it (here: the revocation at stop)
        assert (await asyncio.wait_for(consumer.getone(), 30)).offset == 0
        assert consumer.assignment() == {tp}
    finally:
        await consumer.stop()
    assert len(old.calls) == before  # the old listener is not called any more
    assert new.calls[-1] == ("revoked", frozenset({tp}))


async def test_a_pending_getmany_returns_empty_when_the_consumer_stops(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    consumer.assign([TopicPartition(topic, 0)])
    await consumer.start()
    pending = asyncio.ensure_future(consumer.getmany(timeout_ms=60_000))
    await asyncio.sleep(0)  # let it start waiting
    await consumer.stop()
    assert await asyncio.wait_for(pending, 10) == {}
    with pytest.raises(Exception) as info:
        await consumer.getmany()
    assert type(info.value).__name__ == "ConsumerStoppedError"


@pytest.mark.parametrize("strategy", ["range", "roundrobin"])
async def test_eager_protocol_tells_revoked_empty_before_the_first_assignment(
    kafka_bootstrap: str, kafka_topic: Topic, strategy: str
) -> None:
    from aiokafka_gen.coordinator.assignors.range import RangePartitionAssignor
    from aiokafka_gen.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    assignor: Any = {"range": RangePartitionAssignor,
                     "roundrobin": RoundRobinPartitionAssignor}[strategy]  # fmt: skip
    topic = kafka_topic(1)
    listener = Recorder()
    consumer = member(kafka_bootstrap, f"{topic}-g", "classic",
                      partition_assignment_strategy=(assignor,))  # fmt: skip
    consumer.subscribe([topic], listener=listener)
    async with consumer:
        tp = TopicPartition(topic, 0)
        await wait_for(lambda: ("assigned", frozenset({tp})) in listener.calls, 30, "it")
        assert listener.calls[0] == ("revoked", frozenset())
        # eager: every assignment (an empty one too, should the leader's metadata have
        # lacked the topic) follows a revocation
        kinds = [kind for kind, _ in listener.calls]
        assert kinds == ["revoked", "assigned"] * (len(kinds) // 2)


async def test_a_started_group_consumer_dropped_without_stop_warns(
    kafka_bootstrap: str, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    consumer = member(kafka_bootstrap, f"{topic}-g", "classic", topic)
    await consumer.start()
    await asyncio.wait_for(consumer.getmany(timeout_ms=200), 30)
    # what the test closes by hand afterwards (the application lost all of it)
    parts = (consumer._coordinator, consumer._fetcher, consumer._client)
    contexts: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    try:
        with pytest.warns(ResourceWarning, match="Unclosed AIOKafkaConsumer"):
            del consumer
            gc.collect()  # the fetcher's and the coordinator's tasks do not keep it alive
    finally:
        loop.set_exception_handler(None)
        coordinator, fetcher, client = parts
        assert coordinator is not None
        await coordinator.close()
        await fetcher.close()
        await client.close()
    assert [c["message"] for c in contexts] == ["Unclosed AIOKafkaConsumer"]
