"""Cluster administration: describe the cluster, log dirs, features and the KRaft quorum.

DescribeCluster, ApiVersions (features), UpdateFeatures and DescribeQuorum go to any
broker (the last two are forwarded to the controller); DescribeLogDirs goes to each broker
asked about, all at once.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable, Mapping

from aiokafka_gen import __version__
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    BrokerDescription,
    ClusterDescription,
    FeatureMetadata,
    LogDirDescription,
    QuorumInfo,
    ReplicaInfo,
    ReplicaState,
    UpdateFeatureResult,
    VersionRange,
    operations,
    raise_for_errors,
)
from aiokafka_gen.admin.types import FeatureUpdate, group_by_topic
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages.api_versions_request import ApiVersionsRequest
from aiokafka_gen.messages.describe_cluster_request import DescribeClusterRequest
from aiokafka_gen.messages.describe_log_dirs_request import (
    DescribableLogDirTopic,
    DescribeLogDirsRequest,
)
from aiokafka_gen.messages.describe_log_dirs_response import DescribeLogDirsResult
from aiokafka_gen.messages.describe_quorum_request import (
    DescribeQuorumRequest,
    PartitionData,
    TopicData,
)
from aiokafka_gen.messages.describe_quorum_response import ReplicaState as QuorumReplica
from aiokafka_gen.messages.update_features_request import (
    FeatureUpdateKey,
    UpdateFeaturesRequest,
)
from aiokafka_gen.messages.update_features_response import UpdatableFeatureResult
from aiokafka_gen.structs import TopicPartition

_METADATA_TOPIC = "__cluster_metadata"
_ZERO_UUID = uuid.UUID(int=0)


def _software_version() -> str:
    """ApiVersions v3+ refuses names outside [a-zA-Z0-9.-] (INVALID_REQUEST)."""
    return re.sub(r"[^a-zA-Z0-9.-]", "-", __version__).strip("-.") or "0"


def _replica(raw: QuorumReplica) -> ReplicaState:
    directory = raw.replica_directory_id
    return ReplicaState(
        raw.replica_id, None if directory == _ZERO_UUID else directory, raw.log_end_offset,
        None if raw.last_fetch_timestamp < 0 else raw.last_fetch_timestamp,
        None if raw.last_caught_up_timestamp < 0 else raw.last_caught_up_timestamp,
    )  # fmt: skip


def _log_dir(broker: int, raw: DescribeLogDirsResult) -> LogDirDescription:
    replicas = {
        TopicPartition(t.name, p.partition_index): ReplicaInfo(
            p.partition_size, p.offset_lag, p.is_future_key
        )
        for t in raw.topics
        for p in t.partitions
    }
    error = result_error(raw.error_code, None, f"log dir {raw.log_dir} of broker {broker}")
    return LogDirDescription(
        broker, raw.log_dir, replicas, raw.total_bytes, raw.usable_bytes, error
    )


class ClusterMixin(AdminBase):
    """describe_cluster, describe_log_dirs, describe_features, update_features,
    describe_metadata_quorum."""

    async def describe_cluster(
        self, *, include_authorized_operations: bool = False
    ) -> ClusterDescription:
        """Cluster id, brokers and the controller id (in KRaft a random broker: the
        controllers themselves are not reachable through brokers). The result also reads
        as aiokafka's dict (``cluster["brokers"]``, ``dict(cluster)``)."""
        request = DescribeClusterRequest(
            include_cluster_authorized_operations=include_authorized_operations
        )
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "cluster"):
            raise error
        brokers = tuple(
            BrokerDescription(b.broker_id, b.host, b.port, b.rack, b.is_fenced)
            for b in sorted(response.brokers, key=lambda b: b.broker_id)
        )
        ops = None
        if include_authorized_operations:
            ops = operations(response.cluster_authorized_operations)
        return ClusterDescription(
            response.cluster_id, response.controller_id, brokers, ops, response.throttle_time_ms
        )

    async def describe_log_dirs(
        self,
        brokers: Iterable[int] | None = None,
        topic_partitions: Iterable[TopicPartition] | None = None,
    ) -> dict[int, dict[str, LogDirDescription]]:
        """{broker: {log dir path: LogDirDescription}} for ``brokers`` (None: all), with
        the replicas of ``topic_partitions`` (None: every replica)."""
        topics = None
        if topic_partitions is not None:
            topics = [
                DescribableLogDirTopic(topic=t, partitions=ps)
                for t, ps in group_by_topic(checks.partitions(topic_partitions)).items()
            ]
        self._check_started()
        nodes = list(brokers) if brokers is not None else await self._broker_ids()

        async def one(node: int) -> dict[str, LogDirDescription]:
            response = await self._send(DescribeLogDirsRequest(topics=topics), node)
            if error := result_error(response.error_code, None, f"log dirs of broker {node}"):
                raise error
            return {r.log_dir: _log_dir(node, r) for r in response.results}

        answers = await asyncio.gather(*(one(n) for n in nodes))
        return dict(zip(nodes, answers, strict=True))

    async def _broker_ids(self) -> list[int]:
        response = await self._metadata([])
        return sorted(b.node_id for b in response.brokers)

    async def describe_features(self) -> FeatureMetadata:
        """Finalized feature levels (cluster-wide) and the levels a broker supports."""
        request = ApiVersionsRequest(
            client_software_name="aiokafka-gen", client_software_version=_software_version()
        )
        response = await self._send(request)
        if error := result_error(response.error_code, None, "features"):
            raise error
        finalized = {
            f.name: VersionRange(f.min_version_level, f.max_version_level)
            for f in response.finalized_features
        }
        supported = {
            f.name: VersionRange(f.min_version, f.max_version) for f in response.supported_features
        }
        epoch = response.finalized_features_epoch
        return FeatureMetadata(finalized, None if epoch < 0 else epoch, supported)

    async def update_features(
        self,
        feature_updates: Mapping[str, FeatureUpdate],
        *,
        validate_only: bool = False,
        timeout_ms: int | None = None,
        raise_on_error: bool = True,
    ) -> dict[str, UpdateFeatureResult]:
        """Upgrade or downgrade finalized feature levels ({"group.version":
        FeatureUpdate(1)}). UpdateFeatures v2+ answers for all features at once: one
        failure fails them all."""
        updates = [
            FeatureUpdateKey(
                feature=name, max_version_level=u.max_version_level,
                upgrade_type=int(u.upgrade_type), allow_downgrade=u.upgrade_type != 1,
            )
            for name, u in feature_updates.items()
        ]  # fmt: skip
        request = UpdateFeaturesRequest(
            timeout_ms=self._timeout_ms(timeout_ms), feature_updates=updates,
            validate_only=validate_only,
        )  # fmt: skip
        response = await self._send(request)
        top = result_error(response.error_code, response.error_message, "update features")
        found = {r.feature: r for r in response.results}
        results = {name: _feature_result(name, found.get(name), top) for name in feature_updates}
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def describe_metadata_quorum(self) -> QuorumInfo:
        """The KRaft metadata quorum: leader, epoch, high watermark, voters, observers."""
        request = DescribeQuorumRequest(
            topics=[
                TopicData(topic_name=_METADATA_TOPIC, partitions=[PartitionData(partition_index=0)])
            ]
        )
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "quorum"):
            raise error
        part = response.topics[0].partitions[0]
        if error := result_error(part.error_code, part.error_message, "quorum"):
            raise error
        nodes = {
            n.node_id: tuple((lst.name, lst.host, lst.port) for lst in n.listeners)
            for n in response.nodes
        }
        return QuorumInfo(
            part.leader_id, part.leader_epoch, part.high_watermark,
            tuple(_replica(v) for v in part.current_voters),
            tuple(_replica(o) for o in part.observers), nodes,
        )  # fmt: skip


def _feature_result(
    name: str, raw: UpdatableFeatureResult | None, top: KafkaError | None
) -> UpdateFeatureResult:
    if raw is None:
        return UpdateFeatureResult(name, top)
    return UpdateFeatureResult(
        name, result_error(raw.error_code, raw.error_message, f"feature {name!r}") or top
    )
