"""Helpers for the admin tests: SASL admin clients, records, and real groups made with raw
group requests through our client (classic JoinGroup/SyncGroup, KIP-848 heartbeats)."""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka_gen.errors import for_code
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster

T = TypeVar("T")


async def settled(
    fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, tries: int = 50
) -> T:
    """``fetch()`` again, 0.2 s apart, until ``done`` holds of its result (at most
    ``tries`` times); the last result either way, for the test to assert on. Admin changes
    (topics, configs, quotas, ACLs, SCRAM users) are metadata records: the controller
    acknowledges them before the broker that answers a describe has replayed them."""
    found = await fetch()
    for _ in range(tries - 1):
        if done(found):
            break
        await asyncio.sleep(0.2)
        found = await fetch()
    return found


def sasl_admin(
    cluster: KafkaCluster, user: str, *, mechanism: str = "PLAIN", password: str | None = None
) -> AIOKafkaAdminClient:
    """An admin client logged in as ``user`` on the SASL listener."""
    return AIOKafkaAdminClient(
        bootstrap_servers=cluster.bootstrap("SASL_PLAINTEXT"),
        security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism,
        sasl_plain_username=user,
        sasl_plain_password=cluster.credentials[user] if password is None else password,
        request_timeout_ms=15000,
    )  # fmt: skip


async def produce(
    bootstrap: str,
    topic: str,
    count: int,
    *,
    partition: int = 0,
    timestamps: list[int] | None = None,
) -> None:
    """Write ``count`` records to one partition (with explicit timestamps if given)."""
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all") as producer:
        for i in range(count):
            stamp = None if timestamps is None else timestamps[i]
            await producer.send_and_wait(topic, b"v%d" % i, partition=partition, timestamp_ms=stamp)


def _subscription(topics: list[str]) -> bytes:
    """ConsumerProtocolSubscription v0: int16 version, topics, null user data."""
    out = struct.pack(">hi", 0, len(topics))
    for topic in topics:
        raw = topic.encode()
        out += struct.pack(">h", len(raw)) + raw
    return out + struct.pack(">i", -1)


def assignment_bytes(assigned: dict[str, list[int]]) -> bytes:
    """ConsumerProtocolAssignment v0 bytes."""
    out = struct.pack(">hi", 0, len(assigned))
    for topic, partitions in assigned.items():
        raw = topic.encode()
        out += struct.pack(">h", len(raw)) + raw + struct.pack(">i", len(partitions))
        out += b"".join(struct.pack(">i", p) for p in partitions)
    return out + struct.pack(">i", -1)


_COORDINATOR_NOT_READY = {14, 15, 16}  # loading, not available, not the coordinator


async def send_to_coordinator(client: AIOKafkaClient, group: str, request: Any) -> Any:
    """Send ``request`` to ``group``'s coordinator; while a fresh broker is still loading
    the offsets partition (or the coordinator moves), ask again for up to 30 s."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        node = await client.coordinator_lookup(CoordinationType.GROUP, group)
        response = await client.send(node, request, group=ConnectionGroup.COORDINATION)
        code = response.error_code
        if code not in _COORDINATOR_NOT_READY or asyncio.get_running_loop().time() > deadline:
            return response
        client.coordinator_error(CoordinationType.GROUP, group, code)
        await asyncio.sleep(0.2)


class ClassicMember:
    """One member of a classic consumer group, joined and synced with raw requests."""

    def __init__(self, client: AIOKafkaClient, group: str, instance_id: str | None = None):
        self.client = client
        self.group = group
        self.instance_id = instance_id
        self.member_id = ""
        self.generation = -1

    async def _send(self, request: Any) -> Any:
        return await send_to_coordinator(self.client, self.group, request)

    async def join(self, topic: str, partitions: list[int]) -> None:
        """Join (retrying MEMBER_ID_REQUIRED) and sync, assigning ``partitions`` to itself."""
        from aiokafka_gen.messages.join_group_request import (
            JoinGroupRequest,
            JoinGroupRequestProtocol,
        )
        from aiokafka_gen.messages.sync_group_request import (
            SyncGroupRequest,
            SyncGroupRequestAssignment,
        )

        for _ in range(3):
            response = await self._send(JoinGroupRequest(
                group_id=self.group, session_timeout_ms=45000, rebalance_timeout_ms=10000,
                member_id=self.member_id, group_instance_id=self.instance_id,
                protocol_type="consumer",
                protocols=[JoinGroupRequestProtocol(name="range", metadata=_subscription([topic]))],
            ))  # fmt: skip
            self.member_id = response.member_id
            if response.error_code != 79:  # MEMBER_ID_REQUIRED
                break
        if response.error_code:
            raise for_code(response.error_code)("join")
        self.generation = response.generation_id
        mine = assignment_bytes({topic: partitions})
        sync = await self._send(SyncGroupRequest(
            group_id=self.group, generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.instance_id, protocol_type="consumer", protocol_name="range",
            assignments=[SyncGroupRequestAssignment(member_id=self.member_id, assignment=mine)],
        ))  # fmt: skip
        if sync.error_code:
            raise for_code(sync.error_code)("sync")


async def consumer_group_member(client: AIOKafkaClient, group: str, topic: str) -> str:
    """Join a KIP-848 consumer group with ConsumerGroupHeartbeats until the broker assigned
    the member something (a topic created a moment ago may not be in the group
    coordinator's metadata at the first heartbeat); the member id."""
    from aiokafka_gen.messages.consumer_group_heartbeat_request import (
        ConsumerGroupHeartbeatRequest,
    )

    member_id, epoch = str(uuid.uuid4()), 0
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        response = await send_to_coordinator(client, group, ConsumerGroupHeartbeatRequest(
            group_id=group, member_id=member_id, member_epoch=epoch, rebalance_timeout_ms=30000,
            subscribed_topic_names=[topic] if epoch == 0 else None,
            server_assignor="uniform" if epoch == 0 else None,
            topic_partitions=[] if epoch == 0 else None,
        ))  # fmt: skip
        if response.error_code:
            raise for_code(response.error_code)(response.error_message or "heartbeat")
        member_id, epoch = response.member_id or member_id, response.member_epoch
        assigned = response.assignment is not None and any(
            t.partitions for t in response.assignment.topic_partitions
        )
        if assigned or asyncio.get_running_loop().time() > deadline:
            return member_id
        await asyncio.sleep(0.3)
