"""Scenario 6: fuzzing what a broker's bytes reach first, with hypothesis, for a bounded time.

- every generated response decoder (every API of the index, every version, plus the
  response header), fed mutated valid encodings and plain garbage: only ``DecodeError``
  may escape; what decodes must encode again, and re-encoding must be stable;
- the record reader (v2 batches in every codec, control batches, legacy magic 0/1 sets,
  gzip-wrapped legacy), with and without CRC checks (mutations get their CRC fixed so they
  reach the record parser): only ``CorruptRecordError`` (and its subclasses) or
  ``UnsupportedCodecError`` may escape, and decompression stays within its bound;
- the framing state machine, fed arbitrary response bytes in arbitrary chunks: only
  ``KafkaProtocolError``.

Examples per test: short by default; ``AIOKAFKA_GEN_FAULTS=full`` multiplies them, and
``AIOKAFKA_GEN_FUZZ_EXAMPLES`` sets the decoder count directly. Derandomized in the short
profile (CI runs are reproducible), random in the full one.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable

import crc32c
import pytest
from aiokafka_gen.messages import APIS, response_class
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.response_header import ResponseHeader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages.schema import filled, message_strategy

from aiokafka_gen.errors import (
    CorruptRecordError,
    DecodeError,
    KafkaProtocolError,
    UnsupportedCodecError,
)
from aiokafka_gen.protocol import Message
from aiokafka_gen.protocol.framing import KafkaFraming, NeedData
from aiokafka_gen.records import BatchBuilder, control_marker, read_batches
from faults.support import FULL
from faults.verdict import Report, Tally

DECODER_EXAMPLES = int(os.environ.get("AIOKAFKA_GEN_FUZZ_EXAMPLES", 200 if FULL else 12))
RECORD_EXAMPLES = 20 * DECODER_EXAMPLES
FUZZ = settings(
    max_examples=DECODER_EXAMPLES, deadline=None, derandomize=not FULL, database=None,
    suppress_health_check=list(HealthCheck), print_blob=True,
)  # fmt: skip
INTERESTING = [
    *(struct.pack(">I", v) for v in (0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0, 1)),
    b"\xff\xff", b"\x7f\xff", b"\xff" * 5, b"\x80" * 10, b"\x01",
]  # fmt: skip
DECOMPRESS_LIMIT = 1 << 20

# ---- mutations ---------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with 1-4 edits: flips, overwrites with boundary values, inserts, cuts."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "boundary"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[pos:]
        elif op == "boundary":
            value = draw(st.sampled_from(INTERESTING))
            data[pos : pos + len(value)] = value
    return bytes(data)


def inputs(bases: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Mostly mutations of valid bytes, sometimes garbage or a valid input unchanged."""
    return st.one_of(
        bases.flatmap(mutated), bases.flatmap(mutated), bases.flatmap(mutated),
        st.binary(max_size=256), bases,
    )  # fmt: skip


class Counted:
    """Counts outcomes into a tally: typed errors and successes are received."""

    def __init__(self, tally: Tally, allowed: tuple[type[BaseException], ...]) -> None:
        self.tally = tally
        self.allowed = allowed

    def run(self, label: str, work: Callable[[], object]) -> None:
        self.tally.sent += 1
        try:
            work()
        except self.allowed:
            pass
        except Exception as exc:
            self.tally.lost += 1
            if len(self.tally.problems) < 5:
                self.tally.problems.append(f"{label}: {type(exc).__name__}: {exc}"[:300])
            raise
        self.tally.received += 1


# ---- response decoders --------------------------------------------------------------------

RESPONSES = [*sorted({info.response_class for info in APIS.values()}), "ResponseHeader"]


def _class(name: str) -> type[Message]:
    if name == "ResponseHeader":
        return ResponseHeader
    return next(response_class(k) for k, i in APIS.items() if i.response_class == name)


def _decode_and_roundtrip(cls: type[Message], data: bytes, version: int) -> None:
    """Decode; what decodes must encode, and encoding must be stable from then on (not
    byte-identical to the input: unknown tags that came out of order are written sorted)."""
    message = cls.decode(data, version)
    encoded = message.encode(version)
    again = cls.decode(encoded, version).encode(version)
    assert again == encoded, f"{cls.__name__} v{version}: re-encoding is not stable"
    repr(message)


@pytest.mark.parametrize("name", RESPONSES)
def test_fuzz_response_decoder(name: str, faults_report: Report) -> None:
    cls = _class(name)
    versions = st.integers(cls.MIN_VERSION, cls.MAX_VERSION)

    @st.composite
    def case(draw: st.DrawFn) -> tuple[int, bytes]:
        version = draw(versions)
        valid = st.just(filled(cls, version)) | message_strategy(cls, version)
        return version, draw(inputs(valid.map(lambda m: m.encode(version))))

    with faults_report("fuzz-response-decoders") as tally:
        counted = Counted(tally, (DecodeError,))

        @FUZZ
        @given(case())
        def run(item: tuple[int, bytes]) -> None:
            version, data = item
            counted.run(f"{name} v{version} {data[:40].hex()}",
                        lambda: _decode_and_roundtrip(cls, data, version))  # fmt: skip

        run()


# ---- the record reader --------------------------------------------------------------------

_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def _v2_batch(codec: str, count: int, transactional: bool, base_offset: int) -> bytes:
    builder = BatchBuilder(
        compression=codec, max_batch_size=1 << 20, producer_id=7, producer_epoch=1,
        base_sequence=3, transactional=transactional,
    )  # fmt: skip
    for i in range(count):
        headers = [("h", b"v%d" % i), ("n", None)] if i % 2 else []
        builder.append(1_700_000_000_000 + i, b"k%d" % i if i % 3 else None, b"x" * i,
                       headers=headers)  # fmt: skip
    return builder.close(base_offset)


def _marker(base_offset: int) -> bytes:
    builder = BatchBuilder(producer_id=7, producer_epoch=1, transactional=True)
    builder.append(0, struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 5))
    data = bytearray(builder.close(base_offset))
    data[21:23] = struct.pack(">h", 0x30)  # transactional + control
    return _fix_crc(bytes(data))


def _legacy(offset: int, magic: int, key: bytes | None, value: bytes | None,
            attributes: int = 0) -> bytes:  # fmt: skip
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", 1_700_000_000_000)
    for part in (key, value):
        body += struct.pack(">i", -1) if part is None else struct.pack(">i", len(part)) + part
    return struct.pack(">qiI", offset, len(body) + 4, zlib.crc32(body)) + body


def _legacy_gzip(magic: int) -> bytes:
    inner = b"".join(_legacy(i, magic, b"k", b"v%d" % i) for i in range(3))
    return _legacy(2, magic, None, zlib.compress(inner), attributes=1)


def _fix_crc(data: bytes) -> bytes:
    """Recompute the first v2 batch's CRC so a mutation reaches the record parser."""
    if len(data) < 61 or data[16] != 2:
        return data
    (length,) = struct.unpack_from(">i", data, 8)
    end = min(len(data), 12 + max(length, 0))
    if end <= 21:
        return data
    crc = struct.pack(">I", crc32c.crc32c(data[21:end]))
    return data[:17] + crc + data[21:]


def _record_bases(kind: str) -> list[bytes]:
    if kind == "legacy":
        return [_legacy(0, 0, b"k", b"v") + _legacy(1, 1, None, b"w"), _legacy_gzip(0),
                _legacy_gzip(1)]  # fmt: skip
    return [
        _v2_batch(kind, 5, False, 0),
        _v2_batch(kind, 1, True, 10) + _marker(11),
        _v2_batch(kind, 3, False, 0) + _v2_batch(kind, 2, False, 3),
    ]


def _read_everything(data: bytes, check_crcs: bool) -> None:
    for batch in read_batches(data, check_crcs=check_crcs, max_decompressed=DECOMPRESS_LIMIT):
        repr(batch)
        for record in batch:
            assert len(record.value or b"") <= DECOMPRESS_LIMIT
            assert isinstance(record.headers, tuple)
        for record in batch.control_records():
            control_marker(record)


@pytest.mark.parametrize("kind", [*_CODECS, "legacy"])
def test_fuzz_record_reader(kind: str, faults_report: Report) -> None:
    bases = st.sampled_from(_record_bases(kind))
    with faults_report("fuzz-record-reader") as tally:
        counted = Counted(tally, (CorruptRecordError, UnsupportedCodecError))

        @settings(FUZZ, max_examples=RECORD_EXAMPLES)
        @given(inputs(bases), st.booleans(), st.booleans())
        def run(data: bytes, fix: bool, check_crcs: bool) -> None:
            data = _fix_crc(data) if fix else data
            counted.run(f"{kind} {data[:40].hex()}", lambda: _read_everything(data, check_crcs))

        run()


# ---- the framing ------------------------------------------------------------------------------


def _feed(chunks: list[bytes], requests: int) -> None:
    framing = KafkaFraming("fuzz")
    for _ in range(requests):
        framing.send(MetadataRequest(topics=None), 12)
    for chunk in chunks:
        framing.receive_data(chunk)
        while not isinstance(framing.next_event(), NeedData):
            pass


def test_fuzz_framing(faults_report: Report) -> None:
    valid = ResponseHeader(correlation_id=0).encode(1) + filled(_class("MetadataResponse"), 12)\
        .encode(12)  # fmt: skip
    frame = struct.pack(">i", len(valid)) + valid
    with faults_report("fuzz-framing") as tally:
        counted = Counted(tally, (KafkaProtocolError,))

        @settings(FUZZ, max_examples=RECORD_EXAMPLES)
        @given(st.lists(inputs(st.just(frame)), min_size=1, max_size=3), st.integers(0, 3))
        def run(chunks: list[bytes], requests: int) -> None:
            counted.run(f"framing {b''.join(chunks)[:40].hex()}", lambda: _feed(chunks, requests))

        run()


def test_mutations_reach_the_parsers() -> None:
    """The fuzzers must not stop at the first check: a fixed CRC lets a mutated batch
    through to the record parser, and an unchanged valid input decodes."""
    data = _v2_batch("none", 5, False, 0)
    broken = bytearray(data)
    broken[-3] ^= 0xFF  # inside the last record
    with pytest.raises(CorruptRecordError, match="CRC"):
        _read_everything(bytes(broken), True)
    _read_everything(_fix_crc(bytes(broken)), True)  # parses (or a typed error, not CRC)
    _read_everything(data, True)
