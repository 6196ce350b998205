"""Integration: topic administration against the session broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka_gen.admin.results import CreateTopicResult
from aiokafka_gen.errors import (
    InvalidConfigurationError,
    InvalidPartitionsError,
    TopicAlreadyExistsError,
    UnknownTopicIdError,
    UnknownTopicOrPartitionError,
)

from .support import settled

pytestmark = pytest.mark.integration


def _name(tag: str) -> str:
    return f"admin-{tag}-{os.urandom(4).hex()}"


async def _visible(
    admin: AIOKafkaAdminClient, names: list[str], done: Callable[[dict[Any, Any]], bool]
) -> dict[Any, Any]:
    """describe_topics once ``done`` holds. The controller's answer to CreateTopics or
    CreatePartitions comes before the brokers have applied the change to their metadata
    (as Kafka documents for its own AdminClient), so the first describe may not show it."""
    found = await settled(
        lambda: admin.describe_topics(names, raise_on_error=False),
        lambda found: all(d.error is None for d in found.values()) and done(found),
    )
    if any(d.error is not None for d in found.values()):
        return await admin.describe_topics(names)  # raises the error still there
    return found


async def test_create_with_counts_assignments_and_configs(admin: AIOKafkaAdminClient) -> None:
    counted, assigned = _name("counted"), _name("assigned")
    broker = (await admin.describe_cluster()).brokers[0].node_id
    results = await admin.create_topics([
        NewTopic(counted, 3, 1, topic_configs={"cleanup.policy": "compact"}),
        NewTopic(assigned, -1, -1, replica_assignments={0: [broker], 1: [broker]}),
    ])  # fmt: skip
    assert list(results) == [counted, assigned]
    made = results[counted]
    assert made.error is None and made.num_partitions == 3 and made.replication_factor == 1
    assert made.topic_id is not None
    assert made.configs["cleanup.policy"].value == "compact"
    described = await _visible(admin, [counted, assigned], lambda found: True)
    assert len(described[counted].partitions) == 3
    assert [p.replicas for p in described[assigned].partitions] == [(broker,), (broker,)]
    assert described[counted].topic_id == made.topic_id


async def test_validate_only_creates_nothing(admin: AIOKafkaAdminClient) -> None:
    name = _name("validate")
    results = await admin.create_topics([NewTopic(name, 2, 1)], validate_only=True)
    assert results[name].error is None and results[name].num_partitions == 2
    assert name not in await admin.list_topics()


async def test_one_failed_topic_does_not_hide_the_others(
    admin: AIOKafkaAdminClient, kafka_topic: object
) -> None:
    assert callable(kafka_topic)
    existing, fresh, bad = kafka_topic(), _name("fresh"), _name("bad")
    topics = [
        NewTopic(existing, 1, 1),
        NewTopic(fresh, 1, 1),
        NewTopic(bad, 1, 1, topic_configs={"cleanup.policy": "no-such-policy"}),
    ]
    results = await admin.create_topics(topics, raise_on_error=False)
    assert isinstance(results[existing].error, TopicAlreadyExistsError)
    assert results[fresh] == CreateTopicResult(
        fresh, results[fresh].topic_id, 1, 1, results[fresh].configs
    )
    assert isinstance(results[bad].error, InvalidConfigurationError)
    assert existing in str(results[existing].error)


async def test_raise_on_error_raises_the_first_failure_with_every_result(
    admin: AIOKafkaAdminClient, kafka_topic: object
) -> None:
    assert callable(kafka_topic)
    existing, fresh = kafka_topic(), _name("fresh")
    with pytest.raises(TopicAlreadyExistsError) as caught:
        await admin.create_topics([NewTopic(fresh, 1, 1), NewTopic(existing, 1, 1)])
    results = caught.value.results  # type: ignore[attr-defined]
    assert results[fresh].error is None and set(caught.value.errors) == {existing}  # type: ignore[attr-defined]
    assert fresh in await admin.list_topics()


async def test_delete_by_name_and_by_id(admin: AIOKafkaAdminClient) -> None:
    by_name, by_id = _name("del-name"), _name("del-id")
    created = await admin.create_topics([NewTopic(by_name, 1, 1), NewTopic(by_id, 1, 1)])
    topic_id = created[by_id].topic_id
    assert topic_id is not None
    results = await admin.delete_topics([by_name, topic_id])
    assert results[by_name].error is None
    assert results[topic_id].error is None and results[topic_id].name == by_id
    remaining = await settled(
        admin.list_topics, lambda left: by_name not in left and by_id not in left
    )
    assert by_name not in remaining and by_id not in remaining


async def test_delete_unknown_name_and_id(admin: AIOKafkaAdminClient) -> None:
    missing_id = uuid.uuid4()
    results = await admin.delete_topics([_name("nope"), missing_id], raise_on_error=False)
    errors = [type(r.error) for r in results.values()]
    assert errors == [UnknownTopicOrPartitionError, UnknownTopicIdError]
    with pytest.raises(UnknownTopicOrPartitionError):
        await admin.delete_topics([_name("nope")])


async def test_list_topics(admin: AIOKafkaAdminClient, kafka_topic: object) -> None:
    assert callable(kafka_topic)
    name = kafka_topic()
    everything = await admin.list_topics()
    assert name in everything
    assert all(
        not t.startswith("__") for t in await admin.list_topics(exclude_internal_topics=True)
    )


async def test_describe_by_name_and_id_with_operations(
    admin: AIOKafkaAdminClient, kafka_topic: object
) -> None:
    assert callable(kafka_topic)
    name = kafka_topic(2)
    by_name = (await admin.describe_topics([name], include_authorized_operations=True))[name]
    assert [p.partition for p in by_name.partitions] == [0, 1]
    assert all(p.leader >= 0 and p.isr == p.replicas for p in by_name.partitions)
    assert by_name.authorized_operations is not None
    assert {op.name for op in by_name.authorized_operations} >= {"READ", "WRITE", "DESCRIBE"}
    assert by_name.topic_id is not None
    by_id = (await admin.describe_topics([by_name.topic_id]))[by_name.topic_id]
    assert by_id.name == name and len(by_id.partitions) == 2
    plain = (await admin.describe_topics([name]))[name]
    assert plain.authorized_operations is None


async def test_describe_unknown_topics(admin: AIOKafkaAdminClient, kafka_topic: object) -> None:
    assert callable(kafka_topic)
    name, missing, missing_id = kafka_topic(), _name("missing"), uuid.uuid4()
    results = await admin.describe_topics([name, missing, missing_id], raise_on_error=False)
    assert results[name].error is None
    assert isinstance(results[missing].error, UnknownTopicOrPartitionError)
    assert isinstance(results[missing_id].error, UnknownTopicIdError)
    everything = await admin.describe_topics()
    assert name in everything


async def test_create_partitions(admin: AIOKafkaAdminClient, kafka_topic: object) -> None:
    assert callable(kafka_topic)
    grow, shrink = kafka_topic(1), kafka_topic(3)
    checked = await admin.create_partitions({grow: NewPartitions(5)}, validate_only=True)
    assert checked[grow].error is None
    assert len((await admin.describe_topics([grow]))[grow].partitions) == 1
    results = await admin.create_partitions(
        {grow: NewPartitions(4), shrink: NewPartitions(2)}, raise_on_error=False
    )
    assert results[grow].error is None
    assert isinstance(results[shrink].error, InvalidPartitionsError)
    grown = await _visible(admin, [grow], lambda found: len(found[grow].partitions) >= 4)
    assert len(grown[grow].partitions) == 4
    with pytest.raises(InvalidPartitionsError):
        await admin.create_partitions({shrink: NewPartitions(1)})
