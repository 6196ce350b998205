"""Compatibility: classic groups (eager, cooperative), static membership, KIP-848 groups,
fetch sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen import AIOKafkaConsumer, TopicPartition
from aiokafka_gen.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from aiokafka_gen.coordinator.assignors.range import RangePartitionAssignor
from aiokafka_gen.errors import UnsupportedVersionError
from aiokafka_gen.testing import KafkaCluster

from .conftest import Cell, release
from .support import DEADLINE_S, client_options, expect_error, produce, read, wait_for

pytestmark = pytest.mark.integration

GROUP_TIMING = {"session_timeout_ms": 10000, "heartbeat_interval_ms": 1000,
                "auto_offset_reset": "earliest"}  # fmt: skip


def _consumer(options: dict[str, Any], topic: str, group: str, **extra: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(topic, **options, group_id=group, **(GROUP_TIMING | extra))


async def _two_members_split(
    cluster: KafkaCluster, unique: Callable[[str], str], **extra: Any
) -> None:
    """One member takes both partitions; a second joins and each ends with one; records
    written before are all consumed once by the group."""
    topic = unique("t")
    cluster.create_topic(topic, 2)
    options = client_options(cluster)
    values = [b"%d" % i for i in range(20)]
    await produce(options, topic, values)
    group = unique("g")
    first = _consumer(options, topic, group, **extra)
    second = _consumer(options, topic, group, **extra)
    await first.start()
    try:
        both = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
        await wait_for(lambda: first.assignment() == both, [first], "the first member's assignment")
        await second.start()
        try:
            await wait_for(
                lambda: len(first.assignment()) == 1 and len(second.assignment()) == 1
                and first.assignment() != second.assignment(),
                [first, second], "the split between two members",
            )  # fmt: skip
        finally:
            await second.stop()
    finally:
        await first.stop()


async def test_matrix_classic_group_eager(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("group-eager")
    await _two_members_split(
        compat_cluster, unique, partition_assignment_strategy=(RangePartitionAssignor,)
    )


async def test_matrix_classic_group_cooperative(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("group-cooperative")
    await _two_members_split(
        compat_cluster, unique, partition_assignment_strategy=(CooperativeStickyAssignor,)
    )


async def test_matrix_static_membership(
    compat_cluster: KafkaCluster,
    compat_cell: Callable[[str], Cell],
    unique: Callable[[str], str],
    compat_version: str,
) -> None:
    cell = compat_cell("static-membership")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    options = client_options(compat_cluster)
    await produce(options, topic, [b"static"])
    group = unique("g")
    if release(compat_version) < (2, 3):
        cons = _consumer(options, topic, group, group_instance_id="instance-1")

        async def consume() -> None:
            try:
                await cons.start()
                while True:
                    await cons.getmany(timeout_ms=500)
            finally:
                await cons.stop()

        error = await expect_error(consume, UnsupportedVersionError)
        assert "static membership" in str(error) and "Kafka 2.3+" in str(error)
        cell.missing(error)
        return
    records = await read(options, topic, 1, group_id=group, group_instance_id="instance-1",
                         session_timeout_ms=10000, heartbeat_interval_ms=1000)  # fmt: skip
    assert [r.value for r in records] == [b"static"]


async def test_matrix_consumer_group_protocol(
    compat_cluster: KafkaCluster,
    compat_cell: Callable[[str], Cell],
    unique: Callable[[str], str],
    compat_version: str,
) -> None:
    cell = compat_cell("group-consumer")
    topic = unique("t")
    compat_cluster.create_topic(topic, 2)
    options = client_options(compat_cluster)
    values = [b"%d" % i for i in range(10)]
    await produce(options, topic, values)
    group = unique("g")
    if release(compat_version) < (4, 0):
        cons = AIOKafkaConsumer(topic, **options, group_id=group, group_protocol="consumer",
                                auto_offset_reset="earliest")  # fmt: skip

        async def consume() -> None:
            try:
                await cons.start()
                while True:
                    await cons.getmany(timeout_ms=500)
            finally:
                await cons.stop()

        error = await expect_error(consume, UnsupportedVersionError)
        assert "KIP-848" in str(error) and "Kafka 4.0+" in str(error)
        assert "ConsumerGroupHeartbeat" in str(error)
        cell.missing(error)
        return
    records = await read(options, topic, len(values), group_id=group, group_protocol="consumer")
    assert sorted(r.value for r in records) == sorted(values)


async def test_matrix_fetch_sessions(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    """A session opens with the first full Fetch; after the first records arrive the
    consumer goes on with incremental fetches in that session and gets later records."""
    compat_cell("fetch-sessions")
    topic = unique("t")
    compat_cluster.create_topic(topic, 2)
    options = client_options(compat_cluster)
    await produce(options, topic, [b"a", b"b", b"c"])
    cons = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest")
    await cons.start()
    try:
        got: list[Any] = []

        async def until(count: int) -> None:
            deadline = time.monotonic() + DEADLINE_S / 2
            while len(got) < count and time.monotonic() < deadline:
                for part in (await cons.getmany(timeout_ms=500)).values():
                    got.extend(part)
            assert len(got) == count, f"{len(got)} of {count} records"

        await until(3)
        await produce(options, topic, [b"d", b"e", b"f"])
        await until(6)
        assert sorted(r.value for r in got) == [b"a", b"b", b"c", b"d", b"e", b"f"]
        sessions = list(cons._fetcher.sessions.values())
        assert sessions and all(s.session_id != 0 for s in sessions), sessions
        assert sum(s.incremental_requests for s in sessions) > 0, sessions
    finally:
        await cons.stop()
