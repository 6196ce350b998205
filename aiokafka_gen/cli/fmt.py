"""Turning consumed records into output bytes: kcat-style format strings, JSON lines, raw.

Format tokens (kcat's meanings): ``%t`` topic, ``%p`` partition, ``%o`` offset, ``%k``
key, ``%K`` key length, ``%s`` value, ``%S`` value length, ``%R`` value length as a
big-endian int32, ``%T`` timestamp (ms), ``%h`` headers as ``name=value,...``, ``%%`` a
percent sign; ``\\n``, ``\\r``, ``\\t``, ``\\0``, ``\\\\`` escapes. A null key or value
prints as nothing (lengths -1).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import bytes_to_json

if TYPE_CHECKING:
    from aiokafka_gen.structs import ConsumerRecord

__all__ = ["Formatter", "compile_format", "json_line", "key_value", "unescape"]

Formatter = Callable[["ConsumerRecord[bytes, bytes]"], bytes]
"""A consumed record (no deserializers: key and value are bytes or None) -> output."""
_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\"}


def _escape(text: bytes, i: int) -> bytes:
    """The byte the escape starting at ``text[i]`` (a backslash) stands for."""
    nxt = text[i + 1 : i + 2].decode("latin-1")
    if nxt not in _ESCAPES:
        known = " ".join("\\" + e for e in _ESCAPES)
        shown = "a trailing \\" if not nxt else f"\\{nxt}"
        raise UsageError(f"unknown escape {shown} (known: {known})")
    return _ESCAPES[nxt]


def unescape(text: str) -> bytes:
    """A delimiter given on the command line as bytes: the same escapes as format
    strings (``\\n \\r \\t \\0 \\\\``); any other backslash is a UsageError."""
    data = text.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i : i + 1] == b"\\":
            out += _escape(data, i)
            i += 2
        else:
            out += data[i : i + 1]
            i += 1
    return bytes(out)


def _len(data: bytes | None) -> int:
    return -1 if data is None else len(data)


def _headers(record: ConsumerRecord[bytes, bytes]) -> bytes:
    return b",".join(k.encode() + b"=" + (v or b"") for k, v in record.headers)


_TOKENS: dict[str, Formatter] = {
    "t": lambda r: r.topic.encode(),
    "p": lambda r: b"%d" % r.partition,
    "o": lambda r: b"%d" % r.offset,
    "k": lambda r: r.key or b"",
    "K": lambda r: b"%d" % _len(r.key),
    "s": lambda r: r.value or b"",
    "S": lambda r: b"%d" % _len(r.value),
    "R": lambda r: struct.pack(">i", _len(r.value)),
    "T": lambda r: b"%d" % r.timestamp,
    "h": _headers,
}


def _parse(fmt: str) -> list[bytes | Formatter]:
    parts: list[bytes | Formatter] = []
    text = fmt.encode("utf-8")
    literal = bytearray()
    i = 0
    while i < len(text):
        char = text[i : i + 1]
        nxt = text[i + 1 : i + 2].decode("latin-1")
        if char == b"%" and nxt == "%":
            literal += b"%"
        elif char == b"%":
            if nxt not in _TOKENS:
                known = " ".join("%" + t for t in _TOKENS)
                raise UsageError(f"unknown format token %{nxt} (known: {known})")
            parts += [bytes(literal), _TOKENS[nxt]]
            literal = bytearray()
        elif char == b"\\":
            literal += _escape(text, i)
        else:
            literal += char
            i -= 1
        i += 2
    parts.append(bytes(literal))
    return [p for p in parts if p != b""]


def compile_format(fmt: str) -> Formatter:
    """A function record -> bytes for a kcat-style format string."""
    parts = _parse(fmt)

    def render(record: ConsumerRecord[bytes, bytes]) -> bytes:
        return b"".join(p if isinstance(p, bytes) else p(record) for p in parts)

    return render


def json_line(record: ConsumerRecord[bytes, bytes]) -> bytes:
    """One record as a JSON line (bytes as utf-8 text where valid, else {"base64": ...})."""
    node = {
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
        "timestamp": record.timestamp, "timestamp_type": record.timestamp_type,
        "key": bytes_to_json(record.key), "value": bytes_to_json(record.value),
        "headers": [[k, bytes_to_json(v)] for k, v in record.headers],
    }  # fmt: skip
    return json.dumps(node, ensure_ascii=False).encode("utf-8") + b"\n"


def key_value(key_delimiter: bytes | None, delimiter: bytes) -> Formatter:
    """kcat's default output: the value (``KEY<sep>VALUE`` with -K) then the delimiter."""

    def render(record: ConsumerRecord[bytes, bytes]) -> bytes:
        value = record.value or b""
        if key_delimiter is not None:
            value = (record.key or b"") + key_delimiter + value
        return value + delimiter

    return render
