"""Reading legacy message sets (magic 0 and 1), which fetches may return from old logs.

Read-only: this library never writes magic 0/1. A top-level message is exposed as a
``LegacyBatch``; a compressed one (a "wrapper") holds an inner message set in its value.
Offsets: magic 0 inner messages carry absolute offsets; magic 1 inner offsets are relative
(0..n-1) and the wrapper's offset is the absolute offset of the last inner message.
Timestamps: magic 1 with LogAppendTime on the wrapper gives every inner message the
wrapper's timestamp; magic 0 has none (-1). CRC is CRC-32 (IEEE) from magic to the end.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from aiokafka_gen.records import _crc
from aiokafka_gen.records._errors import CrcMismatchError, RecordsCorruptError
from aiokafka_gen.records._types import (
    CREATE_TIME,
    LOG_APPEND_TIME,
    NO_HEADERS,
    NO_TIMESTAMP_TYPE,
    Record,
)
from aiokafka_gen.records.codecs import CODEC_NONE, DEFAULT_MAX_DECOMPRESSED, decompress

__all__ = ["MIN_MESSAGE_SIZE", "LegacyBatch"]

_PREFIX = struct.Struct(">qiIbb")  # offset, size, crc, magic, attributes
_TIMESTAMP = struct.Struct(">q")
_INT32 = struct.Struct(">i")
_LOG_OVERHEAD = 12
MIN_MESSAGE_SIZE = 14  # crc 4 + magic 1 + attributes 1 + key len 4 + value len 4


class _Message:
    """One parsed legacy message (top-level or inner)."""

    __slots__ = ("attributes", "crc", "key", "magic", "offset", "timestamp", "valid", "value")
    attributes: int
    crc: int
    key: bytes | None
    magic: int
    offset: int
    timestamp: int
    valid: bool
    value: bytes | None

    def __init__(self, view: memoryview) -> None:
        self.offset, size, self.crc, self.magic, self.attributes = _PREFIX.unpack_from(view, 0)
        if self.magic not in (0, 1) or size < MIN_MESSAGE_SIZE + 8 * self.magic:
            raise RecordsCorruptError(
                f"bad legacy message (magic {self.magic}, size {size})", offset=self.offset
            )
        self.valid = _crc.crc32(view[16:]) == self.crc
        pos = 18
        self.timestamp = -1
        if self.magic == 1:
            (self.timestamp,) = _TIMESTAMP.unpack_from(view, pos)
            pos += 8
        self.key, pos = _bytes_field(view, pos, self.offset)
        self.value, pos = _bytes_field(view, pos, self.offset)
        if pos != len(view):
            raise RecordsCorruptError(
                "legacy message size does not match its fields", offset=self.offset
            )


def _bytes_field(view: memoryview, pos: int, offset: int) -> tuple[bytes | None, int]:
    if pos + 4 > len(view):
        raise RecordsCorruptError("legacy message is truncated", offset=offset)
    (length,) = _INT32.unpack_from(view, pos)
    pos += 4
    if length == -1:
        return None, pos
    if length < 0 or pos + length > len(view):
        raise RecordsCorruptError(f"legacy field length {length} out of range", offset=offset)
    return bytes(view[pos : pos + length]), pos + length


def _inner_messages(data: bytes, outer_offset: int) -> list[_Message]:
    view, pos, out = memoryview(data), 0, []
    while pos < len(view):
        if pos + _LOG_OVERHEAD > len(view):
            raise RecordsCorruptError("inner message set is truncated", offset=outer_offset)
        (size,) = _INT32.unpack_from(view, pos + 8)
        if size < MIN_MESSAGE_SIZE or pos + _LOG_OVERHEAD + size > len(view):
            raise RecordsCorruptError(
                f"inner message size {size} out of range", offset=outer_offset
            )
        out.append(_Message(view[pos : pos + _LOG_OVERHEAD + size]))
        pos += _LOG_OVERHEAD + size
    return out


class LegacyBatch:
    """One top-level magic 0/1 message, iterated as one or more records."""

    __slots__ = ("_message", "check_crcs", "max_decompressed", "partition", "topic", "view")
    producer_id = -1
    producer_epoch = -1
    base_sequence = -1
    partition_leader_epoch = -1
    is_transactional = False
    is_control = False
    record_count = None

    def __init__(
        self,
        view: memoryview,
        max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
        topic: str | None = None,
        partition: int | None = None,
    ) -> None:
        self.view = view
        self.max_decompressed = max_decompressed
        self.topic = topic
        self.partition = partition
        self.check_crcs = True  # also check inner messages of a compressed wrapper
        self._message = _Message(view)

    @property
    def magic(self) -> int:
        return self._message.magic

    @property
    def crc(self) -> int:
        return self._message.crc

    @property
    def codec(self) -> int:
        return self._message.attributes & 0x07

    @property
    def last_offset(self) -> int:
        return self._message.offset

    @property
    def next_offset(self) -> int:
        return self._message.offset + 1

    @property
    def max_timestamp(self) -> int:
        return self._message.timestamp

    @property
    def size_in_bytes(self) -> int:
        return len(self.view)

    @property
    def timestamp_type(self) -> int:
        if self._message.magic == 0:
            return NO_TIMESTAMP_TYPE
        return LOG_APPEND_TIME if self._message.attributes & 0x08 else CREATE_TIME

    @property
    def base_offset(self) -> int:
        """Offset of the first inner record (decompresses a wrapper to find it)."""
        for record in self:
            return record.offset
        return self._message.offset

    def __repr__(self) -> str:
        return f"LegacyBatch(offset={self.last_offset}, magic={self.magic}, codec={self.codec})"

    def is_valid(self) -> bool:
        return bool(self._message.valid)

    def ensure_valid(self) -> None:
        if not self._message.valid:
            raise CrcMismatchError(
                f"legacy message CRC mismatch (stored {self.crc:#010x})",
                topic=self.topic,
                partition=self.partition,
                offset=self._message.offset,
            )

    def control_records(self) -> Iterator[Record]:
        """Legacy message sets have no control records."""
        return iter(())

    def __iter__(self) -> Iterator[Record]:
        try:
            return iter(self._records())
        except RecordsCorruptError as exc:
            raise exc.with_context(self.topic, self.partition, self._message.offset) from None

    def _records(self) -> list[Record]:
        outer = self._message
        if outer.attributes & 0x07 == CODEC_NONE:
            return [_record(outer, outer.offset, outer.timestamp)]
        if outer.value is None:
            raise RecordsCorruptError("compressed wrapper without a value", offset=outer.offset)
        data = decompress(outer.attributes & 0x07, outer.value, self.max_decompressed)
        inner = _inner_messages(data, outer.offset)
        if not inner:
            return []
        if self.check_crcs and not all(m.valid for m in inner):
            raise CrcMismatchError("inner legacy message CRC mismatch", offset=outer.offset)
        shift = outer.offset - inner[-1].offset if outer.magic == 1 else 0
        log_append = outer.magic == 1 and outer.attributes & 0x08
        return [
            _record(m, m.offset + shift, outer.timestamp if log_append else m.timestamp)
            for m in inner
        ]


def _record(message: _Message, offset: int, timestamp: int) -> Record:
    return Record(offset, timestamp, message.key, message.value, NO_HEADERS, message.crc)
