"""Differential tests against Kafka's own MemoryRecords (kafka-clients at the pinned version).

Java builds -> we read; we build -> Java reads (CRC valid, same content); every codec,
transactional batches, control markers, headers with None values and duplicate keys.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


def _ours(records: list[dict[str, Any]], codec: str, base_offset: int = 0, **state: Any) -> bytes:
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 20, **state)
    for rec in records:
        assert builder.append(rec["timestamp"], rec["key"], rec["value"], rec["headers"])
    return builder.close(base_offset)


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
        assert rec.headers == tuple(want["headers"])


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
    assert list(batch) == []  # markers are never application records
    (record,) = list(batch.control_records())
    decoded = control_marker(record)
    assert (decoded.type, decoded.coordinator_epoch, decoded.offset) == (code, 9, 10)


def test_java_transactions_filtered_read_committed(java_ref: JavaRef) -> None:
    from support.javaref import unb64

    from aiokafka_gen.records import visible_batches

    def txn(pid: int, base: int, value: bytes) -> bytes:
        rec = [{"timestamp": 1, "key": None, "value": value, "headers": []}]
        return java_build(
            java_ref,
            rec,
            producer_id=pid,
            producer_epoch=0,
            base_sequence=0,
            transactional=True,
            base_offset=base,
        )

    def marker(pid: int, base: int, kind: str) -> bytes:
        answer = java_ref.request(
            {
                "cmd": "build_marker",
                "control": kind,
                "base_offset": base,
                "producer_id": pid,
                "producer_epoch": 0,
            }
        )
        data = unb64(answer["bytes"])
        assert data is not None
        return data

    payload = (
        txn(1, 0, b"aborted")
        + txn(2, 1, b"committed")
        + marker(1, 2, "ABORT")
        + marker(2, 3, "COMMIT")
        + txn(1, 4, b"later")
    )
    committed = [r.value for b in visible_batches(BatchReader(payload), [(1, 0)]) for r in b]
    uncommitted = [r.value for b in visible_batches(BatchReader(payload)) for r in b]
    assert committed == [b"committed", b"later"]
    assert uncommitted == [b"aborted", b"committed", b"later"]


def test_java_reads_a_multi_batch_payload_of_ours(java_ref: JavaRef) -> None:
    payload = b"".join(_ours(RECORDS, codec, base_offset=10 * i) for i, codec in enumerate(CODECS))
    batches = java_read(java_ref, payload)
    assert [b["base_offset"] for b in batches] == [0, 10, 20, 30, 40]
    assert all(b["valid"] for b in batches)
    assert [b["codec"] for b in batches] == CODECS


blobs = st.none() | st.binary(max_size=200)
prop_records = st.lists(
    st.fixed_dictionaries(
        {
            "timestamp": st.integers(0, 2**45),
            "key": blobs,
            "value": blobs,
            "headers": st.lists(st.tuples(st.text(max_size=10), blobs), max_size=3),
        }
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=prop_records, codec=st.sampled_from(CODECS))
def test_random_batches_agree_with_java(
    java_ref: JavaRef, records: list[dict[str, Any]], codec: str
) -> None:
    ours = _ours(records, codec, producer_id=3, producer_epoch=0, base_sequence=5)
    (jbatch,) = java_read(java_ref, ours)
    assert jbatch["valid"]
    assert [(r["timestamp"], r["key"], r["value"], r["headers"]) for r in jbatch["records"]] == [
        (r["timestamp"], r["key"], r["value"], r["headers"]) for r in records
    ]
    theirs = java_build(java_ref, records, codec=codec)
    got = [(r.timestamp, r.key, r.value, r.headers) for b in BatchReader(theirs) for r in b]
    assert got == [(r["timestamp"], r["key"], r["value"], tuple(r["headers"])) for r in records]
    if codec == "none":
        assert theirs == _ours(records, codec)


@pytest.mark.parametrize("codec", CODECS)
def test_multi_block_payloads_both_ways(java_ref: JavaRef, codec: str) -> None:
    # 200 KiB of mixed data spans several xerial-snappy / LZ4 / gzip blocks.
    big = [
        {
            "timestamp": 7,
            "key": None,
            "value": bytes(range(256)) * 400 + b"\x00" * 100_000,
            "headers": [],
        }
    ]
    (theirs,) = [r for b in BatchReader(java_build(java_ref, big, codec=codec)) for r in b]
    assert theirs.value == big[0]["value"]
    (jbatch,) = java_read(java_ref, _ours(big, codec))
    assert jbatch["valid"] and jbatch["records"][0]["value"] == big[0]["value"]
