"""Scenario 4, the other half of the guarantee: what cannot complete ends in a typed error
within its timeout, and nothing hangs (not even ``stop()`` with records stuck).

Each case runs against the 3-node cluster behind ``ProxyCluster`` under a bound a few
seconds above the timeout that should fire. A case counts as received when it ended in
one of the expected error types within the bound; anything else (another exception, a
success, a hang) counts as lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ProducerClosed,
    RequestTimedOutError,
)
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import S2C, Mode, ProxyCluster, Trigger, When
from faults.support import create_topic, key_of
from faults.verdict import Report, Tally

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SLACK = 8.0  # on top of the timeout that must fire: a loaded 2-core machine is slow
TIMEOUT_ERRORS = (KafkaTimeoutError, RequestTimedOutError)
CONNECTION_ERRORS = (KafkaConnectionError, NodeNotReadyError)
Case = Callable[[ProxyCluster], Awaitable[Any]]


async def _bootstrap_into(proxies: ProxyCluster, mode: Mode) -> None:
    for proxy in proxies:
        proxy.set_mode(mode)
    client = AIOKafkaClient(bootstrap_servers=proxies.bootstrap, request_timeout_ms=2000,
                            connection_setup_timeout_ms=1500)  # fmt: skip
    try:
        await client.bootstrap()
    finally:
        await client.close()


async def _metadata_with(proxies: ProxyCluster, fault: Callable[[ProxyCluster], None]) -> None:
    async with AIOKafkaClient(bootstrap_servers=proxies.bootstrap, request_timeout_ms=2000,
                              connection_setup_timeout_ms=1500) as client:  # fmt: skip
        node = proxies.proxies[0].node_id
        assert node is not None
        await client.send(node, MetadataRequest(topics=None))
        fault(proxies)
        await client.send(node, MetadataRequest(topics=None))


def _stall_first(proxies: ProxyCluster) -> None:
    proxies.proxies[0].stall(S2C)


def _refuse_first(proxies: ProxyCluster) -> None:
    proxies.proxies[0].set_mode(Mode.REFUSE)


def _reset_next_metadata(proxies: ProxyCluster) -> None:
    proxies.proxies[0].arm(Trigger(3, When.MIDDLE))


async def _undeliverable(proxies: ProxyCluster, topic: str, mode: Mode) -> None:
    """Every broker unreachable after the metadata is known: the delivery timeout fires."""
    async with AIOKafkaProducer(bootstrap_servers=proxies.bootstrap, request_timeout_ms=2000,
                                delivery_timeout_ms=3000, linger_ms=0) as producer:  # fmt: skip
        await producer.partitions_for(topic)
        for proxy in proxies:
            proxy.set_mode(mode)
        await producer.send_and_wait(topic, b"v", key=key_of(1, 10))


async def _stop_while_stuck(proxies: ProxyCluster, topic: str) -> None:
    """stop() with records stuck behind a black hole: returns; the records fail, typed."""
    producer = AIOKafkaProducer(bootstrap_servers=proxies.bootstrap, request_timeout_ms=2000)
    await producer.start()
    try:
        await producer.partitions_for(topic)
        for proxy in proxies:
            proxy.set_mode(Mode.BLACKHOLE)
        futures = [await producer.send(topic, b"v%d" % i, key=key_of(i, 10)) for i in range(50)]
    finally:
        await producer.stop()
    await asyncio.gather(*futures)


async def _run_case(
    tally: Tally, name: str, case: Awaitable[Any], bound: float, expected: tuple[type, ...]
) -> None:
    tally.sent += 1
    started = time.monotonic()
    try:
        async with asyncio.timeout(bound):
            await case
    except TimeoutError:
        tally.lost += 1
        tally.problems.append(f"{name}: no error within {bound} s (hang)")
        return
    except expected as exc:
        tally.received += 1
        print(f"{name}: {type(exc).__name__} after {time.monotonic() - started:.1f} s")
        return
    except Exception as exc:  # the case must end in a listed type
        tally.lost += 1
        tally.problems.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
        return
    tally.lost += 1
    tally.problems.append(f"{name}: succeeded although the network was down")


async def test_requests_end_in_typed_errors_in_time(
    kafka_cluster_3: KafkaCluster, faults_report: Report
) -> None:
    cluster = kafka_cluster_3
    topic = await create_topic(cluster, "net-timeouts", 3, 3)
    cases: list[tuple[str, Callable[[ProxyCluster], Awaitable[Any]], float, tuple[type, ...]]] = [
        ("bootstrap into a black hole", lambda p: _bootstrap_into(p, Mode.BLACKHOLE),
         3 * 1.5, CONNECTION_ERRORS + TIMEOUT_ERRORS),
        ("bootstrap refused", lambda p: _bootstrap_into(p, Mode.REFUSE), 1.0, CONNECTION_ERRORS),
        ("request on a stalled socket", lambda p: _metadata_with(p, _stall_first), 2.0,
         TIMEOUT_ERRORS + CONNECTION_ERRORS),
        ("request to a refusing broker", lambda p: _metadata_with(p, _refuse_first), 2.0,
         CONNECTION_ERRORS),
        ("reset mid-request", lambda p: _metadata_with(p, _reset_next_metadata), 2.0,
         CONNECTION_ERRORS),
        # KafkaTimeoutError is the right answer (test_delivery_timeout_is_a_timeout_error)
        ("produce past the delivery timeout", lambda p: _undeliverable(p, topic, Mode.BLACKHOLE),
         3.0, (KafkaTimeoutError,)),
        ("stop() with records stuck", lambda p: _stop_while_stuck(p, topic), 2.0,
         (ProducerClosed, *TIMEOUT_ERRORS)),
    ]  # fmt: skip
    with faults_report("network-timeouts") as tally:
        for name, case, timeout, expected in cases:
            async with ProxyCluster(cluster.bootstrap()) as proxies:
                await _run_case(tally, name, case(proxies), timeout + SLACK, expected)


async def test_delivery_timeout_is_a_timeout_error(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    topic = await create_topic(cluster, "net-delivery-timeout", 1, 3)
    async with ProxyCluster(cluster.bootstrap()) as proxies, asyncio.timeout(3.0 + SLACK):
        with pytest.raises(KafkaTimeoutError):
            await _undeliverable(proxies, topic, Mode.BLACKHOLE)
