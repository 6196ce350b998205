"""Integration (slow): ZooKeeper-era Kafka (before 3.3) from Maven jars, ZooKeeper included.

2.1.1 covers the oldest supported line: Scala 2.12 jars, a ZooKeeper 3.4 client (the
hosts-file workaround for Java 14+), SCRAM users written into ZooKeeper, the Scala tools.
2.8.2 covers three brokers registered in one ZooKeeper.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aiokafka_gen.testing import KafkaCluster

from .helpers import consume, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def kafka_21() -> Iterator[KafkaCluster]:
    with KafkaCluster(kafka_version="2.1.1", security="sasl_plaintext") as cluster:
        yield cluster


def test_211_zookeeper_mode_single_node(kafka_21: KafkaCluster) -> None:
    assert kafka_21.zookeeper_mode and kafka_21.zookeeper_connect
    assert len(kafka_21.describe().brokers) == 1
    assert kafka_21.state()["zookeeper"]["connect"] == kafka_21.zookeeper_connect
    kafka_21.create_topic("zk-era", partitions=2)
    assert kafka_21.list_topics() == ["zk-era"]
    # SCRAM users were written into ZooKeeper before the broker started.
    sasl = {"listener": "SASL_PLAINTEXT", "mechanism": "SCRAM-SHA-512", "user": "alice"}
    assert produce(kafka_21, "zk-era", ["from-2.1"], **sasl) == 0
    assert produce(kafka_21, "zk-era", ["nope"], password="wrong", **sasl) != 0
    assert consume(kafka_21, "zk-era", 1) == ["from-2.1"]
    assert "started (kafka.server.KafkaServer)" in kafka_21.node(1).log_tail(400)


def test_zookeeper_mode_three_nodes_and_cleanup() -> None:
    cluster = KafkaCluster(kafka_version="2.8.2", nodes=3)
    with cluster:
        assert len(cluster.describe().brokers) == 3
        cluster.create_topic("replicated", partitions=3, replication_factor=3)
        root = cluster.data_dir
        assert root is not None and (root / "zookeeper" / "zookeeper.properties").exists()
        zookeeper_pid = cluster.state()["zookeeper"]["pid"]
        cluster.node(2).stop()
        cluster.start_node(2)
        assert len(cluster.describe().brokers) == 3
    assert not root.exists()
    assert not Path(f"/proc/{zookeeper_pid}").exists()
