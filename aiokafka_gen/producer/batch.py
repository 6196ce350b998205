"""One producer batch in flight through the accumulator and the sender, and aiokafka's
``BatchBuilder`` facade for ``create_batch()`` / ``send_batch()``.

A ``ProducerBatch`` owns a records ``BatchBuilder`` plus the futures of its records (one
per record, resolved together when the broker acknowledges the batch). Once drained its
bytes are frozen; a retry after an epoch bump re-stamps producer id, epoch and sequence in
place and recomputes the CRC. A batch the broker refuses as too large is split by reading
its own bytes back. This module must not do I/O nor touch the event loop beyond futures.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Sequence
from itertools import count, repeat
from typing import Any

from aiokafka_gen.errors import IllegalArgumentError
from aiokafka_gen.records import _crc
from aiokafka_gen.records.builder import BatchBuilder as RecordsBuilder
from aiokafka_gen.records.builder import Header
from aiokafka_gen.records.reader import iter_records
from aiokafka_gen.structs import RecordMetadata, TopicPartition

__all__ = ["BatchBuilder", "ProducerBatch", "restamp"]

_PRODUCER_STATE = struct.Struct(">qhi")  # producerId, producerEpoch, baseSequence
_PRODUCER_STATE_AT = 43
_ATTRIBUTES_AT = 21
_CRC_AT = 17
_U32 = struct.Struct(">I")
_CREATE_TIME, _LOG_APPEND_TIME = 0, 1
# What an acks=0 send resolves to: None, typed Any (a compiled cast() checks its type).
_NO_METADATA: Any = None


def restamp(data: bytes, producer_id: int, epoch: int, sequence: int) -> bytes:
    """``data`` (one closed v2 batch) with new producer state and a fresh CRC-32C."""
    out = bytearray(data)
    _PRODUCER_STATE.pack_into(out, _PRODUCER_STATE_AT, producer_id, epoch, sequence)
    _U32.pack_into(out, _CRC_AT, _crc.crc32c(memoryview(out)[_ATTRIBUTES_AT:]))
    return bytes(out)


_ORDER = count()


class ProducerBatch:
    """Records for one partition, their futures, and the bookkeeping of delivery."""

    __slots__ = (
        "attempts", "builder", "created", "data", "futures", "in_flight", "order", "reserved",
        "retry_at", "sequence", "timestamps", "tp", "whole",
    )  # fmt: skip

    def __init__(self, tp: TopicPartition, builder: RecordsBuilder, now: float, reserved: int):
        self.tp = tp
        self.builder = builder
        self.created = now
        self.reserved = reserved
        self.futures: list[asyncio.Future[RecordMetadata]] = []
        self.timestamps: list[int] = []
        self.whole: asyncio.Future[RecordMetadata] | None = None  # send_batch's one future
        self.data: bytes | None = None
        self.attempts = 0
        self.retry_at = 0.0
        self.in_flight = False
        self.sequence = -1
        self.order = next(_ORDER)  # creation order: re-queued batches keep it

    def append(
        self,
        timestamp: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[Header] | None,
        future: asyncio.Future[RecordMetadata],
    ) -> bool:
        """Add one record; False when it does not fit."""
        added = self.builder.append(timestamp, key, value, headers)
        if added is None:
            return False
        self.futures.append(future)
        self.timestamps.append(added[1])
        return True

    @property
    def record_count(self) -> int:
        return self.builder.record_count()

    def close(self) -> bytes:
        if self.data is None:
            self.data = self.builder.close()
        return self.data

    def done(self, base_offset: int, log_append_time: int, log_start_offset: int) -> None:
        """The broker acknowledged the batch: resolve every record's future."""
        tp = self.tp
        topic, partition = tp
        kind = _CREATE_TIME if log_append_time == -1 else _LOG_APPEND_TIME
        start = None if log_start_offset == -1 else log_start_offset
        make = tuple.__new__  # RecordMetadata is a NamedTuple: skip its Python-level __new__
        if kind == _CREATE_TIME:
            stamps: Sequence[int] = self.timestamps
        else:
            stamps = [log_append_time] * len(self.futures)
        offsets = repeat(base_offset) if base_offset < 0 else count(base_offset)
        for future, stamp, offset in zip(self.futures, stamps, offsets, strict=False):
            try:  # cheaper than asking done() first: futures are rarely cancelled
                future.set_result(
                    make(RecordMetadata, (topic, partition, tp, offset, stamp, kind, start))
                )
            except asyncio.InvalidStateError:
                continue  # the application cancelled this record's future
        if self.whole is not None and not self.whole.done():
            self.whole.set_result(
                RecordMetadata(topic, partition, tp, base_offset, log_append_time, kind, start)
            )

    def done_noack(self) -> None:
        """acks=0: the broker answers nothing, so every future resolves to None (aiokafka's
        behaviour; the public annotation stays ``RecordMetadata`` for the common case)."""
        for future in self.futures:
            if not future.done():
                future.set_result(_NO_METADATA)
        if self.whole is not None and not self.whole.done():
            self.whole.set_result(_NO_METADATA)

    def fail(self, exc: BaseException) -> None:
        for future in self.futures:
            if not future.done():
                future.set_exception(exc)
        if self.whole is not None and not self.whole.done():
            self.whole.set_exception(exc)

    def split(self, max_size: int, make: Callable[[int], RecordsBuilder]) -> list[ProducerBatch]:
        """Re-batch this batch's records into batches of at most ``max_size`` bytes."""
        parts: list[ProducerBatch] = []
        for delta, record in enumerate(iter_records(self.close())):
            if not parts or not parts[-1].append(
                record.timestamp, record.key, record.value, record.headers, self.futures[delta]
            ):
                parts.append(ProducerBatch(self.tp, make(max_size), self.created, 0))
                parts[-1].append(
                    record.timestamp, record.key, record.value, record.headers,
                    self.futures[delta],
                )  # fmt: skip
        for part in parts:  # the parts take the batch's place in creation order
            part.order = self.order
        if parts:
            parts[0].reserved = self.reserved
            parts[-1].whole = self.whole
        return parts

    def __repr__(self) -> str:
        return (
            f"<ProducerBatch {self.tp.topic}-{self.tp.partition} records={self.record_count}"
            f" attempts={self.attempts} seq={self.sequence}>"
        )


class BatchBuilder:
    """aiokafka's ``create_batch()`` object: append records, then ``send_batch()`` it.

    ``append(*, timestamp, key, value, headers=[])`` serializes with the producer's
    serializers and returns a small metadata object, or None when the batch is full or
    closed (the batch is then closed). ``timestamp`` is epoch milliseconds (an int >= 0;
    a negative one raises ``IllegalArgumentError``) or None for now.
    """

    def __init__(
        self,
        batch_size: int,
        compression_type: str | None,
        *,
        is_transactional: bool = False,
        key_serializer: Callable[[Any], Any] | None = None,
        value_serializer: Callable[[Any], Any] | None = None,
    ) -> None:
        self._builder = RecordsBuilder(
            compression=compression_type, max_batch_size=batch_size,
            transactional=is_transactional,
        )  # fmt: skip
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._closed = False

    def append(
        self,
        *,
        timestamp: Any,
        key: Any,
        value: Any,
        headers: Sequence[Header] | None = None,
    ) -> BatchRecordMetadata | None:
        # ``timestamp`` (int ms or None) is typed Any: compiled (mypyc), an ``int | None``
        # parameter would refuse a float with mypyc's message before the check below.
        if self._closed:
            return None
        if timestamp is not None and (type(timestamp) is not int or timestamp < 0):
            _refuse_timestamp(timestamp)
        if self._key_serializer is not None:
            key = self._key_serializer(key)
        if self._value_serializer is not None:
            value = self._value_serializer(value)
        added = self._builder.append(timestamp, key, value, list(headers or ()))
        if added is None:
            self.close()
            return None
        return BatchRecordMetadata(added[0], added[1], added[2])

    def close(self) -> None:
        """No more appends; ``send_batch`` also closes."""
        self._closed = True

    def size(self) -> int:
        return self._builder.size()

    def record_count(self) -> int:
        return self._builder.record_count()

    @property
    def records(self) -> RecordsBuilder:
        """The underlying records builder (used by ``send_batch``)."""
        self._closed = True
        return self._builder


def _refuse_timestamp(timestamp: Any) -> None:
    if type(timestamp) is not int:
        raise TypeError(f"timestamp must be an int (epoch milliseconds) or None, not {timestamp!r}")
    raise IllegalArgumentError(f"timestamp must not be negative, not {timestamp}")


class BatchRecordMetadata:
    """What ``BatchBuilder.append`` returns: offset delta, timestamp and encoded size."""

    __slots__ = ("offset", "size", "timestamp")

    def __init__(self, offset: int, timestamp: int, size: int) -> None:
        self.offset = offset
        self.timestamp = timestamp
        self.size = size

    @property
    def crc(self) -> None:
        return None  # v2 batches carry one CRC per batch

    def __repr__(self) -> str:
        return f"BatchRecordMetadata(offset={self.offset}, timestamp={self.timestamp})"
