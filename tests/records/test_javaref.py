"""The Java reference process itself: every command answers as Kafka's classes do.

Expected bytes are computed by hand from the message specs; expected hashes are the
published values of Kafka's murmur2 test vectors.
"""

from __future__ import annotations

import struct

import pytest
from support.javaref import JavaRef, JavaRefError, b64, unb64

pytestmark = pytest.mark.java


def test_encode_api_versions_request_matches_hand_encoding(java_ref: JavaRef) -> None:
    body = {"clientSoftwareName": "aiokafka-gen", "clientSoftwareVersion": "0.1"}
    result = java_ref.request(
        {"cmd": "encode", "api_key": 18, "kind": "request", "version": 3, "json": body}
    )
    # v3 is flexible: compact strings (uvarint len+1) and an empty tagged-field section.
    expected = b"\x0d" + b"aiokafka-gen" + b"\x04" + b"0.1" + b"\x00"
    assert unb64(result["bytes"]) == expected


def test_encode_by_message_name_v0_is_empty(java_ref: JavaRef) -> None:
    result = java_ref.request(
        {"cmd": "encode", "message": "ApiVersionsRequest", "version": 0, "json": {}}
    )
    assert unb64(result["bytes"]) == b""


def test_encode_request_header_v2(java_ref: JavaRef) -> None:
    header = {"requestApiKey": 18, "requestApiVersion": 3, "correlationId": 7, "clientId": "c"}
    result = java_ref.request(
        {"cmd": "encode", "message": "RequestHeader", "version": 2, "json": header}
    )
    # client_id keeps its int16 length even in header v2, then an empty tag section.
    assert unb64(result["bytes"]) == struct.pack(">hhih", 18, 3, 7, 1) + b"c\x00"


def test_decode_round_trip(java_ref: JavaRef) -> None:
    raw = b"\x0d" + b"aiokafka-gen" + b"\x04" + b"0.1" + b"\x00"
    result = java_ref.request(
        {"cmd": "decode", "api_key": 18, "kind": "request", "version": 3, "bytes": b64(raw)}
    )
    assert result["json"] == {"clientSoftwareName": "aiokafka-gen", "clientSoftwareVersion": "0.1"}
    assert result["remaining"] == 0


def test_header_versions_for_api_versions(java_ref: JavaRef) -> None:
    # ApiVersionsResponse always uses response header v0 (KIP-511).
    assert java_ref.request({"cmd": "header_versions", "api_key": 18, "version": 3}) == {
        "request": 2,
        "response": 0,
    }
    assert java_ref.request({"cmd": "header_versions", "api_key": 18, "version": 2}) == {
        "request": 1,
        "response": 0,
    }
    assert java_ref.request({"cmd": "header_versions", "api_key": 3, "version": 12}) == {
        "request": 2,
        "response": 1,
    }


def test_list_messages_knows_requests_responses_and_data(java_ref: JavaRef) -> None:
    messages = {m["name"]: m for m in java_ref.request({"cmd": "list_messages"})["messages"]}
    assert messages["ApiVersionsRequest"]["api_key"] == 18
    assert messages["ApiVersionsRequest"]["kind"] == "request"
    assert messages["FetchResponse"]["kind"] == "response"
    assert messages["RequestHeader"]["highest"] == 2
    assert "api_key" not in messages["ConsumerProtocolSubscription"]
    assert len(messages) > 150


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    ],
)
def test_murmur2_known_vectors(java_ref: JavaRef, payload: bytes, expected: int) -> None:
    result = java_ref.request({"cmd": "murmur2", "bytes": b64(payload), "partitions": 1000})
    assert result["hash"] == expected
    assert result["positive"] == expected & 0x7FFFFFFF
    assert result["partition"] == (expected & 0x7FFFFFFF) % 1000


@pytest.mark.parametrize(
    ("payload", "partition"),
    [(b"", 681), (b"a", 524), (b"ab", 434), (b"abc", 107), (b"123456789", 566), (b"\x00 ", 742)],
)
def test_murmur2_default_partition(java_ref: JavaRef, payload: bytes, partition: int) -> None:
    result = java_ref.request({"cmd": "murmur2", "bytes": b64(payload), "partitions": 1000})
    assert result["partition"] == partition


def test_errors_answer_without_killing_the_process(java_ref: JavaRef) -> None:
    with pytest.raises(JavaRefError, match="unknown cmd"):
        java_ref.request({"cmd": "no-such-command"})
    with pytest.raises(JavaRefError, match="ClassNotFound"):
        java_ref.request({"cmd": "encode", "message": "NoSuchMessage", "version": 0, "json": {}})
    assert java_ref.request({"cmd": "header_versions", "api_key": 18, "version": 0})


def test_read_records_reports_crc_validity(java_ref: JavaRef) -> None:
    built = java_ref.request(
        {
            "cmd": "build_records",
            "records": [{"timestamp": 1, "key": None, "value": b64(b"v"), "headers": []}],
        }
    )
    data = bytearray(unb64(built["bytes"]) or b"")
    (good,) = java_ref.request({"cmd": "read_records", "bytes": b64(data)})["batches"]
    assert good["valid"] is True
    data[-1] ^= 0xFF
    (bad,) = java_ref.request({"cmd": "read_records", "bytes": b64(data)})["batches"]
    assert bad["valid"] is False


def test_encode_and_decode_a_data_message(java_ref: JavaRef) -> None:
    # ConsumerProtocolSubscription v0 (not flexible): topics []string, userData nullable bytes.
    body = {"topics": ["a"], "userData": None}
    result = java_ref.request(
        {"cmd": "encode", "message": "ConsumerProtocolSubscription", "version": 0, "json": body}
    )
    raw = unb64(result["bytes"])
    assert raw == b"\x00\x00\x00\x01" + b"\x00\x01a" + b"\xff\xff\xff\xff"
    back = java_ref.request(
        {
            "cmd": "decode",
            "message": "ConsumerProtocolSubscription",
            "version": 0,
            "bytes": b64(raw),
        }
    )
    assert back["json"]["topics"] == ["a"] and back["json"]["userData"] is None
