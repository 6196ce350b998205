"""Reading one v2 (magic 2) record batch: header fields, CRC check, lazy record decoding.

A ``RecordBatch`` is a view over the batch's bytes (a memoryview slice of the fetch
payload, never copied at batch level). Iterating it copies the records section once into
``bytes`` (decompressing if needed) and decodes records one at a time. Every length is
checked against the bytes that remain, so hostile input ends in ``RecordsCorruptError``,
never in a hang or an allocation larger than the input (or the decompression bound).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import NoReturn

from aiokafka_gen.records import _crc
from aiokafka_gen.records._errors import CrcMismatchError, RecordsCorruptError
from aiokafka_gen.records._types import CREATE_TIME, LOG_APPEND_TIME, NO_HEADERS, Headers, Record
from aiokafka_gen.records._varint import ONE_BYTE, TWO_BYTES, decode_varint
from aiokafka_gen.records.codecs import CODEC_NONE, DEFAULT_MAX_DECOMPRESSED, decompress

__all__ = ["HEADER_SIZE", "RecordBatch"]

_HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = _HEADER.size
_CRC_START = 21
_LEN = 5  # int32 lengths take at most 5 varint bytes


class RecordBatch:
    """A v2 batch: metadata as attributes, application records by iteration."""

    __slots__ = (
        "attributes",
        "base_offset",
        "base_sequence",
        "base_timestamp",
        "batch_length",
        "crc",
        "last_offset_delta",
        "magic",
        "max_decompressed",
        "max_timestamp",
        "partition",
        "partition_leader_epoch",
        "producer_epoch",
        "producer_id",
        "record_count",
        "topic",
        "view",
    )

    attributes: int
    base_offset: int
    base_sequence: int
    base_timestamp: int
    batch_length: int
    crc: int
    last_offset_delta: int
    magic: int
    max_timestamp: int
    partition_leader_epoch: int
    producer_epoch: int
    producer_id: int
    record_count: int

    def __init__(
        self,
        view: memoryview,
        max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
        topic: str | None = None,
        partition: int | None = None,
    ) -> None:
        (
            self.base_offset,
            self.batch_length,
            self.partition_leader_epoch,
            self.magic,
            self.crc,
            self.attributes,
            self.last_offset_delta,
            self.base_timestamp,
            self.max_timestamp,
            self.producer_id,
            self.producer_epoch,
            self.base_sequence,
            self.record_count,
        ) = _HEADER.unpack_from(view, 0)
        self.view = view
        self.max_decompressed = max_decompressed
        self.topic = topic
        self.partition = partition

    @property
    def codec(self) -> int:
        return self.attributes & 0x07

    @property
    def timestamp_type(self) -> int:
        return LOG_APPEND_TIME if self.attributes & 0x08 else CREATE_TIME

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & 0x10)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & 0x20)

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def size_in_bytes(self) -> int:
        return len(self.view)

    def __repr__(self) -> str:
        return (
            f"RecordBatch(base_offset={self.base_offset}, count={self.record_count}, "
            f"codec={self.codec}, control={self.is_control}, pid={self.producer_id})"
        )

    def is_valid(self) -> bool:
        """Whether the stored CRC-32C matches the bytes from attributes to the end."""
        return bool(_crc.crc32c(self.view[_CRC_START:]) == self.crc)

    def ensure_valid(self) -> None:
        """Raise ``CrcMismatchError`` if the CRC does not match."""
        if not self.is_valid():
            raise CrcMismatchError(
                f"record batch CRC mismatch (stored {self.crc:#010x})",
                topic=self.topic,
                partition=self.partition,
                offset=self.base_offset,
            )

    def records_bytes(self) -> bytes:
        """The (decompressed) records section."""
        section = self.view[HEADER_SIZE:]
        if self.codec == CODEC_NONE:
            return bytes(section)
        try:
            return decompress(self.codec, section, self.max_decompressed)
        except RecordsCorruptError as exc:
            raise exc.with_context(self.topic, self.partition, self.base_offset) from None

    def __iter__(self) -> Iterator[Record]:
        """The application records; a control batch has none (see ``control_records``)."""
        if self.attributes & 0x20:
            return iter(())
        return self._records()

    def control_records(self) -> Iterator[Record]:
        """The raw records of a control batch (markers); empty for a data batch."""
        if not self.attributes & 0x20:
            return iter(())
        return self._records()

    def _records(self) -> Iterator[Record]:
        if self.record_count < 0:
            raise _corrupt(self, "negative record count")
        return _decode_records(self, self.records_bytes())


def _corrupt(batch: RecordBatch, what: str) -> RecordsCorruptError:
    return RecordsCorruptError(
        what, topic=batch.topic, partition=batch.partition, offset=batch.base_offset
    )


def _decode_records(batch: RecordBatch, data: bytes) -> Iterator[Record]:
    """Hot loop: 1-2 byte varints inlined via tables; every length checked against the end."""
    pos, size, zz, zz2, new, slow = 0, len(data), ONE_BYTE, TWO_BYTES, tuple.__new__, decode_varint
    base_offset, base_ts = batch.base_offset, batch.base_timestamp
    fixed_ts = batch.max_timestamp if batch.attributes & 0x08 else None
    try:
        for _ in range(batch.record_count):
            length, pos = (
                (zz[b], pos + 1) if (b := data[pos]) < 0x80
                else (zz2[b + c * 128], pos + 2) if (c := data[pos + 1]) < 0x80
                else slow(data, pos, _LEN)
            )  # fmt: skip
            end = pos + length
            if length < 6 or end > size:
                raise _corrupt(batch, f"record length {length} out of range")
            pos += 1  # the record attributes are unused
            ts_delta, pos = (
                (zz[b], pos + 1) if (b := data[pos]) < 0x80
                else (zz2[b + c * 128], pos + 2) if (c := data[pos + 1]) < 0x80
                else slow(data, pos)
            )  # fmt: skip
            off_delta, pos = (
                (zz[b], pos + 1) if (b := data[pos]) < 0x80
                else (zz2[b + c * 128], pos + 2) if (c := data[pos + 1]) < 0x80
                else slow(data, pos, _LEN)
            )  # fmt: skip
            klen, pos = (zz[b], pos + 1) if (b := data[pos]) < 0x80 else slow(data, pos, _LEN)
            if klen < 0:
                key = None if klen == -1 else _bad_length(batch, klen)
            elif (after := pos + klen) <= end:
                key, pos = data[pos:after], after
            else:
                raise _corrupt(batch, f"key length {klen} beyond the record")
            vlen, pos = (
                (zz[b], pos + 1) if (b := data[pos]) < 0x80
                else (zz2[b + c * 128], pos + 2) if (c := data[pos + 1]) < 0x80
                else slow(data, pos, _LEN)
            )  # fmt: skip
            if vlen < 0:
                value = None if vlen == -1 else _bad_length(batch, vlen)
            elif (after := pos + vlen) <= end:
                value, pos = data[pos:after], after
            else:
                raise _corrupt(batch, f"value length {vlen} beyond the record")
            if data[pos] == 0:
                headers, pos = NO_HEADERS, pos + 1
            else:
                headers, pos = _decode_headers(batch, data, pos, end)
            if pos != end:
                raise _corrupt(batch, "record length does not match its fields")
            ts = base_ts + ts_delta if fixed_ts is None else fixed_ts
            yield new(Record, (base_offset + off_delta, ts, key, value, headers, None))
    except IndexError:
        raise _corrupt(batch, "records section is truncated") from None
    except RecordsCorruptError as exc:  # from the varint slow path: add the context
        raise exc.with_context(batch.topic, batch.partition, batch.base_offset) from None
    if pos != size:
        raise _corrupt(batch, f"{size - pos} bytes left after {batch.record_count} records")


def _bad_length(batch: RecordBatch, length: int) -> NoReturn:
    raise _corrupt(batch, f"negative length {length}")


def _decode_headers(batch: RecordBatch, data: bytes, pos: int, end: int) -> tuple[Headers, int]:
    """One record's headers from its header count at ``pos``, none past ``end``: (a tuple of
    (key, value) tuples, the next position). Shared with the consumer's decoder. One-byte
    varints (counts and lengths up to 63) are read inline, longer ones by decode_varint;
    past the data's end ``IndexError`` (callers translate it)."""
    zz, slow = ONE_BYTE, decode_varint
    count, pos = (zz[b], pos + 1) if (b := data[pos]) < 0x80 else slow(data, pos, _LEN)
    if count < 0 or count > (end - pos) // 2:  # each header takes two bytes at least
        raise _corrupt(batch, f"header count {count} larger than the record")
    if not count:
        return NO_HEADERS, pos
    headers: list[tuple[str, bytes | None]] = []
    append = headers.append
    for _ in range(count):
        klen, pos = (zz[b], pos + 1) if (b := data[pos]) < 0x80 else slow(data, pos, _LEN)
        after = pos + klen
        if klen < 0 or after > end:
            raise _corrupt(batch, f"header key length {klen} out of range")
        try:
            key = data[pos:after].decode()
        except UnicodeDecodeError:
            raise _corrupt(batch, "header key is not UTF-8") from None
        vlen, pos = (zz[b], after + 1) if (b := data[after]) < 0x80 else slow(data, after, _LEN)
        if vlen < 0:
            if vlen != -1:
                raise _corrupt(batch, f"header value length {vlen} out of range")
            append((key, None))
        elif (after := pos + vlen) <= end:
            append((key, data[pos:after]))
            pos = after
        else:
            raise _corrupt(batch, f"header value length {vlen} out of range")
    return tuple(headers), pos
