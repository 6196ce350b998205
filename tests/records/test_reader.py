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


# ---- scan_batches / LazyBatches: the consumer's object-free check of a payload ----------
def _scan_matches_reader(payload: bytes | bytearray, **options: object) -> None:
    """The scan accepts, refuses and cuts exactly as BatchReader, with the same batches."""
    from aiokafka_gen.records.reader import scan_batches

    try:
        expected: list[object] | BaseException = list(BatchReader(payload, **options))  # type: ignore[arg-type]
    except RecordsCorruptError as exc:
        expected = exc
    try:
        lazy = scan_batches(payload, **options)  # type: ignore[arg-type]
    except RecordsCorruptError as exc:
        assert isinstance(expected, RecordsCorruptError), exc
        assert (type(exc), str(exc)) == (type(expected), str(expected))
        return
    assert not isinstance(expected, BaseException), expected
    assert lazy is not None and len(lazy) == len(expected)
    made = [lazy[i] for i in range(len(lazy))]
    assert [bytes(b.view) for b in made] == [bytes(b.view) for b in expected]  # type: ignore[attr-defined]
    if expected:
        assert lazy.next_offset == expected[-1].next_offset  # type: ignore[attr-defined]
        assert lazy.last_epoch == expected[-1].partition_leader_epoch  # type: ignore[attr-defined]


def test_scan_agrees_with_the_reader_on_good_cut_and_broken_payloads() -> None:
    first, second = _batch(2, 0), _batch(3, 2, codec="gzip")
    _scan_matches_reader(b"")
    _scan_matches_reader(first + second, topic="t", partition=1)
    for cut in (1, 11, 12, 16, 17, 40, 61, 70):
        _scan_matches_reader(first + second[:cut])
    crc = bytearray(first + second)
    crc[-1] ^= 0x01
    _scan_matches_reader(crc, topic="orders", partition=3)
    _scan_matches_reader(crc, check_crcs=False)
    short = bytearray(first + second)
    short[len(first) + 8 : len(first) + 12] = (20).to_bytes(4, "big")
    _scan_matches_reader(short, topic="t", partition=0)
    marker = marker_batch(5, 1000, commit=True, epoch=3)
    _scan_matches_reader(first + marker)


def test_scan_leaves_legacy_and_unknown_magic_to_the_reader() -> None:
    from aiokafka_gen.records.reader import scan_batches

    payload = bytearray(_batch(1))
    payload[16] = 7
    assert scan_batches(payload) is None  # BatchReader names the bad magic
    payload[16] = 1
    assert scan_batches(_batch(1) + payload) is None


def test_lazy_batches_are_made_in_order_and_one_at_a_time() -> None:
    import gc

    from aiokafka_gen.records import RecordBatch
    from aiokafka_gen.records.reader import scan_batches

    payload = b"".join(_batch(1, i) for i in range(200))
    lazy = scan_batches(payload)
    assert lazy is not None and len(lazy) == 200 and lazy.next_offset == 200
    with pytest.raises(IndexError):
        lazy[1]  # not yet: batches are made in order
    offsets = []
    for i in range(200):
        batch = lazy[i]
        assert lazy[i] is batch  # the current one is kept
        offsets.append(batch.base_offset)
        del batch
    assert offsets == list(range(200))
    gc.collect()
    alive = [o for o in gc.get_objects() if type(o) is RecordBatch and o.view.obj is payload]
    assert len(alive) <= 1  # only the current batch: none piles up for the collector
    with pytest.raises(IndexError):
        lazy[200]
