"""Compatibility: share groups (KIP-932). Whether the broker has them is read from the
broker (its ApiVersions answer: the ShareGroupHeartbeat API and the finalized
``share.version`` feature), never from a list of releases."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.admin.types import AlterConfigOp, ConfigResource, ConfigResourceType
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig
from aiokafka_gen.errors import UnsupportedVersionError
from aiokafka_gen.share import AIOKafkaShareConsumer, ShareConsumerRecord
from aiokafka_gen.testing import KafkaCluster

from .conftest import SHARE_FEATURE, Cell
from .support import DEADLINE_S, client_options, expect_error, produce

pytestmark = pytest.mark.integration

HEARTBEAT_API = "ShareGroupHeartbeat"


async def _broker_share_support(cluster: KafkaCluster) -> tuple[bool, int]:
    """(does the broker speak ShareGroupHeartbeat, its finalized share.version level)."""
    host, port = cluster.bootstrap().split(",")[0].rsplit(":", 1)
    conn = BrokerConnection(host, int(port), ConnectionConfig())
    await conn.connect()
    try:
        assert conn.versions is not None
        names = {name.split(" (key")[0] for name in conn.versions.negotiated()}
    finally:
        await conn.close()
    async with AIOKafkaAdminClient(**client_options(cluster)) as admin:
        level = (await admin.describe_features()).finalized.get(SHARE_FEATURE)
    return HEARTBEAT_API in names, 0 if level is None else level.max_version


async def test_matrix_share_groups(
    compat_cluster: KafkaCluster,
    compat_cell: Callable[[str], Cell],
    unique: Callable[[str], str],
    record_state: dict[str, Any],
) -> None:
    cell = compat_cell("share-groups")
    options = client_options(compat_cluster)
    topic = unique("t")
    group = unique("sg")
    has_api, level = await _broker_share_support(compat_cluster)
    if not has_api:
        member = AIOKafkaShareConsumer(topic, **options, group_id=group)
        began = time.monotonic()
        error = await expect_error(member.start, UnsupportedVersionError)
        await member.stop()
        assert time.monotonic() - began < 10, "the refusal must be immediate"
        text = str(error)
        assert HEARTBEAT_API in text and "4.1" in text, text
        cell.missing(error)
        return
    assert level >= 1, f"the broker speaks {HEARTBEAT_API} but {SHARE_FEATURE} is {level}"
    if record_state.get("share_setup"):
        cell.note = record_state["share_setup"]
    compat_cluster.create_topic(topic, 1)
    values = [b"share-%d" % i for i in range(5)]
    await produce(options, topic, values)
    async with AIOKafkaAdminClient(**options) as admin:
        resource = ConfigResource(ConfigResourceType.GROUP, group)
        await admin.incremental_alter_configs(
            {resource: [AlterConfigOp("share.auto.offset.reset", "earliest")]}
        )
    got: list[ShareConsumerRecord] = []
    async with AIOKafkaShareConsumer(
        topic, **options, group_id=group, fetch_max_wait_ms=200
    ) as member:
        deadline = time.monotonic() + DEADLINE_S
        while len(got) < len(values) and time.monotonic() < deadline:
            batch = await member.getmany(timeout_ms=500)
            got.extend(r for records in batch.values() for r in records)
    assert sorted(bytes(r.value or b"") for r in got) == sorted(values)
    assert all(r.delivery_count == 1 for r in got)
