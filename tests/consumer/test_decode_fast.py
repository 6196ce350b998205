"""The consumer's one-pass v2 decoder (``_decode_v2``) against the general record reader.

Batches are encoded here field by field (not through BatchBuilder), so offset and
timestamp deltas, lengths and header counts can take every varint size (1 to 5+ bytes),
offsets can have gaps (compacted batches), and records can be malformed on purpose.
Broker-free.
"""

from __future__ import annotations

import dataclasses
import random
import struct
from typing import Any

import pytest

from aiokafka_gen.consumer._records import (
    _MIN_CHUNK,
    CompletedFetch,
    _decode_general,
    _decode_v2,
    _Unusual,
    decode_batch,
)
from aiokafka_gen.consumer.subscription_state import SubscriptionState
from aiokafka_gen.records import RecordBatch, RecordsCorruptError, _crc
from aiokafka_gen.records._types import NO_HEADERS
from aiokafka_gen.records._varint import encode_varint
from aiokafka_gen.records.codecs import compress
from aiokafka_gen.structs import ConsumerRecord, TopicPartition

_HEADER = struct.Struct(">qiibIhiqqqhii")
_BASE_TS = 1_764_000_000_000
TP = TopicPartition("t", 3)
Rec = tuple[int, int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]


def _field(data: bytes | None) -> bytes:
    return encode_varint(-1) if data is None else encode_varint(len(data)) + data


def _record(offset_delta: int, ts_delta: int, key: bytes | None, value: bytes | None,
            headers: list[tuple[str, bytes | None]]) -> bytes:  # fmt: skip
    body = b"".join([
        b"\x00", encode_varint(ts_delta), encode_varint(offset_delta), _field(key), _field(value),
        encode_varint(len(headers)),
        *(_field(k.encode()) + _field(v) for k, v in headers),
    ])  # fmt: skip
    return encode_varint(len(body)) + body


def _batch(records: list[Rec], *, base: int = 1000, codec: int = 0, attributes: int = 0,
           section: bytes | None = None, count: int | None = None) -> RecordBatch:  # fmt: skip
    raw = b"".join(_record(*r) for r in records) if section is None else section
    body = compress(codec, raw) if codec else raw
    max_ts = max((_BASE_TS + r[1] for r in records), default=_BASE_TS)
    last_delta = max((r[0] for r in records), default=0)
    out = bytearray(_HEADER.size + len(body))
    _HEADER.pack_into(
        out, 0, base, len(out) - 12, 7, 2, 0, attributes | codec, last_delta, _BASE_TS,
        max_ts + 5, -1, -1, -1, len(records) if count is None else count,
    )  # fmt: skip
    out[_HEADER.size :] = body
    struct.pack_into(">I", out, 17, _crc.crc32c(memoryview(out)[21:]))
    return RecordBatch(memoryview(bytes(out)))


def _view(records: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.topic, r.partition, r.offset, r.timestamp, r.timestamp_type, r.key, r.value,
         r.checksum, r.serialized_key_size, r.serialized_value_size, [tuple(h) for h in r.headers])
        for r in records
    ]  # fmt: skip


def _random_bytes(rng: random.Random) -> bytes | None:
    size = rng.choice([None, 0, 1, 5, 63, 64, 100, 8191, 8192, 20000])
    return None if size is None else rng.randbytes(size)


def _random_records(rng: random.Random, n: int) -> list[Rec]:
    records: list[Rec] = []
    delta = rng.choice([0, 60, 8180, 1 << 20, 1 << 28])  # 1, 1-2, 2-3, 3-4, 5 varint bytes
    for _ in range(n):
        ts = rng.choice([0, 1, 63, 64, 8191, 8192, 1 << 21, 3_600_000, -5, -100_000])
        headers = [
            (rng.choice(["", "h", "trace-id", "ü"]), _random_bytes(rng))
            for _ in range(rng.choice([0, 0, 0, 1, 3]))
        ]
        records.append((delta, ts, _random_bytes(rng), _random_bytes(rng), headers))
        delta += rng.choice([1, 1, 1, 2, 500])  # gaps: compacted batches keep offsets
    return records


def _expected(records: list[Rec], base: int, log_append: bool, max_ts: int) -> list[Any]:
    return [
        ("t", 3, base + d, max_ts if log_append else _BASE_TS + ts, int(log_append), k, v, None,
         -1 if k is None else len(k), -1 if v is None else len(v), [tuple(h) for h in hs])
        for d, ts, k, v, hs in records
    ]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_random_batches_decode_like_the_general_reader(seed: int) -> None:
    rng = random.Random(seed)
    records = _random_records(rng, rng.choice([1, 2, 17, 200]))
    codec = rng.choice([0, 0, 1, 3, 4])  # none, gzip, lz4, zstd
    log_append = rng.random() < 0.3
    batch = _batch(records, codec=codec, attributes=0x08 if log_append else 0)
    batch.ensure_valid()
    fast = _decode_v2(batch, "t", 3)
    assert _view(fast) == _view(_decode_general(batch, "t", 3))
    assert _view(fast) == _expected(records, 1000, log_append, batch.max_timestamp)


def test_big_batch_with_three_byte_offset_deltas_takes_the_fast_path() -> None:
    records: list[Rec] = [(i, i // 100, None, b"v" * 100, []) for i in range(20000)]
    batch = _batch(records)
    fast = _decode_v2(batch, "t", 3)  # raises _Unusual if it could not decode it
    assert [r.offset for r in fast] == list(range(1000, 21000))
    assert _view(fast) == _view(_decode_general(batch, "t", 3))


def test_fast_records_are_whole_dataclass_instances() -> None:
    # The fast path stores the slots itself (no __init__): every field must be set, and
    # the record must behave as one made by the constructor (eq, replace, asdict).
    batch = _batch([(0, 5, b"k", b"v", [("h", b"x")])])
    [fast] = _decode_v2(batch, "t", 3)
    [general] = _decode_general(batch, "t", 3)
    assert [f.name for f in dataclasses.fields(fast)] == [
        f.name for f in dataclasses.fields(ConsumerRecord)
    ]
    assert dataclasses.astuple(fast) == dataclasses.astuple(general)
    assert fast == general and dataclasses.replace(fast, offset=7).offset == 7
    assert dataclasses.asdict(fast)["headers"] == (("h", b"x"),)


def test_empty_headers_are_shared_and_not_a_list() -> None:
    got = decode_batch(_batch([(0, 0, b"k", b"v", []), (1, 0, None, None, [("a", None)])]), "t", 3)
    assert got[0].headers is NO_HEADERS and got[1].headers == (("a", None),)


def test_control_batch_has_no_application_records() -> None:
    marker = (0, 0, b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00", [])
    assert decode_batch(_batch([marker], attributes=0x30), "t", 3) == []


def mangled(rng: random.Random) -> tuple[bytes, int, list[Any]]:
    """A records section of 1, 3 or 10 random records, then damaged one way: bytes flipped,
    truncated, extended, or a record count one off. Returns (section, count, records)."""
    records = _random_records(rng, rng.choice([1, 3, 10]))
    section = bytearray(b"".join(_record(*r) for r in records))
    how = rng.choice(["flip", "truncate", "extend", "count"])
    count = len(records)
    if how == "flip":
        for _ in range(rng.randint(1, 4)):
            section[rng.randrange(len(section))] = rng.randrange(256)
    elif how == "truncate":
        del section[rng.randrange(len(section)) :]
    elif how == "extend":
        section += rng.randbytes(rng.randint(1, 4))
    else:
        count += rng.choice([-1, 1])
    return bytes(section), count, records


@pytest.mark.parametrize("seed", range(60))
def test_malformed_sections_are_reported_by_the_general_reader(seed: int) -> None:
    section, count, records = mangled(random.Random(1000 + seed))
    batch = _batch(records, section=section, count=count)
    try:
        general = _view(_decode_general(batch, "t", 3))
    except RecordsCorruptError:
        general = None
    try:
        fast = _view(_decode_v2(batch, "t", 3))
    except _Unusual:
        fast = None  # decode_batch then takes the general reader
    if general is None:
        assert fast is None  # never records from a batch the general reader refuses
        with pytest.raises(RecordsCorruptError):
            decode_batch(batch, "t", 3)
    else:
        assert fast in (general, None)  # a flip can leave a valid but different batch
        assert _view(decode_batch(batch, "t", 3)) == general


# ---- CompletedFetch over batches decoded a chunk at a time -----------------------------


def _fetch(batches: list[RecordBatch], position: int, des: Any = (None, None)) -> tuple[Any, Any]:
    subs = SubscriptionState()
    subs.assign_from_user([TP])
    state = subs.state(TP)
    state.seek(position)
    return CompletedFetch(TP, state.seq, batches, None, 100, des, state), state


def _plain(n: int, first_delta: int = 0) -> list[Rec]:
    return [(first_delta + i, i, None, b"v%d" % i, []) for i in range(n)]


def test_big_batch_is_handed_out_in_order_across_chunks() -> None:
    n = 3 * _MIN_CHUNK + 7
    fetch, state = _fetch([_batch(_plain(n), base=0, attributes=0x08)], 0)
    seen: list[int] = []
    for limit in (1, 499, 500, 501, 2, n):
        got = fetch.take(limit, state)
        assert len(got) == min(limit, n - len(seen))
        seen += [r.offset for r in got]
        assert state.position == seen[-1] + 1  # never ahead of what was handed out
        assert {r.timestamp for r in got} == {_BASE_TS + n - 1 + 5}  # LOG_APPEND_TIME
    assert seen == list(range(n)) and fetch.exhausted


def test_take_one_moves_the_position_record_by_record_across_chunks() -> None:
    n = _MIN_CHUNK + 3
    fetch, state = _fetch([_batch(_plain(n), base=10)], 10)
    offsets = [r.offset for r in fetch.take(1, state)]
    while (record := fetch.take_one(state)) is not None:
        offsets.append(record.offset)
        assert state.position == record.offset + 1 and not fetch.done
    assert offsets == list(range(10, 10 + _MIN_CHUNK))  # the rest is not decoded yet
    offsets += [r.offset for r in fetch.take(1, state)]
    while (record := fetch.take_one(state)) is not None:
        offsets.append(record.offset)
    assert offsets == list(range(10, 10 + n)) and fetch.done and state.position == 10 + n


def test_position_inside_a_big_batch_skips_whole_chunks() -> None:
    n = 4 * _MIN_CHUNK
    fetch, state = _fetch([_batch(_plain(n), base=0)], 2 * _MIN_CHUNK + 5)
    got = fetch.take(3, state)
    assert [r.offset for r in got] == [2 * _MIN_CHUNK + 5 + i for i in range(3)]


def test_gaps_at_the_end_of_a_big_batch_move_the_position_to_its_end() -> None:
    records = _plain(_MIN_CHUNK + 1)
    records[-1] = (_MIN_CHUNK + 40, 0, None, b"last", [])  # compacted: offsets missing
    fetch, state = _fetch([_batch(records, base=0)], 0)
    assert len(fetch.take(10_000, state)) == _MIN_CHUNK + 1
    assert state.position == _MIN_CHUNK + 41 and fetch.exhausted


def test_malformed_record_in_a_later_chunk_raises_after_the_good_chunks() -> None:
    n = _MIN_CHUNK + 10
    section = bytearray(b"".join(_record(*r) for r in _plain(n)))
    assert section[-6] == 8  # the last value's length (4, zigzag)
    section[-6] = 10  # 5: the value no longer fits its record
    fetch, state = _fetch([_batch(_plain(n), section=bytes(section))], 0)
    assert len(fetch.take(_MIN_CHUNK, state)) == _MIN_CHUNK
    with pytest.raises(RecordsCorruptError):
        fetch.take(_MIN_CHUNK, state)
    assert state.position == 1000 + _MIN_CHUNK  # nothing of the bad chunk handed out


def test_header_value_cut_by_the_end_of_the_data_is_never_handed_out() -> None:
    # The first chunk's last record ends with a header value longer than the data left: a
    # slice would shorten it silently, and the chunk has no record after it to fail on.
    body = b"\x00\x00" + encode_varint(_MIN_CHUNK - 1) + b"\x01\x04v!\x02\x02h" + encode_varint(10)
    section = b"".join(_record(*r) for r in _plain(_MIN_CHUNK - 1))
    section += encode_varint(len(body) + 10) + body + b"abc"
    fetch, state = _fetch([_batch(_plain(_MIN_CHUNK + 5), section=section)], 0)
    with pytest.raises(RecordsCorruptError):
        fetch.take(_MIN_CHUNK, state)
    assert state.position == 0


def test_deserializer_error_in_a_later_chunk_stops_at_the_record() -> None:
    n = _MIN_CHUNK + 10
    bad = b"v%d" % (_MIN_CHUNK + 4)

    def value(data: bytes | None) -> bytes | None:
        if data == bad:
            raise ValueError("bad value")
        return data

    fetch, state = _fetch([_batch(_plain(n), base=0)], 0, (None, value))
    assert len(fetch.take(10_000, state)) == _MIN_CHUNK + 4
    for _ in range(2):
        with pytest.raises(ValueError):
            fetch.take(10, state)
    assert state.position == _MIN_CHUNK + 4
