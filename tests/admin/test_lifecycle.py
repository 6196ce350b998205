"""Integration: start/close, cancellation and timeouts of the admin client."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic
from aiokafka_gen.errors import GroupIdNotFound, KafkaConnectionError
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration


async def test_start_is_idempotent_and_close_releases_connections(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await admin.start()
    assert await admin.list_topics() is not None
    assert "connections=[1/default:ready]" in repr(admin.client)
    await admin.close()
    assert "closed" in repr(admin)


async def test_cancelled_calls_leave_the_client_usable(kafka_bootstrap: str) -> None:
    async with AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        groups = [f"admin-cancel-{i}-{os.urandom(3).hex()}" for i in range(5)]
        cancelled = 0
        for delay in (0, 0.001, 0.01):
            task = asyncio.ensure_future(
                admin.describe_consumer_groups(groups, raise_on_error=False)
            )
            await asyncio.sleep(delay)
            if task.done():  # a fast broker answered already: nothing left to cancel
                assert list(task.result()) == groups
                continue
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            cancelled += 1
        assert cancelled >= 1  # at least the call cancelled before its first step
        name = f"admin-after-cancel-{os.urandom(3).hex()}"
        created = await admin.create_topics([NewTopic(name, 1, 1)])
        assert created[name].error is None
        described = await admin.describe_consumer_groups(groups, raise_on_error=False)
        assert list(described) == groups
        assert all(isinstance(d.error, GroupIdNotFound) for d in described.values())


async def test_concurrent_calls_each_get_their_coordinators(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic()
    batches = [
        [f"admin-concurrent-{b}-{i}-{os.urandom(3).hex()}" for i in range(3)] for b in range(4)
    ]
    for group in batches[0]:
        await admin.alter_consumer_group_offsets(group, {TopicPartition(topic, 0): 1})
    answers = await asyncio.wait_for(
        asyncio.gather(*(admin.describe_consumer_groups(b, raise_on_error=False) for b in batches)),
        timeout=20,
    )
    assert [d.state for d in answers[0].values()] == ["Empty"] * 3
    for later in answers[1:]:
        assert all(isinstance(d.error, GroupIdNotFound) for d in later.values())


async def test_unreachable_bootstrap_fails_in_bounded_time() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000)
    began = time.monotonic()
    with pytest.raises(KafkaConnectionError):
        await admin.start()
    assert time.monotonic() - began < 10
    await admin.close()
