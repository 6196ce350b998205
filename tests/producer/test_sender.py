"""The sender against real brokers: the in-flight bound per broker is reached and never
exceeded (order kept), retry_backoff_ms spaces the retries of a retriable error
(CORRUPT_MESSAGE from the broker for batches flipped on the way), and a
producer works through SASL listeners (SCRAM; a wrong password is a typed auth error)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen import errors
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration
Topic = Callable[..., str]


class ProduceProbe:
    """Wraps the producer's client.send: Produce requests in flight per node (the peak)
    and the loop time each one left."""

    def __init__(self, producer: AIOKafkaProducer, delay: float = 0.0) -> None:
        self.delay = delay  # added to every Produce round trip (a slow broker)
        self.peak: dict[int, int] = {}
        self.sent_at: list[float] = []
        self._now: dict[int, int] = {}
        self._send = producer.client.send
        producer.client.send = self._wrapped  # type: ignore[method-assign]

    async def _wrapped(self, node: int, request: Any, **kwargs: Any) -> Any:
        if type(request).__name__ != "ProduceRequest":
            return await self._send(node, request, **kwargs)
        self.sent_at.append(asyncio.get_running_loop().time())
        self._now[node] = self._now.get(node, 0) + 1
        self.peak[node] = max(self.peak.get(node, 0), self._now[node])
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._send(node, request, **kwargs)
        finally:
            self._now[node] -= 1


@pytest.mark.parametrize("bound", [1, 3])
async def test_in_flight_bound_is_reached_never_exceeded(
    kafka_cluster: KafkaCluster, kafka_topic: Topic, bound: int
) -> None:
    topic = kafka_topic(3)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), linger_ms=0, max_batch_size=1024,
        max_in_flight_requests_per_connection=bound, enable_idempotence=True,
    ) as producer:  # fmt: skip
        await producer.partitions_for(topic)
        # A slow broker (50 ms per Produce) makes the backlog outgrow the bound whatever
        # the machine's speed, so the bound is reached for sure.
        probe = ProduceProbe(producer, delay=0.05)
        futures = [await producer.send(topic, b"%05d" % i + b"x" * 200, partition=i % 3)
                   for i in range(1500)]  # fmt: skip
        metas = await asyncio.gather(*futures)
    assert list(probe.peak.values()) == [bound]
    for partition in range(3):
        offsets = [m.offset for m in metas[partition::3]]
        assert offsets == list(range(len(offsets)))  # send order is log order


def corrupt_every_produce(producer: AIOKafkaProducer) -> None:
    """Flip the last byte of every batch on its way out (after the CRC was computed), as
    a bad network card would: the broker answers CORRUPT_MESSAGE, a retriable error."""
    send = producer.client.send

    async def wrapped(node: int, request: Any, **kwargs: Any) -> Any:
        if type(request).__name__ == "ProduceRequest":
            for topic in request.topic_data:
                for part in topic.partition_data:
                    data = bytearray(part.records)
                    data[-1] ^= 0xFF
                    part.records = bytes(data)
        return await send(node, request, **kwargs)

    producer.client.send = wrapped  # type: ignore[method-assign]


async def test_retry_backoff_spaces_retries(
    kafka_cluster: KafkaCluster, kafka_topic: Topic
) -> None:
    topic = kafka_topic(1)
    backoff = 0.3
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), linger_ms=0,
        retry_backoff_ms=int(backoff * 1000), delivery_timeout_ms=2000,
    ) as producer:  # fmt: skip
        await producer.partitions_for(topic)
        corrupt_every_produce(producer)
        probe = ProduceProbe(producer)
        with pytest.raises((errors.CorruptRecordError, errors.KafkaTimeoutError)):
            await producer.send_and_wait(topic, b"corrupted on the way")
    gaps = [b - a for a, b in zip(probe.sent_at, probe.sent_at[1:], strict=False)]
    assert 3 <= len(probe.sent_at) <= 8  # ~2 s / 0.3 s, fewer when the machine is slow
    assert min(gaps) >= backoff * 0.95
    assert sorted(gaps)[len(gaps) // 2] < backoff + 0.5  # not much more than asked


@pytest.mark.parametrize(
    ("listener", "mechanism"),
    [("SASL_PLAINTEXT", "SCRAM-SHA-256"), ("SASL_SSL", "SCRAM-SHA-512")],
)
async def test_sasl_scram(
    kafka_secure_cluster: KafkaCluster, listener: str, mechanism: str
) -> None:
    cluster = kafka_secure_cluster
    topic = f"producer-sasl-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(cluster.create_topic, topic)
    user = cluster.admin_user
    async with AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap(listener), security_protocol=listener,
        ssl_context=cluster.ssl_context() if listener == "SASL_SSL" else None,
        sasl_mechanism=mechanism, sasl_plain_username=user,
        sasl_plain_password=cluster.credentials[user], enable_idempotence=True,
    ) as producer:  # fmt: skip
        metas = [await producer.send_and_wait(topic, b"over %s" % listener.encode())
                 for _ in range(2)]  # fmt: skip
    assert [m.offset for m in metas] == [0, 1]


async def test_sasl_wrong_password_is_a_typed_error(kafka_secure_cluster: KafkaCluster) -> None:
    cluster = kafka_secure_cluster
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap("SASL_PLAINTEXT"), security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-256", sasl_plain_username=cluster.admin_user,
        sasl_plain_password="not-the-password", request_timeout_ms=10000,
    )  # fmt: skip
    try:
        async with asyncio.timeout(30):
            with pytest.raises(errors.BrokerResponseError) as refused:
                await producer.start()
    finally:
        await producer.stop()
    assert refused.value.errno == 58  # SASL_AUTHENTICATION_FAILED
    assert "not-the-password" not in str(refused.value)
