"""Zigzag and unsigned varints as used inside record batches (not the protocol's uvarints).

Encoders return ``bytes``; small values come from a precomputed table because per-record
encoding dominates producer cost. Decoders here are the slow paths for multi-byte values:
hot loops inline the one-byte case and call these otherwise. No I/O, no allocation beyond
the result.
"""

from __future__ import annotations

from aiokafka_gen.records._errors import RecordsCorruptError

__all__ = [
    "ONE_BYTE",
    "SMALL_UVARINTS",
    "TWO_BYTES",
    "decode_uvarint",
    "decode_varint",
    "encode_uvarint",
    "encode_varint",
    "varint_size",
]

_TABLE_SIZE = 1 << 14  # every value that fits two varint bytes


def encode_uvarint(value: int) -> bytes:
    """Unsigned LEB128 encoding of a non-negative int (up to 64 bits)."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


SMALL_UVARINTS: tuple[bytes, ...] = tuple(encode_uvarint(i) for i in range(_TABLE_SIZE))

# Decoding tables for the hot loops. ONE_BYTE[b]: the zigzag value of the one-byte varint b
# (< 0x80). TWO_BYTES[b + c * 128]: the zigzag value of the two-byte varint b c (b >= 0x80,
# c < 0x80), that is of (b & 0x7F) | c << 7. The index uses + and * because CPython 3.11's
# interpreter specializes those on ints (and compares), not & | <<: about 5% of a decoder.
ONE_BYTE: tuple[int, ...] = tuple((z >> 1) ^ -(z & 1) for z in range(1 << 7))
TWO_BYTES: tuple[int, ...] = tuple(
    0 if i < 128 else ((i - 128) >> 1) ^ -((i - 128) & 1) for i in range(128 * 129)
)


def encode_varint(value: int) -> bytes:
    """Zigzag varint (varlong range: -2**63 .. 2**63-1)."""
    zigzag = (value << 1) ^ (value >> 63)
    if zigzag < _TABLE_SIZE:
        return SMALL_UVARINTS[zigzag]
    if not 0 <= zigzag < 1 << 64:
        raise OverflowError(f"{value} does not fit a 64-bit varlong")
    return encode_uvarint(zigzag)


def varint_size(value: int) -> int:
    """Bytes taken by ``encode_varint(value)``."""
    zigzag = (value << 1) ^ (value >> 63)
    return max(1, (zigzag.bit_length() + 6) // 7)


def decode_uvarint(data: bytes, pos: int, max_bytes: int = 10) -> tuple[int, int]:
    """Read an unsigned varint at ``pos``: (value, next position). Bounded by ``max_bytes``."""
    result = 0
    shift = 0
    end = pos + max_bytes
    while pos < end:
        byte = data[pos]  # IndexError on truncated data: callers translate it
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise RecordsCorruptError(f"varint longer than {max_bytes} bytes")


def decode_varint(data: bytes, pos: int, max_bytes: int = 10) -> tuple[int, int]:
    """Read a zigzag varint at ``pos``: (value, next position)."""
    zigzag, pos = decode_uvarint(data, pos, max_bytes)
    return (zigzag >> 1) ^ -(zigzag & 1), pos
