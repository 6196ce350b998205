"""The checks can fail: deliberately broken codecs and generators are caught.

Each test breaks one generated class for its duration (monkeypatch restores it) and runs the
same checker the conformance tests use.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka_gen.messages import load_class

from aiokafka_gen.protocol import Message
from conformance.engine import Conformance, Pair

pytestmark = pytest.mark.java

MetadataRequest = load_class("MetadataRequest")
FindCoordinatorRequest = load_class("FindCoordinatorRequest")


def _own_table(monkeypatch: pytest.MonkeyPatch, cls: type[Message], table: str) -> dict[int, Any]:
    """A private copy of a codec table for this test (the class gets it back afterwards)."""
    copy: dict[int, Any] = dict(getattr(cls, table))
    monkeypatch.setattr(cls, table, copy)
    return copy


def test_an_extra_byte_from_our_encoder_is_caught(
    checker: Conformance, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = _own_table(monkeypatch, MetadataRequest, "_ENCODERS")
    encode = encoders[9]
    encoders[9] = lambda o, out: (encode(o, out), out.append(b"\0"))
    result = checker.check_pair(Pair(MetadataRequest, 9), 3)
    assert any("bytes differ" in m for m in result.mismatches)
    assert any("Java left 1 bytes" in m for m in result.mismatches)


def test_a_decoder_that_loses_a_field_is_caught(
    checker: Conformance, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoders = _own_table(monkeypatch, FindCoordinatorRequest, "_DECODERS")
    decode = decoders[4]

    def lossy(buf: memoryview, pos: int) -> tuple[Any, int]:
        obj, end = decode(buf, pos)
        obj.key_type = obj.key_type + 1
        return obj, end

    decoders[4] = lossy
    result = checker.check_pair(Pair(FindCoordinatorRequest, 4), 3)
    assert len(result.mismatches) >= 3
    assert all("our decode" in m or "unknown tags lost" in m for m in result.mismatches)


def test_an_encoder_that_ignores_a_missing_field_is_caught(
    checker: Conformance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # v0 lacks allowAutoTopicCreation (not ignorable): both sides must refuse a False there;
    # the v4 encoder writes it instead
    encoders = _own_table(monkeypatch, MetadataRequest, "_ENCODERS")
    encoders[0] = encoders[4]
    result = checker.check_pair(Pair(MetadataRequest, 0), 3)
    assert any("refusal" in m and "our encoder accepted" in m for m in result.mismatches)


def test_a_decoder_that_drops_unknown_tags_is_caught(
    checker: Conformance, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoders = _own_table(monkeypatch, MetadataRequest, "_DECODERS")
    decode = decoders[12]

    def forgetful(buf: memoryview, pos: int) -> tuple[Any, int]:
        obj, end = decode(buf, pos)
        obj._unknown_tags = None
        return obj, end

    decoders[12] = forgetful
    result = checker.check_pair(Pair(MetadataRequest, 12), 10)
    assert any("unknown tags lost" in m for m in result.mismatches)
    assert not any("bytes differ" in m or "Java" in m for m in result.mismatches)
