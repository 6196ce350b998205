"""Sans-IO framing: bytes in, responses out; correlation ids, sizes, acks=0, KIP-511."""

from __future__ import annotations

import struct

import pytest
from aiokafka_gen.messages.api_versions_request import ApiVersionsRequest
from aiokafka_gen.messages.api_versions_response import ApiVersion, ApiVersionsResponse
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse
from aiokafka_gen.messages.produce_request import ProduceRequest
from aiokafka_gen.messages.request_header import RequestHeader
from aiokafka_gen.messages.response_header import ResponseHeader

from aiokafka_gen.errors import KafkaProtocolError
from aiokafka_gen.protocol.framing import (
    NEED_DATA,
    CorrelationIdError,
    FrameSizeError,
    KafkaFraming,
    Response,
    expects_response,
)


def response_frame(correlation_id: int, body: bytes, header_version: int) -> bytes:
    payload = ResponseHeader(correlation_id=correlation_id).encode(header_version) + body
    return struct.pack(">i", len(payload)) + payload


def test_request_bytes_are_size_header_body() -> None:
    framing = KafkaFraming("me", first_correlation_id=7)
    cid, data = framing.send(MetadataRequest(topics=None), 12)
    assert cid == 7
    (size,) = struct.unpack_from(">i", data)
    assert size == len(data) - 4
    header, offset = RequestHeader.decode_from(data[4:], 2)
    assert (header.request_api_key, header.request_api_version) == (3, 12)
    assert (header.correlation_id, header.client_id) == (7, "me")
    assert MetadataRequest.decode(data[4 + offset :], 12) == MetadataRequest(topics=None)
    assert framing.in_flight == 1


def test_response_byte_by_byte_then_event() -> None:
    framing = KafkaFraming(None)
    cid, _ = framing.send(MetadataRequest(topics=None), 12)
    body = MetadataResponse(cluster_id="c1").encode(12)
    data = response_frame(cid, body, 1)
    for index in range(len(data) - 1):
        framing.receive_data(data[index : index + 1])
        assert framing.next_event() is NEED_DATA
    assert framing.bytes_needed() == 1
    framing.receive_data(data[-1:])
    event = framing.next_event()
    assert isinstance(event, Response)
    assert (event.correlation_id, event.api_key, event.api_version) == (cid, 3, 12)
    assert event.message == MetadataResponse(cluster_id="c1")
    assert framing.in_flight == 0
    assert framing.next_event() is NEED_DATA


def test_bytes_needed_follows_the_size_prefix() -> None:
    framing = KafkaFraming(None)
    assert framing.bytes_needed() == 4
    framing.receive_data(struct.pack(">i", 300)[:3])
    assert framing.bytes_needed() == 1
    framing.receive_data(struct.pack(">i", 300)[3:])
    assert framing.bytes_needed() == 300


def test_two_pipelined_responses_in_one_chunk() -> None:
    framing = KafkaFraming(None)
    ids = [framing.send(MetadataRequest(topics=None), 12)[0] for _ in range(2)]
    data = b"".join(
        response_frame(cid, MetadataResponse(cluster_id=str(cid)).encode(12), 1) for cid in ids
    )
    framing.receive_data(data)
    events = [framing.next_event(), framing.next_event()]
    assert [e.message.cluster_id for e in events if isinstance(e, Response)] == ["0", "1"]


def test_wrong_correlation_id_breaks_the_stream() -> None:
    framing = KafkaFraming(None)
    cid, _ = framing.send(MetadataRequest(topics=None), 12)
    framing.receive_data(response_frame(cid + 1, MetadataResponse().encode(12), 1))
    with pytest.raises(CorrelationIdError):
        framing.next_event()
    with pytest.raises(KafkaProtocolError, match="broken"):
        framing.send(MetadataRequest(topics=None), 12)


def test_response_without_request_is_an_error() -> None:
    framing = KafkaFraming(None)
    framing.receive_data(response_frame(0, b"", 0))
    with pytest.raises(CorrelationIdError, match="no request"):
        framing.next_event()


@pytest.mark.parametrize("size", [-1, 2**31 - 1, 1025])
def test_size_prefix_is_checked_before_buffering(size: int) -> None:
    framing = KafkaFraming(None, max_frame_size=1024)
    with pytest.raises(FrameSizeError):
        framing.receive_data(struct.pack(">i", size))


def test_acks_zero_produce_expects_no_response() -> None:
    framing = KafkaFraming(None)
    assert not expects_response(ProduceRequest(acks=0))
    assert expects_response(ProduceRequest(acks=-1))
    framing.send(ProduceRequest(acks=0), 9)
    assert framing.in_flight == 0
    cid, _ = framing.send(MetadataRequest(topics=None), 12)
    framing.receive_data(response_frame(cid, MetadataResponse().encode(12), 1))
    assert isinstance(framing.next_event(), Response)


def test_correlation_ids_wrap_at_int32() -> None:
    framing = KafkaFraming(None, first_correlation_id=2**31 - 1)
    assert framing.send(ProduceRequest(acks=0), 9)[0] == 2**31 - 1
    assert framing.send(ProduceRequest(acks=0), 9)[0] == 0


def test_api_versions_unsupported_answer_is_read_at_v0() -> None:
    framing = KafkaFraming(None)
    cid, _ = framing.send(ApiVersionsRequest(), 4)
    body = ApiVersionsResponse(
        error_code=35, api_keys=[ApiVersion(api_key=18, min_version=0, max_version=2)]
    ).encode(0)
    framing.receive_data(response_frame(cid, body, 0))  # header v0 even for flexible v4
    event = framing.next_event()
    assert isinstance(event, Response)
    assert event.api_version == 0
    assert event.message.api_keys[0].max_version == 2


def test_undecodable_body_is_a_protocol_error() -> None:
    framing = KafkaFraming(None)
    cid, _ = framing.send(MetadataRequest(topics=None), 12)
    framing.receive_data(response_frame(cid, b"\xff\xff", 1))
    with pytest.raises(KafkaProtocolError):
        framing.next_event()


def test_non_request_message_is_refused() -> None:
    with pytest.raises(ValueError, match="not a request"):
        KafkaFraming(None).send(ResponseHeader(), 0)
