"""Encodings far beyond 64 KiB (where buffer-reservation bugs live) and size limits."""

from __future__ import annotations

import pytest
from aiokafka_gen.messages import HeartbeatRequest, MetadataResponse, ProduceRequest
from aiokafka_gen.messages.metadata_response import (
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from aiokafka_gen.messages.produce_request import PartitionProduceData, TopicProduceData

from aiokafka_gen.errors import EncodeError


@pytest.mark.parametrize("version", [5, 13])
def test_large_metadata_response(version: int) -> None:
    partitions = [
        MetadataResponsePartition(partition_index=i, replica_nodes=list(range(40)))
        for i in range(600)
    ]
    obj = MetadataResponse(topics=[MetadataResponseTopic(name="t", partitions=partitions)])
    encoded = obj.encode(version)
    assert len(encoded) > 64 * 1024
    assert MetadataResponse.decode(encoded, version) == obj


@pytest.mark.parametrize("version", [3, 9, 12])
def test_large_records_are_not_copied_on_decode(version: int) -> None:
    blob = bytes(range(256)) * 1024  # 256 KiB
    obj = ProduceRequest(
        acks=-1,
        topic_data=[
            TopicProduceData(name="t", partition_data=[PartitionProduceData(records=blob)])
        ],
    )
    parts: list[bytes | bytearray | memoryview] = []
    obj.encode_into(parts, version)
    assert any(part is blob for part in parts)  # appended, not copied
    encoded = b"".join(parts)
    decoded = ProduceRequest.decode(encoded, version)
    records = decoded.topic_data[0].partition_data[0].records
    assert isinstance(records, memoryview) and records.obj is encoded
    assert records == blob


@pytest.mark.parametrize("version", [0, 4])
def test_string_size_limit(version: int) -> None:
    biggest = HeartbeatRequest(group_id="x" * 32767)
    assert HeartbeatRequest.decode(biggest.encode(version), version) == biggest
    with pytest.raises(EncodeError):
        HeartbeatRequest(group_id="x" * 32768).encode(version)
    with pytest.raises(EncodeError):
        HeartbeatRequest(generation_id=2**31).encode(version)
