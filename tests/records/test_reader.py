"""BatchReader and RecordBatch: iteration, truncation, CRC checking, metadata."""

from __future__ import annotations

import pytest

from aiokafka_gen.records import (
    CREATE_TIME,
    BatchBuilder,
    BatchReader,
    CrcMismatchError,
    RecordsCorruptError,
    iter_records,
)
from aiokafka_gen.records.builder import BATCH_HEADER_SIZE

from .conftest import marker_batch


def _batch(n: int, base_offset: int = 0, codec: str | None = None, **state: object) -> bytes:
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 20, **state)  # type: ignore[arg-type]
    for i in range(n):
        builder.append(1000 + i, b"k%d" % i, b"v%d" % i, [("i", b"%d" % i)])
    return builder.close(base_offset)


def test_iterates_batches_and_absolute_offsets() -> None:
    payload = _batch(3, 10) + _batch(2, 13)
    batches = list(BatchReader(payload))
    assert [(b.base_offset, b.last_offset, b.next_offset) for b in batches] == [
        (10, 12, 13),
        (13, 14, 15),
    ]
    assert [r.offset for r in iter_records(payload)] == [10, 11, 12, 13, 14]
    assert batches[0].timestamp_type == CREATE_TIME
    assert batches[0].max_timestamp == 1002


def test_batches_are_views_not_copies() -> None:
    payload = bytearray(_batch(2))
    (batch,) = list(BatchReader(memoryview(payload)))
    assert batch.view.obj is payload


@pytest.mark.parametrize("cut", [1, 11, 12, 16, 17, 40, 61, 70])
def test_truncated_trailing_batch_stops_cleanly(cut: int) -> None:
    first, second = _batch(2, 0), _batch(3, 2)
    payload = first + second[:cut]
    reader = BatchReader(payload)
    assert [b.base_offset for b in reader] == [0]
    assert reader.remaining == cut


def test_empty_payload_yields_nothing() -> None:
    reader = BatchReader(b"")
    assert list(reader) == []
    assert reader.remaining == 0


def test_crc_mismatch_names_topic_partition_offset() -> None:
    payload = bytearray(_batch(2, 500))
    payload[-1] ^= 0x01
    with pytest.raises(CrcMismatchError) as info:
        list(BatchReader(payload, topic="orders", partition=3))
    err = info.value
    assert (err.topic, err.partition, err.offset) == ("orders", 3, 500)
    assert "orders" in str(err) and "partition 3" in str(err) and "offset 500" in str(err)


def test_crc_not_checked_when_disabled() -> None:
    payload = bytearray(_batch(2))
    payload[-1] ^= 0x01  # flips the last header value byte: still parseable
    (batch,) = list(BatchReader(payload, check_crcs=False))
    assert not batch.is_valid()
    assert [r.headers for r in batch] == [(("i", b"0"),), (("i", b"0"),)]


def test_records_are_lazy() -> None:
    payload = bytearray(_batch(3))
    # Corrupt the second record's length varint: the first record still comes out.
    second = BATCH_HEADER_SIZE + 1 + payload[BATCH_HEADER_SIZE] // 2
    payload[second] = 0x7F  # zigzag -64: a negative record length
    (batch,) = list(BatchReader(payload, check_crcs=False))
    records = iter(batch)
    assert next(records).offset == 0
    with pytest.raises(RecordsCorruptError):
        next(records)


def test_unknown_magic_is_an_error() -> None:
    payload = bytearray(_batch(1))
    payload[16] = 7
    with pytest.raises(RecordsCorruptError, match="magic 7"):
        list(BatchReader(payload))


def test_batch_length_below_header_is_an_error() -> None:
    payload = bytearray(_batch(1))
    payload[8:12] = (20).to_bytes(4, "big")
    with pytest.raises(RecordsCorruptError, match="batch length 20"):
        list(BatchReader(payload, topic="t", partition=0))


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_round_trip(codec: str) -> None:
    (batch,) = list(BatchReader(_batch(50, 7, codec)))
    records = list(batch)
    assert [r.offset for r in records] == list(range(7, 57))
    assert records[49].value == b"v49" and records[49].headers == (("i", b"49"),)


def test_iter_records_skips_control_batches() -> None:
    payload = _batch(
        2, 0, producer_id=1, producer_epoch=0, base_sequence=0, transactional=True
    ) + marker_batch(2, 1, commit=True)
    assert [r.offset for r in iter_records(payload)] == [0, 1]
