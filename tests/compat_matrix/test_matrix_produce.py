"""Compatibility: codecs, headers, the idempotent producer, transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from aiokafka_gen import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster

from .conftest import Cell
from .support import client_options, produce, read

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
async def test_matrix_codec_roundtrip(
    codec: str,
    compat_cluster: KafkaCluster,
    compat_cell: Callable[[str], Cell],
    unique: Callable[[str], str],
) -> None:
    compat_cell(f"codec-{codec}")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    options = client_options(compat_cluster)
    values = [b"value-%d-" % i + b"x" * 200 for i in range(50)]
    compression = None if codec == "none" else codec
    await produce(options, topic, values, compression_type=compression, linger_ms=5)
    records = await read(options, topic, len(values))
    assert [r.value for r in records] == values
    assert [r.key for r in records] == [b"k%d" % i for i in range(len(values))]


async def test_matrix_headers(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("headers")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    options = client_options(compat_cluster)
    headers = [("trace", b"abc"), ("empty", b""), ("trace", b"second")]
    async with AIOKafkaProducer(**options) as prod:
        await prod.send_and_wait(topic, b"v", headers=headers)
    [record] = await read(options, topic, 1)
    assert list(record.headers) == headers


async def test_matrix_idempotent_producer(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("idempotence")
    topic = unique("t")
    compat_cluster.create_topic(topic, 2)
    options = client_options(compat_cluster)
    values = [b"%d" % i for i in range(200)]
    await produce(options, topic, values, enable_idempotence=True, acks="all")
    records = await read(options, topic, len(values))
    assert sorted(r.value for r in records) == sorted(values)
    # Sequences per partition start at 0 and have no gaps: offsets are dense too.
    for partition in (0, 1):
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == list(range(len(offsets)))


async def test_matrix_transactions(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("transactions")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    options = client_options(compat_cluster)
    async with AIOKafkaProducer(**options, transactional_id=unique("txn")) as prod:
        async with prod.transaction():
            await prod.send(topic, b"committed-1")
        await prod.begin_transaction()
        await (await prod.send(topic, b"aborted"))
        await prod.abort_transaction()
        async with prod.transaction():
            await prod.send(topic, b"committed-2")
    committed = await read(options, topic, 2, isolation_level="read_committed")
    assert [r.value for r in committed] == [b"committed-1", b"committed-2"]
    everything = await read(options, topic, 3)
    assert [r.value for r in everything] == [b"committed-1", b"aborted", b"committed-2"]
    await asyncio.sleep(0)
