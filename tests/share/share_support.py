"""Helpers for the share-group broker tests: group configs through our admin client,
small-batch writes with our producer, bounded waits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.admin.types import AlterConfigOp, ConfigResource, ConfigResourceType
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.share import AIOKafkaShareConsumer
from aiokafka_gen.share.acks import ShareConsumerRecord


def group_name() -> str:
    return f"share-{uuid.uuid4().hex[:10]}"


async def set_group_configs(bootstrap: str, group: str, configs: Mapping[str, str]) -> None:
    """Set share-group configs (share.auto.offset.reset, ...) on the GROUP resource."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.GROUP, group)
        await admin.incremental_alter_configs(
            {resource: [AlterConfigOp(k, v) for k, v in configs.items()]}
        )
    finally:
        await admin.close()


async def earliest_group(bootstrap: str, **configs: str) -> str:
    """A new group id whose share.auto.offset.reset is earliest (plus ``configs``, with
    dots written as underscores)."""
    group = group_name()
    wanted = {"share.auto.offset.reset": "earliest"}
    wanted.update({k.replace("_", "."): v for k, v in configs.items()})
    await set_group_configs(bootstrap, group, wanted)
    return group


async def produce(bootstrap: str, topic: str, count: int, per_batch: int = 10) -> list[bytes]:
    """``count`` values ``b"v<i>"`` in batches of at most ``per_batch`` records (the broker
    hands out whole batches, so small ones let several members share a partition)."""
    values = [b"v%d" % i for i in range(count)]
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0) as producer:
        for start in range(0, count, per_batch):
            futures = [await producer.send(topic, v) for v in values[start : start + per_batch]]
            await producer.flush()
            await asyncio.gather(*futures)
    return values


def consumer(bootstrap: str, group: str, topic: str, **options: Any) -> AIOKafkaShareConsumer:
    options.setdefault("fetch_max_wait_ms", 200)
    return AIOKafkaShareConsumer(topic, bootstrap_servers=bootstrap, group_id=group, **options)


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def poll_until(
    member: AIOKafkaShareConsumer,
    done: Callable[[list[ShareConsumerRecord]], bool],
    timeout: float,
    *,
    on_records: Callable[[list[ShareConsumerRecord]], None] | None = None,
) -> list[ShareConsumerRecord]:
    """Poll until ``done(all records so far)``; ``on_records`` sees each poll's records."""
    got: list[ShareConsumerRecord] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s with {len(got)} records")
        batch = await member.getmany(timeout_ms=500)
        records = [r for rs in batch.values() for r in rs]
        if on_records is not None:
            on_records(records)
        got.extend(records)
    return got
