"""Printing results: aligned text tables for people, one JSON document with ``--json``.

Byte strings (keys, values, header values) travel in JSON as a string when they are valid
UTF-8, ``{"base64": "..."}`` otherwise, null for null: :func:`bytes_to_json` and
:func:`bytes_from_json` are each other's inverse.
"""

from __future__ import annotations

import base64
import enum
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from aiokafka_gen.cli.errors import short

__all__ = [
    "JSON", "bytes_from_json", "bytes_to_json", "done", "emit", "plain", "print_json", "table",
    "to_plain",
]  # fmt: skip

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
"""A JSON value as ``json.loads`` returns it and ``json.dumps`` takes it."""


def bytes_to_json(data: bytes | None) -> str | dict[str, str] | None:
    """UTF-8 text as a string, other bytes as ``{"base64": ...}``, None as null."""
    if data is None:
        return None
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def bytes_from_json(node: object) -> bytes | None:
    """The inverse of :func:`bytes_to_json`."""
    if node is None:
        return None
    if isinstance(node, str):
        return node.encode("utf-8")
    if isinstance(node, dict) and isinstance(node.get("base64"), str):
        return base64.b64decode(node["base64"], validate=True)
    raise ValueError(f"expected a string, null or {{'base64': ...}}, got {type(node).__name__}")


def to_plain(value: object) -> object:
    """Result objects -> JSON-ready values (enums by name, uuids as text, sets sorted);
    other values pass through as they are."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes_to_json(bytes(value))
    if isinstance(value, dict):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_plain(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, BaseException):
        return short(value)
    return value


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(to_plain(data), indent=2, sort_keys=False) + "\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns aligned on the widest cell; None prints as '-'."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(_cell(v)) for v in value)
    return str(value)


def emit(
    as_json: bool, data: object, headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """``data`` as JSON, or ``rows`` as a table."""
    if as_json:
        print_json(data)
    else:
        sys.stdout.write(table(headers, rows) + "\n")


def done(as_json: bool, data: object, text: str) -> None:
    """``data`` as JSON, or one line of ``text`` (what a command changed)."""
    if as_json:
        print_json(data)
    else:
        sys.stdout.write(text + "\n")


def plain(doc: str | None) -> str:
    """A module docstring as ``--help`` text (no reST double backticks)."""
    return (doc or "").replace("``", "")
