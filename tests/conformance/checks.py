"""The comparisons behind each conformance check, as pure functions of one example.

Each ``check_*`` takes our side (objects, bytes) and Java's answer to one command and yields
one line of text per disagreement; none raises on a mismatch. engine.py decides what to ask
Java; this module decides what the answers must be.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from support.javaref import unb64
from support.kafka_json import from_kafka_json

from aiokafka_gen.errors import FieldVersionError
from aiokafka_gen.protocol import FieldSchema, Message, Struct
from conformance.generate import random_scalar, random_struct

__all__ = [
    "Example",
    "Refusal",
    "absent_required",
    "check_bytes",
    "check_java_decode",
    "check_refusal",
    "check_tags",
    "set_at",
    "try_encode",
]

Answer = dict[str, Any]


@dataclass
class Refusal:
    """One message with one non-ignorable field set in a version that lacks it."""

    index: int
    where: str
    obj: Message
    java: bool  # can Java's JSON express it (scalar field)?


@dataclass
class Example:
    """A random message, our bytes, and (flexible versions) a copy with unknown tags."""

    index: int
    obj: Message
    ours: bytes | None
    tagged: Message | None
    tagged_bytes: bytes | None


def try_encode(obj: Message, version: int) -> tuple[bytes | None, str | None]:
    """Our bytes, or None and why our encoder refused (a mismatch: the message is valid)."""
    try:
        return obj.encode(version), None
    except Exception as exc:
        return None, f"our encode failed: {type(exc).__name__}: {exc}"


def check_bytes(
    cls: type[Message], version: int, ex: Example, answer: dict[str, Any], expected: Struct
) -> Iterator[str]:
    if "error" in answer:
        yield f"Java could not encode our JSON: {answer['error']}"
        return
    java_bytes = unb64(answer["ok"]["bytes"]) or b""
    if ex.ours is not None and ex.ours != java_bytes:
        yield f"bytes differ:\n  ours {ex.ours.hex()}\n  java {java_bytes.hex()}\n  obj  {ex.obj!r}"
    try:
        decoded, end = cls.decode_from(java_bytes, version)
    except Exception as exc:
        yield f"our decode of Java's bytes failed: {type(exc).__name__}: {exc}"
        return
    if end != len(java_bytes):
        yield f"our decode of Java's bytes stopped at {end} of {len(java_bytes)}"
    if decoded != expected:
        yield f"our decode of Java's bytes:\n  got      {decoded!r}\n  expected {expected!r}"


def check_java_decode(
    cls: type[Message], version: int, answer: dict[str, Any], expected: Struct
) -> Iterator[str]:
    if "error" in answer:
        yield f"Java could not decode our bytes: {answer['error']}"
        return
    if answer["ok"]["remaining"] != 0:
        yield f"Java left {answer['ok']['remaining']} bytes of ours unread"
    try:
        got = from_kafka_json(cls, answer["ok"]["json"], version)
    except ValueError as exc:
        yield f"Java's JSON of our bytes does not convert back: {exc}"
        return
    if got != _mask_records(expected):
        yield f"Java's decode of our bytes:\n  got      {got!r}\n  expected {expected!r}"


def check_tags(
    cls: type[Message], version: int, ex: Example, answer: dict[str, Any]
) -> Iterator[str]:
    assert ex.tagged is not None and ex.tagged_bytes is not None
    try:
        back, end = cls.decode_from(ex.tagged_bytes, version)
    except Exception as exc:
        yield f"our decode with unknown tags failed: {type(exc).__name__}: {exc}"
        return
    if back != ex.tagged or end != len(ex.tagged_bytes):
        yield f"unknown tags lost:\n  got      {back!r}\n  expected {ex.tagged!r}"
    elif back.encode(version) != ex.tagged_bytes:
        yield "re-encoding with unknown tags changed the bytes"
    if "error" in answer:
        yield f"Java could not decode our bytes with unknown tags: {answer['error']}"
    elif (unb64(answer["ok"]["bytes"]), answer["ok"]["remaining"]) != (ex.tagged_bytes, 0):
        java = unb64(answer["ok"]["bytes"]) or b""
        yield (
            "Java re-encoded our unknown tags differently:\n"
            f"  ours {ex.tagged_bytes.hex()}\n  java {java.hex()}"
            f" ({answer['ok']['remaining']} bytes unread)"
        )


def absent_required(obj: Struct, version: int, path: str) -> Iterator[tuple[str, FieldSchema]]:
    """(path, field) for every non-ignorable field ``version`` lacks, in present structs."""
    for field in obj.FIELDS:
        where = f"{path}.{field.name}"
        if not field.in_version(version):
            if not field.ignorable:
                yield where, field
            continue
        value = getattr(obj, field.name)
        if field.struct is not None and value:
            first = value[0] if field.type.startswith("[]") else value
            yield from absent_required(first, version, where)


def set_at(obj: Struct, path: str, field: FieldSchema, rng: random.Random) -> None:
    """Set the field at ``path`` (first element of every array on the way) to a non-default."""
    target = obj
    for name in path.split(".")[1:-1]:
        value = getattr(target, name)
        target = value[0] if isinstance(value, list) else value
    setattr(target, field.name, _non_default(field, rng))


def _non_default(field: FieldSchema, rng: random.Random) -> Any:
    """A value surely unequal to the field's default, built at a version that has the field."""
    span = field.versions or field.tagged_versions
    assert span is not None
    default = field.make_default()
    while True:
        if field.struct is not None:
            one: Any = random_struct(field.struct, span[0], rng, 2)
        else:
            one = random_scalar(field.type.removeprefix("[]"), rng)
        value = [one] if field.type.startswith("[]") else one
        if value != default:
            return value


def check_refusal(
    cls: type[Message], version: int, case: Refusal, answer: dict[str, Any] | None
) -> Iterator[str]:
    try:
        case.obj.encode(version)
    except FieldVersionError:
        pass
    except Exception as exc:
        yield f"our encoder raised {type(exc).__name__} instead of FieldVersionError: {exc}"
    else:
        yield f"our encoder accepted a non-default absent field: {case.obj!r}"
    if answer is None:
        return
    if "error" not in answer:
        yield f"Java accepted it (bytes {answer['ok']['bytes']})"
    elif not answer["error"].startswith("UnsupportedVersionException: "):
        yield f"Java refused it for another reason: {answer['error']}"


def _mask_records(obj: Struct) -> Struct:
    """A copy with every non-null records value replaced by b"" (what Java's JSON says)."""
    copy = type(obj)(**{f.name: _mask_value(f, getattr(obj, f.name)) for f in obj.FIELDS})
    return copy


def _mask_value(field: FieldSchema, value: Any) -> Any:
    if value is None:
        return None
    if field.type == "records":
        return b""
    if field.struct is None:
        return value
    if field.type.startswith("[]"):
        return [_mask_records(item) for item in value]
    return _mask_records(value)
