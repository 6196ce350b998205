"""Topic creation and listing for the harness through aiokafka_gen's own admin client.

A topic is ready when every partition has a leader: CreateTopics returns once the controller
has committed the topic, a moment before the broker serves it. The calls run their own event
loop in a worker thread, so sync code and running event loops (async tests) may both call
them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_READY_POLLS = 200
_READY_PAUSE = 0.05


def run_sync(work: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run ``work`` to completion on a fresh event loop in a worker thread."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kafka-harness") as pool:
        return pool.submit(asyncio.run, work).result(timeout=timeout)


async def create_topic(
    bootstrap: str, name: str, partitions: int, replication: int, configs: Mapping[str, str]
) -> None:
    """Create ``name`` and wait until every partition has a leader."""
    from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic

    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        topic = NewTopic(name, partitions, replication, topic_configs=dict(configs))
        await admin.create_topics([topic])
        for _ in range(_READY_POLLS):
            found = (await admin.describe_topics([name], raise_on_error=False))[name]
            parts = found.partitions
            if (
                found.error is None
                and len(parts) == partitions
                and all(p.leader >= 0 for p in parts)
            ):
                return
            await asyncio.sleep(_READY_PAUSE)
    raise TimeoutError(f"topic {name!r} was created but has no leaders after 10 s")


async def list_topics(bootstrap: str) -> list[str]:
    """Topic names, internal topics excluded, sorted."""
    from aiokafka_gen.admin import AIOKafkaAdminClient

    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        return sorted(await admin.list_topics())
