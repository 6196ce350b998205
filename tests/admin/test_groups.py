"""Integration: consumer groups on the session broker. Groups are real: classic members
join with raw JoinGroup/SyncGroup through our client, KIP-848 members with a
ConsumerGroupHeartbeat; offsets are committed by the admin client itself."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, MemberToRemove
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import (
    GroupIdNotFound,
    GroupSubscribedToTopicError,
    NonEmptyGroup,
    UnknownMemberIdError,
)
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition

from .support import ClassicMember, consumer_group_member

pytestmark = pytest.mark.integration


def _group(tag: str) -> str:
    return f"admin-group-{tag}-{os.urandom(4).hex()}"


@pytest.fixture
async def raw_client(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaClient]:
    async with AIOKafkaClient(bootstrap_servers=kafka_bootstrap) as client:
        yield client


async def test_offsets_of_a_group_without_members(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic, group = kafka_topic(2), _group("offsets")
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    results = await admin.alter_consumer_group_offsets(
        group, {p0: OffsetAndMetadata(5, "meta"), p1: 7}
    )
    assert all(r.error is None for r in results.values())
    assert await admin.list_consumer_group_offsets(group) == {
        p0: OffsetAndMetadata(5, "meta"),
        p1: OffsetAndMetadata(7, ""),
    }
    assert await admin.list_consumer_group_offsets(group, partitions=[p1]) == {
        p1: OffsetAndMetadata(7, "")
    }
    deleted = await admin.delete_consumer_group_offsets(group, [p0])
    assert deleted[p0].error is None
    assert list(await admin.list_consumer_group_offsets(group)) == [p1]
    listed = {g.group_id: g for g in await admin.list_consumer_groups()}
    assert listed[group].state == "Empty"
    assert (await admin.delete_consumer_groups([group]))[group].error is None
    assert group not in {g.group_id for g in await admin.list_consumer_groups()}


async def test_classic_group_describe_remove_and_delete(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], raw_client: AIOKafkaClient
) -> None:
    topic, group = kafka_topic(2), _group("classic")
    member = ClassicMember(raw_client, group, instance_id="static-1")
    await member.join(topic, [0, 1])
    described = (await admin.describe_consumer_groups([group], include_authorized_operations=True))[
        group
    ]
    assert (described.group_type, described.state, described.protocol_type) == (
        "classic", "Stable", "consumer"
    )  # fmt: skip
    assert described.protocol == "range" and described.authorized_operations
    (seen,) = described.members
    assert seen.member_id == member.member_id and seen.group_instance_id == "static-1"
    assert seen.assignment == {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    assert described.coordinator == await admin.find_coordinator(group)

    with pytest.raises(NonEmptyGroup):
        await admin.delete_consumer_groups([group])
    with pytest.raises(UnknownMemberIdError):
        await admin.alter_consumer_group_offsets(group, {TopicPartition(topic, 0): 1})
    stable = await admin.list_consumer_groups(states=["Stable"], types=["classic"])
    assert group in {g.group_id for g in stable}
    assert group not in {g.group_id for g in await admin.list_consumer_groups(states=["Empty"])}

    removed = await admin.remove_members_from_consumer_group(
        group, [MemberToRemove(group_instance_id="static-1")], reason="test"
    )
    assert removed["static-1"].error is None
    assert (await admin.describe_consumer_groups([group]))[group].state == "Empty"
    assert (await admin.delete_consumer_groups([group]))[group].error is None


async def test_remove_every_dynamic_member(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], raw_client: AIOKafkaClient
) -> None:
    topic, group = kafka_topic(1), _group("dynamic")
    member = ClassicMember(raw_client, group)
    await member.join(topic, [0])
    removed = await admin.remove_members_from_consumer_group(group)
    assert list(removed) == [member.member_id] and removed[member.member_id].error is None
    assert (await admin.describe_consumer_groups([group]))[group].members == ()


async def test_consumer_protocol_group(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str], raw_client: AIOKafkaClient
) -> None:
    topic, group = kafka_topic(2), _group("kip848")
    member_id = await consumer_group_member(raw_client, group, topic)
    described = (await admin.describe_consumer_groups([group]))[group]
    assert described.group_type == "consumer" and described.protocol == "uniform"
    (seen,) = described.members
    assert seen.member_id == member_id and seen.subscribed_topics == (topic,)
    assert seen.member_epoch is not None and seen.member_epoch >= 1
    assert seen.target_assignment == {TopicPartition(topic, 0), TopicPartition(topic, 1)}
    listed = await admin.list_consumer_groups(types=["consumer"])
    assert group in {g.group_id for g in listed}
    with pytest.raises(NonEmptyGroup):
        await admin.delete_consumer_groups([group])
    subscribed = await admin.delete_consumer_group_offsets(
        group, [TopicPartition(topic, 0)], raise_on_error=False
    )
    assert isinstance(subscribed[TopicPartition(topic, 0)].error, GroupSubscribedToTopicError)


async def test_unknown_groups_fail_alone(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic, known, missing = kafka_topic(1), _group("known"), _group("missing")
    await admin.alter_consumer_group_offsets(known, {TopicPartition(topic, 0): 1})
    described = await admin.describe_consumer_groups([known, missing], raise_on_error=False)
    assert described[known].error is None and described[known].state == "Empty"
    assert isinstance(described[missing].error, GroupIdNotFound)
    deleted = await admin.delete_consumer_groups([missing, known], raise_on_error=False)
    assert isinstance(deleted[missing].error, GroupIdNotFound) and deleted[known].error is None
    with pytest.raises(GroupIdNotFound):
        await admin.delete_consumer_groups([missing])
    with pytest.raises(GroupIdNotFound):
        await admin.describe_consumer_groups([missing])
    assert await admin.list_consumer_group_offsets(missing) == {}
