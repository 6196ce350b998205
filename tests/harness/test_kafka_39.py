"""Integration (slow): the 3.9 line (pre-4.0 tool classes, reload4j logging) still works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiokafka_gen.testing import KafkaCluster

from .helpers import consume, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def kafka_39() -> Iterator[KafkaCluster]:
    with KafkaCluster(version="3.9.1", security="sasl_plaintext") as cluster:
        yield cluster


def test_391_single_node_with_legacy_tools(kafka_39: KafkaCluster) -> None:
    assert kafka_39.version == "3.9.1"
    assert len(kafka_39.describe().brokers) == 1
    kafka_39.create_topic("legacy", partitions=2)
    assert kafka_39.list_topics() == ["legacy"]
    # kafka.tools.ConsoleProducer + --producer.config on 3.9; SCRAM users from --add-scram.
    sasl = {"listener": "SASL_PLAINTEXT", "mechanism": "SCRAM-SHA-256", "user": "alice"}
    assert produce(kafka_39, "legacy", ["from-3.9"], **sasl) == 0
    assert produce(kafka_39, "legacy", ["nope"], password="wrong", **sasl) != 0
    assert consume(kafka_39, "legacy", 1) == ["from-3.9"]
    assert "Kafka Server started" in kafka_39.node(1).log_tail(400)
