"""The embedded consumer protocol bytes and the membership transition table."""

from __future__ import annotations

import struct

import pytest

from aiokafka_gen.coordinator.membership import MemberEvent, Membership, MemberState
from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from aiokafka_gen.errors import IllegalStateError, KafkaProtocolError
from aiokafka_gen.structs import TopicPartition as TP


def test_subscription_round_trip_v3() -> None:
    meta = ConsumerProtocolMemberMetadata(0, ["b", "a"], b"ud", [TP("a", 1), TP("a", 0)], 7)
    data = encode_subscription(meta)
    assert data[:2] == b"\x00\x03"
    back = decode_subscription(data, "inst")
    assert back.subscription == ["a", "b"] and back.user_data == b"ud"
    assert back.owned_partitions == [TP("a", 0), TP("a", 1)]
    assert back.generation_id == 7 and back.group_instance_id == "inst"


def test_subscription_v0_as_aiokafka_writes_it() -> None:
    # version 0: int16 version, [string] topics, bytes user data
    data = struct.pack(">hih", 0, 1, 1) + b"t" + struct.pack(">i", 2) + b"xy"
    back = decode_subscription(data)
    assert back.version == 0 and back.subscription == ["t"] and back.user_data == b"xy"
    assert back.owned_partitions == [] and back.generation_id == -1


def test_newer_subscription_version_is_read_as_ours() -> None:
    meta = ConsumerProtocolMemberMetadata(0, ["t"], None)
    data = b"\x00\x09" + encode_subscription(meta)[2:] + b"future-fields"
    assert decode_subscription(data).subscription == ["t"]


def test_assignment_round_trip_accepts_aiokafka_shapes() -> None:
    ours = ConsumerProtocolMemberAssignment(0, [("t", [2, 0])], b"u")
    back = decode_assignment(encode_assignment(ours))
    assert back.partitions() == [TP("t", 0), TP("t", 2)] and back.user_data == b"u"

    class AiokafkaLike:
        def __init__(self) -> None:
            self.assignment = [("x", [1])]
            self.user_data = b""

    assert decode_assignment(encode_assignment(AiokafkaLike())).partitions() == [TP("x", 1)]
    assert decode_assignment(b"").partitions() == []


def test_truncated_metadata_is_a_protocol_error() -> None:
    with pytest.raises(KafkaProtocolError):
        decode_subscription(b"\x00")
    with pytest.raises(KafkaProtocolError):
        decode_assignment(b"\xff\xff")


def test_membership_table_happy_paths_and_illegal_events() -> None:
    m = Membership()
    for event in ("join", "joined", "synced", "reconciled"):
        m.fire(MemberEvent(event))
    assert m.state is MemberState.STABLE and m.in_group
    m.fire(MemberEvent.ASSIGNED)
    m.fire(MemberEvent.RECONCILED)
    m.fire(MemberEvent.LEAVE)
    m.fire(MemberEvent.LEFT)
    assert m.state is MemberState.UNJOINED
    with pytest.raises(IllegalStateError):
        m.fire(MemberEvent.SYNCED)
    m.fire(MemberEvent.FATAL)
    with pytest.raises(IllegalStateError):
        m.fire(MemberEvent.JOIN)
    m.fire(MemberEvent.STOP)
    m.fire(MemberEvent.STOP)
    assert m.state is MemberState.STOPPED


@pytest.mark.parametrize("code", [22, 25, 27, 110])
def test_a_commit_refused_for_membership_is_commit_failed(code: int) -> None:
    # 110 FENCED_MEMBER_EPOCH (KIP-848) is a membership change like ILLEGAL_GENERATION:
    # applications catch CommitFailedError for all of them.
    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.coordinator.offsets import OffsetClient
    from aiokafka_gen.errors import CommitFailedError

    offsets = OffsetClient(AIOKafkaClient(), "g", request_timeout_ms=1000, retry_backoff_ms=10)
    with pytest.raises(CommitFailedError):
        offsets._check_codes([code], commit=True)
