"""ClusterMetadata as pure data: snapshots from Metadata responses, listeners, refresh ttl."""

from __future__ import annotations

import uuid

from aiokafka_gen.messages.errors import (
    InvalidTopicError,
    LeaderNotAvailableError,
    NoError,
    TopicAuthorizationFailedError,
)
from aiokafka_gen.messages.metadata_response import (
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)

from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.structs import BrokerMetadata, TopicPartition

TOPIC_ID = uuid.UUID(int=42)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def partition(index: int, leader: int, **kw: object) -> MetadataResponsePartition:
    return MetadataResponsePartition(
        partition_index=index, leader_id=leader, leader_epoch=7, replica_nodes=[1, 2],
        isr_nodes=[1], offline_replicas=[2], **kw,
    )  # fmt: skip


def response(leader: int = 1, **topic_kw: object) -> MetadataResponse:
    error = 5 if leader < 0 else 0
    first = [partition(0, leader, error_code=error), partition(1, 2)]
    brokers = [
        MetadataResponseBroker(node_id=1, host="h1", port=9092, rack="r1"),
        MetadataResponseBroker(node_id=2, host="h2", port=9093, rack=None),
    ]
    topics = [
        MetadataResponseTopic(name="t", topic_id=TOPIC_ID, partitions=first, **topic_kw),
        MetadataResponseTopic(name="__internal", is_internal=True, partitions=[partition(0, 1)]),
        MetadataResponseTopic(name="gone", error_code=3),
        MetadataResponseTopic(name="secret", error_code=29),
    ]  # fmt: skip
    return MetadataResponse(brokers=brokers, topics=topics, cluster_id="cid", controller_id=2)


def test_snapshot_fields() -> None:
    cluster = ClusterMetadata()
    cluster.update_metadata(response())
    assert cluster.cluster_id == "cid"
    assert cluster.controller == BrokerMetadata(2, "h2", 9093, None)
    assert cluster.broker_metadata(1) == BrokerMetadata(1, "h1", 9092, "r1")
    assert cluster.topics() == {"t"}
    assert cluster.topics(exclude_internal_topics=False) == {"t", "__internal"}
    assert cluster.unauthorized_topics == {"secret"}
    assert cluster.topic_id("t") == TOPIC_ID and cluster.topic_name(TOPIC_ID) == "t"
    assert cluster.partitions_for_topic("t") == {0, 1}
    meta = cluster.partition_metadata(TopicPartition("t", 0))
    assert meta is not None
    assert (meta.leader, meta.leader_epoch, meta.replicas, meta.isr) == (1, 7, [1, 2], [1])
    assert meta.offline_replicas == (2,)
    assert meta.error is NoError and meta.error_code == 0
    assert cluster.partitions_for_broker(2) == {TopicPartition("t", 1)}
    assert cluster.leader_for_partition(TopicPartition("gone", 0)) is None


def test_leaderless_partition_is_unavailable_and_asks_for_refresh() -> None:
    clock = Clock()
    cluster = ClusterMetadata(retry_backoff_ms=100, metadata_max_age_ms=5000, clock=clock)
    cluster.update_metadata(response(leader=-1))
    assert cluster.available_partitions_for_topic("t") == {1}
    meta = cluster.partition_metadata(TopicPartition("t", 0))
    assert meta is not None
    assert meta.error is LeaderNotAvailableError and meta.error_code == 5
    assert cluster.leader_for_partition(TopicPartition("t", 0)) == -1
    assert cluster.need_update
    assert cluster.ttl() == 100
    cluster.update_metadata(response())
    assert not cluster.need_update
    assert cluster.ttl() == 5000
    clock.now += 6
    assert cluster.ttl() == 0


def test_failed_update_backs_off_then_due() -> None:
    clock = Clock()
    cluster = ClusterMetadata(retry_backoff_ms=250, clock=clock)
    cluster.failed_update(RuntimeError("x"))
    assert cluster.ttl() == 250
    clock.now += 0.25
    assert cluster.ttl() == 0


def test_listeners_see_the_new_view() -> None:
    cluster = ClusterMetadata()
    seen: list[set[str]] = []

    def listener(c: ClusterMetadata) -> None:
        seen.append(c.topics())

    cluster.add_listener(listener)
    cluster.update_metadata(response())
    cluster.remove_listener(listener)
    cluster.update_metadata(response())
    assert seen == [{"t"}]
    assert "cid" in repr(cluster) and "updates=2" in repr(cluster)


def test_coordinators_are_known_brokers() -> None:
    cluster = ClusterMetadata()
    cluster.add_coordinator(9, "c", 1)
    assert cluster.broker_metadata(9) == BrokerMetadata(9, "c", 1, None)
    assert cluster.missing_topics(["t", "x"]) == {"t", "x"}


def test_final_topic_errors_are_kept_until_the_next_answer() -> None:
    cluster = ClusterMetadata()
    cluster.update_metadata(response())
    refused = cluster.topic_error("secret")
    assert isinstance(refused, TopicAuthorizationFailedError) and "'secret'" in str(refused)
    assert cluster.topic_error("gone") is None  # UNKNOWN_TOPIC_OR_PARTITION: not final
    assert cluster.topic_error("t") is None
    invalid = MetadataResponse(topics=[MetadataResponseTopic(name="a b", error_code=17)])
    cluster.update_metadata(invalid)
    assert isinstance(cluster.topic_error("a b"), InvalidTopicError)
    assert cluster.invalid_topics == {"a b"} and cluster.unauthorized_topics == set()
    assert cluster.topic_error("secret") is None  # the newer answer does not refuse it
