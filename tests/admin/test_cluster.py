"""Integration: cluster, log dirs, features and the metadata quorum on the session broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.admin import AclOperation, AIOKafkaAdminClient, FeatureUpdate
from aiokafka_gen.errors import InvalidUpdateVersionError, KafkaError
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import produce

pytestmark = pytest.mark.integration


async def test_describe_cluster(admin: AIOKafkaAdminClient, kafka_cluster: KafkaCluster) -> None:
    view = kafka_cluster.describe()
    described = await admin.describe_cluster(include_authorized_operations=True)
    assert described.cluster_id == view.cluster_id
    assert [b.node_id for b in described.brokers] == sorted(b.node_id for b in view.brokers)
    assert described.controller_id in {b.node_id for b in described.brokers}
    assert not described.brokers[0].is_fenced
    assert described.authorized_operations is not None
    assert AclOperation.DESCRIBE in described.authorized_operations
    assert (await admin.describe_cluster()).authorized_operations is None


async def test_describe_log_dirs(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], kafka_bootstrap: str
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 3)
    tp = TopicPartition(topic, 0)
    dirs = await admin.describe_log_dirs(topic_partitions=[tp])
    ((broker, by_path),) = dirs.items()
    (description,) = by_path.values()
    assert description.error is None and description.broker == broker
    assert description.total_bytes > 0 and description.usable_bytes > 0
    assert description.replicas[tp].size > 0 and not description.replicas[tp].is_future
    everything = await admin.describe_log_dirs([broker])
    assert tp in next(iter(everything[broker].values())).replicas


async def test_describe_features(admin: AIOKafkaAdminClient) -> None:
    features = await admin.describe_features()
    assert features.finalized["metadata.version"].max_version > 0
    assert "kraft.version" in features.supported
    assert features.finalized_epoch is not None and features.finalized_epoch >= 0


async def test_update_features(admin: AIOKafkaAdminClient) -> None:
    features = await admin.describe_features()
    level = features.finalized["metadata.version"].max_version
    same = await admin.update_features(
        {"metadata.version": FeatureUpdate(level)}, validate_only=True
    )
    assert same["metadata.version"].error is None
    results = await admin.update_features(
        {"no.such.feature": FeatureUpdate(1)}, raise_on_error=False
    )
    assert isinstance(results["no.such.feature"].error, (InvalidUpdateVersionError, KafkaError))
    assert results["no.such.feature"].error is not None
    with pytest.raises(KafkaError):
        await admin.update_features({"no.such.feature": FeatureUpdate(1)})


async def test_describe_metadata_quorum(admin: AIOKafkaAdminClient) -> None:
    quorum = await admin.describe_metadata_quorum()
    assert quorum.leader_id >= 0 and quorum.leader_epoch >= 0 and quorum.high_watermark > 0
    assert quorum.leader_id in {v.replica_id for v in quorum.voters}
    assert quorum.voters[0].log_end_offset > 0
