"""Fetched partition data as the application sees it: ``CompletedFetch`` and the decoder
from record batches to ``ConsumerRecord``.

A ``CompletedFetch`` is one partition's slice of a Fetch response. Batch headers are walked
when it is made (to know where the next fetch starts), but records are decoded only when
the application asks for them, a chunk of a batch at a time (at least ``_MIN_CHUNK``
records, more when a poll asks for more): a ``getmany(max_records=500)`` over a 50 MB
response decodes 500 records, not the response, and a poll loop never holds thousands of
new records at once (which is what makes the cyclic GC run). The hot path
(``_decode_chunk``) builds ``ConsumerRecord`` objects straight from a v2 batch's bytes in
one pass, whatever the varint sizes and headers; a malformed batch (and every legacy or
control one) takes the general reader in ``aiokafka_gen.records``, which also produces the
typed corruption errors. Where the hand-written C twin ``_cdecode`` is built it decodes each
chunk first; it gives up (None) on anything but plain well-formed records, and the chunk
is then decoded again here from the same position, so the records or the error are this
module's either way (``_decode_records``).
Must not do I/O nor change anything but the partition state it is given.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka_gen.records import (
    AbortedTransactionFilter,
    LegacyBatch,
    RecordBatch,
    RecordsCorruptError,
)
from aiokafka_gen.records._types import NO_HEADERS, Headers
from aiokafka_gen.records._v2 import _decode_headers as decode_headers
from aiokafka_gen.records._varint import ONE_BYTE, TWO_BYTES, decode_varint
from aiokafka_gen.records.reader import LazyBatches
from aiokafka_gen.structs import ConsumerRecord, TopicPartition

from .subscription_state import PartitionState

__all__ = ["CompletedFetch", "RecordChunks", "decode_batch", "dense_batch", "register_extra_class"]

# called with the raw key or value (bytes, or None for null; the record's field holds it, typed
# object like every value the application chooses), returns what the application reads
Deserializer = Callable[[Any], object]
# the C twin's decode: (records, end), or None for a chunk it leaves to _decode_chunk
NativeDecode = Callable[..., tuple[list[ConsumerRecord[object, object]], int] | None]
Batch = RecordBatch | LegacyBatch
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_MIN_CHUNK = 500  # records decoded at least per step (getone / async for take one each)


class _Unusual(Exception):
    """The batch is malformed: the general reader decodes it again to report how."""


def _native_decoder() -> NativeDecode | None:
    """``_cdecode.decode`` set up for ConsumerRecord, or None when the C twin is not built
    (or ``AIOKAFKA_GEN_NO_EXTENSIONS`` is set)."""
    try:
        module = importlib.import_module("aiokafka_gen.consumer._cdecode")
    except ImportError:
        return None
    module.setup(ConsumerRecord, NO_HEADERS)  # TypeError if the class's layout changed
    decode: NativeDecode = module.decode
    return decode


_native_decode = _native_decoder()
# register_extra_class's (subclass of ConsumerRecord with one more slot, that slot's name)
_extra_class: type[ConsumerRecord[object, object]] = ConsumerRecord
_extra_name = ""


def register_extra_class(cls: object, name: str) -> None:
    """Make ``decode_batch(..., extra=x)`` build ``cls`` records with ``x`` in the slot
    ``name``: ``cls`` is ConsumerRecord plus that one slot (the share consumer's record
    and its ``delivery_count``); TypeError for any other class. One such class at a time."""
    global _extra_class, _extra_name
    if (
        not isinstance(cls, type)
        or not issubclass(cls, ConsumerRecord)
        or cls.__bases__ != (ConsumerRecord,)
        or cls.__dict__.get("__slots__") not in ((name,), [name], name)
    ):
        raise TypeError(f"{cls!r} is not ConsumerRecord plus the one slot {name!r}")
    if _native_decode is not None:
        importlib.import_module("aiokafka_gen.consumer._cdecode").setup_extra(cls, name)
    _extra_class, _extra_name = cls, name


def _decode_v2(
    batch: RecordBatch, topic: str, partition: int
) -> list[ConsumerRecord[object, object]]:
    """Every record of a v2 data batch in one call (raises _Unusual when malformed)."""
    data = batch.records_bytes()
    records, pos = _decode_records(batch, data, 0, batch.record_count, topic, partition, None)
    if pos != len(data):
        raise _Unusual
    return records


def _decode_records(
    batch: RecordBatch,
    data: bytes,
    pos: int,
    count: int,
    topic: str,
    partition: int,
    extra: object = None,
) -> tuple[list[ConsumerRecord[object, object]], int]:
    """``_decode_chunk``'s result: from the C twin when it is built and takes the chunk
    (it returns None for anything but plain well-formed records), else from
    ``_decode_chunk`` itself, on the same chunk from the same position. ``extra`` not
    None: the records are ``register_extra_class``'s, holding ``extra``."""
    native = _native_decode
    if native is not None:
        got = native(
            data, pos, count, topic, partition, batch.base_offset, batch.base_timestamp,
            1 if batch.attributes & 0x08 else 0, batch.max_timestamp, extra,
        )  # fmt: skip
        if got is not None:
            records: list[ConsumerRecord[object, object]] = got[0]
            end: int = got[1]
            return records, end
    return _decode_chunk(batch, data, pos, count, topic, partition, extra)


def _decode_chunk(
    batch: RecordBatch,
    data: bytes,
    pos: int,
    count: int,
    topic: str,
    partition: int,
    extra: object = None,
) -> tuple[list[ConsumerRecord[object, object]], int]:
    # ``count`` records from ``pos`` of the (decompressed) records section, straight into
    # ConsumerRecord; returns them and where the next record starts. The varints take 1-2
    # bytes in almost every record (3 for offset deltas past 8191 in big batches): those are
    # inlined, longer ones go to decode_varint. Each record must end exactly at its length
    # (the caller checks that the section ends after record_count records); anything else
    # raises _Unusual and the general reader reports the corruption with its type.
    zz, zx, slow, no_headers = ONE_BYTE, TWO_BYTES, decode_varint, NO_HEADERS
    cr: type[ConsumerRecord[object, object]] = ConsumerRecord if extra is None else _extra_class
    new = object.__new__
    base, base_ts = batch.base_offset, batch.base_timestamp
    ts_type = 1 if batch.attributes & 0x08 else 0
    out: list[ConsumerRecord[object, object]] = []
    append = out.append
    last_ts, stamp = None, 0
    try:
        for _ in range(count):
            b = data[pos]
            if b < 0x80:
                end, pos = pos + 1 + zz[b], pos + 2  # + 1: the unused attributes byte
            elif (c := data[pos + 1]) < 0x80:
                end, pos = pos + 2 + zx[b + c * 128], pos + 3
            else:
                end, pos = slow(data, pos, 5)
                end, pos = end + pos, pos + 1
            b = data[pos]
            if b < 0x80:
                ts, pos = zz[b], pos + 1
            elif (c := data[pos + 1]) < 0x80:
                ts, pos = zx[b + c * 128], pos + 2
            else:
                ts, pos = slow(data, pos)
            b = data[pos]
            if b < 0x80:
                delta, pos = zz[b], pos + 1
            elif (c := data[pos + 1]) < 0x80:
                delta, pos = zx[b + c * 128], pos + 2
            elif (d := data[pos + 2]) < 0x80:
                z = b + c * 128 + d * 16384 - 16512  # (b & 0x7F) | (c & 0x7F) << 7 | d << 14
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
                    vsize, pos = zx[b + c * 128], pos + 2
                else:
                    vsize, pos = slow(data, pos, 5)
                if vsize < 0:
                    raise _Unusual
                value = data[pos : pos + vsize]
                pos += vsize
            headers: Headers
            if pos + 1 == end and not data[pos]:  # no headers: the one shared empty tuple
                headers, pos = no_headers, end
            else:
                headers, pos = decode_headers(batch, data, pos, end)  # corrupt -> _Unusual
                if pos != end:
                    raise _Unusual
            # ConsumerRecord(...) without its Python-level __init__ (about 40% of the
            # record's construction): every slot is stored here, in field order.
            record = new(cr)
            record.topic = topic
            record.partition = partition
            record.offset = base + delta
            if ts != last_ts:  # records of one millisecond share one int
                last_ts, stamp = ts, base_ts + ts
            record.timestamp = stamp
            record.timestamp_type = ts_type
            record.key = key
            record.value = value
            record.checksum = None
            record.serialized_key_size = ksize
            record.serialized_value_size = vsize
            record.headers = headers  # type: ignore[assignment]  # values: bytes or None
            append(record)
    except (IndexError, RecordsCorruptError):
        raise _Unusual from None
    if pos > len(data):  # a slice past the end is cut short silently: only the last header
        raise _Unusual  # value of the chunk's last record can end there without IndexError
    if ts_type:  # LOG_APPEND_TIME: every record has the batch's max timestamp
        fixed = batch.max_timestamp
        for record in out:
            record.timestamp = fixed
    if extra is not None:
        name = _extra_name
        for record in out:
            setattr(record, name, extra)
    return out, pos


def _decode_general(
    batch: Batch, topic: str, partition: int, extra: object = None
) -> list[ConsumerRecord[object, object]]:
    ts_type = batch.timestamp_type
    # 11 arguments, or 12 for the registered class with its extra slot
    cls: Callable[..., ConsumerRecord[object, object]] = (
        ConsumerRecord if extra is None else _extra_class
    )
    more = () if extra is None else (extra,)
    return [
        cls(
            topic, partition, r.offset, r.timestamp, ts_type, r.key, r.value, r.checksum,
            -1 if r.key is None else len(r.key), -1 if r.value is None else len(r.value),
            r.headers, *more,
        )
        for r in batch
    ]  # fmt: skip


def _fast(batch: Batch) -> bool:
    return type(batch) is RecordBatch and not batch.attributes & 0x20 and batch.record_count >= 0


class _Cursor:
    """The records of one v2 data batch not decoded yet: decoded a chunk at a time, so a
    ``getmany(max_records=500)`` over a 9000-record batch never holds 9000 new records
    (the cyclic GC then rarely runs: records the application dropped were freed before
    the next chunk is made)."""

    __slots__ = ("batch", "data", "extra", "left", "partition", "pos", "topic")

    def __init__(
        self, batch: RecordBatch, topic: str, partition: int, extra: object = None
    ) -> None:
        self.batch, self.topic, self.partition, self.extra = batch, topic, partition, extra
        self.data = batch.records_bytes()
        self.pos = 0
        self.left = batch.record_count

    def next(self, limit: int) -> list[ConsumerRecord[object, object]]:
        """Up to ``limit`` more records (raises _Unusual when the batch is malformed)."""
        count = min(limit, self.left)
        # The cyclic GC is paused while a chunk is decoded: the records are new, alive and
        # acyclic, so collections their allocations would trigger find nothing.
        paused = _gc_isenabled()
        if paused:
            _gc_disable()
        try:
            records, self.pos = _decode_records(
                self.batch, self.data, self.pos, count, self.topic, self.partition, self.extra
            )
        finally:
            if paused:
                _gc_enable()
        self.left -= count
        if not self.left and self.pos != len(self.data):
            raise _Unusual
        return records


def decode_batch(
    batch: Batch, topic: str, partition: int, extra: object = None
) -> list[ConsumerRecord[object, object]]:
    """Every application record of ``batch`` as ``ConsumerRecord`` (raw key and value);
    with ``extra`` (not None) as ``register_extra_class``'s class holding ``extra``."""
    if extra is not None and _extra_class is None:
        raise RuntimeError("decode_batch(extra=...) before register_extra_class()")
    if _fast(batch):
        assert isinstance(batch, RecordBatch)
        try:
            return _Cursor(batch, topic, partition, extra).next(batch.record_count)
        except _Unusual:
            pass
    return _decode_general(batch, topic, partition, extra)


def dense_batch(batch: Batch) -> bool:
    """A v2 data batch whose every offset holds a record (nothing compacted away): what
    ``RecordChunks`` takes."""
    return _fast(batch) and batch.record_count == batch.last_offset - batch.base_offset + 1


class RecordChunks:
    """The records of one dense v2 data batch (``dense_batch``), decoded ``limit`` at a time
    as they are asked for, as ``CompletedFetch`` does: a batch of thousands never lives as
    thousands of new objects (which the cyclic GC would walk again and again). Records are
    ``register_extra_class``'s holding ``extra`` when it is not None. A batch the fast
    decoder refuses part-way is decoded whole by the general reader and continues from the
    next offset; its typed error (``RecordsCorruptError``), or records whose offsets are
    not the next ones of the batch, raise ``RecordsCorruptError`` from ``take`` (which
    then takes nothing: ``offsets()`` are still the ones not delivered)."""

    __slots__ = ("_cursor", "_rest", "extra", "last_offset", "next_offset", "partition", "topic")

    def __init__(
        self, batch: RecordBatch, topic: str, partition: int, extra: object = None
    ) -> None:
        if not dense_batch(batch):
            raise ValueError("RecordChunks takes a dense v2 data batch (see dense_batch)")
        if extra is not None and _extra_class is None:
            raise RuntimeError("RecordChunks(extra=...) before register_extra_class()")
        self.topic, self.partition, self.extra = topic, partition, extra
        self._cursor: _Cursor | None = _Cursor(batch, topic, partition, extra)
        self._rest: list[ConsumerRecord[object, object]] | None = None
        self.next_offset: int = batch.base_offset
        self.last_offset: int = batch.last_offset

    def __len__(self) -> int:
        """Records not taken yet."""
        return self.last_offset - self.next_offset + 1

    def offsets(self) -> range:
        """The offsets of the records not taken yet."""
        return range(self.next_offset, self.last_offset + 1)

    def take(self, limit: int) -> list[ConsumerRecord[object, object]]:
        """The next ``min(limit, len(self))`` records."""
        count = min(limit, self.last_offset - self.next_offset + 1)
        if count <= 0:
            return []
        cursor = self._cursor
        records: list[ConsumerRecord[object, object]]
        if cursor is not None:
            try:
                records = cursor.next(count)
            except _Unusual:  # the general reader raises the typed error, or reads it all
                first = self.next_offset
                general = _decode_general(cursor.batch, self.topic, self.partition, self.extra)
                self._cursor, self._rest = None, [r for r in general if r.offset >= first]
                return self.take(limit)
        else:
            rest = self._rest
            assert rest is not None
            records, self._rest = rest[:count], rest[count:]
        first = self.next_offset
        expected = first
        for record in records:  # exactly the batch's next offsets, each once
            if record.offset != expected:
                break
            expected += 1
        if len(records) != count or expected != first + count:
            raise RecordsCorruptError(
                f"{self.topic}-{self.partition}: the records of the batch at offset {first} "
                "are not its consecutive offsets"
            )
        self.next_offset = first + count
        return records


class CompletedFetch:
    """One partition's fetched batches, handed out in order as the application polls.

    ``seq`` is the partition state's ``seq`` when the fetch was sent: when it moved (seek,
    reset, reassignment) the data is stale and dropped unread.
    """

    __slots__ = (
        "_batches",
        "_cursor",
        "_error",
        "_filter",
        "_index",
        "_records",
        "_rpos",
        "delivered",
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
        batches: list[Batch] | LazyBatches,
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
        self._records: list[ConsumerRecord[object, object]] = []
        self._rpos = 0
        self._cursor: _Cursor | None = None  # the current batch's undecoded records
        self._filter = AbortedTransactionFilter(aborted) if aborted is not None else None
        self._error: BaseException | None = None
        self.size = size
        self.deserializers = deserializers
        if isinstance(batches, LazyBatches):  # v2 batches, made as they are read
            self.next_fetch_offset = batches.next_offset if batches.count else -1
        else:
            self.next_fetch_offset = batches[-1].next_offset if batches else -1
        self.delivered = 0  # records installed to hand out (the consumer's record metrics)

    @property
    def exhausted(self) -> bool:
        """Everything handed out; never while a deserializer error waits to be raised."""
        return (
            self._error is None
            and self._rpos >= len(self._records)
            and self._cursor is None
            and self._index >= len(self._batches)
        )

    def take(self, limit: int, state: PartitionState) -> list[ConsumerRecord[object, object]]:
        """Up to ``limit`` records from ``state.position`` on; moves the position past them
        (and past filtered batches). A deserializer error is raised once nothing else can
        be returned, and again on every later call until the application seeks."""
        out: list[ConsumerRecord[object, object]] = []
        while len(out) < limit:
            if self._rpos < len(self._records):
                self._take_decoded(out, limit, state)
            elif self._error is not None:
                break
            elif self._cursor is not None:
                self._decode_more(limit - len(out), state)
            elif self._index < len(self._batches):
                self._open_next_batch(limit - len(out), state)
            else:
                break
        if not out and self._error is not None:
            raise self._error
        return out

    def take_one(self, state: PartitionState) -> ConsumerRecord[object, object] | None:
        """The next record when one is already decoded (the ``getone`` fast path)."""
        rpos, records = self._rpos, self._records
        try:
            record = records[rpos]
        except IndexError:
            return None
        self._rpos = rpos = rpos + 1
        if rpos < len(records) or self._error is not None or self._cursor is not None:
            state.position = record.offset + 1
        else:
            batch = self._batches[self._index - 1]
            state.position = max(record.offset + 1, batch.next_offset)
            state.position_epoch = batch.partition_leader_epoch
            self.done = self._index >= len(self._batches)
        return record

    def _take_decoded(
        self, out: list[ConsumerRecord[object, object]], limit: int, state: PartitionState
    ) -> None:
        records, start = self._records, self._rpos
        stop = min(len(records), start + limit - len(out))
        out.extend(records[start:stop] if start or stop < len(records) else records)
        self._rpos = stop
        batch = self._batches[self._index - 1]
        state.position_epoch = batch.partition_leader_epoch
        if stop >= len(records) and self._error is None and self._cursor is None:
            state.position = max(state.position or 0, batch.next_offset)
        else:
            state.position = records[stop - 1].offset + 1

    def _open_next_batch(self, want: int, state: PartitionState) -> None:
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
        if _fast(batch):
            assert isinstance(batch, RecordBatch)
            self._cursor = _Cursor(batch, self.tp.topic, self.tp.partition)
            self._decode_more(want, state)
        else:
            self._install(decode_batch(batch, self.tp.topic, self.tp.partition), batch, state)

    def _decode_more(self, want: int, state: PartitionState) -> None:
        cursor = self._cursor
        assert cursor is not None
        try:
            records = cursor.next(max(want, _MIN_CHUNK))
        except _Unusual:  # the general reader raises the typed error, or reads it all
            self._cursor = None
            records = _decode_general(cursor.batch, self.tp.topic, self.tp.partition)
        else:
            if not cursor.left:
                self._cursor = None
        self._install(records, cursor.batch, state)

    def _install(
        self, records: list[ConsumerRecord[object, object]], batch: Batch, state: PartitionState
    ) -> None:
        """Make ``records`` (the next decoded ones of ``batch``) the ones to hand out."""
        position = state.position or 0
        if records and records[0].offset < position:
            records = [r for r in records if r.offset >= position]
        if self.deserializers != (None, None):
            records = self._deserialize(records)
        if not records and self._error is None and self._cursor is None:
            state.position = max(position, batch.next_offset)
            state.position_epoch = batch.partition_leader_epoch
        self.delivered += len(records)
        self._records, self._rpos = records, 0

    def _deserialize(
        self, records: list[ConsumerRecord[object, object]]
    ) -> list[ConsumerRecord[object, object]]:
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
