"""Iterating the batches of a fetched records payload (v2 batches and legacy messages).

``BatchReader`` walks a ``memoryview`` of the payload without copying: each batch is a
view slice. It stops cleanly at a truncated trailing batch (brokers cut fetches at a byte
limit) and reports how many bytes were left in ``remaining``. With ``check_crcs`` every
batch is CRC-checked before it is handed out. Errors carry topic/partition/offset context.
No I/O; no decoding of records until a batch is iterated.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from aiokafka_gen.records import _crc
from aiokafka_gen.records._errors import CrcMismatchError, RecordsCorruptError
from aiokafka_gen.records._legacy import MIN_MESSAGE_SIZE, LegacyBatch
from aiokafka_gen.records._types import Record
from aiokafka_gen.records._v2 import HEADER_SIZE, RecordBatch
from aiokafka_gen.records.codecs import DEFAULT_MAX_DECOMPRESSED

__all__ = ["BatchReader", "LazyBatches", "iter_records", "read_batches", "scan_batches"]

_FRAME = struct.Struct(">qi")  # baseOffset / offset, then the length of what follows
_LOG_OVERHEAD = 12
_UP_TO_MAGIC = 17
# from partitionLeaderEpoch: the epoch, magic, crc, attributes and lastOffsetDelta
_SCAN = struct.Struct(">ibIhi")
_CRC_START = 21


class BatchReader:
    """Iterate batches (``RecordBatch`` or ``LegacyBatch``) of one partition's payload."""

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        check_crcs: bool = True,
        topic: str | None = None,
        partition: int | None = None,
        max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    ) -> None:
        self.view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
        self.check_crcs = check_crcs
        self.topic = topic
        self.partition = partition
        self.max_decompressed = max_decompressed
        self.position = 0

    @property
    def remaining(self) -> int:
        """Bytes not (yet) consumed; after iteration, the size of a truncated tail."""
        return len(self.view) - self.position

    def __iter__(self) -> Iterator[RecordBatch | LegacyBatch]:
        try:
            while (batch := self._next()) is not None:
                yield batch
        except RecordsCorruptError as exc:
            raise exc.with_context(self.topic, self.partition) from None

    def _next(self) -> RecordBatch | LegacyBatch | None:
        view, pos = self.view, self.position
        if len(view) - pos < _UP_TO_MAGIC:
            return None
        offset, length = _FRAME.unpack_from(view, pos)
        magic = view[pos + 16]
        minimum = HEADER_SIZE - _LOG_OVERHEAD if magic >= 2 else MIN_MESSAGE_SIZE
        if length < minimum:
            raise RecordsCorruptError(f"batch length {length} below {minimum}", offset=offset)
        end = pos + _LOG_OVERHEAD + length
        if end > len(view):
            return None
        batch = self._make(view[pos:end], magic, offset)
        if self.check_crcs:
            batch.ensure_valid()
        self.position = end
        return batch

    def _make(self, view: memoryview, magic: int, offset: int) -> RecordBatch | LegacyBatch:
        if magic == 2:
            return RecordBatch(view, self.max_decompressed, self.topic, self.partition)
        if magic in (0, 1):
            legacy = LegacyBatch(view, self.max_decompressed, self.topic, self.partition)
            legacy.check_crcs = self.check_crcs
            return legacy
        raise RecordsCorruptError(f"unknown record batch magic {magic}", offset=offset)


def read_batches(data: bytes | bytearray | memoryview, **options: Any) -> BatchReader:
    """``BatchReader(data, **options)``: iterate it for batches."""
    return BatchReader(data, **options)


def iter_records(data: bytes | bytearray | memoryview, **options: Any) -> Iterator[Record]:
    """Every application record of a payload in order (control batches skipped)."""
    for batch in BatchReader(data, **options):
        yield from batch  # control batches yield nothing


class LazyBatches:
    """The v2 batches of a payload ``scan_batches`` checked, made one at a time as they
    are read in order: index ``i`` parses the next batch, ``i - 1`` is the one made last.
    A consumer holding thousands of partitions' fetches keeps one batch object per
    partition alive instead of one per batch (the garbage collector's work grows with
    every object kept)."""

    __slots__ = (
        "_current",
        "_made",
        "_position",
        "count",
        "last_epoch",
        "max_decompressed",
        "next_offset",
        "partition",
        "topic",
        "view",
    )

    def __init__(
        self,
        view: memoryview,
        count: int,
        next_offset: int,
        last_epoch: int,
        topic: str | None,
        partition: int | None,
        max_decompressed: int,
    ) -> None:
        self.view = view
        self.count = count
        self.next_offset = next_offset  # of the last batch: where the next fetch starts
        self.last_epoch = last_epoch  # the last batch's partition leader epoch
        self.topic = topic
        self.partition = partition
        self.max_decompressed = max_decompressed
        self._position = 0
        self._made = 0
        self._current: RecordBatch | None = None

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> RecordBatch:
        current = self._current
        if index == self._made - 1 and current is not None:
            return current
        if index != self._made or index >= self.count:
            raise IndexError(f"batch {index}: these batches are read once, in order")
        view, pos = self.view, self._position
        end = pos + _LOG_OVERHEAD + _FRAME.unpack_from(view, pos)[1]
        batch = RecordBatch(view[pos:end], self.max_decompressed, self.topic, self.partition)
        self._position = end
        self._made = index + 1
        self._current = batch
        return batch


def scan_batches(
    data: bytes | bytearray | memoryview,
    *,
    check_crcs: bool = True,
    topic: str | None = None,
    partition: int | None = None,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> LazyBatches | None:
    """Check a payload of v2 batches (lengths, CRCs) without making a batch object:
    the same batches, errors and truncated tail as ``BatchReader``, as ``LazyBatches``.
    None when a batch is not v2 (legacy messages): read those with ``BatchReader``."""
    view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    size = len(view)
    pos = count = 0
    next_offset = last_epoch = -1
    minimum = HEADER_SIZE - _LOG_OVERHEAD
    while size - pos >= _UP_TO_MAGIC:
        offset, length = _FRAME.unpack_from(view, pos)
        if view[pos + 16] != 2:
            return None
        if length < minimum:
            error = RecordsCorruptError(f"batch length {length} below {minimum}", offset=offset)
            raise error.with_context(topic, partition) from None
        end = pos + _LOG_OVERHEAD + length
        if end > size:
            break
        epoch, _, crc, _, last_delta = _SCAN.unpack_from(view, pos + 12)
        if check_crcs and _crc.crc32c(view[pos + _CRC_START : end]) != crc:
            raise CrcMismatchError(
                f"record batch CRC mismatch (stored {crc:#010x})",
                topic=topic,
                partition=partition,
                offset=offset,
            )
        next_offset = offset + last_delta + 1
        last_epoch = epoch
        count += 1
        pos = end
    return LazyBatches(view, count, next_offset, last_epoch, topic, partition, max_decompressed)
