"""Consumer group administration: list, describe, delete, offsets, member removal.

Every group API goes to the group's coordinator (lookups for many groups share one
batched FindCoordinator); NOT_COORDINATOR-like answers drop the cached coordinator and
the group is retried. ListGroups goes to every broker. Describe asks ConsumerGroupDescribe
first (KIP-848 groups) and DescribeGroups for the groups it does not know (classic).
OffsetFetch/OffsetCommit are capped at v9: v10 names topics by id only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey, ErrorCode
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin._group_parse import classic_group, consumer_group
from aiokafka_gen.admin.results import (
    GroupDescription,
    GroupListing,
    GroupResult,
    MemberRemovalResult,
    PartitionResult,
    raise_for_errors,
)
from aiokafka_gen.admin.types import MemberToRemove, group_by_topic
from aiokafka_gen.client import CoordinationType
from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaError
from aiokafka_gen.messages.consumer_group_describe_request import ConsumerGroupDescribeRequest
from aiokafka_gen.messages.delete_groups_request import DeleteGroupsRequest
from aiokafka_gen.messages.describe_groups_request import DescribeGroupsRequest
from aiokafka_gen.messages.leave_group_request import LeaveGroupRequest, MemberIdentity
from aiokafka_gen.messages.leave_group_response import LeaveGroupResponse
from aiokafka_gen.messages.list_groups_request import ListGroupsRequest
from aiokafka_gen.messages.offset_commit_request import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
)
from aiokafka_gen.messages.offset_commit_response import OffsetCommitResponse
from aiokafka_gen.messages.offset_delete_request import (
    OffsetDeleteRequest,
    OffsetDeleteRequestPartition,
    OffsetDeleteRequestTopic,
)
from aiokafka_gen.messages.offset_delete_response import OffsetDeleteResponse
from aiokafka_gen.messages.offset_fetch_request import (
    OffsetFetchRequest,
    OffsetFetchRequestGroup,
    OffsetFetchRequestTopic,
    OffsetFetchRequestTopics,
)
from aiokafka_gen.messages.offset_fetch_response import (
    OffsetFetchResponse,
    OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
)
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition

TP = TopicPartition
GROUP = CoordinationType.GROUP
T = TypeVar("T")


@dataclass(frozen=True)
class _Offsets:
    offsets: dict[TP, OffsetAndMetadata] = field(default_factory=dict)
    error: KafkaError | None = None


@dataclass(frozen=True)
class _Answer(Generic[T]):
    response: T | None
    error: KafkaError | None = None


@dataclass(frozen=True)
class _Partitions:
    results: dict[TP, PartitionResult] = field(default_factory=dict)
    error: KafkaError | None = None


# what ConsumerGroupDescribe answers for a group that is not a consumer-protocol group
# (no flag says so): such a group is then described as a classic one
_NOT_A_CONSUMER_GROUP = frozenset({ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.UNSUPPORTED_VERSION})


class GroupsMixin(AdminBase):
    """list/describe/delete_consumer_groups, group offsets, member removal,
    find_coordinator."""

    async def find_coordinator(self, group_id: str, coordinator_type: int = 0) -> int:
        """The node id of the coordinator of a group (0) or transactional id (1)."""
        self._check_started()

        async def attempt(keys: list[str]) -> dict[str, _Answer[int]]:
            groups, errors = await self._by_coordinator(coordinator_type, keys)
            if errors:
                return {group_id: _Answer(None, errors[group_id])}
            return {group_id: _Answer(next(iter(groups)))}

        answer = (await self._retrying([group_id], attempt))[group_id]
        if answer.error is not None:
            raise answer.error
        assert answer.response is not None  # an answer without an error has the node
        return int(answer.response)

    async def list_consumer_groups(
        self,
        broker_ids: Iterable[int] | None = None,
        *,
        states: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
    ) -> list[GroupListing]:
        """Groups coordinated by ``broker_ids`` (None: every broker), optionally only those
        in ``states`` ("Stable", "Empty", ...; ListGroups v4+) or of ``types`` ("classic",
        "consumer", "share", "streams"; v5+)."""
        self._check_started()
        if broker_ids is None:
            broker_ids = sorted(b.nodeId for b in self._client.cluster.brokers())
        request = ListGroupsRequest(
            states_filter=list(states or ()), types_filter=list(types or ())
        )

        async def one(node: int) -> list[GroupListing]:
            response = await self._send(request, node)
            if error := result_error(response.error_code, None, f"groups of broker {node}"):
                raise error
            return [
                GroupListing(
                    g.group_id, g.protocol_type, g.group_state or None, g.group_type or None
                )
                for g in response.groups
            ]

        found: dict[str, GroupListing] = {}
        for listings in await asyncio.gather(*(one(n) for n in broker_ids)):
            found.update((g.group_id, g) for g in listings)
        return sorted(found.values(), key=lambda g: g.group_id)

    async def describe_consumer_groups(
        self,
        group_ids: Iterable[str],
        group_coordinator_id: int | None = None,
        include_authorized_operations: bool = False,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, GroupDescription]:
        """Describe classic and KIP-848 consumer groups: state, protocol, members and
        their (decoded) assignments. An unknown group fails with GroupIdNotFound."""

        async def send(node: int, groups: list[str]) -> dict[str, GroupDescription]:
            results = await self._describe_consumer(node, groups, include_authorized_operations)
            classic = [g for g in groups if g not in results]
            if classic:
                results.update(
                    await self._describe_classic(node, classic, include_authorized_operations)
                )
            for group, result in results.items():
                if (code := getattr(result.error, "errno", 0)) in COORDINATOR_MOVED:
                    self._coordinator_moved(GROUP, group, code)
            return results

        def failed(group: str, error: KafkaError) -> GroupDescription:
            return GroupDescription(group, error=error)

        attempt = self._coordinator_attempt(GROUP, send, failed, group_coordinator_id)
        results = await self._retrying(group_ids, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def _describe_consumer(
        self, node: int, groups: list[str], authorized: bool
    ) -> dict[str, GroupDescription]:
        """KIP-848 groups; the ones it does not know (GROUP_ID_NOT_FOUND) are left out, as
        are all of them when the broker lists the API but has not enabled the protocol (Kafka
        3.7-3.9 answer UNSUPPORTED_VERSION per group): DescribeGroups describes those."""
        try:
            await self._version(node, ApiKey.CONSUMER_GROUP_DESCRIBE, 1)
        except IncompatibleBrokerVersion:
            return {}
        request = ConsumerGroupDescribeRequest(
            group_ids=groups, include_authorized_operations=authorized
        )
        response = await self._send(request, node)
        return {
            g.group_id: consumer_group(g, node, authorized)
            for g in response.groups
            if g.error_code not in _NOT_A_CONSUMER_GROUP
        }

    async def _describe_classic(
        self, node: int, groups: list[str], authorized: bool
    ) -> dict[str, GroupDescription]:
        request = DescribeGroupsRequest(groups=groups, include_authorized_operations=authorized)
        response = await self._send(request, node)
        found = {g.group_id: classic_group(g, node, authorized) for g in response.groups}
        missing = KafkaError("DescribeGroups response lacks this group")
        return {g: found.get(g) or GroupDescription(g, error=missing) for g in groups}

    async def delete_consumer_groups(
        self,
        group_ids: Iterable[str],
        group_coordinator_id: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[str, GroupResult]:
        """Delete empty groups and their committed offsets; a group with members fails
        with NonEmptyGroup, an unknown one with GroupIdNotFound."""

        async def send(node: int, groups: list[str]) -> dict[str, GroupResult]:
            response = await self._send(DeleteGroupsRequest(groups_names=groups), node)
            found = {r.group_id: r for r in response.results}
            results: dict[str, GroupResult] = {}
            for group in groups:
                raw = found.get(group)
                if raw is None:
                    results[group] = GroupResult(group, KafkaError("no answer for this group"))
                    continue
                self._coordinator_moved(GROUP, group, raw.error_code)
                error = result_error(raw.error_code, raw.error_message, f"group {group!r}")
                results[group] = GroupResult(group, error)
            return results

        def failed(group: str, error: KafkaError) -> GroupResult:
            return GroupResult(group, error)

        attempt = self._coordinator_attempt(GROUP, send, failed, group_coordinator_id)
        results = await self._retrying(group_ids, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def list_consumer_group_offsets(
        self,
        group_id: str,
        group_coordinator_id: int | None = None,
        partitions: Iterable[TopicPartition] | None = None,
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """Committed offsets of a group (aiokafka's shape): {partition:
        OffsetAndMetadata}; partitions asked for without a commit have offset -1 (None:
        every partition the group has committed). Any error raises (typed)."""
        wanted = None if partitions is None else checks.partitions(partitions)

        async def send(node: int, groups: list[str]) -> dict[str, _Offsets]:
            version = await self._version(node, ApiKey.OFFSET_FETCH, 9)
            response = await self._send(_offset_fetch(group_id, wanted, version), node, cap=9)
            result = _fetched(group_id, response, version)
            self._coordinator_moved(GROUP, group_id, getattr(result.error, "errno", 0))
            return {group_id: result}

        def failed(group: str, error: KafkaError) -> _Offsets:
            return _Offsets(error=error)

        attempt = self._coordinator_attempt(GROUP, send, failed, group_coordinator_id)
        result = (await self._retrying([group_id], attempt))[group_id]
        if result.error is not None:
            raise result.error
        return result.offsets

    async def alter_consumer_group_offsets(
        self,
        group_id: str,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int],
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, PartitionResult]:
        """Commit offsets for a group that has no active members (with members the
        coordinator refuses: UnknownMemberIdError or similar, per partition)."""
        commits = {
            tp: o if isinstance(o, OffsetAndMetadata) else OffsetAndMetadata(int(o), "")
            for tp, o in zip(checks.partitions(offsets), offsets.values(), strict=True)
        }

        async def send(node: int, groups: list[str]) -> dict[str, _Partitions]:
            response = await self._send(
                _offset_commit(group_id, commits), node, cap=ApiKey.OFFSET_COMMIT
            )
            results = _committed(response)
            return {group_id: self._partitions(group_id, commits, results)}

        return await self._group_partitions(group_id, send, raise_on_error)

    async def delete_consumer_group_offsets(
        self,
        group_id: str,
        partitions: Iterable[TopicPartition],
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, PartitionResult]:
        """Delete committed offsets of partitions the group is not subscribed to (those
        it reads fail with GroupSubscribedToTopicError)."""
        wanted = checks.partitions(partitions)
        topics = [
            OffsetDeleteRequestTopic(
                name=t, partitions=[OffsetDeleteRequestPartition(partition_index=p) for p in ps]
            )
            for t, ps in group_by_topic(wanted).items()
        ]

        async def send(node: int, groups: list[str]) -> dict[str, _Partitions]:
            response = await self._send(OffsetDeleteRequest(group_id=group_id, topics=topics), node)
            if error := result_error(response.error_code, None, f"group {group_id!r}"):
                self._coordinator_moved(GROUP, group_id, response.error_code)
                return {group_id: _Partitions(error=error)}
            results = _committed(response)
            return {group_id: self._partitions(group_id, wanted, results)}

        return await self._group_partitions(group_id, send, raise_on_error)

    def _partitions(
        self, group_id: str, wanted: Iterable[TP], results: dict[TP, PartitionResult]
    ) -> _Partitions:
        missing = KafkaError("no answer for this partition")
        full = {tp: results.get(tp) or PartitionResult(*tp, missing) for tp in wanted}
        for result in full.values():
            if (code := getattr(result.error, "errno", 0)) in COORDINATOR_MOVED:
                self._coordinator_moved(GROUP, group_id, code)
                return _Partitions(full, result.error)
        return _Partitions(full)

    async def _group_partitions(
        self,
        group_id: str,
        send: Callable[[int, list[str]], Awaitable[Mapping[str, _Partitions]]],
        raise_on_error: bool,
    ) -> dict[TopicPartition, PartitionResult]:
        def failed(group: str, error: KafkaError) -> _Partitions:
            return _Partitions(error=error)

        attempt = self._coordinator_attempt(GROUP, send, failed)
        outcome = (await self._retrying([group_id], attempt))[group_id]
        if outcome.error is not None and not outcome.results:
            raise outcome.error
        return dict(raise_for_errors(outcome.results)) if raise_on_error else outcome.results

    async def remove_members_from_consumer_group(
        self,
        group_id: str,
        members: Iterable[MemberToRemove] | None = None,
        *,
        reason: str | None = None,
        raise_on_error: bool = True,
    ) -> dict[str, MemberRemovalResult]:
        """Remove members from a classic group (LeaveGroup v3+): static members by
        ``group_instance_id``, dynamic ones by member id; None removes every current
        member. Keyed by instance id (or member id when there is none)."""
        if members is None:
            described = await self.describe_consumer_groups([group_id])
            members = [
                MemberToRemove(m.group_instance_id, m.member_id)
                for m in described[group_id].members
            ]
        identities = [
            MemberIdentity(member_id=m.member_id, group_instance_id=m.group_instance_id,
                           reason=m.reason or reason)
            for m in members
        ]  # fmt: skip

        async def send(node: int, groups: list[str]) -> dict[str, _Answer[LeaveGroupResponse]]:
            request = LeaveGroupRequest(group_id=group_id, members=identities)
            response = await self._send(request, node)
            self._coordinator_moved(GROUP, group_id, response.error_code)
            error = result_error(response.error_code, None, f"group {group_id!r}")
            return {group_id: _Answer(response, error)}

        def failed(group: str, error: KafkaError) -> _Answer[LeaveGroupResponse]:
            return _Answer(None, error)

        attempt = self._coordinator_attempt(GROUP, send, failed)
        answer = (await self._retrying([group_id], attempt))[group_id]
        if answer.error is not None:
            raise answer.error
        response = answer.response
        assert response is not None  # an answer without an error has the response
        results = {
            m.group_instance_id or m.member_id: MemberRemovalResult(
                m.member_id, m.group_instance_id,
                result_error(m.error_code, None, f"member {m.group_instance_id or m.member_id}"),
            )
            for m in response.members
        }  # fmt: skip
        return dict(raise_for_errors(results)) if raise_on_error else results


def _offset_fetch(group_id: str, wanted: list[TP] | None, version: int) -> OffsetFetchRequest:
    if version >= 8:
        topics = None
        if wanted is not None:
            topics = [
                OffsetFetchRequestTopics(name=t, partition_indexes=ps)
                for t, ps in group_by_topic(wanted).items()
            ]
        return OffsetFetchRequest(
            groups=[OffsetFetchRequestGroup(group_id=group_id, topics=topics)]
        )
    old = None
    if wanted is not None:
        old = [
            OffsetFetchRequestTopic(name=t, partition_indexes=ps)
            for t, ps in group_by_topic(wanted).items()
        ]
    return OffsetFetchRequest(group_id=group_id, topics=old)


def _fetched(group_id: str, response: OffsetFetchResponse, version: int) -> _Offsets:
    topics: list[OffsetFetchResponseTopics] | list[OffsetFetchResponseTopic]
    if version >= 8:
        group = next((g for g in response.groups if g.group_id == group_id), None)
        if group is None:
            return _Offsets(error=KafkaError("OffsetFetch response lacks the group"))
        code, topics = group.error_code, group.topics
    else:
        code, topics = response.error_code, response.topics
    if error := result_error(code, None, f"group {group_id!r}"):
        return _Offsets(error=error)
    offsets: dict[TP, OffsetAndMetadata] = {}
    for topic in topics:
        for p in topic.partitions:
            what = f"group {group_id!r} {topic.name}-{p.partition_index}"
            if error := result_error(p.error_code, None, what):
                return _Offsets(error=error)
            offsets[TP(topic.name, p.partition_index)] = OffsetAndMetadata(
                p.committed_offset, p.metadata or ""
            )
    return _Offsets(offsets)


def _offset_commit(group_id: str, commits: Mapping[TP, OffsetAndMetadata]) -> OffsetCommitRequest:
    topics = [
        OffsetCommitRequestTopic(name=t, partitions=[
            OffsetCommitRequestPartition(
                partition_index=p, committed_offset=commits[TP(t, p)].offset,
                committed_leader_epoch=-1, committed_metadata=commits[TP(t, p)].metadata,
            )
            for p in ps
        ])
        for t, ps in group_by_topic(commits).items()
    ]  # fmt: skip
    return OffsetCommitRequest(
        group_id=group_id, generation_id_or_member_epoch=-1, member_id="", topics=topics
    )


def _committed(response: OffsetCommitResponse | OffsetDeleteResponse) -> dict[TP, PartitionResult]:
    return {
        TP(t.name, p.partition_index): PartitionResult(
            t.name, p.partition_index,
            result_error(p.error_code, None, f"{t.name}-{p.partition_index}"),
        )
        for t in response.topics
        for p in t.partitions
    }  # fmt: skip
