"""Scenario 5: a hostile broker, seen through the producer and the client's metadata path.

tests/conn/test_hostile_server.py covers one ``BrokerConnection``; here the same kinds of
bytes (garbage, truncated frames, huge or negative size prefixes, wrong correlation ids,
undecodable bodies, silence) and well-formed but nonsensical answers (a Produce response
without our partition, an unknown error code, a Metadata answer naming a leader that does
not exist) reach the layers above it. Each case must end in a ``KafkaError`` subclass (or,
where marked, a success) within a bound, leave ``stop()``/``close()`` prompt, log no
unexpected exception from a background task, and allocate nothing big.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka_gen.messages.metadata_response import (
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from aiokafka_gen.messages.produce_response import (
    PartitionProduceResponse,
    ProduceResponse,
    TopicProduceResponse,
)
from conn.fakebroker import FakeBroker, Peer, Request, all_ranges, api_versions_response, frame

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster
from faults.verdict import Report, Tally

TOPIC = "t"
BOUND = 6.0  # the delivery timeout (3 s) plus slack for a loaded machine
Reply = Callable[[Peer, Request, int], Awaitable[None]]


# ---- what the fake broker answers --------------------------------------------------------
def good_metadata(port: int, *, leader: int = 1, brokers: int | None = 1) -> MetadataResponse:
    nodes = [] if brokers is None else [MetadataResponseBroker(node_id=brokers, host="127.0.0.1",
                                                               port=port)]  # fmt: skip
    partition = MetadataResponsePartition(
        partition_index=0, leader_id=leader, leader_epoch=0, replica_nodes=[1], isr_nodes=[1]
    )
    topic = MetadataResponseTopic(name=TOPIC, topic_id=uuid.UUID(int=0), partitions=[partition])
    return MetadataResponse(brokers=nodes, cluster_id="fake", controller_id=1, topics=[topic])


async def answer_metadata(peer: Peer, request: Request, port: int) -> None:
    await peer.reply(request, good_metadata(port))


def raw(make: Callable[[Request], bytes], *, close: bool = False) -> Reply:
    async def reply(peer: Peer, request: Request, port: int) -> None:
        await peer.write(make(request))
        if close:
            peer.writer.close()

    return reply


def message(make: Callable[[Request, int], Any]) -> Reply:
    async def reply(peer: Peer, request: Request, port: int) -> None:
        await peer.reply(request, make(request, port))

    return reply


async def silence(peer: Peer, request: Request, port: int) -> None:
    return None


def _cid(request: Request) -> bytes:
    return struct.pack(">i", request.correlation_id)


RAW_REPLIES: dict[str, Reply] = {
    "garbage": raw(lambda r: frame(os.urandom(3))),
    "random-body": raw(lambda r: frame(_cid(r) + os.urandom(64))),
    "wrong-correlation-id": raw(lambda r: frame(struct.pack(">i", r.correlation_id + 999) + b"\0" * 40)),  # noqa: E501
    "2GiB-size-prefix": raw(lambda r: struct.pack(">i", 0x7FFFFFFF) + b"\0" * 1024),
    "negative-size": raw(lambda r: struct.pack(">i", -5)),
    "truncated-then-close": raw(lambda r: struct.pack(">i", 100) + _cid(r), close=True),
    "huge-count": raw(lambda r: frame(_cid(r) + b"\0" * 4 + b"\x7f\xff\xff\xff" + b"\0" * 8)),
    "silence": silence,
}  # fmt: skip


def _produce(request: Request, partitions: list[PartitionProduceResponse], name: str = TOPIC
             ) -> ProduceResponse:  # fmt: skip
    return ProduceResponse(
        responses=[TopicProduceResponse(name=name, partition_responses=partitions)]
    )


SEMANTIC_PRODUCE: dict[str, tuple[Reply, bool]] = {  # reply, may the send succeed?
    "no-topics": (message(lambda r, p: ProduceResponse(responses=[])), False),
    "other-topic": (message(lambda r, p: _produce(r, [PartitionProduceResponse(index=0)], "x")),
                    False),
    "other-partition": (message(lambda r, p: _produce(r, [PartitionProduceResponse(index=7)])),
                        False),
    "unknown-error-code": (message(lambda r, p: _produce(
        r, [PartitionProduceResponse(index=0, error_code=9999)])), False),
    "negative-error-code": (message(lambda r, p: _produce(
        r, [PartitionProduceResponse(index=0, error_code=-7)])), False),
    "negative-offset": (message(lambda r, p: _produce(
        r, [PartitionProduceResponse(index=0, base_offset=-42)])), True),
    "partition-twice": (message(lambda r, p: _produce(
        r, [PartitionProduceResponse(index=0, base_offset=1)] * 2)), True),
}  # fmt: skip


# ---- the fake broker ---------------------------------------------------------------------
@dataclass
class Behaviour:
    """Metadata answers in order (the last repeats), then what Produce gets."""

    metadata: list[Reply]
    produce: Reply = silence


def serve(behaviour: Behaviour, port: Callable[[], int]) -> Callable[[Peer], Awaitable[None]]:
    counter = {"metadata": 0}

    async def script(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            if request.api_key == 18:
                await peer.reply(request, api_versions_response(all_ranges() | {0: (3, 11)}))
            elif request.api_key == 3:
                index = min(counter["metadata"], len(behaviour.metadata) - 1)
                counter["metadata"] += 1
                await behaviour.metadata[index](peer, request, port())
            elif request.api_key == 0:
                await behaviour.produce(peer, request, port())

    return script


async def fake(behaviour: Behaviour) -> FakeBroker:
    broker: FakeBroker
    broker = FakeBroker(serve(behaviour, lambda: broker.port))
    return await broker.__aenter__()


# ---- running a case ----------------------------------------------------------------------
async def outcome(
    tally: Tally, name: str, work: Awaitable[Any], *, may_succeed: bool, bound: float = BOUND
) -> None:
    """Count one case: a KafkaError (or an allowed success) within ``bound`` is received."""
    tally.sent += 1
    STAGE["at"] = ""
    started = time.monotonic()
    try:
        async with asyncio.timeout(bound):
            await work
    except TimeoutError:
        tally.lost += 1
        where = f", in {STAGE['at']}" if STAGE["at"] else ""
        tally.problems.append(f"{name}: nothing within {bound} s (hang{where})")
        return
    except KafkaError as exc:
        tally.received += 1
        print(f"{name}: {type(exc).__name__} after {time.monotonic() - started:.1f} s: {exc}")
        return
    except Exception as exc:
        tally.lost += 1
        tally.problems.append(f"{name}: untyped {type(exc).__name__}: {exc}"[:240])
        return
    if may_succeed:
        tally.received += 1
    else:
        tally.lost += 1
        tally.problems.append(f"{name}: succeeded on a hostile answer")


def unexpected_logs(caplog: pytest.LogCaptureFixture, tally: Tally, name: str) -> None:
    """A background task's unexpected exception shows up as an ERROR log record."""
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR
           and (r.name.startswith("aiokafka_gen") or r.name == "asyncio")]  # fmt: skip
    if bad:
        tally.problems.append(f"{name}: logged {bad[0].name}: {bad[0].getMessage()[:200]}")
    caplog.clear()


def _producer(port: int) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=1500, retry_backoff_ms=50,
        delivery_timeout_ms=3000, max_block_ms=3000, metadata_max_age_ms=1000,
    )  # fmt: skip


# the step produce_once is in, so that a hang report says where it hung
STAGE: dict[str, str] = {"at": ""}


async def produce_once(port: int) -> None:
    producer = _producer(port)
    STAGE["at"] = "start()"
    await producer.start()
    try:
        STAGE["at"] = "send_and_wait()"
        await producer.send_and_wait(TOPIC, b"value", key=b"key")
    finally:
        STAGE["at"] = f"stop() (after {STAGE['at']})"
        try:
            await asyncio.wait_for(producer.stop(), BOUND)  # a slow stop() is a hang here
        except TimeoutError:
            raise AssertionError(f"stop() took over {BOUND} s") from None
        STAGE["at"] = "done"


# ---- the producer ------------------------------------------------------------------------
async def test_producer_against_hostile_produce_answers(
    faults_report: Report, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    cases = [(n, r, False) for n, r in RAW_REPLIES.items()]
    cases += [(n, r, ok) for n, (r, ok) in SEMANTIC_PRODUCE.items()]
    with faults_report("hostile-broker-producer") as tally:
        for name, reply, may_succeed in cases:
            broker = await fake(Behaviour([answer_metadata], reply))
            try:
                await outcome(tally, f"produce {name}", produce_once(broker.port),
                              may_succeed=may_succeed, bound=2 * BOUND)  # fmt: skip
            finally:
                await broker.__aexit__(None, None, None)
            tally.problems += [f"{name}: fake broker error {e!r}" for e in broker.errors]
            unexpected_logs(caplog, tally, f"produce {name}")


async def test_producer_against_hostile_metadata(
    faults_report: Report, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    semantic: dict[str, Reply] = {
        "leader-not-a-broker": message(lambda r, p: good_metadata(p, leader=5)),
        "no-brokers": message(lambda r, p: good_metadata(p, brokers=None)),
        "broker-port-zero": message(lambda r, p: good_metadata(0)),
        "no-leader": message(lambda r, p: good_metadata(p, leader=-1)),
    }
    cases = {**{f"raw {n}": r for n, r in RAW_REPLIES.items()}, **semantic}
    with faults_report("hostile-broker-metadata") as tally:
        for name, reply in cases.items():
            broker = await fake(Behaviour([reply]))
            try:
                await outcome(tally, f"metadata {name}", produce_once(broker.port),
                              may_succeed=False, bound=2 * BOUND)  # fmt: skip
            finally:
                await broker.__aexit__(None, None, None)
            unexpected_logs(caplog, tally, f"metadata {name}")


# ---- the client's metadata path --------------------------------------------------------------
async def test_metadata_refresh_survives_hostile_answers(
    faults_report: Report, caplog: pytest.LogCaptureFixture
) -> None:
    """Good metadata first, then every kind of hostile answer to refreshes, then good again:
    refreshes report failure, the client keeps its view and recovers."""
    caplog.set_level(logging.ERROR)
    with faults_report("hostile-broker-refresh") as tally:
        for name, reply in RAW_REPLIES.items():
            tally.sent += 1
            broker = await fake(Behaviour([answer_metadata, reply, answer_metadata]))
            try:
                async with asyncio.timeout(3 * BOUND), AIOKafkaClient(
                    bootstrap_servers=f"127.0.0.1:{broker.port}", request_timeout_ms=1500,
                    retry_backoff_ms=50,
                ) as client:  # fmt: skip
                    await client.add_topic(TOPIC)
                    for _ in range(20):  # until a refresh sees the good answer again
                        if await client.force_metadata_update():
                            break
                    if client.cluster.partitions_for_topic(TOPIC) != {0}:
                        tally.problems.append(f"refresh {name}: the topic view was lost")
                    else:
                        tally.received += 1
            except TimeoutError:
                tally.lost += 1
                tally.problems.append(f"refresh {name}: hang")
            finally:
                await broker.__aexit__(None, None, None)
            unexpected_logs(caplog, tally, f"refresh {name}")


async def test_bootstrap_memory_is_bounded_on_a_huge_size_prefix() -> None:
    broker = await fake(Behaviour([RAW_REPLIES["2GiB-size-prefix"]]))
    tracemalloc.start()
    try:
        client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{broker.port}")
        tracemalloc.reset_peak()
        with pytest.raises(KafkaError):
            async with asyncio.timeout(BOUND):
                await client.bootstrap()
        await client.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        await broker.__aexit__(None, None, None)
    assert peak < 16 * 1024 * 1024


PROTOCOL_BREAKERS = ("garbage", "random-body", "wrong-correlation-id", "2GiB-size-prefix",
                     "negative-size", "huge-count")  # fmt: skip


@pytest.mark.integration
async def test_bootstrap_skips_a_hostile_server(kafka_cluster_3: KafkaCluster) -> None:
    """A bootstrap list whose first server answers garbage still bootstraps from the next."""
    for name in PROTOCOL_BREAKERS:
        broker = await fake(Behaviour([RAW_REPLIES[name]]))
        servers = f"127.0.0.1:{broker.port},{kafka_cluster_3.bootstrap()}"
        try:
            async with asyncio.timeout(BOUND), AIOKafkaClient(
                bootstrap_servers=servers, request_timeout_ms=2000
            ) as client:  # fmt: skip
                assert len(client.cluster.brokers()) == 3, name
        finally:
            await broker.__aexit__(None, None, None)
