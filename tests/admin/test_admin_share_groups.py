"""Integration: share-group (KIP-932) administration on the session broker (Kafka 4.4,
share groups on by default), with real members (``AIOKafkaShareConsumer``); and the typed
refusal of a Kafka 3.9.1 broker, which has no share groups."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from share.share_support import consumer, earliest_group, poll_until, produce, wait_for

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.admin.results import ShareGroupDescription
from aiokafka_gen.admin.types import AlterConfigOp, ConfigResource, ConfigResourceType
from aiokafka_gen.errors import GroupIdNotFound, IncompatibleBrokerVersion, NonEmptyGroup
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition
from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration


async def _start_offset(admin: AIOKafkaAdminClient, group: str, tp: TopicPartition) -> int | None:
    return (await admin.list_share_group_offsets(group, [tp]))[tp]


async def _described(admin: AIOKafkaAdminClient, group: str) -> ShareGroupDescription:
    return (await admin.describe_share_groups([group]))[group]


async def test_share_group_admin_lifecycle(
    kafka_bootstrap: str, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    """List, describe, start offsets (listed, altered, deleted) and deletion of a share
    group that a real share consumer uses."""
    topic = kafka_topic(1)
    tp = TopicPartition(topic, 0)
    group = await earliest_group(kafka_bootstrap)
    await produce(kafka_bootstrap, topic, 10)
    member = consumer(kafka_bootstrap, group, topic, client_id="share-admin-test")
    await member.start()
    try:
        got = await poll_until(member, lambda rs: len(rs) >= 10, 60)
        assert sorted(r.offset for r in got) == list(range(10))
        assert all(e is None for e in (await member.commit()).values())

        # listed as a share group, found by state too
        async def listed() -> bool:
            return any(g.group_id == group for g in await admin.list_share_groups())

        await wait_for(listed, 30, "the group in list_share_groups")
        (listing,) = [g for g in await admin.list_share_groups() if g.group_id == group]
        assert listing.type == "share" and listing.protocol_type == "share"
        assert listing.state == "Stable"
        stable = await admin.list_share_groups(states=["Stable"])
        assert group in {g.group_id for g in stable}
        assert group not in {g.group_id for g in await admin.list_share_groups(states=["Empty"])}
        assert group not in {
            g.group_id for g in await admin.list_consumer_groups(types=["consumer"])
        }

        # described: the member, its assignment and the epochs
        described = await _described(admin, group)
        assert described.error is None and described.state == "Stable"
        (m,) = described.members
        assert m.client_id == "share-admin-test" and m.client_host
        assert m.member_id == member.group_health().member_id
        assert m.assignment == frozenset({tp}) and m.subscribed_topics == (topic,)
        assert m.member_epoch > 0 and described.group_epoch >= 1
        assert described.assignment_epoch >= 1 and described.coordinator >= 0
        assert described.authorized_operations is None

        # the start offset advances as records are acknowledged (the broker persists it
        # lazily: it may trail the last acknowledged offset by a round of acknowledgements)
        first = await _start_offset(admin, group, tp)
        assert first is not None and 0 <= first <= 10
        listed_all = await admin.list_share_group_offsets(group)
        assert listed_all == {tp: first}
        await produce(kafka_bootstrap, topic, 10)
        more = await poll_until(member, lambda rs: len(rs) >= 10, 60)
        assert sorted(r.offset for r in more) == list(range(10, 20))
        assert all(e is None for e in (await member.commit()).values())

        async def advanced() -> bool:
            start = await _start_offset(admin, group, tp)
            return start is not None and first < start <= 20

        await wait_for(advanced, 30, f"the start offset to advance past {first}")

        # refused while a member is active, each with a typed error
        with pytest.raises(NonEmptyGroup) as refused:
            await admin.delete_share_groups([group])
        assert group in refused.value.errors  # type: ignore[attr-defined]
        with pytest.raises(NonEmptyGroup):
            await admin.alter_share_group_offsets(group, {tp: 5})
        with pytest.raises(NonEmptyGroup):
            await admin.delete_share_group_offsets(group, [topic])
        results = await admin.delete_share_groups([group], raise_on_error=False)
        assert isinstance(results[group].error, NonEmptyGroup)
    finally:
        await member.stop()

    async def empty() -> bool:
        return (await _described(admin, group)).state == "Empty"

    await wait_for(empty, 60, "the group to be empty after the member left")
    assert (await _described(admin, group)).members == ()

    # altering the start offset moves where the next member starts
    altered = await admin.alter_share_group_offsets(group, {tp: 5})
    assert altered[tp].error is None and (altered[tp].topic, altered[tp].partition) == tp
    assert await _start_offset(admin, group, tp) == 5
    async with consumer(kafka_bootstrap, group, topic) as again:
        redelivered = await poll_until(again, lambda rs: len(rs) >= 15, 60)
        assert sorted(r.offset for r in redelivered) == list(range(5, 20))
        assert all(e is None for e in (await again.commit()).values())
    await wait_for(empty, 60, "the group to be empty again")

    # deleting the topic's state: no start offset is left for it
    deleted = await admin.delete_share_group_offsets(group, [topic])
    assert deleted[topic].error is None and deleted[topic].topic == topic
    assert await admin.list_share_group_offsets(group) == {}
    assert await _start_offset(admin, group, tp) is None

    # an empty group is deleted; afterwards it is unknown
    assert (await admin.delete_share_groups([group]))[group].error is None
    with pytest.raises(GroupIdNotFound):
        await admin.describe_share_groups([group])
    assert group not in {g.group_id for g in await admin.list_share_groups()}


async def test_unknown_and_non_share_groups_are_typed_errors(
    kafka_bootstrap: str, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    unknown = f"share-admin-unknown-{uuid.uuid4().hex[:8]}"
    with pytest.raises(GroupIdNotFound, match=unknown):
        await admin.describe_share_groups([unknown])
    results = await admin.describe_share_groups([unknown], raise_on_error=False)
    assert isinstance(results[unknown].error, GroupIdNotFound)
    with pytest.raises(GroupIdNotFound):
        await admin.delete_share_groups([unknown])
    with pytest.raises(GroupIdNotFound):
        await admin.list_share_group_offsets(unknown)
    tp = TopicPartition(kafka_topic(1), 0)
    await produce(kafka_bootstrap, tp.topic, 1)  # the broker knows the new topic from here on
    with pytest.raises(GroupIdNotFound):
        await admin.delete_share_group_offsets(unknown, [tp.topic])
    # setting a start offset creates the (empty) share group, as Kafka's tool relies on
    assert (await admin.alter_share_group_offsets(unknown, {tp: 0}))[tp].error is None
    assert (await _described(admin, unknown)).state == "Empty"
    assert await admin.list_share_group_offsets(unknown) == {tp: 0}
    assert (await admin.delete_share_groups([unknown]))[unknown].error is None

    # a consumer group of that name is neither described nor deleted as a share group
    classic = f"share-admin-consumer-{uuid.uuid4().hex[:8]}"
    await admin.alter_consumer_group_offsets(classic, {tp: OffsetAndMetadata(0, "")})
    with pytest.raises(GroupIdNotFound):
        await admin.describe_share_groups([classic])
    with pytest.raises(GroupIdNotFound):
        await admin.delete_share_groups([classic])
    assert (await admin.list_consumer_group_offsets(classic))[tp].offset == 0
    await admin.delete_consumer_groups([classic])


async def test_share_group_configs_through_group_config_calls(
    admin: AIOKafkaAdminClient,
) -> None:
    """The share group configs are GROUP resource configs (describe / alter)."""
    group = f"share-admin-configs-{uuid.uuid4().hex[:8]}"
    resource = ConfigResource(ConfigResourceType.GROUP, group)
    wanted = {
        "share.auto.offset.reset": "earliest",
        "share.isolation.level": "read_committed",
        "share.record.lock.duration.ms": "20000",
        "share.delivery.count.limit": "3",
    }
    await admin.incremental_alter_configs(
        {resource: [AlterConfigOp(k, v) for k, v in wanted.items()]}
    )

    async def applied() -> bool:
        entries = (await admin.describe_configs([resource]))[resource].entries
        return {k: entries[k].value for k in wanted if k in entries} == wanted

    await wait_for(applied, 30, "the share group configs")


@pytest.fixture(scope="module")
def kafka_391() -> Iterator[KafkaCluster]:
    with KafkaCluster(kafka_version="3.9.1") as cluster:
        yield cluster


@pytest.mark.slow
async def test_broker_without_share_groups_is_refused_typed(kafka_391: KafkaCluster) -> None:
    """Kafka 3.9.1 has no share-group APIs: every call fails at once, before sending
    anything, with IncompatibleBrokerVersion naming share groups and Kafka 4.1+."""
    tp = TopicPartition("t", 0)
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_391.bootstrap(), request_timeout_ms=15000
    ) as admin:
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: admin.list_share_groups(),
            lambda: admin.describe_share_groups(["g"]),
            lambda: admin.delete_share_groups(["g"]),
            lambda: admin.list_share_group_offsets("g"),
            lambda: admin.alter_share_group_offsets("g", {tp: 0}),
            lambda: admin.delete_share_group_offsets("g", ["t"]),
        ]
        for call in calls:
            began = time.monotonic()
            with pytest.raises(IncompatibleBrokerVersion) as info:
                await call()
            assert time.monotonic() - began < 10
            text = str(info.value)
            assert "share groups" in text and "Kafka 4.1+" in text, text
        # nothing was deleted as a side effect: the consumer-group API still answers
        assert await admin.list_consumer_groups() == []
