"""Integration: the session's single-node cluster (plugin fixtures) and Kafka's own tools."""

from __future__ import annotations

import pytest

from aiokafka_gen.errors import TopicAlreadyExistsError
from aiokafka_gen.testing import KafkaCluster, ToolError
from aiokafka_gen.testing._probe import probe

from .helpers import consume, produce

pytestmark = pytest.mark.integration


def test_cluster_reports_one_broker(kafka_cluster: KafkaCluster, kafka_bootstrap: str) -> None:
    view = kafka_cluster.describe()
    assert len(view.brokers) == 1 and view.controller_id == 1
    assert view.cluster_id and len(view.cluster_id) == 22
    host, port = kafka_bootstrap.split(":")
    assert (view.brokers[0].host, view.brokers[0].port) == (host, int(port))
    assert kafka_cluster.startup_seconds is not None
    print(f"single node cold start: {kafka_cluster.startup_seconds:.1f} s")


def test_topic_command_creates_and_lists(kafka_cluster: KafkaCluster) -> None:
    kafka_cluster.create_topic("harness-created", partitions=3, configs={"retention.ms": "60000"})
    assert "harness-created" in kafka_cluster.list_topics()
    described = kafka_cluster.run_tool(
        "TopicCommand", "--bootstrap-server", kafka_cluster.bootstrap(), "--describe",
        "--topic", "harness-created",
    ).stdout  # fmt: skip
    assert "PartitionCount: 3" in described and "retention.ms=60000" in described


def test_tool_errors_carry_the_output(kafka_cluster: KafkaCluster) -> None:
    kafka_cluster.create_topic("harness-created-twice")
    args = ("--bootstrap-server", kafka_cluster.bootstrap(), "--create", "--topic")
    with pytest.raises(ToolError) as caught:
        kafka_cluster.run_tool("TopicCommand", *args, "harness-created-twice")
    assert caught.value.returncode != 0
    assert "already exists" in caught.value.output


def test_creating_an_existing_topic_is_a_typed_error(kafka_cluster: KafkaCluster) -> None:
    kafka_cluster.create_topic("harness-created-again")
    with pytest.raises(TopicAlreadyExistsError):
        kafka_cluster.create_topic("harness-created-again")


def test_topic_factory_makes_unique_created_topics(
    kafka_cluster: KafkaCluster, kafka_topic: object
) -> None:
    assert callable(kafka_topic)
    first, second = kafka_topic(), kafka_topic(2)
    assert first != second and first.startswith("test_topic_factory_makes_unique")
    topics = kafka_cluster.list_topics()
    assert first in topics and second in topics


def test_console_round_trip(kafka_cluster: KafkaCluster, kafka_topic: object) -> None:
    assert callable(kafka_topic)
    topic = kafka_topic()
    assert produce(kafka_cluster, topic, ["one", "two", "three"]) == 0
    assert consume(kafka_cluster, topic, 3) == ["one", "two", "three"]


def test_plaintext_probe_matches_describe(kafka_cluster: KafkaCluster) -> None:
    node = kafka_cluster.node(1)
    assert node.running and node.pid is not None
    host, port = kafka_cluster.bootstrap().split(":")
    assert probe(host, int(port)) == kafka_cluster.describe()
