"""BatchBuilder: layout, size accounting, producer state, CRC, closing rules."""

from __future__ import annotations

import struct

import crc32c
import pytest

from aiokafka_gen.errors import IllegalStateError, UnsupportedCodecError
from aiokafka_gen.records import BATCH_HEADER_SIZE, BatchBuilder, BatchReader, record_size

HEADER = struct.Struct(">qiibIhiqqqhii")


def test_header_fields_and_crc() -> None:
    builder = BatchBuilder(
        producer_id=12,
        producer_epoch=2,
        base_sequence=40,
        transactional=True,
        partition_leader_epoch=-1,
    )
    builder.append(1000, b"k", b"v")
    builder.append(1005, None, None)
    data = builder.close(base_offset=77)
    fields = HEADER.unpack_from(data)
    assert fields == (77, len(data) - 12, -1, 2, fields[4], 0x10, 1, 1000, 1005, 12, 2, 40, 2)
    assert fields[4] == crc32c.crc32c(data[21:])


def test_first_record_bytes_follow_the_spec() -> None:
    builder = BatchBuilder()
    builder.append(50, b"ab", None, [("h", b"x")])
    data = builder.close()
    # length 12 -> zigzag 24; attrs 0; ts delta 0; offset delta 0; key len 2 -> 4; "ab";
    # value null -> 1; 1 header -> 2; key len 1 -> 2; "h"; value len 1 -> 2; "x".
    assert (
        data[BATCH_HEADER_SIZE:]
        == bytes([24, 0, 0, 0, 4]) + b"ab" + bytes([1, 2, 2]) + b"h" + bytes([2]) + b"x"
    )


def test_append_returns_offset_delta_timestamp_and_size() -> None:
    builder = BatchBuilder()
    assert builder.append(10, b"k", b"v") == (0, 10, record_size(0, 0, b"k", b"v"))
    assert builder.append(12, b"k", b"v") == (1, 12, record_size(1, 2, b"k", b"v"))
    assert builder.record_count() == 2


def test_size_accounting_is_exact_and_never_overshoots() -> None:
    value = b"x" * 50
    one = record_size(0, 0, None, value)
    builder = BatchBuilder(max_batch_size=BATCH_HEADER_SIZE + 3 * one)
    appended = 0
    while builder.append(0, None, value) is not None:
        appended += 1
    assert appended == 3
    assert builder.size() == BATCH_HEADER_SIZE + 3 * one
    assert len(builder.close()) == builder.size()


def test_refuses_record_that_would_overflow_but_keeps_batch_usable() -> None:
    builder = BatchBuilder(max_batch_size=200)
    assert builder.append(0, None, b"a" * 100) is not None
    assert builder.append(0, None, b"b" * 100) is None
    assert builder.append(0, None, b"c") is not None
    records = list(next(iter(BatchReader(builder.close()))))
    assert [r.value for r in records] == [b"a" * 100, b"c"]


def test_first_record_always_fits_even_when_larger_than_max() -> None:
    builder = BatchBuilder(max_batch_size=100)
    assert builder.append(0, None, b"z" * 1000) is not None
    assert builder.is_full()
    assert builder.append(0, None, b"") is None


def test_has_room_for_agrees_with_append() -> None:
    builder = BatchBuilder(max_batch_size=160)
    builder.append(0, None, b"a" * 40)
    assert builder.has_room_for(0, None, b"b" * 40)
    assert not builder.has_room_for(0, None, b"b" * 60)
    assert builder.append(0, None, b"b" * 60) is None


def test_empty_batch_is_refused() -> None:
    with pytest.raises(IllegalStateError):
        BatchBuilder().close()


def test_close_is_idempotent_and_freezes() -> None:
    builder = BatchBuilder()
    builder.append(1, b"k", b"v")
    first = builder.close()
    assert builder.close() is first
    with pytest.raises(IllegalStateError):
        builder.append(2, b"k", b"v")
    with pytest.raises(IllegalStateError):
        builder.set_producer_state(1, 1, 1, True)


def test_set_producer_state_before_close() -> None:
    builder = BatchBuilder()
    builder.append(1, None, b"v")
    builder.set_producer_state(5, 6, 7, True)
    (batch,) = list(BatchReader(builder.close()))
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (5, 6, 7)
    assert batch.is_transactional


def test_none_timestamp_means_now() -> None:
    builder = BatchBuilder()
    result = builder.append(None, None, b"v")
    assert result is not None and result[1] > 1_600_000_000_000


def test_unknown_codec_is_a_typed_error() -> None:
    with pytest.raises(UnsupportedCodecError, match="brotli"):
        BatchBuilder(compression="brotli")


def test_out_of_range_timestamp_delta_is_refused() -> None:
    builder = BatchBuilder()
    builder.append(-(2**62), None, b"v")
    with pytest.raises(OverflowError):
        builder.append(2**62, None, b"v")


def test_large_varints_round_trip() -> None:
    builder = BatchBuilder(max_batch_size=1 << 22)
    big = b"q" * 300_000  # three-byte length varints
    builder.append(0, big, big, [("k" * 20_000, big)])
    builder.append(2**40, None, None)  # a five-byte-plus timestamp delta
    records = list(next(iter(BatchReader(builder.close()))))
    assert records[0].key == big and records[0].headers == (("k" * 20_000, big),)
    assert records[1].timestamp == 2**40


def test_varints_at_the_table_edges_round_trip_through_both_decoders() -> None:
    # The builder indexes a table for values 0..8191 and encodes the rest; the decoders
    # read one-byte and two-byte varints from tables and longer ones the slow way. Values
    # on each side of those edges (and negative timestamp deltas) must come back intact.
    from aiokafka_gen.consumer._records import _decode_general, _decode_v2
    from aiokafka_gen.records import RecordBatch, read_batches

    sizes = [0, 1, 63, 64, 8191, 8192, 8193, 20_000]
    deltas = [0, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193, 2**21]
    builder = BatchBuilder(max_batch_size=1 << 24)
    expected = []
    for i in range(9000):  # offset deltas cross 63 and 8191 too
        size = sizes[i % len(sizes)] if i % 97 == 0 else 3
        ts = 10**12 + deltas[i % len(deltas)]
        key = b"k" * sizes[(i + 3) % len(sizes)] if i % 89 == 0 else None
        builder.append(ts, key, b"v" * size)
        expected.append((i, ts, key, b"v" * size))
    batch = next(iter(read_batches(builder.close(0))))
    assert isinstance(batch, RecordBatch)
    assert [(r.offset, r.timestamp, r.key, r.value) for r in batch] == expected
    fast = _decode_v2(batch, "t", 0)  # raises _Unusual if it had to give up
    assert [(r.offset, r.timestamp, r.key, r.value) for r in fast] == expected
    assert [r.serialized_value_size for r in fast] == [len(e[3]) for e in expected]
    general = _decode_general(batch, "t", 0)
    assert [(r.offset, r.timestamp, r.key, r.value) for r in general] == expected
