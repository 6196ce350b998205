"""Legacy message sets (magic 0 and 1): hand-made fixtures and Kafka-built ones."""

from __future__ import annotations

import struct
import zlib

import pytest
from support.javaref import JavaRef

from aiokafka_gen.records import (
    CREATE_TIME,
    LOG_APPEND_TIME,
    NO_TIMESTAMP_TYPE,
    BatchReader,
    CrcMismatchError,
    RecordsCorruptError,
    iter_records,
)
from aiokafka_gen.records.codecs import compress

from .conftest import java_build


def message(
    offset: int,
    magic: int,
    key: bytes | None,
    value: bytes | None,
    attributes: int = 0,
    timestamp: int = -1,
) -> bytes:
    """One legacy message with its offset/size prefix and a correct CRC-32."""
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", timestamp)
    for field in (key, value):
        body += struct.pack(">i", -1) if field is None else struct.pack(">i", len(field)) + field
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return struct.pack(">qiI", offset, len(body) + 4, crc) + body


def test_uncompressed_v0_and_v1() -> None:
    payload = message(5, 0, b"k", b"v") + message(6, 1, None, b"w", timestamp=123)
    batches = list(BatchReader(payload))
    assert [b.magic for b in batches] == [0, 1]
    assert [b.timestamp_type for b in batches] == [NO_TIMESTAMP_TYPE, CREATE_TIME]
    records = list(iter_records(payload))
    assert [(r.offset, r.timestamp, r.key, r.value) for r in records] == [
        (5, -1, b"k", b"v"),
        (6, 123, None, b"w"),
    ]
    assert records[0].checksum == struct.unpack_from(">I", payload, 12)[0]
    assert all(not b.is_control and not b.is_transactional for b in batches)


def test_v1_wrapper_relative_offsets_and_log_append_time() -> None:
    inner = b"".join(message(i, 1, None, b"m%d" % i, timestamp=10 + i) for i in range(3))
    wrapper = message(102, 1, None, compress(1, inner), attributes=1 | 0x08, timestamp=999)
    (batch,) = list(BatchReader(wrapper))
    assert batch.timestamp_type == LOG_APPEND_TIME
    assert batch.base_offset == 100 and batch.last_offset == 102
    assert [(r.offset, r.timestamp, r.value) for r in batch] == [
        (100, 999, b"m0"),
        (101, 999, b"m1"),
        (102, 999, b"m2"),
    ]


def test_v0_wrapper_keeps_absolute_inner_offsets() -> None:
    inner = b"".join(message(50 + i, 0, None, b"m%d" % i) for i in range(2))
    wrapper = message(51, 0, None, compress(2, inner), attributes=2)
    assert [r.offset for r in iter_records(wrapper)] == [50, 51]


def test_legacy_crc_mismatch() -> None:
    payload = bytearray(message(5, 1, b"k", b"v", timestamp=1))
    payload[-1] ^= 0x20
    with pytest.raises(CrcMismatchError, match="offset 5"):
        list(BatchReader(payload, topic="t", partition=0))
    assert list(BatchReader(payload, check_crcs=False))


def test_truncated_legacy_message_is_a_clean_stop() -> None:
    whole = message(1, 0, b"k", b"v")
    reader = BatchReader(whole + whole[:-1])
    assert [b.last_offset for b in reader] == [1]
    assert reader.remaining == len(whole) - 1


def test_legacy_field_length_out_of_range() -> None:
    payload = bytearray(message(1, 0, b"k", b"v"))
    payload[18:22] = struct.pack(">i", 1000)  # key length
    with pytest.raises(RecordsCorruptError, match="length 1000"):
        list(BatchReader(payload, check_crcs=False))


def test_corrupt_inner_message_set() -> None:
    wrapper = message(1, 1, None, compress(1, b"\x00" * 15), attributes=1, timestamp=0)
    (batch,) = list(BatchReader(wrapper, topic="t", partition=2))
    with pytest.raises(RecordsCorruptError, match="partition 2"):
        list(batch)


JAVA_RECORDS = [
    {
        "timestamp": 1000 + i,
        "key": b"k%d" % i if i % 2 else None,
        "value": b"value-%d" % i * (i + 1),
        "headers": [],
    }
    for i in range(5)
]


@pytest.mark.java
@pytest.mark.parametrize("magic", [0, 1])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4"])
def test_java_built_legacy_sets(java_ref: JavaRef, magic: int, codec: str) -> None:
    data = java_build(java_ref, JAVA_RECORDS, magic=magic, codec=codec, base_offset=20)
    records = list(iter_records(data))
    assert [r.offset for r in records] == list(range(20, 25))
    assert [(r.key, r.value) for r in records] == [(r["key"], r["value"]) for r in JAVA_RECORDS]
    expected_ts = [r["timestamp"] for r in JAVA_RECORDS] if magic == 1 else [-1] * 5
    assert [r.timestamp for r in records] == expected_ts


def test_inner_crc_checked_unless_disabled() -> None:
    inner = bytearray(message(0, 1, None, b"m", timestamp=1))
    inner[-1] ^= 0x01
    wrapper = message(0, 1, None, compress(1, bytes(inner)), attributes=1, timestamp=1)
    with pytest.raises(CrcMismatchError, match="inner"):
        list(iter_records(wrapper))
    assert [r.value for r in iter_records(wrapper, check_crcs=False)] == [b"l"]
