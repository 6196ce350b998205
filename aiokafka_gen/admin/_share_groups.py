"""Share group (KIP-932) administration: list, describe, delete, start offsets.

Share groups live at the group coordinator like consumer groups: every call but the
listing goes to the coordinator of its group id (FindCoordinator, key type GROUP), and
NOT_COORDINATOR-like answers drop the cached coordinator and the group is retried.
ListGroups (v5+, types filter "share") goes to every broker. Deleting uses DeleteGroups
after a ShareGroupDescribe on the same coordinator, so that a consumer or classic group of
the same name is never deleted by ``delete_share_groups``. A share group's "offset" on a
partition is its start offset: records before it are never delivered again; records at or
after it are delivered unless the share-partition already acknowledged them.

A broker without share groups (Kafka before 4.1, or 4.1+ with the feature
``share.version`` disabled) does not list the share APIs; each call then fails with
``IncompatibleBrokerVersion`` naming share groups and Kafka 4.1+ before sending anything.
The group configs (``share.auto.offset.reset``, ``share.isolation.level``,
``share.record.lock.duration.ms``, ``share.delivery.count.limit``, ...) are set and read
with ``incremental_alter_configs`` / ``describe_configs`` on GROUP ``ConfigResource``s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey
from aiokafka_gen._validate import check_range
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import result_error
from aiokafka_gen.admin._groups import GroupsMixin
from aiokafka_gen.admin.results import (
    GroupListing,
    GroupResult,
    PartitionResult,
    ShareGroupDescription,
    ShareMemberDescription,
    TopicResult,
    operations,
    raise_for_errors,
)
from aiokafka_gen.admin.results import _HasError as HasError
from aiokafka_gen.admin.types import group_by_topic
from aiokafka_gen.client import CoordinationType
from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaError
from aiokafka_gen.messages.alter_share_group_offsets_request import (
    AlterShareGroupOffsetsRequest,
    AlterShareGroupOffsetsRequestPartition,
    AlterShareGroupOffsetsRequestTopic,
)
from aiokafka_gen.messages.alter_share_group_offsets_response import (
    AlterShareGroupOffsetsResponse,
)
from aiokafka_gen.messages.delete_groups_request import DeleteGroupsRequest
from aiokafka_gen.messages.delete_share_group_offsets_request import (
    DeleteShareGroupOffsetsRequest,
    DeleteShareGroupOffsetsRequestTopic,
)
from aiokafka_gen.messages.delete_share_group_offsets_response import (
    DeleteShareGroupOffsetsResponse,
)
from aiokafka_gen.messages.describe_share_group_offsets_request import (
    DescribeShareGroupOffsetsRequest,
    DescribeShareGroupOffsetsRequestGroup,
    DescribeShareGroupOffsetsRequestTopic,
)
from aiokafka_gen.messages.describe_share_group_offsets_response import (
    DescribeShareGroupOffsetsResponse,
)
from aiokafka_gen.messages.share_group_describe_request import ShareGroupDescribeRequest
from aiokafka_gen.messages.share_group_describe_response import DescribedGroup, Member
from aiokafka_gen.structs import TopicPartition

TP = TopicPartition
GROUP = CoordinationType.GROUP
R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V", bound=HasError)

# The first version each API has in Kafka 4.1 (share groups' first release as preview).
_SHARE_APIS = {
    ApiKey.SHARE_GROUP_DESCRIBE: 1,
    ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS: 0,
    ApiKey.ALTER_SHARE_GROUP_OFFSETS: 0,
    ApiKey.DELETE_SHARE_GROUP_OFFSETS: 0,
}
_LIST_GROUPS_TYPES = 5  # ListGroups' types filter


@dataclass(frozen=True)
class _StartOffsets:
    offsets: dict[TP, int | None] = field(default_factory=dict)
    error: KafkaError | None = None


@dataclass(frozen=True)
class _Outcome(Generic[K, V]):
    """Per-partition or per-topic results of one offsets call, or the group's error."""

    results: dict[K, V] = field(default_factory=dict)
    error: KafkaError | None = None


def share_groups_unsupported(where: str, what: str) -> IncompatibleBrokerVersion:
    """The error for a broker that lacks a share-group API."""
    return IncompatibleBrokerVersion(
        f"share groups (KIP-932) need Kafka 4.1+ (GA in 4.2) with the feature share.version "
        f"enabled; the broker at {where} does not support {what}"
    )


class ShareGroupsMixin(GroupsMixin):
    """list/describe/delete_share_groups and list/alter/delete_share_group_offsets."""

    # ---- support check -----------------------------------------------------------------
    async def _share_version(self, node: int, api: ApiKey, needed: int | None = None) -> int:
        """The version to use for ``api`` on ``node``; IncompatibleBrokerVersion naming
        share groups when the broker does not speak it at ``needed`` (by default the
        API's version in Kafka 4.1)."""
        if needed is None:
            needed = _SHARE_APIS[api]
        try:
            version = await self._version(node, api, checks.INT16_MAX)
        except IncompatibleBrokerVersion:
            version = -1
        if version < needed:
            broker = self._client.cluster.broker_metadata(node)
            where = f"node {node}" if broker is None else f"{broker.host}:{broker.port}"
            name = api.name.title().replace("_", "")
            raise share_groups_unsupported(where, f"{name} v{needed}")
        return version

    async def _one_group(
        self,
        group_id: str,
        send: Callable[[int, list[str]], Awaitable[Mapping[str, R]]],
        failed: Callable[[str, KafkaError], R],
    ) -> R:
        attempt = self._coordinator_attempt(GROUP, send, failed)
        return (await self._retrying([group_id], attempt))[group_id]

    # ---- groups ------------------------------------------------------------------------
    async def list_share_groups(
        self, broker_ids: Iterable[int] | None = None, *, states: Iterable[str] | None = None
    ) -> list[GroupListing]:
        """Share groups coordinated by ``broker_ids`` (None: every broker), optionally only
        those in ``states`` ("Empty", "Stable", ...): ``GroupListing``s with ``type``
        "share" and ``protocol_type`` "share", sorted by group id (ListGroups v5+)."""
        self._check_started()
        nodes = sorted(
            b.nodeId for b in self._client.cluster.brokers()
        ) if broker_ids is None else list(broker_ids)  # fmt: skip

        async def supported(node: int) -> None:
            await self._share_version(node, ApiKey.SHARE_GROUP_DESCRIBE)
            await self._share_version(node, ApiKey.LIST_GROUPS, _LIST_GROUPS_TYPES)

        await asyncio.gather(*(supported(n) for n in nodes))
        # the consumer-group listing with the broker's type filter (ListGroups v5+)
        listings = await self.list_consumer_groups(nodes, states=states, types=["share"])
        return [g for g in listings if (g.type or "share") == "share"]

    async def describe_share_groups(
        self,
        group_ids: Iterable[str],
        group_coordinator_id: int | None = None,
        include_authorized_operations: bool = False,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, ShareGroupDescription]:
        """Describe share groups: state, group and assignment epochs, members (member id,
        client id, host, rack, member epoch, subscribed topics, assigned partitions). A
        group that does not exist, or is not a share group, fails with GroupIdNotFound."""

        async def send(node: int, groups: list[str]) -> dict[str, ShareGroupDescription]:
            return await self._describe_share(node, groups, include_authorized_operations)

        def failed(group: str, error: KafkaError) -> ShareGroupDescription:
            return ShareGroupDescription(group, error=error)

        attempt = self._coordinator_attempt(GROUP, send, failed, group_coordinator_id)
        results = await self._retrying(group_ids, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def _describe_share(
        self, node: int, groups: list[str], authorized: bool
    ) -> dict[str, ShareGroupDescription]:
        await self._share_version(node, ApiKey.SHARE_GROUP_DESCRIBE)
        request = ShareGroupDescribeRequest(
            group_ids=groups, include_authorized_operations=authorized
        )
        response = await self._send(request, node)
        found = {g.group_id: _share_group(g, node, authorized) for g in response.groups}
        missing = KafkaError("ShareGroupDescribe response lacks this group")
        results = {g: found.get(g) or ShareGroupDescription(g, error=missing) for g in groups}
        for group, result in results.items():
            if (code := getattr(result.error, "errno", 0)) in COORDINATOR_MOVED:
                self._coordinator_moved(GROUP, group, code)
        return results

    async def delete_share_groups(
        self,
        group_ids: Iterable[str],
        group_coordinator_id: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, GroupResult]:
        """Delete empty share groups and their share-partition state. A group with
        members fails with NonEmptyGroup; one that does not exist or is not a share
        group (consumer, classic, streams groups are left alone) with GroupIdNotFound."""

        async def send(node: int, groups: list[str]) -> dict[str, GroupResult]:
            described = await self._describe_share(node, groups, False)
            results = {
                g: GroupResult(g, d.error) for g, d in described.items() if d.error is not None
            }
            share = [g for g in groups if g not in results]
            if share:
                response = await self._send(DeleteGroupsRequest(groups_names=share), node)
                answers = {r.group_id: r for r in response.results}
                for group in share:
                    raw = answers.get(group)
                    if raw is None:
                        results[group] = GroupResult(group, KafkaError("no answer for this group"))
                        continue
                    self._coordinator_moved(GROUP, group, raw.error_code)
                    error = result_error(raw.error_code, raw.error_message, f"group {group!r}")
                    results[group] = GroupResult(group, error)
            return {g: results[g] for g in groups}

        def failed(group: str, error: KafkaError) -> GroupResult:
            return GroupResult(group, error)

        attempt = self._coordinator_attempt(GROUP, send, failed, group_coordinator_id)
        results = await self._retrying(group_ids, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    # ---- start offsets -----------------------------------------------------------------
    async def list_share_group_offsets(
        self, group_id: str, partitions: Iterable[TopicPartition] | None = None
    ) -> dict[TopicPartition, int | None]:
        """The share group's start offset per partition: {partition: offset}, None for a
        partition asked for that the group has no state for (None: every partition the
        group has state for). Any error raises (typed): GroupIdNotFound for a group that
        does not exist or is not a share group. The broker persists the start offset as
        acknowledgements are written to the share-group state; it may trail the last
        acknowledged record until the next write."""
        wanted = None if partitions is None else checks.partitions(partitions)
        topics = None
        if wanted is not None:
            topics = [
                DescribeShareGroupOffsetsRequestTopic(topic_name=t, partitions=ps)
                for t, ps in group_by_topic(wanted).items()
            ]
        request = DescribeShareGroupOffsetsRequest(
            groups=[DescribeShareGroupOffsetsRequestGroup(group_id=group_id, topics=topics)]
        )

        async def send(node: int, groups: list[str]) -> dict[str, _StartOffsets]:
            await self._share_version(node, ApiKey.DESCRIBE_SHARE_GROUP_OFFSETS)
            response = await self._send(request, node)
            result = _start_offsets(group_id, response)
            if result.error is None and all(o is None for o in result.offsets.values()):
                # The broker answers an unknown group as a group without state: tell apart.
                known = (await self._describe_share(node, [group_id], False))[group_id]
                if known.error is not None:
                    return {group_id: _StartOffsets(error=known.error)}
            self._coordinator_moved(GROUP, group_id, getattr(result.error, "errno", 0))
            return {group_id: result}

        def failed(group: str, error: KafkaError) -> _StartOffsets:
            return _StartOffsets(error=error)

        result = await self._one_group(group_id, send, failed)
        if result.error is not None:
            raise result.error
        if wanted is None:
            return result.offsets
        return {tp: result.offsets.get(tp) for tp in wanted}

    async def alter_share_group_offsets(
        self,
        group_id: str,
        offsets: Mapping[TopicPartition, int],
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, PartitionResult]:
        """Set the share group's start offset of partitions (the next member starts
        there). The group must have no active members: with members the coordinator
        refuses (NonEmptyGroup); a group that does not exist fails with
        GroupIdNotFound. Per-partition errors as the other multi-resource calls."""
        wanted = checks.partitions(offsets)
        starts = {tp: int(o) for tp, o in zip(wanted, offsets.values(), strict=True)}
        for offset in starts.values():
            check_range("offset", offset, at_least=0, at_most=checks.INT64_MAX)
        topics = [
            AlterShareGroupOffsetsRequestTopic(topic_name=t, partitions=[
                AlterShareGroupOffsetsRequestPartition(
                    partition_index=p, start_offset=starts[TP(t, p)]
                )
                for p in ps
            ])
            for t, ps in group_by_topic(starts).items()
        ]  # fmt: skip
        request = AlterShareGroupOffsetsRequest(group_id=group_id, topics=topics)

        async def send(
            node: int, groups: list[str]
        ) -> dict[str, _Outcome[TopicPartition, PartitionResult]]:
            await self._share_version(node, ApiKey.ALTER_SHARE_GROUP_OFFSETS)
            response = await self._send(request, node)
            if error := self._group_error(group_id, response):
                return {group_id: _Outcome(error=error)}
            found = {
                TP(t.topic_name, p.partition_index): PartitionResult(
                    t.topic_name, p.partition_index,
                    result_error(p.error_code, p.error_message,
                                 f"{t.topic_name}-{p.partition_index}"),
                )
                for t in response.responses
                for p in t.partitions
            }  # fmt: skip
            missing = KafkaError("no answer for this partition")
            full = {tp: found.get(tp) or PartitionResult(*tp, missing) for tp in starts}
            return {group_id: self._outcome(group_id, full)}

        return await self._offsets_outcome(group_id, send, raise_on_error)

    async def delete_share_group_offsets(
        self, group_id: str, topics: Iterable[str], *, raise_on_error: bool = True
    ) -> dict[str, TopicResult]:
        """Delete the share group's state (start offsets, delivery state) of whole
        topics: a member that subscribes again starts where ``share.auto.offset.reset``
        says. The group must have no active members (NonEmptyGroup)."""
        names = list(dict.fromkeys(checks.topics(topics)))
        request = DeleteShareGroupOffsetsRequest(
            group_id=group_id,
            topics=[DeleteShareGroupOffsetsRequestTopic(topic_name=t) for t in names],
        )

        async def send(node: int, groups: list[str]) -> dict[str, _Outcome[str, TopicResult]]:
            await self._share_version(node, ApiKey.DELETE_SHARE_GROUP_OFFSETS)
            response = await self._send(request, node)
            if error := self._group_error(group_id, response):
                return {group_id: _Outcome(error=error)}
            found = {
                t.topic_name: TopicResult(
                    t.topic_name, result_error(t.error_code, t.error_message, t.topic_name)
                )
                for t in response.responses
            }
            missing = KafkaError("no answer for this topic")
            full = {t: found.get(t) or TopicResult(t, missing) for t in names}
            return {group_id: self._outcome(group_id, full)}

        return await self._offsets_outcome(group_id, send, raise_on_error)

    def _group_error(
        self,
        group_id: str,
        response: AlterShareGroupOffsetsResponse | DeleteShareGroupOffsetsResponse,
    ) -> KafkaError | None:
        self._coordinator_moved(GROUP, group_id, response.error_code)
        return result_error(response.error_code, response.error_message, f"group {group_id!r}")

    def _outcome(self, group_id: str, results: dict[K, V]) -> _Outcome[K, V]:
        """Results; a coordinator-moved answer for any of them retries the whole call."""
        for result in results.values():
            if (code := getattr(result.error, "errno", 0)) in COORDINATOR_MOVED:
                self._coordinator_moved(GROUP, group_id, code)
                return _Outcome(results, result.error)
        return _Outcome(results)

    async def _offsets_outcome(
        self,
        group_id: str,
        send: Callable[[int, list[str]], Awaitable[Mapping[str, _Outcome[K, V]]]],
        raise_on_error: bool,
    ) -> dict[K, V]:
        def failed(group: str, error: KafkaError) -> _Outcome[K, V]:
            return _Outcome(error=error)

        outcome = await self._one_group(group_id, send, failed)
        if outcome.error is not None and not outcome.results:
            raise outcome.error
        return dict(raise_for_errors(outcome.results)) if raise_on_error else outcome.results


def _share_member(raw: Member) -> ShareMemberDescription:
    assigned = frozenset(
        TP(t.topic_name, p) for t in raw.assignment.topic_partitions for p in t.partitions
    )
    return ShareMemberDescription(
        raw.member_id, raw.client_id, raw.client_host, assigned, raw.member_epoch,
        raw.rack_id, tuple(raw.subscribed_topic_names),
    )  # fmt: skip


def _share_group(raw: DescribedGroup, node: int, authorized: bool) -> ShareGroupDescription:
    """A ShareGroupDescribe entry as a ShareGroupDescription."""
    return ShareGroupDescription(
        raw.group_id, raw.group_state, tuple(_share_member(m) for m in raw.members),
        raw.group_epoch, raw.assignment_epoch, raw.assignor_name, node,
        operations(raw.authorized_operations) if authorized else None,
        result_error(raw.error_code, raw.error_message, f"group {raw.group_id!r}"),
    )  # fmt: skip


def _start_offsets(group_id: str, response: DescribeShareGroupOffsetsResponse) -> _StartOffsets:
    group = next((g for g in response.groups if g.group_id == group_id), None)
    if group is None:
        return _StartOffsets(error=KafkaError("DescribeShareGroupOffsets lacks the group"))
    if error := result_error(group.error_code, group.error_message, f"group {group_id!r}"):
        return _StartOffsets(error=error)
    offsets: dict[TP, int | None] = {}
    for topic in group.topics:
        for p in topic.partitions:
            what = f"group {group_id!r} {topic.topic_name}-{p.partition_index}"
            if error := result_error(p.error_code, p.error_message, what):
                return _StartOffsets(error=error)
            start = p.start_offset
            offsets[TP(topic.topic_name, p.partition_index)] = None if start < 0 else start
    return _StartOffsets(offsets)
