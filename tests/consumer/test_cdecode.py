"""The C chunk decoder (``aiokafka_gen.consumer._cdecode``) against its pure-Python reference
``_decode_chunk``, differentially.

The contract: for any chunk (records section, start, count, batch fields) the C decoder
returns exactly what ``_decode_chunk`` returns (every field of every record, with its type,
and the next position), or None, and then the consumer runs ``_decode_chunk`` on the same
chunk; it never returns records where ``_decode_chunk`` refuses the chunk. Checked on
hypothesis-generated batches (BatchBuilder output in every codec, and raw record bytes with
odd varints, sizes, headers, unicode and invalid UTF-8 keys, 64-bit edges), on the fuzz
corpus of tests/faults/test_fuzz.py and the hostile-bytes cases of tests/records and
tests/consumer/test_decode_fast.py: chunk by chunk, through ``decode_batch`` and through
``CompletedFetch`` (records, positions, typed errors), and once more against the whole
pure build in a subprocess (``AIOKAFKA_GEN_NO_EXTENSIONS=1``). Every chunk is also decoded
as the share consumer's records (``register_extra_class``: ConsumerRecord plus the
``delivery_count`` slot), by both decoders: the same records as that class, or None.

Skipped when the extension is not built (tests/test_accel.py fails CI when it should be).
Broker-free; ``make test-sanitize`` runs this module under ASan and UBSan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib.util
import json
import os
import pickle
import random
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.test_fuzz import _CODECS, FUZZ, RECORD_EXAMPLES, _fix_crc, _record_bases, inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from records import test_hostile

from aiokafka_gen.consumer import _records
from aiokafka_gen.consumer._records import (
    _MIN_CHUNK,
    CompletedFetch,
    _decode_chunk,
    _decode_records,
    _fast,
    _Unusual,
    decode_batch,
)
from aiokafka_gen.consumer.subscription_state import SubscriptionState
from aiokafka_gen.errors import CorruptRecordError, UnsupportedCodecError
from aiokafka_gen.records import BatchBuilder, RecordBatch, _crc, read_batches
from aiokafka_gen.records._types import NO_HEADERS
from aiokafka_gen.share.acks import ShareConsumerRecord
from aiokafka_gen.structs import ConsumerRecord, TopicPartition
from consumer.test_decode_fast import _record as fast_record
from consumer.test_decode_fast import mangled

try:
    from aiokafka_gen.consumer import _cdecode
except ImportError:
    _cdecode = None

pytestmark = pytest.mark.skipif(
    _cdecode is None, reason="the C decoder aiokafka_gen.consumer._cdecode is not built"
)

_HEADER = struct.Struct(">qiibIhiqqqhii")
TOPIC, PARTITION = "t", 3
TP = TopicPartition(TOPIC, PARTITION)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_FIELDS = [f.name for f in dataclasses.fields(ConsumerRecord) if f.name != "headers"]
EXTRA = 7  # the delivery count the share consumer's records are decoded with
if _cdecode is not None:
    _records.register_extra_class(ShareConsumerRecord, "delivery_count")
CHECKS = settings(
    max_examples=300, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck), print_blob=True,
)  # fmt: skip

# ---- comparing -------------------------------------------------------------------------


def _snap(record: Any) -> tuple[Any, ...]:
    """Every field of a record with its type; headers element by element, and whether an
    empty one is the shared NO_HEADERS."""
    headers = record.headers
    return (
        type(record),
        *((name, type(v), v) for name in _FIELDS for v in [getattr(record, name)]),
        type(headers),
        headers is NO_HEADERS,
        tuple((type(h), len(h), *((type(x), x) for x in h)) for h in headers),
        getattr(record, "delivery_count", None),
    )


def _native(batch: RecordBatch, data: Any, pos: int, count: int, *extra: Any) -> Any:
    """The C decoder, called as the consumer calls it (``_decode_records``)."""
    return _records._native_decode(
        data, pos, count, TOPIC, PARTITION, batch.base_offset, batch.base_timestamp,
        1 if batch.attributes & 0x08 else 0, batch.max_timestamp, *extra,
    )  # fmt: skip


def _pure_chunk(batch: RecordBatch, data: bytes, pos: int, count: int, extra: Any = None) -> Any:
    try:
        records, end = _decode_chunk(batch, data, pos, count, TOPIC, PARTITION, extra)
    except _Unusual:
        return None
    return [_snap(r) for r in records], end


def _check_extra(batch: RecordBatch, data: bytes, pos: int, count: int, pure: Any) -> None:
    """The chunk as share records: both decoders give ``pure``'s records as
    ShareConsumerRecord with the delivery count in its slot (or the C one None)."""
    share = _pure_chunk(batch, data, pos, count, EXTRA)
    if pure is None:
        assert share is None
    else:
        assert share is not None and share[1] == pure[1]
        assert [s[1:-1] for s in share[0]] == [s[1:-1] for s in pure[0]]
        assert all(s[0] is ShareConsumerRecord and s[-1] == EXTRA for s in share[0])
    got = _native(batch, data, pos, count, EXTRA)
    if got is not None:
        assert ([_snap(r) for r in got[0]], got[1]) == share


def check_chunk(batch: RecordBatch, data: bytes, pos: int, count: int) -> bool:
    """The C result is the pure one, or None; the consumer's entry gives the pure one.
    Returns whether the C decoder took the chunk."""
    pure = _pure_chunk(batch, data, pos, count)
    got = _native(batch, data, pos, count)
    if got is not None:
        assert pure is not None, "the C decoder returned records the pure decoder refuses"
        assert type(got) is tuple and len(got) == 2
        records, end = got
        assert type(records) is list and type(end) is int
        assert ([_snap(r) for r in records], end) == pure
    _check_extra(batch, data, pos, count, pure)
    try:
        records, end = _decode_records(batch, data, pos, count, TOPIC, PARTITION)
        via = [_snap(r) for r in records], end
    except _Unusual:
        via = None
    assert via == pure
    return got is not None


@contextlib.contextmanager
def pure_only() -> Iterator[None]:
    """The consumer without its C decoder (what AIOKAFKA_GEN_NO_EXTENSIONS gives)."""
    saved = _records._native_decode
    _records._native_decode = None
    try:
        yield
    finally:
        _records._native_decode = saved


@contextlib.contextmanager
def counting() -> Iterator[list[int]]:
    """[chunks the C decoder took, chunks it gave back] while the block runs."""
    saved, seen = _records._native_decode, [0, 0]

    def spy(*args: Any) -> Any:
        got = saved(*args)
        seen[got is None] += 1
        return got

    _records._native_decode = spy
    try:
        yield seen
    finally:
        _records._native_decode = saved


def _outcome(work: Callable[[], Any]) -> Any:
    try:
        return ("ok", work())
    except Exception as exc:  # the typed error is part of the outcome
        return ("error", type(exc), str(exc))


def _fetch_outcome(batches: list[Any], position: int, limits: list[int]) -> list[Any]:
    subs = SubscriptionState()
    subs.assign_from_user([TP])
    state = subs.state(TP)
    state.seek(position)
    fetch = CompletedFetch(TP, state.seq, batches, None, 100, (None, None), state)
    steps: list[Any] = []
    for i in range(5000):
        try:
            got = fetch.take(limits[i % len(limits)], state)
        except Exception as exc:
            steps.append(("error", type(exc), str(exc), state.position))
            break
        steps.append(([_snap(r) for r in got], state.position, state.position_epoch))
        if not got:
            break
    return steps


def consumer_outcomes(batches: list[Any], limits: tuple[int, ...] = (1, 499, 3, 10_000)) -> Any:
    """What the consumer makes of these batches: decode_batch of each, and CompletedFetch
    over all of them (from the first offset and from inside the first batch)."""
    start = batches[0].base_offset if batches else 0
    return (
        [_outcome(lambda b=b: [_snap(r) for r in decode_batch(b, TOPIC, PARTITION)])
         for b in batches],
        _fetch_outcome(batches, start, list(limits)),
        _fetch_outcome(batches, start + 2, list(reversed(limits))),
    )  # fmt: skip


def check_consumer(batches: list[Any], limits: tuple[int, ...] = (1, 499, 3, 10_000)) -> None:
    native = consumer_outcomes(batches, limits)
    with pure_only():
        pure = consumer_outcomes(batches, limits)
    assert native == pure


def check_batches(batches: list[Any]) -> None:
    """Chunk by chunk (the whole section, and from the second record on), then as the
    consumer decodes them."""
    for batch in batches:
        if not _fast(batch):
            continue
        try:
            data = batch.records_bytes()
        except (CorruptRecordError, UnsupportedCodecError):
            continue
        count = batch.record_count
        check_chunk(batch, data, 0, count)
        first = _pure_chunk(batch, data, 0, 1)
        if first is not None and count > 1:
            check_chunk(batch, data, first[1], count - 1)
            check_chunk(batch, data, first[1], 1)
    check_consumer(batches)


def _read(data: bytes, limit: int = 1 << 20) -> list[Any]:
    """The batches of a payload up to the first one whose header is unreadable."""
    found: list[Any] = []
    with contextlib.suppress(CorruptRecordError, UnsupportedCodecError):
        found.extend(read_batches(data, check_crcs=False, max_decompressed=limit))
    return found


# ---- building batches ------------------------------------------------------------------


def raw_batch(section: bytes, count: int, *, base_offset: int = 1000, base_ts: int = 0,
              max_ts: int = 0, attributes: int = 0) -> RecordBatch:  # fmt: skip
    out = bytearray(_HEADER.size + len(section))
    _HEADER.pack_into(
        out, 0, base_offset, len(out) - 12, 5, 2, 0, attributes, max(count - 1, 0), base_ts,
        max_ts, -1, -1, -1, count,
    )  # fmt: skip
    out[_HEADER.size :] = section
    struct.pack_into(">I", out, 17, _crc.crc32c(memoryview(out)[21:]))
    return RecordBatch(memoryview(bytes(out)))


def _zigzag(value: int) -> int:
    return 2 * value if value >= 0 else -2 * value - 1


def uvarint(z: int, pad: int = 0) -> bytes:
    """LEB128 of z >= 0; ``pad`` extra bytes make it non-canonical (same value)."""
    out = bytearray()
    while z > 0x7F:
        out.append(z & 0x7F | 0x80)
        z >>= 7
    out.append(z)
    for _ in range(pad):
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


def varint(value: int, pad: int = 0) -> bytes:
    return uvarint(_zigzag(value), pad)


BAD_UTF8 = [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\x80", b"\xe2\x82"]
EDGE_64 = [INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX]


# What a raw record can get wrong, and what a chunk can.
RECORD_FAULTS = [
    "ts_pad", "ts_wide", "delta_pad", "delta_wide", "key", "value", "header_key",
    "header_utf8", "header_value", "header_count", "length", "length_pad", "attributes",
]  # fmt: skip
CHUNK_FAULTS = ["base_edge", "trailing", "count"]


@st.composite
def sized(draw: st.DrawFn, data: bytes | None, faulty: bool) -> bytes:
    """A length-prefixed field (key, value, header key or value), its length written oddly
    when ``faulty`` (a null in two bytes is refused for keys and values, and read for
    header values)."""
    if not faulty:
        return varint(-1) if data is None else varint(len(data)) + data
    how = draw(st.sampled_from(["pad", "negative", "short", "long"]))
    if data is None:
        return varint(-1, draw(st.integers(1, 5)))
    size = {
        "ok": len(data), "pad": len(data), "negative": -draw(st.integers(2, 300)),
        "short": len(data) - draw(st.integers(1, 3)), "long": len(data) + draw(st.integers(1, 3)),
    }[how]  # fmt: skip
    return varint(size, draw(st.integers(1, 9)) if how == "pad" else 0) + data


@st.composite
def raw_record(draw: st.DrawFn, faults: frozenset[str]) -> bytes:
    """One record's bytes: every field in the C decoder's domain (well-formed, within 64
    bits) but for ``faults``."""
    small = st.integers(-300, 300)
    ts_range = st.integers(-(2**61), 2**61)
    if "ts_wide" in faults:  # past 64 bits, read by the pure decoder only (10 bytes)
        wide = [2**64 - 1, -(2**64), 2**63, -(2**63) - 1, *EDGE_64]
        ts_range = st.sampled_from(wide) | st.integers(-(2**64), 2**64)
    delta_range = st.integers(-(2**34) + 1, 2**34 - 1)
    if "delta_wide" in faults:
        delta_range = st.integers(-(2**36), 2**36) | st.sampled_from([2**34 - 1, -(2**34), 2**34])
    ts, delta = draw(small | ts_range), draw(small | delta_range)
    big = st.sampled_from([63, 64, 8191, 8192, 20_000]).map(lambda n: b"x" * n)
    binary = st.none() | st.binary(max_size=40) | big
    key = draw(st.none() | binary if "key" in faults else binary)
    value = draw(st.none() | binary if "value" in faults else binary)
    header_keys = st.text(max_size=12).map(str.encode)
    if "header_utf8" in faults:
        header_keys = st.sampled_from(BAD_UTF8) | header_keys
    headers = draw(st.lists(st.tuples(header_keys, st.none() | st.binary(max_size=30)),
                            min_size="header_utf8" in faults, max_size=4))  # fmt: skip

    def pad(fault: str) -> int:
        return draw(st.integers(1, 9)) if fault in faults else 0

    count = len(headers)
    if "header_count" in faults:
        count = draw(st.integers(-3, 40) | st.sampled_from([count - 1, count + 1]))
    body = b"".join([
        bytes([draw(st.integers(0, 255)) if "attributes" in faults else 0]),
        varint(ts, pad("ts_pad")), varint(delta, pad("delta_pad")),
        draw(sized(key, "key" in faults)), draw(sized(value, "value" in faults)), varint(count),
        *(draw(sized(k, "header_key" in faults)) + draw(sized(v, "header_value" in faults))
          for k, v in headers),
    ])  # fmt: skip
    length = len(body)
    if "length" in faults:
        length += draw(st.sampled_from([-2, -1, 1, 2, -length - 1, 1 << 40]))
    return varint(length, pad("length_pad")) + body


@st.composite
def raw_chunk(draw: st.DrawFn, fault: str | None) -> tuple[RecordBatch, bytes, int, int]:
    """A batch of raw records and a chunk of it, (batch, section, pos, count): with no
    fault, with ``fault`` in one record of the chunk (or in the chunk), or with every
    fault possible everywhere ("all")."""
    n = draw(st.integers(1, 8))
    skip = draw(st.integers(0, n - 1))
    faults = [frozenset[str]()] * n
    if fault == "all":
        faults = [frozenset(RECORD_FAULTS)] * n
    elif fault in RECORD_FAULTS:
        faults[draw(st.integers(skip, n - 1))] = frozenset([fault])
    records = [draw(raw_record(f)) for f in faults]
    section = b"".join(records)
    count = n
    base, base_ts = draw(st.integers(0, 2**62)), draw(st.integers(-(2**62), 2**62))
    if fault in ("all", "base_edge"):
        int64 = st.integers(INT64_MIN, INT64_MAX) | st.sampled_from(EDGE_64)
        base, base_ts = draw(int64), draw(int64)
    if fault in ("all", "trailing"):
        section += draw(st.sampled_from([b"", b"\x00", b"\x02\x00", b"\x80"]))
    if fault in ("all", "count"):
        count += draw(st.sampled_from([0, -1, 1, 5]))
    pos = sum(len(r) for r in records[:skip])
    batch = raw_batch(
        section, max(count, 0), base_offset=base, base_ts=base_ts,
        max_ts=draw(st.integers(INT64_MIN, INT64_MAX)), attributes=draw(st.sampled_from([0, 8])),
    )  # fmt: skip
    return batch, section, pos, max(count - skip, 0)


@st.composite
def built_batch(draw: st.DrawFn) -> bytes:
    """A batch as our producer writes it, in any codec, maybe LOG_APPEND_TIME."""
    codec = draw(st.sampled_from(["none"] * 4 + ["gzip", "snappy", "lz4", "zstd"]))
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 24)
    first = draw(st.integers(-(2**40), 2**42))
    big = st.sampled_from([63, 64, 8191, 8192, 70_000]).map(lambda n: b"v" * n)  # varint edges
    binary = st.none() | st.binary(max_size=60) | big
    for _ in range(draw(st.integers(1, 40))):
        headers = draw(st.lists(st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=20)),
                                max_size=4))  # fmt: skip
        ts = first + draw(st.sampled_from([0, 1, -1]) | st.integers(-(2**33), 2**33))
        builder.append(ts, draw(binary), draw(binary), headers)
    data = bytearray(builder.close(draw(st.integers(0, 2**62))))
    if draw(st.booleans()):  # LOG_APPEND_TIME
        data[22] |= 0x08
        struct.pack_into(">I", data, 17, _crc.crc32c(memoryview(data)[21:]))
    return bytes(data)


# ---- hypothesis --------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [None, *RECORD_FAULTS, *CHUNK_FAULTS, "all"])
def test_raw_chunks_decode_as_the_pure_decoder(fault: str | None) -> None:
    @settings(CHECKS, max_examples=300 if fault in (None, "all") else 120)
    @given(raw_chunk(fault))
    def run(case: tuple[RecordBatch, bytes, int, int]) -> None:
        batch, section, pos, count = case
        took = check_chunk(batch, section, pos, count)
        if fault is None:  # well-formed and within 64 bits: the C decoder's domain
            assert took
        check_consumer([batch])

    run()


@CHECKS
@given(st.lists(built_batch(), min_size=1, max_size=3))
def test_built_batches_decode_as_the_pure_decoder(payloads: list[bytes]) -> None:
    batches = [b for p in payloads for b in _read(p, 1 << 26)]
    assert len(batches) == len(payloads)
    for batch in batches:
        data = batch.records_bytes()
        assert check_chunk(batch, data, 0, batch.record_count)  # every one in its domain
    with counting() as seen:
        check_batches(batches)
    assert seen[1] == 0, "the C decoder gave back a well-formed chunk"


@pytest.mark.parametrize("kind", _CODECS)
def test_fuzz_corpus_decodes_as_the_pure_decoder(kind: str) -> None:
    """The record-reader fuzz corpus of tests/faults/test_fuzz.py (mutated batches, CRC
    fixed or not), through the C decoder and the pure one."""

    @settings(FUZZ, max_examples=RECORD_EXAMPLES)
    @given(inputs(st.sampled_from(_record_bases(kind))), st.booleans())
    def run(data: bytes, fix: bool) -> None:
        check_batches(_read(_fix_crc(data) if fix else data))

    run()


# ---- hostile corpora ---------------------------------------------------------------------


def _hostile_sections() -> list[tuple[bytes, int]]:
    """tests/records/test_hostile.py's malformed records (section, count)."""
    marks = test_hostile.test_malformed_records.pytestmark
    (mark,) = [m for m in marks if m.name == "parametrize"]
    return [(records, count) for records, count, _ in mark.args[1]]


@pytest.mark.parametrize(("section", "count"), _hostile_sections())
def test_hostile_records_decode_as_the_pure_decoder(section: bytes, count: int) -> None:
    payload = test_hostile.raw_batch(section, count, base_offset=900)
    check_batches(_read(payload))
    for attributes in (0, 8):
        batch = raw_batch(section, max(count, 0), attributes=attributes)
        check_chunk(batch, section, 0, max(count, 0))
        check_consumer([batch])


def test_huge_declared_count_allocates_nothing() -> None:
    batch = raw_batch(test_hostile.GOOD, 2**31 - 1)
    assert _native(batch, test_hostile.GOOD, 0, 2**31 - 1) is None
    assert _native(batch, test_hostile.GOOD, 0, 2**62) is None
    check_batches([batch])


def _mangled(seed: int) -> tuple[bytes, int, list[Any]]:
    """tests/consumer/test_decode_fast.py's malformed sections: flipped bytes, truncated,
    extended, wrong count."""
    return mangled(random.Random(5000 + seed))


@pytest.mark.parametrize("seed", range(150))
def test_mangled_sections_decode_as_the_pure_decoder(seed: int) -> None:
    section, count, _ = _mangled(seed)
    batch = raw_batch(section, count, base_ts=1_764_000_000_000, attributes=8 * (seed % 2))
    check_chunk(batch, section, 0, count)
    check_consumer([batch])


def _rec(body: bytes) -> bytes:
    return varint(len(body)) + body


@pytest.mark.parametrize(
    "section",
    [
        _rec(b"\x00" + varint(0, 9) + b"\x00\x01\x01\x00"),  # 10-byte timestamp delta 0
        _rec(b"\x00" + b"\xff" * 9 + b"\x01" + b"\x00\x01\x01\x00"),  # ts delta -2**63
        _rec(b"\x00" + b"\xff" * 9 + b"\x02" + b"\x00\x01\x01\x00"),  # 65 bits: pure only
        _rec(b"\x00" + b"\x80" * 10 + b"\x00" + b"\x00\x01\x01\x00"),  # 11 bytes: refused
        _rec(b"\x00\x00" + varint(0, 4) + b"\x01\x01\x00"),  # offset delta in 5 bytes
        _rec(b"\x00\x00" + varint(0, 5) + b"\x01\x01\x00"),  # 6 bytes: refused
        _rec(b"\x00\x00" + uvarint(2**35 - 1) + b"\x01\x01\x00"),  # the largest 5-byte delta
        _rec(b"\x00\x00\x00" + b"\x81\x00" + b"\x01\x00"),  # null key in two bytes
        _rec(b"\x00\x00\x00\x01" + b"\x81\x00" + b"\x00"),  # null value in two bytes
        _rec(b"\x00\x00\x00\x01\x01" + b"\x80\x00"),  # zero headers in two bytes
        _rec(b"\x00\x00\x00\x01\x01\x02\x00" + b"\x81\x00"),  # header value null, 2 bytes
        _rec(b"\x00\x00\x00\x01\x01\x02\x00\x01"),  # header "" = None
        _rec(b"\x00\x00\x00\x01\x01\x02\x06\xed\xa0\x80\x01"),  # surrogate key: not UTF-8
        _rec(b"\x00\x00\x00\x01\x01\x02\x06\xe2\x82\xac\x01"),  # "€" = None
        _rec(b"\x00\x00\x00\x01\x01\x02\x01\x00"),  # header key length -1
        _rec(b"\x00\x00\x00\x01\x01\x04\x00\x01"),  # two headers, room for one
        _rec(b"\x00\x00\x00\x01\x01"),  # no header count
        _rec(b"\x00\x00\x00\x01\x01\x00\x00"),  # one byte too many
        _rec(b"\x00\x00\x00\x03\x01\x00"),  # key length -2
        varint(7) + b"\x00\x00\x00\x01\x01\x00",  # length one more than the record
        varint(5) + b"\x00\x00\x00\x01\x01\x00",  # length one less
        varint(-5) + b"\x00" * 10,  # negative length
        uvarint(2**32) + b"\x00" * 8,  # record length past 32 bits
        b"\x80",  # truncated length
        b"",
    ],
)
def test_edge_records_decode_as_the_pure_decoder(section: bytes) -> None:
    for base, base_ts in [(0, 0), (INT64_MAX, INT64_MAX), (INT64_MIN, INT64_MIN)]:
        batch = raw_batch(section, 1, base_offset=base, base_ts=base_ts)
        check_chunk(batch, section, 0, 1)
        check_chunk(batch, section * 2, len(section), 1)
        check_chunk(batch, section * 3, 0, 3)
        check_consumer([batch])


def test_overflowing_offsets_and_timestamps_fall_back() -> None:
    section = fast_record(5, 7, b"k", b"v", [])
    batch = raw_batch(section, 1, base_offset=INT64_MAX - 2, base_ts=INT64_MAX - 3)
    assert _native(batch, section, 0, 1) is None  # base + delta past 64 bits
    records, _ = _decode_chunk(batch, section, 0, 1, TOPIC, PARTITION)
    assert records[0].offset == INT64_MAX + 3 and records[0].timestamp == INT64_MAX + 4
    assert check_chunk(raw_batch(section, 1, base_offset=INT64_MAX - 5), section, 0, 1)


def test_a_header_value_cut_by_the_end_of_the_data_is_refused() -> None:
    # The last record of a chunk, its last header value claiming more bytes than the data
    # has: slicing would shorten it silently. Neither decoder returns it.
    n = _MIN_CHUNK
    good = b"".join(fast_record(i, 0, None, b"v", []) for i in range(n - 1))
    body = b"\x00\x00" + varint(n - 1) + b"\x01\x04v!\x02\x02h" + varint(10)
    section = good + varint(len(body) + 10) + body + b"abc"
    batch = raw_batch(section, n + 5)
    assert _pure_chunk(batch, section, 0, n) is None
    assert not check_chunk(batch, section, 0, n)
    check_consumer([batch], (_MIN_CHUNK, 10))
    (step,) = _fetch_outcome([batch], 1000, [_MIN_CHUNK])
    assert step[0] == "error" and issubclass(step[1], CorruptRecordError)  # at once


# ---- big batches, chunk by chunk ---------------------------------------------------------


def _big(n: int, codec: str = "none", log_append: bool = False, base: int = 0) -> RecordBatch:
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 26)
    for i in range(n):
        headers = [("trace", b"%d" % i), ("é", None)] if i % 7 == 0 else []
        builder.append(1_764_000_000_000 + i // 3 - (i % 5 == 0), b"k%d" % i if i % 3 else None,
                       b"v" * (i % 300), headers)  # fmt: skip
    data = bytearray(builder.close(base))
    if log_append:
        data[22] |= 0x08
    (batch,) = _read(bytes(data))
    return batch


@pytest.mark.parametrize(("codec", "log_append"), [("none", False), ("lz4", True)])
def test_big_batches_are_taken_chunk_by_chunk_as_the_pure_decoder(codec: str, log_append: bool
                                                                  ) -> None:  # fmt: skip
    batches = [_big(3 * _MIN_CHUNK + 17, codec, log_append), _big(20_000, base=3 * _MIN_CHUNK + 17)]
    with counting() as seen:
        check_consumer(batches, (1, 499, 500, 501, 2, 20_000))
    assert seen[0] > 10 and seen[1] == 0


def test_a_bad_record_in_a_later_chunk_falls_back_for_that_chunk_only() -> None:
    n = 2 * _MIN_CHUNK
    section = bytearray(b"".join(fast_record(i, i, None, b"v%d" % i, []) for i in range(n)))
    section[-1] = 2  # the last record's header count: one header, in no bytes
    batch = raw_batch(bytes(section), n)
    with counting() as seen:
        check_consumer([batch], (_MIN_CHUNK,))
    assert seen[0] >= 1 and seen[1] >= 1


# ---- the records themselves --------------------------------------------------------------


def test_records_are_whole_dataclass_instances() -> None:
    section = fast_record(0, 5, b"k", b"v", [("h", b"x"), ("n", None)])
    batch = raw_batch(section, 1, base_ts=77)
    ((record,), _) = _native(batch, section, 0, 1)
    (general,) = _records._decode_general(batch, TOPIC, PARTITION)
    assert type(record) is ConsumerRecord and record == general
    assert dataclasses.astuple(record) == dataclasses.astuple(general)
    assert dataclasses.replace(record, offset=7).offset == 7
    assert repr(record) == repr(general)
    assert pickle.loads(pickle.dumps(record)) == record
    assert gc.is_tracked(record) and TOPIC in gc.get_referents(record)
    record.key = b"changed"  # mutable, as the deserializers need
    assert record.key == b"changed"
    assert not hasattr(record, "__dict__")


def test_equal_timestamps_share_one_int_and_log_append_time_shares_max_timestamp() -> None:
    section = b"".join(fast_record(i, i // 2, None, b"v", []) for i in range(4))
    batch = raw_batch(section, 4, base_ts=1_764_000_000_000)
    records, _ = _native(batch, section, 0, 4)
    assert records[0].timestamp is records[1].timestamp
    assert records[1].timestamp is not records[2].timestamp
    appended = raw_batch(section, 4, base_ts=5, max_ts=1_764_000_000_123, attributes=8)
    records, _ = _native(appended, section, 0, 4)
    # one int object for every record (the batch's attribute may box a fresh one on each
    # read where records/_v2.py is compiled, so compare its value)
    assert len({id(r.timestamp) for r in records}) == 1
    assert {r.timestamp for r in records} == {appended.max_timestamp}
    assert {r.timestamp_type for r in records} == {1}


def test_data_that_is_not_bytes_or_positions_out_of_range_give_none() -> None:
    section = fast_record(0, 0, b"k", b"v", [])
    batch = raw_batch(section, 1)
    for data in (bytearray(section), memoryview(section)):
        assert _native(batch, data, 0, 1) is None
    for pos, count in [(-1, 1), (len(section) + 1, 0), (0, -1), (2**70, 1), (0, 2**70)]:
        assert _native(batch, section, pos, count) is None
    assert _native(batch, section, len(section), 0) == ([], len(section))


# ---- misuse, leaks -----------------------------------------------------------------------


def _fresh_module() -> Any:
    """A new instance of the extension module (multi-phase init): not set up."""
    spec = importlib.util.find_spec("aiokafka_gen.consumer._cdecode")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_decode_before_setup_and_bad_arguments_raise() -> None:
    module = _fresh_module()
    args = (b"", 0, 0, TOPIC, PARTITION, 0, 0, 0, 0)
    with pytest.raises(RuntimeError, match="setup"):
        module.decode(*args)
    module.setup(ConsumerRecord, NO_HEADERS)
    assert module.decode(*args) == ([], 0)
    with pytest.raises(TypeError):
        module.decode(*args[:8])
    with pytest.raises(TypeError):
        module.decode(b"", "0", 0, TOPIC, PARTITION, 0, 0, 0, 0)


def test_setup_refuses_classes_it_cannot_fill() -> None:
    module = _fresh_module()
    names = [f.name for f in dataclasses.fields(ConsumerRecord)]

    def slotted(extra: list[str], **options: Any) -> type:
        return dataclasses.make_dataclass("R", names + extra, slots=True, **options)

    module.setup(slotted([]), NO_HEADERS)  # the same layout under another name is fine
    refused: list[Any] = [
        slotted(["more"]), slotted([], weakref_slot=True),
        dataclasses.make_dataclass("R", names),  # a __dict__, no slots
        dataclasses.make_dataclass("R", [*names[:-1], "other"], slots=True), ConsumerRecord(
            TOPIC, 0, 0, 0, 0, None, None, None, -1, -1, (),
        ),
    ]  # fmt: skip
    for cls in refused:
        with pytest.raises(TypeError):
            module.setup(cls, NO_HEADERS)
    with pytest.raises(TypeError):
        module.setup(ConsumerRecord, [])


def test_setup_extra_takes_only_the_class_plus_one_named_slot() -> None:
    module = _fresh_module()
    args = (b"", 0, 0, TOPIC, PARTITION, 0, 0, 0, 0, EXTRA)
    with pytest.raises(RuntimeError, match="setup"):
        module.setup_extra(ShareConsumerRecord, "delivery_count")
    module.setup(ConsumerRecord, NO_HEADERS)
    with pytest.raises(RuntimeError, match="setup_extra"):
        module.decode(*args)

    def sub(*slots: str, base: type = ConsumerRecord, **options: Any) -> type:
        fields = [(name, Any, dataclasses.field(default=None)) for name in slots]
        return dataclasses.make_dataclass("S", fields, bases=(base,), slots=True, **options)

    refused: list[tuple[Any, str]] = [
        (sub("delivery_count", "more"), "delivery_count"),  # two slots
        (sub("other"), "delivery_count"),  # another name
        (sub("delivery_count", weakref_slot=True), "delivery_count"),
        (sub("delivery_count", base=sub()), "delivery_count"),  # not a direct subclass
        (ConsumerRecord, "delivery_count"),  # not a subclass
        (ShareConsumerRecord, 3),  # the name is not a str
    ]
    for cls, name in refused:
        with pytest.raises(TypeError):
            module.setup_extra(cls, name)
    with pytest.raises(TypeError):  # _records checks the same before the C twin
        _records.register_extra_class(sub("other"), "delivery_count")
    module.setup_extra(sub("count"), "count")
    assert module.decode(*args) == ([], 0)
    module.setup(ConsumerRecord, NO_HEADERS)  # a new class drops the subclass
    with pytest.raises(RuntimeError, match="setup_extra"):
        module.decode(*args)


def test_no_references_or_memory_leak_on_any_path() -> None:
    topic, partition, max_ts = "".join(["to", "pic"]), 10**20, 10**15 + 1
    good = b"".join(fast_record(i, i, b"k" * (i % 3), b"v" * 300, [("h", b"x")] * (i % 2))
                    for i in range(20))  # fmt: skip
    two = fast_record(20, 0, b"k", b"v", [("a", b"1"), ("b", b"2")])
    bad_utf8 = two.replace(b"\x02b", b"\x02\xff")  # the second header's key
    cases = [
        (good, 20), (good + bad_utf8, 21), (good[:-3], 20), (good + b"\x00", 21),
        (good + varint(7) + b"\x00" + b"\xff" * 9 + b"\x02\x00\x01\x01\x00", 21),
    ]  # fmt: skip
    decode = _records._native_decode
    extra = 10**30
    watched = [NO_HEADERS, topic, partition, max_ts, ConsumerRecord, ShareConsumerRecord, extra]

    def once() -> None:
        for section, count in cases:
            for ts_type in (0, 1):
                decode(section, 0, count, topic, partition, 0, 0, ts_type, max_ts)
                decode(section, 0, count, topic, partition, 0, 0, ts_type, max_ts, extra)

    for _ in range(30):
        once()
    gc.collect()
    refs, blocks = [sys.getrefcount(x) for x in watched], sys.getallocatedblocks()
    for _ in range(300):
        once()
    gc.collect()
    assert [sys.getrefcount(x) for x in watched] == refs
    assert sys.getallocatedblocks() - blocks < 100


# ---- against the whole pure build --------------------------------------------------------


def _corpus() -> list[bytes]:
    """Deterministic payloads: built batches, hostile and mangled sections, fuzz-like
    mutations of the fuzz bases."""
    rng = random.Random(19)
    out = [test_hostile.raw_batch(s, c, base_offset=900) for s, c in _hostile_sections()]
    for seed in range(60):
        section, count, _ = _mangled(seed)
        out.append(bytes(raw_batch(section, max(count, 0), attributes=8 * (seed % 2)).view))
    out.append(bytes(_big(2 * _MIN_CHUNK + 3, "gzip").view))
    for kind in _CODECS:
        for base in _record_bases(kind):
            out.append(base)
            for _ in range(20):
                data = bytearray(base)
                for _ in range(rng.randint(1, 3)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
                out.append(_fix_crc(bytes(data)))
    return out


def corpus_outcomes() -> list[Any]:
    """The consumer's outcome for every corpus payload (picklable)."""
    return [consumer_outcomes(_read(payload)) for payload in _corpus()]


def test_the_pure_build_gives_the_same_outcomes() -> None:
    tests = Path(__file__).resolve().parents[1]
    code = (
        "import json, pickle, sys; sys.path.insert(0, sys.argv[1])\n"
        "from aiokafka_gen.consumer import _records\n"
        "from consumer.test_cdecode import corpus_outcomes\n"
        "assert _records._native_decode is None and _records.__file__.endswith('.py')\n"
        "sys.stdout.buffer.write(pickle.dumps(corpus_outcomes()))\n"
    )
    env = {**os.environ, "AIOKAFKA_GEN_NO_EXTENSIONS": "1"}
    done = subprocess.run([sys.executable, "-c", code, str(tests)], capture_output=True, env=env,
                          check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    pure = pickle.loads(done.stdout)
    with counting() as seen:
        native = corpus_outcomes()
    assert seen[0] > 50  # the C decoder did the work here
    assert len(native) == len(pure)
    for i, (a, b) in enumerate(zip(native, pure, strict=True)):
        assert a == b, f"payload {i}: {json.dumps(repr(a))[:500]} != {json.dumps(repr(b))[:500]}"
