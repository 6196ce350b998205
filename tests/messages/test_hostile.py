"""Hostile bytes for every decoder: truncations, corrupted bytes, garbage, and targeted
attacks (absurd lengths and counts, varint overflow, bad UTF-8). The only acceptable
failure is DecodeError: never IndexError/struct.error, never a hang or a huge allocation.
"""

from __future__ import annotations

import contextlib
import random

import pytest
from aiokafka_gen.messages import ApiVersionsRequest, HeartbeatRequest, MetadataResponse

from aiokafka_gen.errors import DecodeError, UnknownMessageVersionError
from aiokafka_gen.protocol import Message
from messages.schema import all_pairs, filled, pair_id

PAIRS = all_pairs()


def decode_or_decode_error(cls: type[Message], data: bytes, version: int) -> None:
    with contextlib.suppress(DecodeError):
        cls.decode(data, version)


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_every_truncation_is_a_decode_error(pair: tuple[type[Message], int]) -> None:
    cls, version = pair
    encoded = filled(cls, version).encode(version)
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            cls.decode(encoded[:cut], version)


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_corrupted_bytes_decode_or_raise_decode_error(pair: tuple[type[Message], int]) -> None:
    cls, version = pair
    encoded = bytearray(filled(cls, version).encode(version))
    for index in range(len(encoded)):
        original = encoded[index]
        for bad in (0xFF, 0x80, 0x7F):
            encoded[index] = bad
            decode_or_decode_error(cls, bytes(encoded), version)
        encoded[index] = original


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_random_garbage(pair: tuple[type[Message], int]) -> None:
    cls, version = pair
    rng = random.Random(pair_id(pair))
    for _ in range(10):
        garbage = bytes(rng.getrandbits(8) for _ in range(rng.randrange(64)))
        decode_or_decode_error(cls, garbage, version)


def test_absurd_classic_count_is_rejected_before_allocating() -> None:
    # throttle_time_ms, then brokers count 0x7fffffff in a 10-byte buffer
    with pytest.raises(DecodeError, match="exceeds"):
        MetadataResponse.decode(bytes.fromhex("000000007fffffff0000"), 5)


def test_absurd_compact_count_is_rejected() -> None:
    with pytest.raises(DecodeError, match="exceeds"):
        MetadataResponse.decode(bytes.fromhex("00000000ffffffff0f00"), 12)


def test_negative_lengths_other_than_null() -> None:
    with pytest.raises(DecodeError, match="negative"):
        HeartbeatRequest.decode(bytes.fromhex("fffe"), 0)
    with pytest.raises(DecodeError, match="negative"):
        MetadataResponse.decode(bytes.fromhex("00000000fffffffe"), 5)


def test_null_where_not_nullable() -> None:
    with pytest.raises(DecodeError, match="null"):
        HeartbeatRequest.decode(bytes.fromhex("ffff"), 0)


def test_varint_overflow() -> None:
    with pytest.raises(DecodeError, match="varint"):
        ApiVersionsRequest.decode(bytes.fromhex("ffffffffffff01"), 3)
    with pytest.raises(DecodeError, match="32 bits"):
        ApiVersionsRequest.decode(bytes.fromhex("ffffffff7f"), 3)


def test_bad_utf8() -> None:
    with pytest.raises(DecodeError, match="UTF-8"):
        HeartbeatRequest.decode(bytes.fromhex("0002c328000000010000"), 0)


def test_unknown_version() -> None:
    with pytest.raises(UnknownMessageVersionError):
        HeartbeatRequest.decode(b"", 99)
    with pytest.raises(UnknownMessageVersionError):
        HeartbeatRequest().encode(-1)
