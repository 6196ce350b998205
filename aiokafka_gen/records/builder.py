"""Builds one v2 record batch (magic 2) for the producer.

Theory of operation: records are encoded one by one into a growing ``bytearray`` (the
uncompressed records section); ``close()`` compresses that section if a codec is set,
writes the 61-byte header in front of it and fills in the CRC-32C. Size accounting is
exact for the uncompressed form: ``append`` refuses (returns None) a record that would push
``size()`` past ``max_batch_size``, except the first record of an empty batch, which is
always accepted so that one large record still gets a batch of its own (as Kafka does).
With a codec the closed batch is usually far smaller; on incompressible data it can exceed
``size()`` by the codec's framing (tens of bytes), as with Kafka's own size estimate.
This module does no I/O and keeps no state beyond the batch being built.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence

from aiokafka_gen.errors import IllegalStateError
from aiokafka_gen.records import _crc
from aiokafka_gen.records._varint import SMALL_UVARINTS, encode_varint
from aiokafka_gen.records.codecs import compress, require_codec

__all__ = ["BATCH_HEADER_SIZE", "BatchBuilder", "Header", "record_size"]

Header = tuple[str, bytes | None]

# baseOffset q, batchLength i, partitionLeaderEpoch i, magic b, crc I, attributes h,
# lastOffsetDelta i, baseTimestamp q, maxTimestamp q, producerId q, producerEpoch h,
# baseSequence i, recordsCount i
_HEADER = struct.Struct(">qiibIhiqqqhii")
BATCH_HEADER_SIZE = _HEADER.size  # 61
_CRC_START = 21  # attributes onwards are covered by the CRC
_CRC_OFFSET = 17
_UINT32 = struct.Struct(">I")
_TRANSACTIONAL = 0x10
_NULL = b"\x01"  # varint(-1)
_NO_HEADERS = b"\x00"
_TABLE_SIZE = len(SMALL_UVARINTS)
_HALF = _TABLE_SIZE // 2  # non-negative values below this have a table zigzag varint
# The zigzag varint of each n in 0.._HALF-1 (SMALL_UVARINTS[2 * n]): indexed directly, so the
# hot path needs no shifts (CPython 3.11 specializes + - * and compares on ints, not << ^).
_ZIGZAG = SMALL_UVARINTS[: 2 * _HALF : 2]


def _encode_headers(headers: Sequence[Header]) -> bytes:
    parts = [encode_varint(len(headers))]
    for key, value in headers:
        raw_key = key.encode("utf-8")
        parts.append(encode_varint(len(raw_key)))
        parts.append(raw_key)
        if value is None:
            parts.append(_NULL)
        else:
            parts.append(encode_varint(len(value)))
            parts.append(bytes(value))
    return b"".join(parts)


def record_size(
    offset_delta: int,
    timestamp_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[Header] = (),
) -> int:
    """Bytes one record takes in a batch, length prefix included."""
    body = 1 + len(encode_varint(timestamp_delta)) + len(encode_varint(offset_delta))
    for data in (key, value):
        body += 1 if data is None else len(encode_varint(len(data))) + len(data)
    body += len(_encode_headers(headers)) if headers else 1
    return len(encode_varint(body)) + body


class BatchBuilder:
    """Accumulates records for one partition and produces the batch bytes.

    ``append`` returns ``(offset_delta, timestamp, record_size)`` or None when the record
    does not fit. ``close`` returns the finished batch; the builder is then frozen.
    """

    def __init__(
        self,
        *,
        compression: str | int | None = None,
        max_batch_size: int = 16384,
        producer_id: int = -1,
        producer_epoch: int = -1,
        base_sequence: int = -1,
        transactional: bool = False,
        partition_leader_epoch: int = -1,
    ) -> None:
        self.codec = require_codec(compression)
        self.max_batch_size = max_batch_size
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.transactional = transactional
        self.partition_leader_epoch = partition_leader_epoch
        self._records = bytearray()
        self._size = BATCH_HEADER_SIZE
        self._count = 0
        self._base_ts = -1
        self._max_ts = -1
        self._closed: bytes | None = None
        #: the largest record appended, in bytes (the producer's record-size metrics)
        self.max_record_size = 0

    def append(
        self,
        timestamp: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[Header] | None = None,
    ) -> tuple[int, int, int] | None:
        """Add a record; None if it would overflow ``max_batch_size``.

        The hot path: one join per record, varints from a table (lengths < 8192).
        """
        if self._closed is not None:
            raise IllegalStateError("the batch is closed")
        if timestamp is None:
            timestamp = int(time.time() * 1000)
        count = self._count
        if count == 0:
            self._base_ts = self._max_ts = timestamp
        elif timestamp > self._max_ts:
            self._max_ts = timestamp
        small = _ZIGZAG
        delta = timestamp - self._base_ts
        body = b"".join((
            b"\x00",  # record attributes
            small[delta] if 0 <= delta < _HALF else encode_varint(delta),
            small[count] if count < _HALF else encode_varint(count),
            _NULL if key is None else small[len(key)] if len(key) < _HALF
            else encode_varint(len(key)),
            key or b"",
            _NULL if value is None else small[len(value)] if len(value) < _HALF
            else encode_varint(len(value)),
            value or b"",
            _encode_headers(headers) if headers else _NO_HEADERS,
        ))  # fmt: skip
        length = len(body)
        prefix = small[length] if length < _HALF else encode_varint(length)
        size = len(prefix) + length
        if count and self._size + size > self.max_batch_size:
            return None
        self._records += prefix
        self._records += body
        self._size += size
        self._count = count + 1
        if size > self.max_record_size:
            self.max_record_size = size
        return count, timestamp, size

    def size(self) -> int:
        """Current uncompressed batch size in bytes (header included)."""
        return self._size

    def record_count(self) -> int:
        return self._count

    def is_full(self) -> bool:
        """True once even the smallest possible record (7 bytes) cannot be added."""
        return self._count > 0 and self._size + 7 > self.max_batch_size

    def has_room_for(
        self,
        timestamp_delta: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[Header] = (),
    ) -> bool:
        """Whether ``append`` would accept this record now."""
        size = record_size(self._count, timestamp_delta, key, value, headers)
        return self._count == 0 or self._size + size <= self.max_batch_size

    def set_producer_state(
        self, producer_id: int, producer_epoch: int, base_sequence: int, transactional: bool
    ) -> None:
        """Idempotent/transactional identity, settable until ``close()`` (sequence at drain)."""
        if self._closed is not None:
            raise IllegalStateError("the batch is closed")
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.transactional = transactional

    def close(self, base_offset: int = 0) -> bytes:
        """Finish the batch: compress, write the header, fill in the CRC-32C.

        Idempotent: later calls return the same bytes. An empty batch is refused because
        brokers reject batches without records.
        """
        if self._closed is not None:
            return self._closed
        if self._count == 0:
            raise IllegalStateError("a record batch needs at least one record")
        body = compress(self.codec, bytes(self._records))
        out = bytearray(BATCH_HEADER_SIZE + len(body))
        _HEADER.pack_into(
            out,
            0,
            base_offset,
            len(out) - 12,
            self.partition_leader_epoch,
            2,
            0,
            self._attributes(),
            max(self._count - 1, 0),
            self._base_ts,
            self._max_ts,
            self.producer_id,
            self.producer_epoch,
            self.base_sequence,
            self._count,
        )
        out[BATCH_HEADER_SIZE:] = body
        _UINT32.pack_into(out, _CRC_OFFSET, _crc.crc32c(memoryview(out)[_CRC_START:]))
        self._closed = bytes(out)
        self._records = bytearray()
        return self._closed

    def _attributes(self) -> int:
        return self.codec | (_TRANSACTIONAL if self.transactional else 0)
