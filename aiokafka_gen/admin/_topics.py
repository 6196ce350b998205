"""Topic administration: create, delete, list, describe, add partitions.

CreateTopics, DeleteTopics and CreatePartitions go to any broker (KRaft brokers forward
them to the active controller); Metadata answers list and describe. Every request carries
all resources at once; results are per topic (see ``results``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping

from aiokafka_gen._codes import ApiKey
from aiokafka_gen._validate import check_topic
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    ConfigEntry,
    CreatePartitionsResult,
    CreateTopicResult,
    DeleteTopicResult,
    PartitionInfo,
    TopicDescription,
    operations,
    raise_for_errors,
)
from aiokafka_gen.admin.types import ConfigSource, NewPartitions, NewTopic
from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaError
from aiokafka_gen.messages.create_partitions_request import (
    CreatePartitionsAssignment,
    CreatePartitionsRequest,
    CreatePartitionsTopic,
)
from aiokafka_gen.messages.create_partitions_response import CreatePartitionsTopicResult
from aiokafka_gen.messages.create_topics_request import (
    CreatableReplicaAssignment,
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
)
from aiokafka_gen.messages.create_topics_response import CreatableTopicResult
from aiokafka_gen.messages.delete_topics_request import DeleteTopicsRequest, DeleteTopicState
from aiokafka_gen.messages.delete_topics_response import DeletableTopicResult
from aiokafka_gen.messages.metadata_request import MetadataRequest, MetadataRequestTopic
from aiokafka_gen.messages.metadata_response import MetadataResponseTopic

_ZERO_UUID = uuid.UUID(int=0)


def _creatable(topic: NewTopic) -> CreatableTopic:
    assignments = [
        CreatableReplicaAssignment(partition_index=p, broker_ids=list(brokers))
        for p, brokers in topic.replica_assignments.items()
    ]
    configs = [CreatableTopicConfig(name=k, value=v) for k, v in topic.topic_configs.items()]
    return CreatableTopic(
        name=topic.name, num_partitions=topic.num_partitions,
        replication_factor=topic.replication_factor, assignments=assignments, configs=configs,
    )  # fmt: skip


def _created(raw: CreatableTopicResult) -> CreateTopicResult:
    configs = {
        c.name: ConfigEntry(
            c.name, c.value, ConfigSource(c.config_source), c.read_only, c.is_sensitive
        )
        for c in raw.configs or ()
    }
    topic_id = raw.topic_id if raw.topic_id != _ZERO_UUID else None
    return CreateTopicResult(
        raw.name, topic_id, raw.num_partitions, raw.replication_factor, configs,
        result_error(raw.error_code, raw.error_message, f"topic {raw.name!r}"),
    )  # fmt: skip


def _described(raw: MetadataResponseTopic, authorized: bool) -> TopicDescription:
    what = f"topic {raw.name!r}" if raw.name else f"topic id {raw.topic_id}"
    partitions = tuple(
        PartitionInfo(
            p.partition_index, p.leader_id, p.leader_epoch, tuple(p.replica_nodes),
            tuple(p.isr_nodes), tuple(p.offline_replicas),
            result_error(p.error_code, None, f"{raw.name}-{p.partition_index}"),
        )
        for p in sorted(raw.partitions, key=lambda p: p.partition_index)
    )  # fmt: skip
    ops = operations(raw.topic_authorized_operations) if authorized else None
    return TopicDescription(
        raw.name, raw.topic_id if raw.topic_id != _ZERO_UUID else None, raw.is_internal,
        partitions, ops, result_error(raw.error_code, None, what),
    )  # fmt: skip


class TopicsMixin(AdminBase):
    """create_topics, delete_topics, list_topics, describe_topics, create_partitions."""

    async def create_topics(
        self,
        new_topics: Iterable[NewTopic],
        timeout_ms: int | None = None,
        validate_only: bool = False,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, CreateTopicResult]:
        """Create topics (partitions, replication or explicit assignments, configs).

        ``validate_only`` asks the broker to check without creating. Returns
        {name: CreateTopicResult}; a topic that exists fails with TopicAlreadyExistsError,
        a bad config with InvalidConfigurationError, a denied one with
        TopicAuthorizationFailedError (see the module docs of ``results`` for errors).
        Success means the controller created the topics; the brokers apply that to their
        metadata a moment later, so ``describe_topics`` or ``list_topics`` right after may
        not show them yet (as with Kafka's own AdminClient). An illegal topic name raises
        InvalidTopicError before anything is sent.
        """
        by_name = {check_topic(t.name): t for t in new_topics}
        wait = self._timeout_ms(timeout_ms)

        async def attempt(names: list[str]) -> dict[str, CreateTopicResult]:
            request = CreateTopicsRequest(
                topics=[_creatable(by_name[n]) for n in names],
                timeout_ms=wait, validate_only=validate_only,
            )  # fmt: skip
            response = await self._send(request)
            got = {t.name: _created(t) for t in response.topics}
            missing = KafkaError("CreateTopics response lacks this topic")
            return {n: got.get(n) or CreateTopicResult(n, error=missing) for n in names}

        results = await self._retrying(by_name, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def delete_topics(
        self,
        topics: Iterable[str | uuid.UUID],
        timeout_ms: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[str | uuid.UUID, DeleteTopicResult]:
        """Delete topics named by name or by topic id (``uuid.UUID``; DeleteTopics v6+).

        Returns {name or id as given: DeleteTopicResult}; an unknown name fails with
        UnknownTopicOrPartitionError, an unknown id with UnknownTopicIdError. An illegal
        name raises InvalidTopicError before anything is sent.
        """
        topics = checks.topics(topics)
        wait = self._timeout_ms(timeout_ms)

        async def attempt(keys: list[str | uuid.UUID]) -> dict[str | uuid.UUID, DeleteTopicResult]:
            response = await self._send(await self._delete_request(keys, wait))
            by_name = {r.name: r for r in response.responses if r.name}
            by_id = {r.topic_id: r for r in response.responses if r.topic_id != _ZERO_UUID}
            results: dict[str | uuid.UUID, DeleteTopicResult] = {}
            for key in keys:
                raw = by_id.get(key) if isinstance(key, uuid.UUID) else by_name.get(key)
                results[key] = _deleted(key, raw)
            return results

        results = await self._retrying(topics, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def _delete_request(self, keys: list[str | uuid.UUID], wait: int) -> DeleteTopicsRequest:
        version = await self._version(await self._any_node(), ApiKey.DELETE_TOPICS, 6)
        if version >= 6:
            states = [
                DeleteTopicState(topic_id=k)
                if isinstance(k, uuid.UUID)
                else DeleteTopicState(name=k)
                for k in keys
            ]
            return DeleteTopicsRequest(topics=states, timeout_ms=wait)
        if any(isinstance(k, uuid.UUID) for k in keys):
            raise IncompatibleBrokerVersion("deleting topics by id needs DeleteTopics v6")
        return DeleteTopicsRequest(topic_names=[str(k) for k in keys], timeout_ms=wait)

    async def list_topics(self, *, exclude_internal_topics: bool = False) -> list[str]:
        """Names of every topic the caller may describe (internal ones unless excluded)."""
        response = await self._metadata(None)
        return sorted(
            t.name
            for t in response.topics
            if t.name and not t.error_code and not (exclude_internal_topics and t.is_internal)
        )

    async def describe_topics(
        self,
        topics: Iterable[str | uuid.UUID] | None = None,
        *,
        include_authorized_operations: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str | uuid.UUID, TopicDescription]:
        """Describe topics by name or id (None: every topic, keyed by name).

        With ``include_authorized_operations`` each description lists the operations the
        caller may perform. Unknown topics fail with UnknownTopicOrPartitionError (by name)
        or UnknownTopicIdError (by id); an illegal name raises InvalidTopicError before
        anything is sent. Each description also reads as the dict aiokafka lists for it.
        """
        wanted = None if topics is None else list(dict.fromkeys(checks.topics(topics)))

        async def ask(keys: list[str | uuid.UUID] | None) -> list[TopicDescription]:
            response = await self._send(_metadata_request(keys, include_authorized_operations))
            return [_described(t, include_authorized_operations) for t in response.topics]

        async def attempt(
            keys: list[str | uuid.UUID] | None,
        ) -> dict[str | uuid.UUID, TopicDescription]:
            if keys is None:
                return {d.name: d for d in await ask(None) if d.name}
            # A Metadata request names topics either by name or by id, never both.
            names: list[str | uuid.UUID] = [k for k in keys if not isinstance(k, uuid.UUID)]
            ids: list[str | uuid.UUID] = [k for k in keys if isinstance(k, uuid.UUID)]
            found = await asyncio.gather(*(ask(part) for part in (names, ids) if part))
            return _match_descriptions(keys, [d for part in found for d in part])

        if wanted is None:
            return await attempt(None)
        results = await self._retrying(wanted, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def create_partitions(
        self,
        topic_partitions: Mapping[str, NewPartitions],
        timeout_ms: int | None = None,
        validate_only: bool = False,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, CreatePartitionsResult]:
        """Raise topics' partition counts to ``NewPartitions.total_count``.

        A count that is not larger fails with InvalidPartitionsError for that topic. As with
        ``create_topics``, brokers may describe the old count for a moment after success.
        An illegal topic name raises InvalidTopicError before anything is sent.
        """
        checks.topics(topic_partitions)
        wait = self._timeout_ms(timeout_ms)

        def topic(name: str) -> CreatePartitionsTopic:
            spec = topic_partitions[name]
            assignments = None
            if spec.new_assignments is not None:
                assignments = [
                    CreatePartitionsAssignment(broker_ids=list(b)) for b in spec.new_assignments
                ]
            return CreatePartitionsTopic(name=name, count=spec.total_count, assignments=assignments)

        async def attempt(names: list[str]) -> dict[str, CreatePartitionsResult]:
            request = CreatePartitionsRequest(
                topics=[topic(n) for n in names], timeout_ms=wait, validate_only=validate_only
            )
            response = await self._send(request)
            got = {r.name: r for r in response.results}
            return {n: _partitions_result(n, got.get(n)) for n in names}

        results = await self._retrying(topic_partitions, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results


def _deleted(key: str | uuid.UUID, raw: DeletableTopicResult | None) -> DeleteTopicResult:
    name = None if isinstance(key, uuid.UUID) else key
    topic_id = key if isinstance(key, uuid.UUID) else None
    if raw is None:
        return DeleteTopicResult(name, topic_id, KafkaError(f"no answer for topic {key}"))
    error = result_error(raw.error_code, raw.error_message, f"topic {key}")
    found_id = raw.topic_id if raw.topic_id != _ZERO_UUID else topic_id
    return DeleteTopicResult(raw.name or name, found_id, error)


def _partitions_result(
    name: str, raw: CreatePartitionsTopicResult | None
) -> CreatePartitionsResult:
    if raw is None:
        return CreatePartitionsResult(name, KafkaError(f"no answer for topic {name!r}"))
    return CreatePartitionsResult(
        name, result_error(raw.error_code, raw.error_message, f"topic {name!r}")
    )


def _metadata_request(keys: list[str | uuid.UUID] | None, authorized: bool) -> MetadataRequest:
    topics = None
    if keys is not None:
        topics = [
            MetadataRequestTopic(topic_id=k, name=None)
            if isinstance(k, uuid.UUID)
            else MetadataRequestTopic(name=k)
            for k in keys
        ]
    return MetadataRequest(
        topics=topics,
        allow_auto_topic_creation=False,
        include_topic_authorized_operations=authorized,
    )


def _match_descriptions(
    keys: list[str | uuid.UUID], found: list[TopicDescription]
) -> dict[str | uuid.UUID, TopicDescription]:
    by_name = {d.name: d for d in found if d.name}
    by_id = {d.topic_id: d for d in found if d.topic_id is not None}
    id_errors = [d for d in found if d.name is None and d.error is not None]
    results: dict[str | uuid.UUID, TopicDescription] = {}
    for key in keys:
        if isinstance(key, uuid.UUID):
            hit = by_id.get(key)
            if hit is None and id_errors:
                hit = TopicDescription(None, key, error=id_errors[0].error)
        else:
            hit = by_name.get(key)
        results[key] = hit or TopicDescription(
            None if isinstance(key, uuid.UUID) else key,
            key if isinstance(key, uuid.UUID) else None,
            error=KafkaError(f"no answer for topic {key}"),
        )
    return results
