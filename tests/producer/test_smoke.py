"""Integration: the producer's basic paths against the harness broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration


async def test_send_and_wait_returns_metadata(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(3)
    async with AIOKafkaProducer(bootstrap_servers=kafka_cluster.bootstrap()) as producer:
        meta = await producer.send_and_wait(topic, b"v", key=b"k")
        assert meta.topic == topic and meta.offset == 0
        futures = [await producer.send(topic, b"x%d" % i, partition=1) for i in range(100)]
        offsets = [(await f).offset for f in futures]
        assert offsets == list(range(100))
