"""Integration (slow): a 3-node KRaft cluster survives SIGKILL and restart of one node."""

from __future__ import annotations

import pytest

from aiokafka_gen.testing import KafkaCluster

from .helpers import consume, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_three_nodes_start_and_run_topic_command(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    assert [b.node_id for b in cluster.describe().brokers] == [1, 2, 3]
    assert len(cluster.bootstrap().split(",")) == 3
    cluster.create_topic("harness-rf3", partitions=3, replication_factor=3)
    assert "harness-rf3" in cluster.list_topics()
    print(f"three node cold start: {cluster.startup_seconds:.1f} s")


def test_kill_and_restart_one_node(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    cluster.create_topic("harness-faults", partitions=2, replication_factor=3)
    victim = cluster.node(3)
    ports_before = cluster.bootstrap()
    victim.kill()
    assert not victim.running and victim.returncode == -9
    # Two of three voters keep the quorum; min ISR 2 still accepts acks=all writes.
    assert "harness-faults" in cluster.list_topics()
    assert produce(cluster, "harness-faults", ["during"], properties={"acks": "all"}) == 0
    cluster.start_node(3)
    assert victim.running
    assert cluster.bootstrap() == ports_before
    assert [b.node_id for b in cluster.describe().brokers] == [1, 2, 3]
    assert produce(cluster, "harness-faults", ["after"]) == 0
    assert sorted(consume(cluster, "harness-faults", 2)) == ["after", "during"]


def test_clean_stop_and_restart_keeps_data(kafka_cluster_3: KafkaCluster) -> None:
    cluster = kafka_cluster_3
    node = cluster.node(2)
    node.stop()
    assert not node.running and node.returncode == 143  # 128+SIGTERM: the JVM's clean exit
    cluster.start_node(2)
    assert "harness-rf3" in cluster.list_topics()
    assert (node.data_dir / "meta.properties").exists()
