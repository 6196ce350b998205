"""Where both sides must refuse to encode: too-long strings, tags in non-flexible versions.

The random examples stay inside the limits; these pin the edges, against Java where its JSON
can express the case.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiokafka_gen.messages import load_class
from support.javaref import JavaRef, JavaRefError

from aiokafka_gen.errors import EncodeError
from aiokafka_gen.protocol import Message
from conformance.engine import all_pairs

FindCoordinatorRequest = load_class("FindCoordinatorRequest")
NON_FLEXIBLE = [p for p in all_pairs() if not p.cls.is_flexible(p.version)]


def _find_coordinator(version: int, key: str) -> tuple[Message, dict[str, Any]]:
    if version < 4:
        json = {"key": key, "keyType": 0, "coordinatorKeys": []}
        return FindCoordinatorRequest(key=key), json
    json = {"keyType": 0, "coordinatorKeys": [key]}
    return FindCoordinatorRequest(coordinator_keys=[key]), json


@pytest.mark.java
@pytest.mark.parametrize("version", [1, 4], ids=["int16-length", "compact"])
@pytest.mark.parametrize("text", ["x" * 32767, "é" * 16383 + "x"], ids=["ascii", "2-byte"])
def test_longest_string_encodes_like_java(java_ref: JavaRef, version: int, text: str) -> None:
    obj, json = _find_coordinator(version, text)
    req = {"cmd": "encode", "message": "FindCoordinatorRequest", "version": version, "json": json}
    java = java_ref.request(req)["bytes"]
    assert obj.encode(version) == base64.b64decode(java)


@pytest.mark.java
@pytest.mark.parametrize("version", [1, 4], ids=["int16-length", "compact"])
@pytest.mark.parametrize("text", ["x" * 32768, "€" * 10923], ids=["ascii", "3-byte"])
def test_string_over_32767_bytes_is_refused_by_both(
    java_ref: JavaRef, version: int, text: str
) -> None:
    obj, json = _find_coordinator(version, text)
    req = {"cmd": "encode", "message": "FindCoordinatorRequest", "version": version, "json": json}
    with pytest.raises(JavaRefError, match="too long"):
        java_ref.request(req)
    with pytest.raises(EncodeError):
        obj.encode(version)


@pytest.mark.java
def test_java_refuses_unknown_tags_in_a_non_flexible_version(java_ref: JavaRef) -> None:
    metadata = load_class("MetadataRequest")
    obj = metadata(topics=[])
    obj._unknown_tags = [(7, b"x")]
    flexible = base64.b64encode(obj.encode(9)).decode()
    req = {"cmd": "reencode", "message": "MetadataRequest", "version": 9, "bytes": flexible}
    assert java_ref.request(req)["bytes"] == flexible  # kept at a flexible version
    with pytest.raises(JavaRefError, match="UnsupportedVersionException: Tagged fields"):
        java_ref.request({**req, "to_version": 8})


def test_unknown_tags_in_a_non_flexible_version_are_refused() -> None:
    # as Kafka's writers do (see the Java test above), for every non-flexible pair
    accepted = []
    for pair in NON_FLEXIBLE:
        obj = pair.cls()
        obj._unknown_tags = [(7, b"x")]
        try:
            obj.encode(pair.version)
        except EncodeError:
            continue
        accepted.append(pair.id)
    assert accepted == []
