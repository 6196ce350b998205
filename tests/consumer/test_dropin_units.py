"""Broker-free checks of the consumer's aiokafka-compatible argument handling (issue #18):
numeric ranges, topic names, commit() shapes, the deprecated ``loop``, the ResourceWarning
of a consumer that was started and never stopped, and a reset clearing a waiting error."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest

from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.consumer.subscription_state import EARLIEST, SubscriptionState
from aiokafka_gen.errors import (
    BrokerResponseError,
    KafkaConfigurationError,
    NoOffsetForPartitionError,
)
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition

TP = TopicPartition("t", 0)

# (argument, the lowest legal value); each is refused one below it
LOWEST = [
    ("fetch_max_wait_ms", 0), ("fetch_max_bytes", 0), ("fetch_min_bytes", 0),
    ("max_partition_fetch_bytes", 0), ("auto_commit_interval_ms", 0),
    ("max_poll_interval_ms", 1), ("session_timeout_ms", 1), ("heartbeat_interval_ms", 1),
    ("consumer_timeout_ms", 0), ("rebalance_timeout_ms", 0), ("max_poll_records", 1),
    ("max_buffer_bytes", 1),
]  # fmt: skip


@pytest.mark.parametrize(("name", "lowest"), LOWEST)
def test_numeric_arguments_are_range_checked(name: str, lowest: int) -> None:
    AIOKafkaConsumer(**{name: lowest})
    with pytest.raises(KafkaConfigurationError, match=name) as info:
        AIOKafkaConsumer(**{name: lowest - 1})
    assert isinstance(info.value, ValueError)
    with pytest.raises(KafkaConfigurationError, match=name):
        AIOKafkaConsumer(**{name: "10"})


def test_optional_numbers_accept_none() -> None:
    AIOKafkaConsumer(rebalance_timeout_ms=None, max_poll_records=None, max_buffer_bytes=None)
    with pytest.raises(KafkaConfigurationError, match="must be an int"):
        AIOKafkaConsumer(max_poll_records=2.5)


@pytest.mark.parametrize("call", ["init", "subscribe", "assign"])
def test_illegal_topic_names_are_refused(call: str) -> None:
    with pytest.raises(BrokerResponseError, match="characters ' !'") as info:
        if call == "init":
            AIOKafkaConsumer("bad topic!")
        elif call == "subscribe":
            AIOKafkaConsumer().subscribe(["ok", "bad topic!"])
        else:
            AIOKafkaConsumer().assign([TopicPartition("bad topic!", 0)])
    assert type(info.value).__name__ == "InvalidTopicError" and info.value.errno == 17


def test_a_refused_subscribe_leaves_the_subscription_as_it_was() -> None:
    consumer = AIOKafkaConsumer("a")
    with pytest.raises(BrokerResponseError):
        consumer.subscribe(["b", "."])
    assert consumer.subscription() == {"a"}


@pytest.mark.parametrize(
    ("offsets", "error"),
    [
        ({}, ValueError),
        ("something", ValueError),
        ([(TP, 1)], ValueError),
        ({("t", 0): 1}, TypeError),
        ({TP: (1, b"meta")}, TypeError),
        ({TP: (1, "meta", 0)}, ValueError),
        ({TP: "1"}, ValueError),
        ({TP: -1}, ValueError),
    ],
)
async def test_commit_refuses_what_aiokafka_refuses(offsets: Any, error: type) -> None:
    consumer = AIOKafkaConsumer(group_id="g")
    consumer.assign([TP])
    consumer._started = True  # checked before any request: no broker needed
    consumer._coordinator = object()  # type: ignore[assignment]
    try:
        with pytest.raises(error):
            await consumer.commit(offsets)
    finally:
        consumer._closed = True


def test_commit_values_aiokafka_accepts() -> None:
    from aiokafka_gen.consumer.consumer import _commit_entries

    got = _commit_entries({TP: 5, TopicPartition("t", 1): (6, "m"),
                           TopicPartition("t", 2): OffsetAndMetadata(7, "n")})  # fmt: skip
    assert [(c.offset, c.metadata) for c in got.values()] == [(5, ""), (6, "m"), (7, "n")]


def test_loop_argument_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="loop"):
        AIOKafkaConsumer(loop=object())


async def test_a_started_consumer_collected_without_stop_warns() -> None:
    consumer = AIOKafkaConsumer()
    consumer._started = True  # the state start() leaves behind
    consumer._loop = asyncio.get_running_loop()
    contexts: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    try:
        with pytest.warns(ResourceWarning, match="Unclosed AIOKafkaConsumer"):
            del consumer
            gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert [c["message"] for c in contexts] == ["Unclosed AIOKafkaConsumer"]


def test_a_consumer_never_started_or_stopped_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        consumer = AIOKafkaConsumer()
        del consumer
        gc.collect()


def test_a_reset_request_clears_the_error_only_a_seek_could_clear() -> None:
    subs = SubscriptionState("none")
    subs.assign_from_user([TP])
    subs.apply_committed({TP: None})
    assert isinstance(subs.state(TP).error, NoOffsetForPartitionError)
    subs.request_reset([TP], EARLIEST)  # seek_to_beginning()
    assert subs.state(TP).error is None and subs.state(TP).reset == EARLIEST


def test_group_assignment_never_replaces_a_user_assignment() -> None:
    subs = SubscriptionState()
    subs.subscribe(["t"])
    subs.set_group_assignment([TP])
    subs.unsubscribe()
    mine = TopicPartition("t", 1)
    subs.assign_from_user([mine])
    subs.set_group_assignment(set())  # a leave that unsubscribe() started, finishing late
    assert subs.assigned_partitions() == {mine}


def test_every_subscribe_moves_the_version() -> None:
    subs = SubscriptionState()
    subs.subscribe(["t"])
    first = subs.version
    subs.subscribe(["t"])  # e.g. with a new listener: the group must rejoin
    assert subs.version > first
