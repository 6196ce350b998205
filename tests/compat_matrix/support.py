"""Helpers of the compatibility suite: produce, read back, wait for group assignments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka_gen import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka_gen.testing import KafkaCluster

DEADLINE_S = 30.0  # generous: 2 cores shared with other test runs (rebalances take ~1-3 s)


def client_options(
    cluster: KafkaCluster, listener: str = "PLAINTEXT", **sasl: Any
) -> dict[str, Any]:
    """bootstrap_servers (+ TLS and SASL settings for SASL_SSL) for our clients."""
    options: dict[str, Any] = {"bootstrap_servers": cluster.bootstrap(listener),
                               "request_timeout_ms": 30000}  # fmt: skip
    if listener == "SASL_SSL":
        options |= {"security_protocol": "SASL_SSL", "ssl_context": cluster.ssl_context()}
        options |= sasl
    return options


async def produce(
    options: dict[str, Any], topic: str, values: Sequence[bytes], **producer: Any
) -> None:
    async with AIOKafkaProducer(**options, **producer) as prod:
        futures = [await prod.send(topic, value, key=b"k%d" % i) for i, value in enumerate(values)]
        await prod.flush()
        await asyncio.gather(*futures)


async def read(
    options: dict[str, Any], topic: str, count: int, **consumer: Any
) -> list[ConsumerRecord[Any, Any]]:
    """``count`` records from the start of ``topic`` (no group unless one is given)."""
    records: list[ConsumerRecord[Any, Any]] = []
    cons = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest", **consumer)
    await cons.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(records) < count and time.monotonic() < deadline:
            batch = await cons.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
    finally:
        await cons.stop()
    return records


async def wait_for(
    check: Callable[[], bool], consumers: Sequence[AIOKafkaConsumer], what: str
) -> None:
    """Poll every consumer (keeps them alive in the group) until ``check()`` holds."""
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.gather(*(c.getmany(timeout_ms=200) for c in consumers))


async def expect_error(
    work: Callable[[], Awaitable[Any]],
    kind: type[BaseException] | tuple[type[BaseException], ...],
    timeout: float = DEADLINE_S,
) -> BaseException:
    """Run ``work`` and return the ``kind`` error it must raise within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            await work()
    except kind as exc:
        return exc
    raise AssertionError(f"expected {kind}, nothing was raised")
