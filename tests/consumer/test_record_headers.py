"""``ConsumerRecord.headers`` is a tuple of (str, bytes) tuples on every decoding path, as
aiokafka gives it (its fetcher hands out ``tuple(record.headers)``), and the one shared empty
tuple when a record has none. Broker-free: batches built by our builder (v2), by hand
(legacy magic 0/1), and read back by aiokafka's own record reader as the reference."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from aiokafka.record.memory_records import MemoryRecords

from aiokafka_gen.consumer._records import (
    CompletedFetch,
    _decode_general,
    _decode_v2,
    decode_batch,
)
from aiokafka_gen.consumer.subscription_state import SubscriptionState
from aiokafka_gen.records import BatchBuilder, RecordBatch, read_batches
from aiokafka_gen.records._types import NO_HEADERS
from aiokafka_gen.structs import TopicPartition

TP = TopicPartition("t", 0)
Headers = list[tuple[str, bytes | None]]

HEADER_SETS: list[Headers] = [
    [],
    [("trace", b"42")],
    [
        ("dup", b"a"),
        ("dup", b""),
        ("null", None),
        ("", b"\x00\xff"),
        ("\u00e9t\u00e9", b"v" * 200),  # a two-byte value length
        ("k" * 70, b"x"),  # a two-byte key length
    ],
]
IDS = ["none", "one", "several"]


def _v2(headers: Headers, codec: str | None = None, count: int = 3) -> RecordBatch:
    builder = BatchBuilder(compression=codec, max_batch_size=1 << 20)
    for i in range(count):
        assert builder.append(1_700_000_000_000 + i, b"k%d" % i, b"v%d" % i, headers)
    (batch,) = read_batches(builder.close(0))
    assert isinstance(batch, RecordBatch)
    return batch


def _check(records: list[Any], sent: Headers) -> None:
    assert records
    for record in records:
        assert type(record.headers) is tuple
        assert all(type(h) is tuple for h in record.headers)
        assert record.headers == tuple(sent)
        if not sent:
            assert record.headers is NO_HEADERS  # shared, not a new tuple per record


@pytest.mark.parametrize("sent", HEADER_SETS, ids=IDS)
@pytest.mark.parametrize("codec", [None, "gzip"])
def test_fast_decoder(sent: Headers, codec: str | None) -> None:
    batch = _v2(sent, codec)
    _check(_decode_v2(batch, "t", 0), sent)
    _check(decode_batch(batch, "t", 0), sent)


@pytest.mark.parametrize("sent", HEADER_SETS, ids=IDS)
def test_general_reader(sent: Headers) -> None:
    batch = _v2(sent)
    _check(list(batch), sent)  # aiokafka_gen.records' Record
    _check(_decode_general(batch, "t", 0), sent)  # the consumer's fallback path


@pytest.mark.parametrize("sent", HEADER_SETS, ids=IDS)
def test_completed_fetch_hands_out_tuples(sent: Headers) -> None:
    subs = SubscriptionState()
    subs.assign_from_user([TP])
    state = subs.state(TP)
    state.seek(0)
    fetch = CompletedFetch(TP, state.seq, [_v2(sent, count=5)], None, 0, (None, None), state)
    records = fetch.take(2, state) + fetch.take(10, state)
    assert [r.offset for r in records] == list(range(5))
    _check(records, sent)


@pytest.mark.parametrize("sent", HEADER_SETS, ids=IDS)
def test_same_headers_as_aiokafka(sent: Headers) -> None:
    batch = _v2(sent, "gzip")
    theirs = MemoryRecords(bytes(batch.view)).next_batch()
    assert theirs is not None
    # aiokafka's fetcher turns each record's header list into a tuple
    expected = [tuple(r.headers) for r in theirs]
    assert [r.headers for r in decode_batch(batch, "t", 0)] == expected


def _legacy(offset: int, magic: int, value: bytes) -> bytes:
    body = struct.pack(">bb", magic, 0)
    if magic == 1:
        body += struct.pack(">q", 1_700_000_000_000)
    body += struct.pack(">i", -1) + struct.pack(">i", len(value)) + value
    return struct.pack(">qiI", offset, len(body) + 4, zlib.crc32(body)) + body


@pytest.mark.parametrize("magic", [0, 1])
def test_legacy_batches_have_the_shared_empty_tuple(magic: int) -> None:
    (batch,) = read_batches(_legacy(7, magic, b"old"))
    assert batch.magic == magic
    (record,) = decode_batch(batch, "t", 0)
    assert record.value == b"old" and record.headers is NO_HEADERS
    assert [r.headers for r in batch] == [()]
