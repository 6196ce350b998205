"""Topic creation and listing for the harness through aiokafka_gen's own admin client.

A topic is ready when every partition has a leader in the metadata of every broker that
answers: CreateTopics returns once the controller has committed the topic, a moment before
the brokers serve it, and each broker learns of it on its own schedule (a test that asked
another broker right after creation saw "unknown topic"). The calls run their own event
loop in a worker thread, so sync code and running event loops (async tests) may both call
them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping
from typing import TypeVar

T = TypeVar("T")

_READY_POLLS = 200
_READY_PAUSE = 0.05


def run_sync(work: Coroutine[object, None, T], timeout: float = 120.0) -> T:
    """Run ``work`` to completion on a fresh event loop in a worker thread."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kafka-harness") as pool:
        return pool.submit(asyncio.run, work).result(timeout=timeout)


async def create_topic(
    bootstrap: str, name: str, partitions: int, replication: int, configs: Mapping[str, str]
) -> None:
    """Create ``name`` and wait until every partition has a leader on every broker. An
    illegal name raises InvalidTopicError (Kafka's rule, named) before any connection."""
    from aiokafka_gen._validate import check_topic
    from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic

    check_topic(name)
    topic = NewTopic(name, partitions, replication, topic_configs=dict(configs))
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([topic])
    for _ in range(_READY_POLLS):
        if await _ready_everywhere(bootstrap, name, partitions):
            return
        await asyncio.sleep(_READY_PAUSE)
    raise TimeoutError(f"topic {name!r} was created but has no leaders after 10 s")


async def _ready_everywhere(bootstrap: str, name: str, partitions: int) -> bool:
    """Every broker that answers knows ``name`` with a leader for each partition (a broker
    that does not answer is taken to be down, as in failover tests)."""
    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.errors import KafkaError
    from aiokafka_gen.messages.metadata_request import MetadataRequest, MetadataRequestTopic

    request = MetadataRequest(
        topics=[MetadataRequestTopic(name=name)], allow_auto_topic_creation=False
    )
    async with AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000) as client:
        answered = 0
        for broker in client.cluster.brokers():
            try:
                response = await client.send(broker.nodeId, request)
            except KafkaError:
                continue
            answered += 1
            found = [t for t in response.topics if t.name == name]
            if not found or found[0].error_code or len(found[0].partitions) != partitions:
                return False
            if any(p.leader_id < 0 for p in found[0].partitions):
                return False
    return answered > 0


async def list_topics(bootstrap: str) -> list[str]:
    """Topic names, internal topics excluded, sorted."""
    from aiokafka_gen.admin import AIOKafkaAdminClient

    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        return sorted(await admin.list_topics())
