"""What decoders accept and what they hand back: bytes are read in place, other buffers
are copied once; records stay views of the buffer; uuids are real uuid.UUID objects;
inline string, bytes and count reads fail with DecodeError like the helper readers do.
"""

from __future__ import annotations

import pickle
import uuid

import pytest
from aiokafka_gen.messages import FetchResponse, MetadataResponse, ProduceRequest
from aiokafka_gen.messages.fetch_response import FetchableTopicResponse, PartitionData
from aiokafka_gen.messages.metadata_response import (
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from aiokafka_gen.messages.produce_request import PartitionProduceData, TopicProduceData

from aiokafka_gen.errors import DecodeError
from aiokafka_gen.protocol import ZERO_UUID

BLOB = bytes(range(256)) * 8


def _produce(version: int) -> tuple[ProduceRequest, bytes]:
    obj = ProduceRequest(
        acks=-1,
        topic_data=[
            TopicProduceData(name="t", partition_data=[PartitionProduceData(records=BLOB)])
        ],
    )
    return obj, obj.encode(version)


def _records(decoded: ProduceRequest) -> memoryview:
    records = decoded.topic_data[0].partition_data[0].records
    assert isinstance(records, memoryview)
    return records


@pytest.mark.parametrize("version", [3, 9])
def test_whole_bytes_memoryview_is_read_in_place(version: int) -> None:
    obj, encoded = _produce(version)
    decoded = ProduceRequest.decode(memoryview(encoded), version)
    assert decoded == obj
    assert _records(decoded).obj is encoded  # no copy of the frame


@pytest.mark.parametrize("version", [3, 9])
def test_partial_memoryview_and_bytearray_are_copied_once(version: int) -> None:
    obj, encoded = _produce(version)
    framed = b"\x00\x00\x00\x07" + encoded
    decoded, end = ProduceRequest.decode_from(memoryview(framed)[4:], version)
    assert decoded == obj and end == len(encoded)
    assert bytes(_records(decoded)) == BLOB
    source = bytearray(encoded)
    from_bytearray = ProduceRequest.decode(source, version)
    assert from_bytearray == obj
    source[:] = b"\x00" * len(source)  # the decoded records do not alias the caller's buffer
    assert bytes(_records(from_bytearray)) == BLOB


@pytest.mark.parametrize("version", [5, 13])
def test_decode_from_an_offset_inside_bytes(version: int) -> None:
    obj = MetadataResponse(
        brokers=[MetadataResponseBroker(node_id=1, host="h\u00e9", port=9092, rack="r1")],
        cluster_id="c",
        topics=[
            MetadataResponseTopic(
                name="t",
                partitions=[MetadataResponsePartition(replica_nodes=[1, 2], isr_nodes=[2])],
            )
        ],
    )
    encoded = obj.encode(version)
    decoded, end = MetadataResponse.decode_from(b"junk" + encoded + b"tail", version, 4)
    assert end == 4 + len(encoded)
    assert decoded == obj


def test_uuids_decode_to_ordinary_uuid_objects() -> None:
    topic_id = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    obj = MetadataResponse(topics=[MetadataResponseTopic(name="a", topic_id=topic_id)])
    decoded = MetadataResponse.decode(obj.encode(12), 12).topics[0].topic_id
    assert type(decoded) is uuid.UUID
    assert decoded == topic_id and hash(decoded) == hash(topic_id)
    assert str(decoded) == str(topic_id) and decoded.bytes == topic_id.bytes
    assert pickle.loads(pickle.dumps(decoded)) == topic_id
    zero = MetadataResponse(topics=[MetadataResponseTopic(name="z")]).encode(12)
    assert MetadataResponse.decode(zero, 12).topics[0].topic_id is ZERO_UUID


def test_fetch_records_are_views_and_null_records_stay_null() -> None:
    obj = FetchResponse(
        responses=[
            FetchableTopicResponse(
                topic="t",
                partitions=[
                    PartitionData(partition_index=0, records=BLOB),
                    PartitionData(partition_index=1, records=None),
                ],
            )
        ]
    )
    for version in (11, 12):
        encoded = obj.encode(version)
        parts = FetchResponse.decode(encoded, version).responses[0].partitions
        assert isinstance(parts[0].records, memoryview) and parts[0].records.obj is encoded
        assert bytes(parts[0].records) == BLOB and parts[1].records is None


def test_inline_reads_fail_as_decode_errors() -> None:
    # MetadataResponse v5: throttle, 1 broker: node 1, host length 5 but only "ab" left
    with pytest.raises(DecodeError, match="exceeds the buffer"):
        MetadataResponse.decode(bytes.fromhex("00000000 00000001 00000001 0005 6162"), 5)
    # the rack (nullable) with a negative length other than -1
    bad_rack = "00000000 00000001 00000001 0001 61 00002382 fffe"
    with pytest.raises(DecodeError, match="negative length -2"):
        MetadataResponse.decode(bytes.fromhex(bad_rack), 5)
    # v12 (compact): broker host with invalid UTF-8, then a null (non-nullable) host
    with pytest.raises(DecodeError, match="invalid UTF-8"):
        MetadataResponse.decode(bytes.fromhex("00000000 02 00000001 03 c328"), 12)
    with pytest.raises(DecodeError, match="null Host"):
        MetadataResponse.decode(bytes.fromhex("00000000 02 00000001 00"), 12)
    # a classic replica array whose count runs past the end
    partition = "0000 00000000 00000001 00000005 00000001"
    topic = "0000 0001 74 00 00000001 " + partition
    head = "00000000 00000000 ffff 00000001 00000001"
    with pytest.raises(DecodeError):
        MetadataResponse.decode(bytes.fromhex(head + topic), 5)
