"""Golden byte vectors computed by hand from the specs (not by running our encoder).

Each vector is annotated field by field; they pin the wire format independently of the
generator: a non-flexible message, a flexible one with a known tagged field, a nullable
struct, a uuid, the request header's classic client id in v2, and unknown-tag retention.
"""

from __future__ import annotations

import uuid

import pytest
from aiokafka_gen.messages import (
    ApiVersionsResponse,
    DescribeTopicPartitionsRequest,
    HeartbeatRequest,
    MetadataRequest,
    RequestHeader,
)
from aiokafka_gen.messages.api_versions_response import ApiVersion
from aiokafka_gen.messages.describe_topic_partitions_request import Cursor, TopicRequest
from aiokafka_gen.messages.metadata_request import MetadataRequestTopic

from aiokafka_gen.errors import EncodeError, FieldVersionError

TOPIC_ID = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")


def check(obj: object, version: int, expected: bytes) -> None:
    assert obj.encode(version) == expected  # type: ignore[attr-defined]
    assert type(obj).decode(expected, version) == obj  # type: ignore[attr-defined]


def test_heartbeat_v0_non_flexible() -> None:
    obj = HeartbeatRequest(group_id="g", generation_id=1, member_id="m")
    expected = bytes.fromhex(
        "0001"
        "67"  # group_id: int16 length 1, "g"
        "00000001"  # generation_id
        "0001"
        "6d"  # member_id
    )
    check(obj, 0, expected)


def test_heartbeat_v4_flexible_compact_strings_and_null() -> None:
    obj = HeartbeatRequest(group_id="g", generation_id=1, member_id="m", group_instance_id=None)
    expected = bytes.fromhex(
        "02"
        "67"  # compact string: uvarint(len + 1)
        "00000001"
        "02"
        "6d"
        "00"  # group_instance_id: compact null
        "00"  # empty tag section
    )
    check(obj, 4, expected)


def test_api_versions_response_v3_tagged_field() -> None:
    obj = ApiVersionsResponse(
        error_code=0,
        api_keys=[ApiVersion(api_key=18, min_version=0, max_version=4)],
        throttle_time_ms=0,
        finalized_features_epoch=5,
    )
    expected = bytes.fromhex(
        "0000"  # error_code
        "02"  # api_keys: compact array of 1
        "0012"
        "0000"
        "0004"
        "00"  # ApiVersion + its (empty) tag section
        "00000000"  # throttle_time_ms
        "01"  # one tagged field (the defaults of tags 0, 2, 3 are not written)
        "01"
        "08"
        "0000000000000005"  # tag 1, size 8, finalized_features_epoch
    )
    check(obj, 3, expected)


def test_unknown_tags_are_kept_and_written_back_in_order() -> None:
    wire = bytes.fromhex(
        "0000"
        "01"
        "00000000"  # error_code, empty api_keys, throttle_time_ms
        "02"  # two tagged fields
        "01"
        "08"
        "0000000000000005"  # known tag 1
        "07"
        "02"
        "abcd"  # unknown tag 7
    )
    obj = ApiVersionsResponse.decode(wire, 3)
    assert obj.finalized_features_epoch == 5
    assert obj.unknown_tagged_fields == [(7, b"\xab\xcd")]
    assert obj.encode(3) == wire


def test_nullable_struct_marker() -> None:
    null_cursor = DescribeTopicPartitionsRequest(topics=[TopicRequest(name="t")])
    check(null_cursor, 0, bytes.fromhex("02027400000007d0ff00"))
    with_cursor = DescribeTopicPartitionsRequest(
        topics=[], cursor=Cursor(topic_name="t", partition_index=3)
    )
    expected = bytes.fromhex(
        "01"  # empty compact array
        "000007d0"  # response_partition_limit default 2000
        "01"
        "0274"
        "00000003"
        "00"  # cursor present marker, struct, its tags
        "00"
    )
    check(with_cursor, 0, expected)


def test_metadata_request_v10_uuid_and_null_name() -> None:
    obj = MetadataRequest(
        topics=[MetadataRequestTopic(topic_id=TOPIC_ID, name=None)],
        allow_auto_topic_creation=True,
    )
    expected = bytes.fromhex(
        "02"  # one topic
        "00112233445566778899aabbccddeeff"  # topic_id: 16 raw bytes
        "00"
        "00"  # name: compact null; topic tag section
        "01"
        "00"
        "00"  # allow_auto, include_cluster_ops (v8-10), include_topic_ops
        "00"
    )
    check(obj, 10, expected)


def test_metadata_request_null_topics_means_all() -> None:
    check(MetadataRequest(topics=None), 1, bytes.fromhex("ffffffff"))
    check(MetadataRequest(topics=[]), 1, bytes.fromhex("00000000"))


def test_request_header_v2_keeps_classic_client_id() -> None:
    obj = RequestHeader(request_api_key=3, request_api_version=12, correlation_id=7, client_id="c")
    expected = bytes.fromhex("0003000c0000000700016300")
    check(obj, 2, expected)


def test_field_missing_from_version_is_a_typed_error() -> None:
    obj = MetadataRequest(topics=[], include_cluster_authorized_operations=True)
    with pytest.raises(FieldVersionError) as info:
        obj.encode(11)
    assert info.value.field == "include_cluster_authorized_operations"
    assert info.value.version == 11


def test_ignorable_field_is_dropped_silently() -> None:
    obj = ApiVersionsResponse(throttle_time_ms=100)  # ignorable, absent in v0
    assert obj.encode(0) == bytes.fromhex("000000000000")


def test_unknown_tags_cannot_go_to_a_non_flexible_version() -> None:
    obj = MetadataRequest(topics=[MetadataRequestTopic(name="t")])
    obj.topics[0]._unknown_tags = [(7, b"x")]  # type: ignore[index]
    assert MetadataRequest.decode(obj.encode(9), 9) == obj  # kept where flexible
    with pytest.raises(EncodeError, match="not flexible"):
        obj.encode(8)
