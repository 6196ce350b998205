"""``ClusterMetadata``: what the client knows about the cluster, as plain data.

Brokers (with rack), controller, cluster id, topics with ids, partitions with leader,
leader epoch, replicas, ISR and offline replicas; updated in one step from a Metadata
response, after which listeners are called. Topics the last response refused for good
(INVALID_TOPIC_EXCEPTION 17, TOPIC_AUTHORIZATION_FAILED 29) are kept with their code:
``topic_error()`` turns them into the typed error, so whoever waits for such a topic fails
at once instead of waiting for metadata that will never come. It also keeps the refresh
bookkeeping (``ttl()``, ``request_update()``, ``failed_update()``) so the client's refresh
loop can ask when to fetch next. Must not do I/O, hold futures or know connections; time
comes from an injectable clock. Method names follow aiokafka's ``ClusterMetadata``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka_gen._logging import client_logger
from aiokafka_gen.errors import BrokerResponseError, for_code
from aiokafka_gen.messages.codes import ErrorCode
from aiokafka_gen.messages.metadata_response import (
    MetadataResponse,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from aiokafka_gen.structs import BrokerMetadata, PartitionMetadata, TopicPartition

__all__ = ["ClusterMetadata", "TopicMetadata"]

log = client_logger("aiokafka_gen.cluster")
_FINAL_TOPIC_ERRORS: dict[int, str] = {
    ErrorCode.INVALID_TOPIC_EXCEPTION: "the broker refuses the topic name {!r}",
    ErrorCode.TOPIC_AUTHORIZATION_FAILED: "not authorized to describe topic {!r}",
}
Listener = Callable[["ClusterMetadata"], object]


@dataclass(frozen=True)
class TopicMetadata:
    """One topic of a Metadata response."""

    name: str
    topic_id: uuid.UUID
    is_internal: bool
    error_code: int
    partitions: dict[int, PartitionMetadata] = field(default_factory=dict)


@dataclass(frozen=True)
class _Snapshot:
    brokers: dict[int, BrokerMetadata]
    topics: dict[str, TopicMetadata]
    controller_id: int | None
    cluster_id: str | None
    refused: dict[str, int]  # topic -> a final error code (17, 29) of the last response


_EMPTY = _Snapshot({}, {}, None, None, {})


def _partition(topic: str, raw: MetadataResponsePartition) -> PartitionMetadata:
    error = for_code(raw.error_code)
    return PartitionMetadata(
        topic, raw.partition_index, raw.leader_id, list(raw.replica_nodes),
        list(raw.isr_nodes), error, raw.leader_epoch,
        tuple(raw.offline_replicas),
    )  # fmt: skip


def _topic(name: str, raw: MetadataResponseTopic) -> TopicMetadata:
    partitions = {p.partition_index: _partition(name, p) for p in raw.partitions}
    return TopicMetadata(name, raw.topic_id, raw.is_internal, raw.error_code, partitions)


def _snapshot(response: MetadataResponse) -> _Snapshot:
    brokers = {
        b.node_id: BrokerMetadata(b.node_id, b.host, b.port, b.rack) for b in response.brokers
    }
    named = [(t.name, t) for t in response.topics if t.name is not None]
    topics = {
        name: _topic(name, t)
        for name, t in named
        if t.error_code in (0, ErrorCode.LEADER_NOT_AVAILABLE)
    }
    refused = {name: t.error_code for name, t in named if t.error_code in _FINAL_TOPIC_ERRORS}
    controller = response.controller_id if response.controller_id >= 0 else None
    return _Snapshot(brokers, topics, controller, response.cluster_id, refused)


class ClusterMetadata:
    """The client's view of the cluster; replaced wholesale by ``update_metadata``."""

    def __init__(
        self,
        *,
        metadata_max_age_ms: float = 300000,
        retry_backoff_ms: float = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metadata_max_age_ms = metadata_max_age_ms
        self.retry_backoff_ms = retry_backoff_ms
        self._clock = clock
        self._data = _EMPTY
        self._coordinators: dict[int, BrokerMetadata] = {}
        self._listeners: list[Listener] = []
        self._last_refresh_ms = 0.0
        self._last_attempt_ms = 0.0
        self._need_update = True
        self.updates = 0

    # ---- brokers -----------------------------------------------------------------------
    def brokers(self) -> set[BrokerMetadata]:
        return set(self._data.brokers.values())

    def broker_metadata(self, node_id: int) -> BrokerMetadata | None:
        """A broker by id (coordinators learnt from FindCoordinator included)."""
        return self._data.brokers.get(node_id) or self._coordinators.get(node_id)

    def add_coordinator(self, node_id: int, host: str, port: int, rack: str | None = None) -> None:
        self._coordinators[node_id] = BrokerMetadata(node_id, host, port, rack)

    @property
    def controller(self) -> BrokerMetadata | None:
        cid = self._data.controller_id
        return None if cid is None else self._data.brokers.get(cid)

    @property
    def cluster_id(self) -> str | None:
        return self._data.cluster_id

    # ---- topics and partitions ---------------------------------------------------------
    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        return {
            name
            for name, topic in self._data.topics.items()
            if not (exclude_internal_topics and topic.is_internal)
        }

    @property
    def internal_topics(self) -> set[str]:
        return {name for name, topic in self._data.topics.items() if topic.is_internal}

    @property
    def unauthorized_topics(self) -> set[str]:
        """Topics the last Metadata response answered TOPIC_AUTHORIZATION_FAILED (29)."""
        return {
            n
            for n, code in self._data.refused.items()
            if code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
        }

    @property
    def invalid_topics(self) -> set[str]:
        """Topics the last Metadata response answered INVALID_TOPIC_EXCEPTION (17)."""
        return {
            n for n, code in self._data.refused.items() if code == ErrorCode.INVALID_TOPIC_EXCEPTION
        }

    def topic_error(self, topic: str) -> BrokerResponseError | None:
        """The error to raise for ``topic`` when the last Metadata response refused it for
        good (``InvalidTopicError``, ``TopicAuthorizationFailedError``), else None.

        Only these two codes are final: UNKNOWN_TOPIC_OR_PARTITION and
        LEADER_NOT_AVAILABLE mean "not yet" (auto-creation, a topic being created)."""
        code = self._data.refused.get(topic)
        if code is None:
            return None
        return for_code(code)(_FINAL_TOPIC_ERRORS[code].format(topic))

    def topic_metadata(self, topic: str) -> TopicMetadata | None:
        return self._data.topics.get(topic)

    def topic_id(self, topic: str) -> uuid.UUID | None:
        found = self._data.topics.get(topic)
        return None if found is None else found.topic_id

    def topic_name(self, topic_id: uuid.UUID) -> str | None:
        for name, topic in self._data.topics.items():
            if topic.topic_id == topic_id:
                return name
        return None

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        found = self._data.topics.get(topic)
        return None if found is None else set(found.partitions)

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        """Partitions that currently have a leader."""
        found = self._data.topics.get(topic)
        if found is None:
            return None
        return {p for p, meta in found.partitions.items() if meta.leader >= 0}

    def partition_table(self, topic: str) -> Mapping[int, PartitionMetadata] | None:
        """Every partition of ``topic`` by index (read-only use), None when unknown: one
        lookup for a caller that walks many partitions of one topic."""
        found = self._data.topics.get(topic)
        return None if found is None else found.partitions

    def partition_metadata(self, partition: TopicPartition) -> PartitionMetadata | None:
        found = self._data.topics.get(partition.topic)
        return None if found is None else found.partitions.get(partition.partition)

    def leader_for_partition(self, partition: TopicPartition) -> int | None:
        """The leader's node id, -1 when the partition has none, None when unknown."""
        meta = self.partition_metadata(partition)
        return None if meta is None else meta.leader

    def leader_epoch(self, partition: TopicPartition) -> int | None:
        meta = self.partition_metadata(partition)
        return None if meta is None else meta.leader_epoch

    def partitions_for_broker(self, node_id: int) -> set[TopicPartition] | None:
        found = {
            TopicPartition(name, p)
            for name, topic in self._data.topics.items()
            for p, meta in topic.partitions.items()
            if meta.leader == node_id
        }
        return found or None

    # ---- refresh bookkeeping -----------------------------------------------------------
    def _now_ms(self) -> float:
        return self._clock() * 1000.0

    def metadata_age(self) -> float:
        """Seconds since the last successful refresh (the metadata-age gauge)."""
        return (self._now_ms() - self._last_refresh_ms) / 1000.0

    def request_update(self) -> None:
        """Ask for a refresh as soon as the retry backoff allows (see ``ttl()``)."""
        self._need_update = True

    @property
    def need_update(self) -> bool:
        return self._need_update

    def ttl(self) -> float:
        """Milliseconds until the next refresh is due (0 = now)."""
        now = self._now_ms()
        if self._need_update:
            due = self._last_attempt_ms + self.retry_backoff_ms
        else:
            due = self._last_refresh_ms + self.metadata_max_age_ms
        return max(0.0, due - now)

    def refresh_attempted(self) -> None:
        self._last_attempt_ms = self._now_ms()

    def failed_update(self, exception: BaseException | None = None) -> None:
        """A refresh failed: retry after the backoff."""
        self._need_update = True
        self._last_attempt_ms = self._now_ms()
        log.debug("metadata refresh failed: %s", exception)

    def update_metadata(self, response: MetadataResponse) -> None:
        """Replace the view with a Metadata response's content, then call the listeners."""
        self._data = _snapshot(response)
        now = self._now_ms()
        self._last_refresh_ms = self._last_attempt_ms = now
        self._need_update = any(
            t.error_code == ErrorCode.LEADER_NOT_AVAILABLE
            or any(p.leader < 0 for p in t.partitions.values())
            for t in self._data.topics.values()
        )
        self.updates += 1
        for listener in list(self._listeners):
            listener(self)

    def missing_topics(self, wanted: Iterable[str]) -> set[str]:
        return {name for name in wanted if name not in self._data.topics}

    # ---- listeners ---------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def __repr__(self) -> str:
        return (
            f"ClusterMetadata(cluster_id={self.cluster_id!r}, brokers={len(self._data.brokers)},"
            f" topics={len(self._data.topics)}, controller={self._data.controller_id},"
            f" updates={self.updates})"
        )
