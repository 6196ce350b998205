"""A broker without share groups (Kafka 3.9.1): the share consumer fails fast, typed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from aiokafka_gen.errors import UnsupportedVersionError
from aiokafka_gen.share import AIOKafkaShareConsumer
from aiokafka_gen.testing import KafkaCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def kafka_391() -> Iterator[KafkaCluster]:
    with KafkaCluster(version="3.9.1") as cluster:
        yield cluster


async def test_share_consumer_on_3_9_fails_fast_naming_what_is_missing(
    kafka_391: KafkaCluster,
) -> None:
    member = AIOKafkaShareConsumer("t", bootstrap_servers=kafka_391.bootstrap(), group_id="g")
    began = time.monotonic()
    with pytest.raises(UnsupportedVersionError) as info:
        await member.start()
    assert time.monotonic() - began < 10
    text = str(info.value)
    assert "ShareGroupHeartbeat" in text and "4.1" in text and "share.version" in text
    with pytest.raises(Exception, match="stopped"):
        await member.getmany()
    await member.stop()  # harmless after a failed start
