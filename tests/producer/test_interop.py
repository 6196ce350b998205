"""Integration: records produced with every codec, read back by Kafka's Java ConsoleConsumer
(keys, values, headers, timestamps, partitions) and by our own Fetch (codec in the batch)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.records import CODEC_GZIP, CODEC_LZ4, CODEC_NONE, CODEC_SNAPPY, CODEC_ZSTD
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import console_read, fetch_batches

pytestmark = pytest.mark.integration
CODECS = {None: CODEC_NONE, "gzip": CODEC_GZIP, "snappy": CODEC_SNAPPY, "lz4": CODEC_LZ4,
          "zstd": CODEC_ZSTD}  # fmt: skip
BASE_TS = 1_700_000_000_000
# Records this old are past the default 7-day retention: the broker's periodic retention
# check (every 5 min) deletes the whole log, active segment included, so a read-back in a
# long session would see OFFSET_OUT_OF_RANGE at offset 0. Topics written with old
# timestamps keep their data forever.
KEEP = {"retention.ms": "-1"}


@pytest.mark.parametrize("codec", list(CODECS))
async def test_java_console_consumer_reads_what_we_wrote(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str], codec: str | None
) -> None:
    topic = kafka_topic(2, configs=KEEP)
    sent = []
    async with AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.bootstrap(), compression_type=codec, linger_ms=50
    ) as producer:
        futures = []
        for i in range(40):
            headers = [("h1", b"a%d" % i), ("h2", b"b")]
            key, value = f"key-{i}".encode(), f"value-{i}-{'x' * 40}".encode()
            partition = i % 2
            futures.append(await producer.send(
                topic, value, key=key, partition=partition, timestamp_ms=BASE_TS + i,
                headers=headers,
            ))  # fmt: skip
            sent.append([f"CreateTime:{BASE_TS + i}", f"Partition:{partition}",
                         f"h1:a{i},h2:b", key.decode(), value.decode()])  # fmt: skip
        metas = [await f for f in futures]
    assert [m.timestamp for m in metas] == [BASE_TS + i for i in range(40)]
    assert {m.partition for m in metas} == {0, 1}
    read = console_read(kafka_cluster, topic, 40)
    assert sorted(read) == sorted(sent)
    batches = await fetch_batches(kafka_cluster.bootstrap(), TopicPartition(topic, 0))
    assert {b.codec for b in batches} == {CODECS[codec]}


async def test_null_key_and_null_header_value(
    kafka_cluster: KafkaCluster, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1, configs=KEEP)
    async with AIOKafkaProducer(bootstrap_servers=kafka_cluster.bootstrap()) as producer:
        meta = await producer.send_and_wait(
            topic, b"only-value", headers=[("n", None)], timestamp_ms=BASE_TS
        )
    assert meta.offset == 0
    [row] = console_read(kafka_cluster, topic, 1)
    assert row[0] == f"CreateTime:{BASE_TS}" and row[-2:] == ["null", "only-value"]
    assert row[2] in ("n:null", "n:NULL", "n:")
