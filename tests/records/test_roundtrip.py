"""Property tests: whatever the builder writes, the reader gives back; varints and CRCs."""

from __future__ import annotations

import warnings

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiokafka_gen.records import BatchBuilder, BatchReader, _crc
from aiokafka_gen.records._varint import decode_varint, encode_varint, varint_size

blobs = st.none() | st.binary(max_size=300)
headers = st.lists(st.tuples(st.text(max_size=20), blobs), max_size=5)
records = st.lists(st.tuples(st.integers(0, 2**41), blobs, blobs, headers), min_size=1, max_size=30)
codecs = st.sampled_from([None, "gzip", "snappy", "lz4", "zstd"])


@settings(max_examples=200, deadline=None)
@given(
    records=records,
    codec=codecs,
    base_offset=st.integers(0, 2**62),
    pid=st.integers(-1, 2**62),
    epoch=st.integers(-1, 2**15 - 1),
    seq=st.integers(-1, 2**31 - 1),
    txn=st.booleans(),
)
def test_build_then_read(
    records: list[tuple[int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
    codec: str | None,
    base_offset: int,
    pid: int,
    epoch: int,
    seq: int,
    txn: bool,
) -> None:
    builder = BatchBuilder(
        compression=codec,
        max_batch_size=1 << 24,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=txn,
    )
    for ts, key, value, hdrs in records:
        assert builder.append(ts, key, value, hdrs) is not None
    data = builder.close(base_offset)
    assert len(data) == builder.size() or codec is not None
    (batch,) = list(BatchReader(data))
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (pid, epoch, seq)
    assert batch.is_transactional == txn and not batch.is_control
    assert batch.max_timestamp == max(r[0] for r in records)
    got = [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in batch]
    want = [
        (base_offset + i, ts, key, value, tuple(hdrs))
        for i, (ts, key, value, hdrs) in enumerate(records)
    ]
    assert got == want


@settings(max_examples=300)
@given(st.integers(-(2**63), 2**63 - 1))
def test_varint_round_trip(value: int) -> None:
    raw = encode_varint(value)
    assert len(raw) == varint_size(value) <= 10
    assert decode_varint(raw + b"\x00", 0) == (value, len(raw))


def test_varint_out_of_range() -> None:
    with pytest.raises(OverflowError):
        encode_varint(2**63)


@given(st.binary(max_size=2000))
def test_pure_crc32c_matches_the_library(data: bytes) -> None:
    assert _crc.crc32c_pure(data) == crc32c.crc32c(data)


def test_crc32c_check_value() -> None:
    assert _crc.crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value


def test_pure_python_fallback_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "crc32c", None)
    monkeypatch.setattr(_crc, "_warned", False)
    fallback = _crc.load_crc32c()
    with pytest.warns(RuntimeWarning, match="pure Python"):
        assert fallback(b"123456789") == 0xE3069283
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fallback(b"123456789") == 0xE3069283  # warns once, not per call
