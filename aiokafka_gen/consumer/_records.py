"""Fetched partition data as the application sees it: ``CompletedFetch`` and the decoder
from record batches to ``ConsumerRecord``.

A ``CompletedFetch`` is one partition's slice of a Fetch response. Batch headers are walked
when it is made (to know where the next fetch starts), but records are decoded one batch
at a time, only when the application asks for them: a ``getmany(max_records=10)`` over a
50 MB response decodes one batch, not the response. The hot path (``_decode_v2``)
builds ``ConsumerRecord`` objects straight from a v2 batch's bytes in one pass, whatever
the varint sizes and headers; a malformed batch (and every legacy one) takes the general
reader in ``aiokafka_gen.records``, which also produces the typed corruption errors.
Must not do I/O nor change anything but the partition state it is given.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka_gen.records import (
    AbortedTransactionFilter,
    LegacyBatch,
    RecordBatch,
    RecordsCorruptError,
)
from aiokafka_gen.records._varint import decode_varint
from aiokafka_gen.structs import ConsumerRecord, TopicPartition

from .subscription_state import PartitionState

__all__ = ["CompletedFetch", "decode_batch"]

Deserializer = Callable[[Any], Any]
Batch = RecordBatch | LegacyBatch
_ZZ = tuple((z >> 1) ^ -(z & 1) for z in range(1 << 7))
_ZZ2 = tuple((z >> 1) ^ -(z & 1) for z in range(1 << 14))
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_NO_HEADERS: Sequence[tuple[str, Any]] = ()


class _Unusual(Exception):
    """The batch is malformed: the general reader decodes it again to report how."""


def _decode_v2(batch: RecordBatch, topic: str, partition: int) -> list[ConsumerRecord[Any, Any]]:
    # One pass over the (decompressed) records section, straight into ConsumerRecord. The
    # varints take 1-2 bytes in almost every record (3 for offset deltas past 8191 in big
    # batches): those are inlined, longer ones go to decode_varint. Each record must end
    # exactly at its length and the section exactly after record_count records; anything
    # else raises _Unusual and the general reader reports the corruption with its type.
    data = batch.records_bytes()
    pos, zz, zz2, cr, slow, no_headers = 0, _ZZ, _ZZ2, ConsumerRecord, decode_varint, _NO_HEADERS
    base, base_ts = batch.base_offset, batch.base_timestamp
    ts_type = 1 if batch.attributes & 0x08 else 0
    out: list[ConsumerRecord[Any, Any]] = []
    append = out.append
    try:
        for _ in range(batch.record_count):
            b = data[pos]
            if b < 0x80:
                end, pos = pos + 1 + zz[b], pos + 2  # + 1: the unused attributes byte
            elif (c := data[pos + 1]) < 0x80:
                end, pos = pos + 2 + zz2[b & 0x7F | c << 7], pos + 3
            else:
                end, pos = slow(data, pos, 5)
                end, pos = end + pos, pos + 1
            b = data[pos]
            if b < 0x80:
                ts, pos = zz[b], pos + 1
            elif (c := data[pos + 1]) < 0x80:
                ts, pos = zz2[b & 0x7F | c << 7], pos + 2
            else:
                ts, pos = slow(data, pos)
            b = data[pos]
            if b < 0x80:
                delta, pos = zz[b], pos + 1
            elif (c := data[pos + 1]) < 0x80:
                delta, pos = zz2[b & 0x7F | c << 7], pos + 2
            elif (d := data[pos + 2]) < 0x80:
                z = b & 0x7F | (c & 0x7F) << 7 | d << 14
                delta, pos = (z >> 1) ^ -(z & 1), pos + 3
            else:
                delta, pos = slow(data, pos, 5)
            b = data[pos]
            if b == 1:
                key, ksize, pos = None, -1, pos + 1
            else:
                if b < 0x80:
                    ksize, pos = zz[b], pos + 1
                else:
                    ksize, pos = slow(data, pos, 5)
                if ksize < 0:
                    raise _Unusual
                key = data[pos : pos + ksize]
                pos += ksize
            b = data[pos]
            if b == 1:
                value, vsize, pos = None, -1, pos + 1
            else:
                if b < 0x80:
                    vsize, pos = zz[b], pos + 1
                elif (c := data[pos + 1]) < 0x80:
                    vsize, pos = zz2[b & 0x7F | c << 7], pos + 2
                else:
                    vsize, pos = slow(data, pos, 5)
                if vsize < 0:
                    raise _Unusual
                value = data[pos : pos + vsize]
                pos += vsize
            headers: Sequence[tuple[str, Any]]
            if pos + 1 == end and not data[pos]:  # no headers
                headers, pos = no_headers, end
            else:
                headers, pos = _read_headers(data, pos, end)
                if pos != end:
                    raise _Unusual
            append(cr(
                topic, partition, base + delta, base_ts + ts, ts_type, key, value, None,
                ksize, vsize, headers,
            ))  # fmt: skip
    except (IndexError, RecordsCorruptError):
        raise _Unusual from None
    if pos != len(data):
        raise _Unusual
    if ts_type:  # LOG_APPEND_TIME: every record has the batch's max timestamp
        fixed = batch.max_timestamp
        for record in out:
            record.timestamp = fixed
    return out


def _read_headers(data: bytes, pos: int, end: int) -> tuple[list[tuple[str, Any]], int]:
    count, pos = decode_varint(data, pos, 5)
    if count < 0 or count > (end - pos) // 2:  # each header takes two bytes at least
        raise _Unusual
    headers: list[tuple[str, Any]] = []  # values are bytes or None
    for _ in range(count):
        klen, pos = decode_varint(data, pos, 5)
        if klen < 0 or pos + klen > end:
            raise _Unusual
        try:
            key = data[pos : pos + klen].decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusual from None
        vlen, pos = decode_varint(data, pos + klen, 5)
        if vlen < -1 or pos + vlen > end:
            raise _Unusual
        if vlen == -1:
            headers.append((key, None))
        else:
            headers.append((key, data[pos : pos + vlen]))
            pos += vlen
    return headers, pos


def _decode_general(batch: Batch, topic: str, partition: int) -> list[ConsumerRecord[Any, Any]]:
    ts_type = batch.timestamp_type
    return [
        ConsumerRecord(
            topic, partition, r.offset, r.timestamp, ts_type, r.key, r.value, r.checksum,
            -1 if r.key is None else len(r.key), -1 if r.value is None else len(r.value),
            [(k, v) for k, v in r.headers] if r.headers else _NO_HEADERS,  # type: ignore[misc]
        )
        for r in batch
    ]  # fmt: skip


def decode_batch(batch: Batch, topic: str, partition: int) -> list[ConsumerRecord[Any, Any]]:
    """Every application record of ``batch`` as ``ConsumerRecord`` (raw key and value)."""
    if type(batch) is RecordBatch and not batch.attributes & 0x20 and batch.record_count >= 0:
        # The cyclic GC is paused while one batch is decoded: the records are new, alive and
        # acyclic, so the dozens of collections their allocations would trigger find
        # nothing and only cost time (one collection sees them once when it is resumed).
        paused = _gc_isenabled()
        if paused:
            _gc_disable()
        try:
            return _decode_v2(batch, topic, partition)
        except _Unusual:
            pass
        finally:
            if paused:
                _gc_enable()
    return _decode_general(batch, topic, partition)


class CompletedFetch:
    """One partition's fetched batches, handed out in order as the application polls.

    ``seq`` is the partition state's ``seq`` when the fetch was sent: when it moved (seek,
    reset, reassignment) the data is stale and dropped unread.
    """

    __slots__ = (
        "_batches",
        "_error",
        "_filter",
        "_index",
        "_records",
        "_rpos",
        "deserializers",
        "done",
        "next_fetch_offset",
        "seq",
        "size",
        "state",
        "tp",
    )

    def __init__(
        self,
        tp: TopicPartition,
        seq: int,
        batches: list[Batch],
        aborted: Iterable[tuple[int, int]] | None,
        size: int,
        deserializers: tuple[Deserializer | None, Deserializer | None],
        state: PartitionState | None = None,
    ) -> None:
        self.tp = tp
        self.state = state  # the partition's state when fetched (its seq tells staleness)
        self.done = False  # set by take_one when it hands out the very last record
        self.seq = seq
        self._batches = batches
        self._index = 0
        self._records: list[ConsumerRecord[Any, Any]] = []
        self._rpos = 0
        self._filter = AbortedTransactionFilter(aborted) if aborted is not None else None
        self._error: BaseException | None = None
        self.size = size
        self.deserializers = deserializers
        self.next_fetch_offset = batches[-1].next_offset if batches else -1

    @property
    def exhausted(self) -> bool:
        """Everything handed out; never while a deserializer error waits to be raised."""
        return (
            self._error is None
            and self._rpos >= len(self._records)
            and self._index >= len(self._batches)
        )

    def take(self, limit: int, state: PartitionState) -> list[ConsumerRecord[Any, Any]]:
        """Up to ``limit`` records from ``state.position`` on; moves the position past them
        (and past filtered batches). A deserializer error is raised once nothing else can
        be returned, and again on every later call until the application seeks."""
        out: list[ConsumerRecord[Any, Any]] = []
        while len(out) < limit:
            if self._rpos < len(self._records):
                self._take_decoded(out, limit, state)
            elif self._error is not None:
                break
            elif self._index < len(self._batches):
                self._open_next_batch(state)
            else:
                break
        if not out and self._error is not None:
            raise self._error
        return out

    def take_one(self, state: PartitionState) -> ConsumerRecord[Any, Any] | None:
        """The next record when one is already decoded (the ``getone`` fast path)."""
        rpos, records = self._rpos, self._records
        try:
            record = records[rpos]
        except IndexError:
            return None
        self._rpos = rpos = rpos + 1
        if rpos < len(records) or self._error is not None:
            state.position = record.offset + 1
        else:
            batch = self._batches[self._index - 1]
            state.position = max(record.offset + 1, batch.next_offset)
            state.position_epoch = batch.partition_leader_epoch
            self.done = self._index >= len(self._batches)
        return record

    def _take_decoded(
        self, out: list[ConsumerRecord[Any, Any]], limit: int, state: PartitionState
    ) -> None:
        records, start = self._records, self._rpos
        stop = min(len(records), start + limit - len(out))
        out.extend(records[start:stop] if start or stop < len(records) else records)
        self._rpos = stop
        batch = self._batches[self._index - 1]
        state.position_epoch = batch.partition_leader_epoch
        if stop >= len(records) and self._error is None:
            state.position = max(state.position or 0, batch.next_offset)
        else:
            state.position = records[stop - 1].offset + 1

    def _open_next_batch(self, state: PartitionState) -> None:
        batch = self._batches[self._index]
        self._index += 1
        self._records, self._rpos = [], 0
        position = state.position or 0
        if batch.next_offset <= position:
            return
        if self._filter is not None and not self._filter.keep(batch):
            state.position = batch.next_offset
            state.position_epoch = batch.partition_leader_epoch
            return
        records = decode_batch(batch, self.tp.topic, self.tp.partition)
        if records and records[0].offset < position:
            records = [r for r in records if r.offset >= position]
        if self.deserializers != (None, None):
            records = self._deserialize(records)
        if not records and self._error is None:
            state.position = batch.next_offset
            state.position_epoch = batch.partition_leader_epoch
        self._records = records

    def _deserialize(
        self, records: list[ConsumerRecord[Any, Any]]
    ) -> list[ConsumerRecord[Any, Any]]:
        kdes, vdes = self.deserializers
        for i, record in enumerate(records):
            try:
                if kdes is not None:
                    record.key = kdes(record.key)
                if vdes is not None:
                    record.value = vdes(record.value)
            except Exception as exc:
                self._error = exc
                return records[:i]
        return records

    def __repr__(self) -> str:
        return (
            f"<CompletedFetch {self.tp.topic}-{self.tp.partition} batches={len(self._batches)}"
            f" next={self.next_fetch_offset}>"
        )
