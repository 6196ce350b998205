"""Hostile and malformed input: every case ends in a typed error, never a hang or a
huge allocation."""

from __future__ import annotations

import struct
import sys
import zlib

import crc32c
import pytest

from aiokafka_gen.errors import CorruptRecordError, UnsupportedCodecError
from aiokafka_gen.records import BatchBuilder, BatchReader, DecompressionLimitError, codecs
from aiokafka_gen.records._varint import encode_varint

HEADER = struct.Struct(">qiibIhiqqqhii")


def raw_batch(records: bytes, count: int, attributes: int = 0, base_offset: int = 0) -> bytes:
    """A v2 batch around an arbitrary records section, with a valid CRC."""
    out = bytearray(HEADER.size + len(records))
    HEADER.pack_into(
        out,
        0,
        base_offset,
        len(out) - 12,
        -1,
        2,
        0,
        attributes,
        max(count - 1, 0),
        0,
        0,
        -1,
        -1,
        -1,
        count,
    )
    out[HEADER.size :] = records
    out[17:21] = struct.pack(">I", crc32c.crc32c(bytes(out[21:])))
    return bytes(out)


def record(body: bytes) -> bytes:
    return encode_varint(len(body)) + body


GOOD = record(b"\x00\x00\x00\x04ab\x04cd\x00")  # key "ab", value "cd", no headers


def _read(data: bytes, **options: object) -> list[object]:
    return [
        r
        for batch in BatchReader(data, topic="t", partition=1, **options)  # type: ignore[arg-type]
        for r in batch
    ]


def test_the_helper_builds_a_readable_batch() -> None:
    assert len(_read(raw_batch(GOOD * 2, 2))) == 2


@pytest.mark.parametrize(
    ("records", "count", "message"),
    [
        (GOOD, 2, "truncated"),  # count larger than the data
        (GOOD * 2, 1, "bytes left"),  # trailing garbage
        (GOOD, -1, "negative record count"),
        (b"\xff" * 11, 1, "varint longer"),
        (record(b"\x00\x00\x00\x03ab\x04cd\x00"), 1, "negative length -2"),
        (record(b"\x00\x00\x00\x7e" + b"\x00" * 10), 1, "key length 63 beyond"),
        (record(b"\x00\x00\x00\x04ab\x05cd\x00"), 1, "negative length -3"),
        (record(b"\x00\x00\x00\x04ab\x04cd\xfe\xff\x01"), 1, "header count 16383"),
        (record(b"\x00\x00\x00\x04ab\x04cd\x02\x02\xff\x02x"), 1, "UTF-8"),
        (record(b"\x00\x00\x00\x04ab\x04cd\x02\x02h\x41"), 1, "header value length -33"),
        (record(b"\x00\x00\x00\x04ab\x04cd\x02\x02h\x01"), 1, ""),  # header value None
        (encode_varint(-5) + b"\x00" * 10, 1, "record length -5"),
        (encode_varint(1000) + b"\x00" * 10, 1, "record length 1000"),
        (record(b"\x00\x00\x00\x04ab\x04cd\x00\x00"), 1, "does not match"),
    ],
)
def test_malformed_records(records: bytes, count: int, message: str) -> None:
    data = raw_batch(records, count, base_offset=900)
    if message == "":
        assert len(_read(data)) == 1
        return
    with pytest.raises(CorruptRecordError, match=message) as info:
        _read(data)
    assert "offset 900" in str(info.value) and "'t'" in str(info.value)


def test_huge_declared_count_does_not_allocate() -> None:
    with pytest.raises(CorruptRecordError):
        _read(raw_batch(GOOD, 2**31 - 1))


def _bomb(codec: str, size: int) -> bytes:
    zeros = b"\x00" * size
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 30)
    builder.append(0, None, zeros)
    return builder.close()


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_decompression_bomb_is_refused(codec: str) -> None:
    data = _bomb(codec, 4 << 20)
    with pytest.raises(DecompressionLimitError, match="limit"):
        _read(data, max_decompressed=1 << 20)
    assert len(_read(data, max_decompressed=8 << 20)) == 1


@pytest.mark.parametrize(("codec", "attr"), [("gzip", 1), ("snappy", 2), ("lz4", 3), ("zstd", 4)])
def test_corrupt_compressed_data(codec: str, attr: int) -> None:
    good = codecs.compress(attr, GOOD * 20)
    for bad in (good[: len(good) // 2], good[:10] + b"\xa5" * 40, b"\x00" * 30):
        with pytest.raises(CorruptRecordError):
            _read(raw_batch(bad, 20, attributes=attr))


def test_snappy_accepts_raw_blocks() -> None:
    import cramjam

    raw = bytes(cramjam.snappy.compress_raw(GOOD * 3))
    assert len(_read(raw_batch(raw, 3, attributes=2))) == 3


def test_lz4_accepts_linked_blocks_and_checksums() -> None:
    import lz4.frame

    section = b"".join(
        record(
            b"\x00\x00"
            + encode_varint(i)
            + b"\x01"
            + encode_varint(200)
            + bytes([i % 256]) * 200
            + b"\x00"
        )
        for i in range(2000)
    )
    framed = lz4.frame.compress(
        section,
        block_linked=True,
        block_checksum=True,
        content_checksum=True,
        block_size=lz4.frame.BLOCKSIZE_MAX64KB,
    )
    assert len(section) > 64 << 10
    assert len(_read(raw_batch(framed, 2000, attributes=3))) == 2000


def test_gzip_accepts_zlib_stream() -> None:
    assert len(_read(raw_batch(zlib.compress(GOOD), 1, attributes=1))) == 1


def test_unknown_codec_id_in_a_batch() -> None:
    with pytest.raises(UnsupportedCodecError):
        _read(raw_batch(GOOD, 1, attributes=6))


@pytest.mark.parametrize(
    ("codec", "module"), [("snappy", "cramjam"), ("lz4", "lz4.block"), ("zstd", "zstandard")]
)
def test_missing_codec_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, codec: str, module: str
) -> None:
    monkeypatch.setattr(codecs, "_modules", {})
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(UnsupportedCodecError, match=rf"pip install aiokafka-gen\[{codec}\]"):
        BatchBuilder(compression=codec)
    with pytest.raises(UnsupportedCodecError, match=rf"aiokafka-gen\[{codec}\]"):
        codecs.decompress(codecs.codec_id(codec), b"\x00" * 20)


def test_a_batch_declaring_zero_records_yields_none() -> None:
    (batch,) = list(BatchReader(raw_batch(b"", 0)))
    assert batch.record_count == 0
    assert list(batch) == []


def test_concatenated_gzip_members_are_all_read() -> None:
    import gzip

    half = len(GOOD * 4) // 2
    data = gzip.compress((GOOD * 4)[:half]) + gzip.compress((GOOD * 4)[half:])
    assert len(_read(raw_batch(data, 4, attributes=1))) == 4
    with pytest.raises(DecompressionLimitError):
        _read(raw_batch(data, 4, attributes=1), max_decompressed=len(GOOD) * 3)
