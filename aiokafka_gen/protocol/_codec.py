"""Wire primitives the generated message code calls: varints, strings, bytes, counts, uuids, tags.

Readers take ``(buf: bytes, pos: int)`` and return ``(value, new_pos)``; every length is
checked against the bytes that remain before anything is sliced or allocated, and every
failure is a DecodeError. Decoders read ``bytes`` (not memoryview): slicing bytes and
``bytes.decode()`` cost half of what memoryview slicing and ``str(view, "utf-8")`` do;
records are the only values that stay views of the buffer (zero copy). Writers return
``bytes`` (or append to a parts list) and raise EncodeError. Nothing here knows about
particular messages or versions, and nothing here does I/O.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from typing import Any, Final

from aiokafka_gen.errors import DecodeError, EncodeError

Buffer = bytes | bytearray | memoryview
UnknownTags = list[tuple[int, bytes]]

_I16: Final = struct.Struct(">h")
_I32: Final = struct.Struct(">i")
_U32: Final = struct.Struct(">I")
ZERO_UUID: Final = uuid.UUID(int=0)
NULL16: Final = b"\xff\xff"
NULL32: Final = b"\xff\xff\xff\xff"
_SMALL_VARINTS: Final = tuple(bytes((i,)) for i in range(128))
_UUID: Final = uuid.UUID
_SAFE_UNKNOWN: Final = uuid.SafeUUID.unknown
_from_bytes: Final = int.from_bytes
_set_attr: Final = object.__setattr__
new_object: Final = object.__new__  # generated decoders build objects without __init__


# --- unsigned varints (tag sections and compact lengths) -------------------------------


def read_uvarint(buf: Buffer, pos: int) -> tuple[int, int]:
    """An unsigned varint of at most 5 bytes (32 bits), as Kafka's readUnsignedVarint."""
    try:
        byte = buf[pos]
        if byte < 0x80:
            return byte, pos + 1
        value = byte & 0x7F
        for shift in (7, 14, 21, 28):
            pos += 1
            byte = buf[pos]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return _check_u32(value), pos + 1
    except IndexError:
        raise DecodeError("truncated varint") from None
    raise DecodeError("varint longer than 5 bytes")


def _check_u32(value: int) -> int:
    if value > 0xFFFFFFFF:
        raise DecodeError("varint does not fit 32 bits")
    return value


def uvarint(value: int) -> bytes:
    """Encode an unsigned 32-bit varint."""
    if 0 <= value < 128:
        return _SMALL_VARINTS[value]
    if not 0 <= value <= 0xFFFFFFFF:
        raise EncodeError(f"unsigned varint out of range: {value}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# --- lengths and counts ----------------------------------------------------------------


def _checked_end(buf: bytes, pos: int, size: int) -> int:
    end = pos + size
    if end > len(buf):
        raise DecodeError(f"length {size} at offset {pos} exceeds the buffer ({len(buf)} bytes)")
    return end


def read_count(buf: bytes, pos: int) -> tuple[int, int]:
    """Classic int32 array count; -1 means null. Counts larger than what remains fail."""
    if pos + 4 > len(buf):
        raise DecodeError("truncated array count")
    (count,) = _I32.unpack_from(buf, pos)
    return _checked_count(buf, pos + 4, count)


def read_ccount(buf: bytes, pos: int) -> tuple[int, int]:
    """Compact array count (uvarint n+1, 0 = null); returns -1 for null."""
    raw, pos = read_uvarint(buf, pos)
    return _checked_count(buf, pos, raw - 1)


def _checked_count(buf: bytes, pos: int, count: int) -> tuple[int, int]:
    if count < -1:
        raise DecodeError(f"negative array count {count}")
    if count > len(buf) - pos:
        raise DecodeError(f"array count {count} exceeds the remaining {len(buf) - pos} bytes")
    return count, pos


def count_error(count: int, remaining: int) -> DecodeError:
    if count < 0:
        return DecodeError(f"negative array count {count}")
    return DecodeError(f"array count {count} exceeds the remaining {remaining} bytes")


def null_error(what: str) -> DecodeError:
    return DecodeError(f"null {what} in a version where it is not nullable")


def length_error(size: int, pos: int, buf_len: int) -> DecodeError:
    """A string, bytes or uuid length that is negative or runs past the buffer's end."""
    if size < 0:
        return DecodeError(f"negative length {size} at offset {pos}")
    return DecodeError(f"length {size} at offset {pos} exceeds the buffer ({buf_len} bytes)")


def tags_unsupported(struct_name: str) -> EncodeError:
    """Kafka's writers refuse tagged fields in versions that cannot carry them."""
    return EncodeError(f"{struct_name} has tagged fields set but this version is not flexible")


def null_value(what: str) -> EncodeError:
    return EncodeError(f"{what} is None but this version does not allow null")


EMPTY: Final[list[Any]] = []  # constructor sentinel: "no list given" (never mutated)


# --- strings ---------------------------------------------------------------------------


def _utf8(buf: bytes, pos: int, end: int) -> str:
    try:
        return buf[pos:end].decode()
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid UTF-8 at offset {pos}: {exc.reason}") from None


def read_nstr(buf: bytes, pos: int) -> tuple[str | None, int]:
    """Classic nullable string: int16 length, -1 = null."""
    if pos + 2 > len(buf):
        raise DecodeError("truncated string length")
    (size,) = _I16.unpack_from(buf, pos)
    pos += 2
    if size < 0:
        if size == -1:
            return None, pos
        raise DecodeError(f"negative string length {size}")
    end = _checked_end(buf, pos, size)
    return _utf8(buf, pos, end), end


def read_str(buf: bytes, pos: int) -> tuple[str, int]:
    value, pos = read_nstr(buf, pos)
    if value is None:
        raise null_error("string")
    return value, pos


def read_ncstr(buf: bytes, pos: int) -> tuple[str | None, int]:
    """Compact nullable string: uvarint length+1, 0 = null."""
    raw, pos = read_uvarint(buf, pos)
    if raw == 0:
        return None, pos
    end = _checked_end(buf, pos, raw - 1)
    return _utf8(buf, pos, end), end


def read_cstr(buf: bytes, pos: int) -> tuple[str, int]:
    value, pos = read_ncstr(buf, pos)
    if value is None:
        raise null_error("string")
    return value, pos


def enc_nstr(value: str | None) -> bytes:
    if value is None:
        return NULL16
    data = value.encode()
    if len(data) > 0x7FFF:
        raise EncodeError(f"string of {len(data)} bytes exceeds 32767")
    return _I16.pack(len(data)) + data


def enc_str(value: str | None) -> bytes:
    if value is None:
        raise EncodeError("null string in a version where it is not nullable")
    return enc_nstr(value)


def enc_ncstr(value: str | None) -> bytes:
    if value is None:
        return b"\x00"
    data = value.encode()
    if len(data) > 0x7FFF:
        raise EncodeError(f"string of {len(data)} bytes exceeds 32767")
    return uvarint(len(data) + 1) + data


def enc_cstr(value: str | None) -> bytes:
    if value is None:
        raise EncodeError("null string in a version where it is not nullable")
    return enc_ncstr(value)


# --- bytes and records (records stay memoryview slices: zero copy) ---------------------


def read_nrecords(buf: bytes, pos: int) -> tuple[memoryview | None, int]:
    """Classic nullable bytes as a memoryview slice of ``buf``: int32 length, -1 = null."""
    if pos + 4 > len(buf):
        raise DecodeError("truncated bytes length")
    (size,) = _I32.unpack_from(buf, pos)
    pos += 4
    if size < 0:
        if size == -1:
            return None, pos
        raise DecodeError(f"negative bytes length {size}")
    end = _checked_end(buf, pos, size)
    return memoryview(buf)[pos:end], end


def read_ncrecords(buf: bytes, pos: int) -> tuple[memoryview | None, int]:
    """Compact nullable bytes as a memoryview slice: uvarint length+1, 0 = null."""
    raw, pos = read_uvarint(buf, pos)
    if raw == 0:
        return None, pos
    end = _checked_end(buf, pos, raw - 1)
    return memoryview(buf)[pos:end], end


def read_records(buf: bytes, pos: int) -> tuple[memoryview, int]:
    value, pos = read_nrecords(buf, pos)
    if value is None:
        raise null_error("records")
    return value, pos


def read_crecords(buf: bytes, pos: int) -> tuple[memoryview, int]:
    value, pos = read_ncrecords(buf, pos)
    if value is None:
        raise null_error("records")
    return value, pos


def read_nbytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    """Classic nullable bytes (a copy): int32 length, -1 = null."""
    if pos + 4 > len(buf):
        raise DecodeError("truncated bytes length")
    (size,) = _I32.unpack_from(buf, pos)
    pos += 4
    if size < 0:
        if size == -1:
            return None, pos
        raise DecodeError(f"negative bytes length {size}")
    end = _checked_end(buf, pos, size)
    return buf[pos:end], end


def read_bytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    value, pos = read_nbytes(buf, pos)
    if value is None:
        raise null_error("bytes")
    return value, pos


def read_ncbytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    """Compact nullable bytes (a copy): uvarint length+1, 0 = null."""
    raw, pos = read_uvarint(buf, pos)
    if raw == 0:
        return None, pos
    end = _checked_end(buf, pos, raw - 1)
    return buf[pos:end], end


def read_cbytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    value, pos = read_ncbytes(buf, pos)
    if value is None:
        raise null_error("bytes")
    return value, pos


def write_nbytes(out: list[Buffer], value: Buffer | None) -> None:
    """Classic nullable bytes; the data itself is appended, not copied."""
    if value is None:
        out.append(NULL32)
        return
    out.append(_I32.pack(len(value)))
    out.append(value)


def write_bytes(out: list[Buffer], value: Buffer | None) -> None:
    if value is None:
        raise EncodeError("null bytes in a version where they are not nullable")
    write_nbytes(out, value)


def write_ncbytes(out: list[Buffer], value: Buffer | None) -> None:
    if value is None:
        out.append(b"\x00")
        return
    out.append(uvarint(len(value) + 1))
    out.append(value)


def write_cbytes(out: list[Buffer], value: Buffer | None) -> None:
    if value is None:
        raise EncodeError("null bytes in a version where they are not nullable")
    write_ncbytes(out, value)


# --- counts, uuids ----------------------------------------------------------------------


def enc_count(items: Sequence[object] | None) -> bytes:
    return NULL32 if items is None else _I32.pack(len(items))


def enc_ccount(items: Sequence[object] | None) -> bytes:
    return b"\x00" if items is None else uvarint(len(items) + 1)


class StructCache(dict[int, struct.Struct]):
    """Precompiled structs for n-element fixed-width arrays: ``cache[n]``.

    ``fmt`` has one ``%d`` for the element count (``">%di"``, or ``">i%di"`` to write
    the int32 count too). Counts above 1024 are compiled but not kept, so hostile
    counts cannot grow the cache.
    """

    def __init__(self, fmt: str) -> None:
        super().__init__()
        self.fmt = fmt

    def __missing__(self, count: int) -> struct.Struct:
        compiled = struct.Struct(self.fmt % count)
        if count <= 1024:
            self[count] = compiled
        return compiled


_ARRAY_STRUCTS: dict[str, StructCache] = {}


def array_structs(fmt: str) -> StructCache:
    """The shared StructCache for ``fmt`` (one per format across all modules)."""
    if fmt not in _ARRAY_STRUCTS:
        _ARRAY_STRUCTS[fmt] = StructCache(fmt)
    return _ARRAY_STRUCTS[fmt]


def read_fixed_list(
    buf: bytes, pos: int, count: int, code: str, size: int
) -> tuple[list[Any], int]:
    """``count`` fixed-width values (struct code ``code``, ``size`` bytes each)."""
    end = _checked_end(buf, pos, count * size)
    return list(struct.unpack_from(f">{count}{code}", buf, pos)), end


def enc_fixed_list(values: Sequence[Any], code: str) -> bytes:
    try:
        return struct.pack(f">{len(values)}{code}", *values)
    except struct.error as exc:
        raise EncodeError(f"array element out of range: {exc}") from None


def read_uuid(buf: bytes, pos: int) -> tuple[uuid.UUID, int]:
    """16 bytes as a uuid.UUID, built without UUID.__init__'s argument checks (the same
    state UUID's own unpickling sets); the all-zero id is the shared ZERO_UUID."""
    end = pos + 16
    if end > len(buf):
        raise DecodeError(f"truncated uuid at offset {pos}")
    value = _from_bytes(buf[pos:end], "big")
    if value == 0:
        return ZERO_UUID, end
    made = new_object(_UUID)
    _set_attr(made, "int", value)
    _set_attr(made, "is_safe", _SAFE_UNKNOWN)
    return made, end


def enc_uuid(value: uuid.UUID) -> bytes:
    try:
        return value.bytes
    except AttributeError:
        raise EncodeError(f"expected a uuid.UUID, got {type(value).__name__}") from None


def read_struct_marker(buf: bytes, pos: int) -> tuple[bool, int]:
    """Nullable struct marker: int8, negative = null, else present."""
    if pos >= len(buf):
        raise DecodeError("truncated struct marker")
    return buf[pos] < 0x80, pos + 1


# --- tagged fields (KIP-482) ------------------------------------------------------------


def read_tags(buf: bytes, pos: int) -> tuple[list[tuple[int, bytes]] | None, int]:
    """A tag section as (tag, raw value slice) pairs; None when it is empty."""
    count, pos = read_uvarint(buf, pos)
    if count == 0:
        return None, pos
    if count > len(buf) - pos:
        raise DecodeError(f"tag count {count} exceeds the remaining bytes")
    fields: list[tuple[int, bytes]] = []
    for _ in range(count):
        tag, pos = read_uvarint(buf, pos)
        size, pos = read_uvarint(buf, pos)
        end = _checked_end(buf, pos, size)
        fields.append((tag, buf[pos:end]))
        pos = end
    return fields, pos


def read_unknown_tags(buf: bytes, pos: int) -> tuple[UnknownTags | None, int]:
    """A tag section of a struct that knows no tags: everything is kept as bytes."""
    if pos < len(buf) and buf[pos] == 0:
        return None, pos + 1
    return read_tags(buf, pos)


def write_tags(
    out: list[Buffer], known: list[tuple[int, bytes]], unknown: UnknownTags | None
) -> None:
    """Write a tag section: known and unknown fields merged in ascending tag order."""
    fields = known + unknown if unknown else known
    if not fields:
        out.append(b"\x00")
        return
    fields.sort(key=lambda item: item[0])
    out.append(uvarint(len(fields)))
    for tag, data in fields:
        out.append(uvarint(tag))
        out.append(uvarint(len(data)))
        out.append(data)
