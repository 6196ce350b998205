"""The partitioner: murmur2 and key -> partition checked against Kafka's own Java code,
sticky null-key partitioning, and custom partitioners called as aiokafka calls them."""

from __future__ import annotations

import collections
import random
from collections.abc import Callable

import pytest
from support.javaref import JavaRef, b64

from aiokafka_gen.producer import AIOKafkaProducer, DefaultPartitioner, murmur2
from aiokafka_gen.producer.partitioner import StickyPartitioner
from aiokafka_gen.testing import KafkaCluster


@pytest.mark.java
def test_murmur2_and_partition_match_java(java_ref: JavaRef) -> None:
    rng = random.Random(7)
    samples = [b"", b"a", b"ab", b"abc", b"abcd", "ключ".encode()]
    samples += [rng.randbytes(rng.randrange(0, 70)) for _ in range(300)]
    partitioner = DefaultPartitioner()
    requests = [
        {"cmd": "murmur2", "bytes": b64(data), "partitions": 1 + i % 13}
        for i, data in enumerate(samples)
    ]
    answers = java_ref.request({"cmd": "batch", "requests": requests})["results"]
    for i, (data, answer) in enumerate(zip(samples, answers, strict=True)):
        expected = answer["ok"]
        assert murmur2(data) == expected["hash"], data
        n = 1 + i % 13
        assert partitioner(data, list(range(n)), []) == expected["partition"], data


def test_default_partitioner_null_key_uses_available() -> None:
    partitioner = DefaultPartitioner()
    assert {partitioner(None, [0, 1, 2], [2]) for _ in range(20)} == {2}


def test_sticky_partitioner_sticks_then_moves() -> None:
    sticky = StickyPartitioner(batch_size=1000)
    picks = [sticky.partition("t", [0, 1, 2], [0, 1, 2], 100) for _ in range(30)]
    runs = [len(list(group)) for _, group in _groups(picks)]
    assert runs[:2] == [10, 10]  # ten 100-byte records fill a 1000-byte batch
    first = picks[0]
    sticky.batch_full("t", picks[-1])
    assert sticky.partition("t", [0, 1, 2], [0, 1, 2], 1) != picks[-1]
    assert first in (0, 1, 2)


def test_sticky_partitioner_reset_repicks_among_current_partitions() -> None:
    sticky = StickyPartitioner(batch_size=10_000)
    first = sticky.partition("t", [0, 1, 2], [0, 1, 2], 10)
    assert sticky.partition("t", [0, 1, 2], [0, 1, 2], 10) == first  # sticks
    sticky.reset()  # metadata changed: partition ``first`` is gone
    remaining = [p for p in (0, 1, 2) if p != first]
    assert sticky.partition("t", remaining, remaining, 10) in remaining


def test_sticky_partitioner_prefers_available() -> None:
    sticky = StickyPartitioner(batch_size=10)
    assert {sticky.partition("t", [0, 1, 2], [1], 10) for _ in range(10)} == {1}


def _groups(items: list[int]) -> list[tuple[int, list[int]]]:
    out: list[tuple[int, list[int]]] = []
    for item in items:
        if out and out[-1][0] == item:
            out[-1][1].append(item)
        else:
            out.append((item, [item]))
    return out


@pytest.mark.integration
async def test_keys_and_custom_partitioner_on_broker(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str], java_ref: JavaRef
) -> None:
    topic = kafka_topic(5)
    calls: list[tuple[bytes | None, list[int], list[int]]] = []

    def last_partition(key: bytes | None, all_parts: list[int], available: list[int]) -> int:
        calls.append((key, all_parts, available))
        return all_parts[-1]

    async with AIOKafkaProducer(bootstrap_servers=kafka_cluster.bootstrap()) as producer:
        for key in (b"alpha", b"beta", b"gamma"):
            meta = await producer.send_and_wait(topic, b"v", key=key)
            java = java_ref.request({"cmd": "murmur2", "bytes": b64(key), "partitions": 5})
            assert meta.partition == java["partition"]
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), partitioner=last_partition,
        key_serializer=lambda k: None if k is None else k.encode(),
    ) as producer:  # fmt: skip
        meta = await producer.send_and_wait(topic, b"v", key="k")
        none_key = await producer.send_and_wait(topic, b"v")
    assert meta.partition == none_key.partition == 4
    assert calls == [(b"k", [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]), (None, [0, 1, 2, 3, 4],
                     [0, 1, 2, 3, 4])]  # fmt: skip
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), partitioner=lambda k, a, v: 99
    ) as producer:
        with pytest.raises(ValueError, match="partition 99"):
            await producer.send(topic, b"v", key=b"k")
        assert (await producer.send_and_wait(topic, b"v", partition=1)).partition == 1


@pytest.mark.integration
async def test_null_keys_fill_one_partition_at_a_time(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(4)
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), max_batch_size=1024, linger_ms=10
    ) as producer:
        futures = [await producer.send(topic, b"x" * 100) for _ in range(40)]
        partitions = [(await f).partition for f in futures]
    counts = collections.Counter(partitions)
    assert len(counts) > 1  # it moves on ...
    assert len(_groups(partitions)) < 10  # ... in runs, not record by record
