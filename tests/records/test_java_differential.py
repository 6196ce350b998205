"""Differential tests against Kafka's own MemoryRecords (kafka-clients at the pinned version).

Java builds -> we read; we build -> Java reads (CRC valid, same content); every codec,
transactional batches, control markers, headers with None values and duplicate keys.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.javaref import JavaRef

from aiokafka_gen.records import (
    ABORT,
    COMMIT,
    CREATE_TIME,
    LOG_APPEND_TIME,
    BatchBuilder,
    BatchReader,
    control_marker,
)
from aiokafka_gen.records.codecs import codec_id

from .conftest import CODECS, java_build, java_read

pytestmark = pytest.mark.java

RECORDS: list[dict[str, Any]] = [
    {"timestamp": 1_700_000_000_000, "key": b"k1", "value": b"v1" * 50, "headers": []},
    {"timestamp": 1_700_000_000_005, "key": None, "value": b"", "headers": [("h", b"1")]},
    {
        "timestamp": 1_699_999_999_000,
        "key": b"",
        "value": None,
        "headers": [("dup", b"a"), ("dup", None), ("\u00e9t\u00e9", b"\x00\xff")],
    },
    {
        "timestamp": 1_700_000_400_000,
        "key": b"x" * 300,
        "value": bytes(range(256)) * 40,
        "headers": [],
    },
]


def _ours(records: list[dict[str, Any]], codec: str, **state: Any) -> bytes:
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 20, **state)
    for rec in records:
        assert builder.append(rec["timestamp"], rec["key"], rec["value"], rec["headers"])
    return builder.close(base_offset=state.get("base_offset_hint", 0))


@pytest.mark.parametrize("codec", CODECS)
def test_java_batch_reads_identically(java_ref: JavaRef, codec: str) -> None:
    data = java_build(java_ref, RECORDS, codec=codec, base_offset=42)
    (batch,) = list(BatchReader(data))
    assert batch.codec == codec_id(codec)
    assert batch.is_valid()
    got = list(batch)
    assert [r.offset for r in got] == [42, 43, 44, 45]
    for rec, want in zip(got, RECORDS, strict=True):
        assert (rec.timestamp, rec.key, rec.value) == (
            want["timestamp"],
            want["key"],
            want["value"],
        )
        assert rec.headers == want["headers"]


@pytest.mark.parametrize("codec", CODECS)
def test_our_batch_reads_identically_in_java(java_ref: JavaRef, codec: str) -> None:
    data = _ours(RECORDS, codec, producer_id=7, producer_epoch=3, base_sequence=11)
    (jbatch,) = java_read(java_ref, data)
    assert jbatch["valid"] is True
    assert jbatch["codec"] == codec
    assert (jbatch["producer_id"], jbatch["producer_epoch"], jbatch["base_sequence"]) == (7, 3, 11)
    assert jbatch["transactional"] is False
    assert jbatch["max_timestamp"] == max(r["timestamp"] for r in RECORDS)
    for rec, want in zip(jbatch["records"], RECORDS, strict=True):
        assert (rec["timestamp"], rec["key"], rec["value"]) == (
            want["timestamp"],
            want["key"],
            want["value"],
        )
        assert rec["headers"] == want["headers"]


def test_uncompressed_bytes_match_java_exactly(java_ref: JavaRef) -> None:
    options = {"producer_id": 5, "producer_epoch": 1, "base_sequence": 0, "transactional": True}
    theirs = java_build(java_ref, RECORDS, codec="none", **options)
    ours = _ours(RECORDS, "none", **options)
    assert ours == theirs


def test_transactional_batch_metadata(java_ref: JavaRef) -> None:
    data = java_build(
        java_ref,
        RECORDS[:1],
        producer_id=99,
        producer_epoch=4,
        base_sequence=17,
        transactional=True,
        partition_leader_epoch=6,
        codec="zstd",
    )
    (batch,) = list(BatchReader(data))
    assert batch.is_transactional and not batch.is_control
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (99, 4, 17)
    assert batch.partition_leader_epoch == 6


def test_log_append_time_overrides_record_timestamps(java_ref: JavaRef) -> None:
    data = java_build(java_ref, RECORDS, timestamp_type="log_append", log_append_time=123456)
    (batch,) = list(BatchReader(data))
    assert batch.timestamp_type == LOG_APPEND_TIME
    assert [r.timestamp for r in batch] == [123456] * len(RECORDS)


def test_create_time_is_reported(java_ref: JavaRef) -> None:
    (batch,) = list(BatchReader(java_build(java_ref, RECORDS[:1])))
    assert batch.timestamp_type == CREATE_TIME


@pytest.mark.parametrize(("kind", "code"), [("COMMIT", COMMIT), ("ABORT", ABORT)])
def test_control_markers_from_java(java_ref: JavaRef, kind: str, code: int) -> None:
    from support.javaref import unb64

    marker = java_ref.request(
        {
            "cmd": "build_marker",
            "control": kind,
            "coordinator_epoch": 9,
            "base_offset": 10,
            "timestamp": 5,
            "producer_id": 3,
            "producer_epoch": 1,
        }
    )
    data = unb64(marker["bytes"])
    assert data is not None
    (batch,) = list(BatchReader(data))
    assert batch.is_control and batch.is_transactional
    (record,) = list(batch)
    decoded = control_marker(record)
    assert (decoded.type, decoded.coordinator_epoch, decoded.offset) == (code, 9, 10)
