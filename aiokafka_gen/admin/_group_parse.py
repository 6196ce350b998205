"""Turn DescribeGroups / ConsumerGroupDescribe answers into ``GroupDescription``.

Classic consumer groups carry each member's assignment as ConsumerProtocolAssignment
bytes (an int16 version, then the body); they are decoded here. Bytes that do not decode
(another protocol type, a newer version) leave the assignment empty; the raw bytes stay
on the member.
"""

from __future__ import annotations

import struct

from aiokafka_gen.admin._base import result_error
from aiokafka_gen.admin.results import GroupDescription, MemberDescription, operations
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages.consumer_group_describe_response import Assignment, Member
from aiokafka_gen.messages.consumer_group_describe_response import (
    DescribedGroup as ConsumerDescribedGroup,
)
from aiokafka_gen.messages.consumer_protocol_assignment import ConsumerProtocolAssignment
from aiokafka_gen.messages.describe_groups_response import DescribedGroup, DescribedGroupMember
from aiokafka_gen.structs import TopicPartition

_ASSIGNMENT_MAX_VERSION = 3


def decode_assignment(data: bytes) -> frozenset[TopicPartition]:
    """The partitions in classic ConsumerProtocolAssignment bytes (empty if undecodable)."""
    if len(data) < 2:
        return frozenset()
    (version,) = struct.unpack_from(">h", data)
    try:
        parsed = ConsumerProtocolAssignment.decode(
            memoryview(data)[2:], min(version, _ASSIGNMENT_MAX_VERSION)
        )
    except (KafkaError, ValueError):
        return frozenset()
    return frozenset(
        TopicPartition(t.topic, p) for t in parsed.assigned_partitions for p in t.partitions
    )


def _classic_member(raw: DescribedGroupMember, consumer: bool) -> MemberDescription:
    assignment = bytes(raw.member_assignment)
    return MemberDescription(
        raw.member_id, raw.group_instance_id, raw.client_id, raw.client_host,
        decode_assignment(assignment) if consumer else frozenset(),
        member_metadata=bytes(raw.member_metadata), member_assignment=assignment,
    )  # fmt: skip


def classic_group(raw: DescribedGroup, node: int, authorized: bool) -> GroupDescription:
    """A DescribeGroups entry as a GroupDescription."""
    consumer = raw.protocol_type == "consumer"
    return GroupDescription(
        raw.group_id, "classic", raw.group_state, raw.protocol_type, raw.protocol_data,
        tuple(_classic_member(m, consumer) for m in raw.members), node,
        authorized_operations=operations(raw.authorized_operations) if authorized else None,
        error=result_error(raw.error_code, raw.error_message, f"group {raw.group_id!r}"),
    )  # fmt: skip


def _partitions(assignment: Assignment) -> frozenset[TopicPartition]:
    return frozenset(
        TopicPartition(t.topic_name, p) for t in assignment.topic_partitions for p in t.partitions
    )


def _consumer_member(raw: Member) -> MemberDescription:
    return MemberDescription(
        raw.member_id, raw.instance_id, raw.client_id, raw.client_host,
        _partitions(raw.assignment), _partitions(raw.target_assignment), raw.member_epoch,
        tuple(raw.subscribed_topic_names),
    )  # fmt: skip


def consumer_group(raw: ConsumerDescribedGroup, node: int, authorized: bool) -> GroupDescription:
    """A ConsumerGroupDescribe (KIP-848) entry as a GroupDescription."""
    return GroupDescription(
        raw.group_id, "consumer", raw.group_state, "consumer", raw.assignor_name,
        tuple(_consumer_member(m) for m in raw.members), node, raw.group_epoch,
        raw.assignment_epoch,
        operations(raw.authorized_operations) if authorized else None,
        result_error(raw.error_code, raw.error_message, f"group {raw.group_id!r}"),
    )  # fmt: skip
