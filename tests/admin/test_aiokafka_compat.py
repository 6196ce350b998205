"""Integration: aiokafka 0.14's admin client and ours side by side on the same broker.

Where aiokafka returns plain data (a dict, tuples, ints, NamedTuples) ours must read the
same: these tests ask both clients the same question and compare the answers as aiokafka
code would use them. The calls whose results differ on purpose are listed, with their
rewrites, in docs/migration-from-aiokafka.md (checked against aiokafka's method list in
test_api.py).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiokafka.admin as peer_admin
import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka_gen.admin.results import DeletedRecords, GroupListing
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition

from .support import ClassicMember, produce, settled

pytestmark = pytest.mark.integration


@pytest.fixture
async def peer(kafka_bootstrap: str) -> AsyncIterator[Any]:
    """aiokafka's own admin client, started, on the session broker."""
    client = peer_admin.AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


def _group(tag: str) -> str:
    return f"admin-compat-{tag}-{os.urandom(4).hex()}"


async def test_describe_cluster_reads_as_aiokafkas_dict(
    admin: AIOKafkaAdminClient, peer: Any
) -> None:
    theirs = await peer.describe_cluster()
    ours = await admin.describe_cluster()
    assert isinstance(ours, Mapping) and list(ours) == list(theirs)
    assert dict(ours) == theirs
    assert ours["brokers"] == theirs["brokers"] and ours["cluster_id"] == ours.cluster_id
    assert [b["node_id"] for b in ours["brokers"]] == [b.node_id for b in ours.brokers]


async def test_described_topics_read_as_aiokafkas_dicts(
    admin: AIOKafkaAdminClient, peer: Any, kafka_topic: Callable[..., str]
) -> None:
    topic, missing = kafka_topic(3), f"admin-compat-missing-{os.urandom(4).hex()}"
    theirs = await peer.describe_topics([topic, missing])
    ours = await admin.describe_topics([topic, missing], raise_on_error=False)

    def normal(entry: Mapping[str, Any]) -> dict[str, Any]:
        found = dict(entry)
        found["partitions"] = sorted(found["partitions"], key=lambda p: p["partition"])
        return found

    by_topic = {entry["topic"]: normal(entry) for entry in theirs}
    assert {d["topic"]: dict(d) for d in ours.values()} == by_topic
    assert by_topic[missing]["error_code"] == 3 and ours[missing]["error_code"] == 3
    first = ours[topic]["partitions"][0]
    assert (first["partition"], first["leader"]) == (0, ours[topic].partitions[0].leader)


async def test_listed_groups_are_aiokafkas_tuples(
    admin: AIOKafkaAdminClient,
    peer: Any,
    kafka_topic: Callable[..., str],
    kafka_bootstrap: str,
) -> None:
    topic = kafka_topic(1)
    empty, joined = _group("empty"), _group("joined")
    await admin.alter_consumer_group_offsets(empty, {TopicPartition(topic, 0): 1})
    async with AIOKafkaClient(bootstrap_servers=kafka_bootstrap) as raw:
        await ClassicMember(raw, joined).join(topic, [0])
        theirs = [row for row in await peer.list_consumer_groups() if row[0] in (empty, joined)]
        ours = [row for row in await admin.list_consumer_groups() if row[0] in (empty, joined)]
    assert sorted(theirs) == [(empty, ""), (joined, "consumer")]
    assert ours == sorted(theirs) and set(ours) == set(theirs)
    for row in ours:
        group_id, protocol_type = row  # aiokafka's unpacking
        assert isinstance(row, GroupListing) and (group_id, protocol_type) in theirs
        assert row[0] == row.group_id and row[1] == row.protocol_type
    assert {row.group_id: row.state for row in ours} == {empty: "Empty", joined: "Stable"}


async def test_delete_records_values_are_aiokafkas_ints(
    admin: AIOKafkaAdminClient,
    peer: Any,
    kafka_topic: Callable[..., str],
    kafka_bootstrap: str,
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 5)
    tp = TopicPartition(topic, 0)
    theirs = await peer.delete_records({tp: peer_admin.RecordsToDelete(2)})
    ours = await admin.delete_records({tp: RecordsToDelete(2)})  # already at 2: the same answer
    assert theirs == {tp: 2} and ours == theirs
    assert isinstance(ours[tp], DeletedRecords) and isinstance(ours[tp], int)
    assert ours[tp] + 1 == 3 and str(ours[tp]) == "2" and ours[tp].error is None
    moved = await admin.delete_records({tp: 4})
    assert moved[tp] == 4 == moved[tp].low_watermark
    assert await peer.delete_records({tp: peer_admin.RecordsToDelete(4)}) == moved


async def test_group_offsets_and_coordinator_match(
    admin: AIOKafkaAdminClient, peer: Any, kafka_topic: Callable[..., str]
) -> None:
    topic, group = kafka_topic(2), _group("offsets")
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await admin.alter_consumer_group_offsets(group, {p0: OffsetAndMetadata(5, "m")})
    assert await admin.find_coordinator(group) == await peer.find_coordinator(group)
    asks: list[list[TopicPartition] | None] = [None, [p0, p1], [p1], []]
    for partitions in asks:
        theirs = await peer.list_consumer_group_offsets(group, partitions=partitions)
        ours = await admin.list_consumer_group_offsets(group, partitions=partitions)
        assert ours == theirs, partitions
    assert await admin.list_consumer_group_offsets(group, None, [p0, p1]) == {
        p0: (5, "m"),
        p1: (-1, ""),
    }


async def test_list_topics_matches(
    admin: AIOKafkaAdminClient, peer: Any, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic()

    async def both() -> tuple[list[str], list[str]]:
        return await admin.list_topics(), await peer.list_topics()

    # Other tests' deletions settle in the background: compare once both agree.
    ours, theirs = await settled(both, lambda pair: sorted(pair[1]) == pair[0])
    assert ours == sorted(theirs) and topic in ours
