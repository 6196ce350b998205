"""Compression codecs for record batches: none, gzip, snappy, lz4, zstd.

Each codec compresses a whole records section and decompresses one with a hard bound on
the output size (decompression bombs raise ``DecompressionLimitError`` before allocating
past the bound). Optional libraries are imported on first use; a missing one raises
``UnsupportedCodecError`` naming the pip extra. This module does no framing of batches.
"""

from __future__ import annotations

import importlib
import struct
import zlib
from collections.abc import Callable
from types import ModuleType

from aiokafka_gen.errors import UnsupportedCodecError
from aiokafka_gen.records._errors import DecompressionLimitError, RecordsCorruptError
from aiokafka_gen.records._lz4frame import decompress_frame
from aiokafka_gen.records._varint import decode_uvarint

__all__ = [
    "CODEC_GZIP",
    "CODEC_LZ4",
    "CODEC_NAMES",
    "CODEC_NONE",
    "CODEC_SNAPPY",
    "CODEC_ZSTD",
    "DEFAULT_MAX_DECOMPRESSED",
    "codec_id",
    "compress",
    "decompress",
    "require_codec",
]

CODEC_NONE, CODEC_GZIP, CODEC_SNAPPY, CODEC_LZ4, CODEC_ZSTD = 0, 1, 2, 3, 4
Data = bytes | bytearray | memoryview  # compressed records, as read or sliced
CODEC_NAMES = {
    CODEC_NONE: "none",
    CODEC_GZIP: "gzip",
    CODEC_SNAPPY: "snappy",
    CODEC_LZ4: "lz4",
    CODEC_ZSTD: "zstd",
}
_BY_NAME = {name: ident for ident, name in CODEC_NAMES.items()}
# Far above any real batch (brokers cap batches near 1 MiB compressed by default) yet
# small enough that a hostile payload cannot exhaust memory.
DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024

XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = struct.Struct(">8sii")
_XERIAL_BLOCK = 32 * 1024  # the block size Java's SnappyOutputStream uses
_INT32 = struct.Struct(">i")

_modules: dict[str, ModuleType] = {}


def codec_id(codec: str | int | None) -> int:
    """Normalise a codec name ('lz4', None) or attribute value to its id."""
    if codec is None:
        return CODEC_NONE
    if isinstance(codec, int) and codec in CODEC_NAMES:
        return codec
    if isinstance(codec, str) and codec.lower() in _BY_NAME:
        return _BY_NAME[codec.lower()]
    raise UnsupportedCodecError(f"unknown compression codec {codec!r}")


_LIBRARIES = {"snappy": ("cramjam",), "lz4": ("lz4.block", "lz4.frame"), "zstd": ("zstandard",)}


def _import(codec: str) -> ModuleType:
    """The codec's library (lz4: the package, with .block and .frame loaded)."""
    if codec in _modules:
        return _modules[codec]
    try:
        for name in _LIBRARIES[codec]:
            importlib.import_module(name)
    except ImportError as exc:
        raise UnsupportedCodecError(
            f"{codec} compression needs an optional library: pip install aiokafka-gen[{codec}]"
        ) from exc
    module = importlib.import_module(_LIBRARIES[codec][0].split(".")[0])
    _modules[codec] = module
    return module


def require_codec(codec: str | int | None) -> int:
    """Check a codec is usable now (its library imports); return its id."""
    ident = codec_id(codec)
    if ident not in (CODEC_NONE, CODEC_GZIP):
        _import(CODEC_NAMES[ident])
    return ident


# ---- compression ----------------------------------------------------------------------


def _gzip_compress(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
    return packer.compress(data) + packer.flush()


def _snappy_compress(data: bytes) -> bytes:
    snappy = _import("snappy").snappy
    parts = [XERIAL_MAGIC, b"\x00\x00\x00\x01\x00\x00\x00\x01"]
    view = memoryview(data)
    for start in range(0, len(data), _XERIAL_BLOCK):
        block = bytes(snappy.compress_raw(view[start : start + _XERIAL_BLOCK]))
        parts.append(_INT32.pack(len(block)))
        parts.append(block)
    return b"".join(parts)


def _lz4_compress(data: bytes) -> bytes:
    frame = _import("lz4").frame
    # Independent blocks: Kafka's Java LZ4 reader does not support linked blocks.
    result: bytes = frame.compress(data, block_linked=False, content_checksum=False)
    return result


def _zstd_compress(data: bytes) -> bytes:
    zstd = _import("zstd")
    result: bytes = zstd.ZstdCompressor(level=3).compress(data)
    return result


_COMPRESS: dict[int, Callable[[bytes], bytes]] = {
    CODEC_GZIP: _gzip_compress,
    CODEC_SNAPPY: _snappy_compress,
    CODEC_LZ4: _lz4_compress,
    CODEC_ZSTD: _zstd_compress,
}


def compress(codec: int, data: bytes) -> bytes:
    """Compress a records section with codec ``codec`` (an id; none returns data)."""
    if codec == CODEC_NONE:
        return data
    try:
        return _COMPRESS[codec](data)
    except KeyError:
        raise UnsupportedCodecError(f"unknown compression codec id {codec}") from None


# ---- decompression --------------------------------------------------------------------


def _too_big(limit: int) -> DecompressionLimitError:
    return DecompressionLimitError(f"decompressed records exceed the {limit}-byte limit")


def _gzip_decompress(data: Data, limit: int) -> bytes:
    """Gzip (or zlib) stream; concatenated gzip members are all read, as Java does."""
    parts: list[bytes] = []
    total, rest = 0, bytes(data)
    while True:
        out, rest = _gzip_member(rest, limit - total)
        parts.append(out)
        total += len(out)
        if not rest:
            return b"".join(parts)


def _gzip_member(data: bytes, limit: int) -> tuple[bytes, bytes]:
    unpacker = zlib.decompressobj(47)  # wbits 47: zlib or gzip header, auto-detected
    try:
        out = unpacker.decompress(data, limit + 1)
    except zlib.error as exc:
        raise RecordsCorruptError(f"gzip data is corrupt: {exc}") from None
    if len(out) > limit:
        raise _too_big(limit)
    if not unpacker.eof:
        raise RecordsCorruptError("gzip data is truncated")
    return out, unpacker.unused_data


def _snappy_block(data: Data, limit: int) -> bytes:
    snappy = _import("snappy").snappy
    try:
        size, _ = decode_uvarint(bytes(data[:10]), 0, 5)
    except IndexError:
        raise RecordsCorruptError("snappy block is truncated") from None
    if size > limit:
        raise _too_big(limit)
    try:
        return bytes(snappy.decompress_raw(bytes(data)))
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise RecordsCorruptError(f"snappy data is corrupt: {exc}") from None


def _snappy_decompress(data: Data, limit: int) -> bytes:
    view = memoryview(data)
    if bytes(view[:8]) != XERIAL_MAGIC:
        return _snappy_block(view, limit)
    pos, parts, total = _XERIAL_HEADER.size, [], 0
    while pos < len(view):
        if pos + 4 > len(view):
            raise RecordsCorruptError("xerial snappy block header is truncated")
        (size,) = _INT32.unpack_from(view, pos)
        if size < 0 or pos + 4 + size > len(view):
            raise RecordsCorruptError("xerial snappy block length is out of range")
        block = _snappy_block(view[pos + 4 : pos + 4 + size], limit - total)
        total += len(block)
        parts.append(block)
        pos += 4 + size
    return b"".join(parts)


def _lz4_decompress(data: Data, limit: int) -> bytes:
    return decompress_frame(_import("lz4").block, data, limit)


def _zstd_decompress(data: Data, limit: int) -> bytes:
    zstd = _import("zstd")
    reader = zstd.ZstdDecompressor().stream_reader(bytes(data), read_across_frames=True)
    parts, total = [], 0
    try:
        while chunk := reader.read(min(limit + 1 - total, 1 << 20)):
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _too_big(limit)
    except zstd.ZstdError as exc:
        raise RecordsCorruptError(f"zstd data is corrupt: {exc}") from None
    return b"".join(parts)


_DECOMPRESS: dict[int, Callable[[Data, int], bytes]] = {
    CODEC_GZIP: _gzip_decompress,
    CODEC_SNAPPY: _snappy_decompress,
    CODEC_LZ4: _lz4_decompress,
    CODEC_ZSTD: _zstd_decompress,
}


def decompress(codec: int, data: Data, limit: int = DEFAULT_MAX_DECOMPRESSED) -> bytes:
    """Decompress ``data`` (bytes-like) with codec id ``codec``; at most ``limit`` bytes out."""
    try:
        func = _DECOMPRESS[codec]
    except KeyError:
        raise UnsupportedCodecError(f"unknown compression codec id {codec}") from None
    return func(data, limit)
