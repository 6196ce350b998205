"""Test helpers driven by the generated field schemas: every (class, version) pair,
hypothesis strategies for valid instances, and deterministic "filled" instances.

Nothing here knows a particular API: it reads FIELDS, so new specs are covered for free.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from aiokafka_gen.messages import CLASS_MODULES, load_class
from hypothesis import strategies as st

from aiokafka_gen.protocol import FieldSchema, Message, Struct

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}


def all_classes() -> list[type[Message]]:
    return [load_class(name) for name in sorted(CLASS_MODULES)]


def all_pairs() -> list[tuple[type[Message], int]]:
    return [(cls, v) for cls in all_classes() for v in range(cls.MIN_VERSION, cls.MAX_VERSION + 1)]


def pair_id(pair: tuple[type[Message], int]) -> str:
    return f"{pair[0].NAME}-v{pair[1]}"


def present(field: FieldSchema, version: int) -> bool:
    return field.in_version(version)


def is_flexible(cls: type[Message], version: int) -> bool:
    return cls.FLEXIBLE_MIN is not None and version >= cls.FLEXIBLE_MIN


# --- hypothesis strategies ------------------------------------------------------------


def _text() -> st.SearchStrategy[str]:
    return st.text(max_size=8) | st.sampled_from(["", "é€😀", "x" * 300])


def scalar_strategy(kind: str) -> st.SearchStrategy[Any]:
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        return st.integers(lo, hi)
    table: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "float64": st.floats(allow_nan=False),
        "string": _text(),
        "bytes": st.binary(max_size=16),
        "records": st.binary(max_size=16),
        "uuid": st.uuids() | st.just(uuid.UUID(int=0)),
    }
    return table[kind]


def value_strategy(field: FieldSchema, version: int, flexible: bool) -> st.SearchStrategy[Any]:
    elem = field.type[2:] if field.type.startswith("[]") else field.type
    if field.struct is not None:
        inner = struct_strategy(field.struct, version, flexible)
    else:
        inner = scalar_strategy(elem)
    base = st.lists(inner, max_size=2) if field.type.startswith("[]") else inner
    if field.nullable_in(version):
        return st.none() | base
    return base


def _unknown_tags(first_free: int) -> st.SearchStrategy[list[tuple[int, bytes]] | None]:
    """None, or 1-2 unknown tags (above the known ones), sorted as they come off the wire."""
    item = st.tuples(st.integers(first_free, first_free + 4), st.binary(max_size=4))
    tags = st.lists(item, min_size=1, max_size=2, unique_by=lambda t: t[0]).map(sorted)
    return st.none() | tags


@functools.cache
def struct_strategy(cls: type[Struct], version: int, flexible: bool) -> st.SearchStrategy[Any]:
    fields = {
        f.name: value_strategy(f, version, flexible) for f in cls.FIELDS if present(f, version)
    }
    build = st.builds(cls, **fields)
    if not flexible:
        return build
    first_free = 1 + max((f.tag for f in cls.FIELDS if f.tag is not None), default=-1)
    return st.tuples(build, _unknown_tags(first_free)).map(_with_tags)


def _with_tags(item: tuple[Struct, list[tuple[int, bytes]] | None]) -> Struct:
    obj, tags = item
    obj._unknown_tags = tags
    return obj


@functools.cache
def message_strategy(cls: type[Message], version: int) -> st.SearchStrategy[Any]:
    return struct_strategy(cls, version, is_flexible(cls, version))


# --- deterministic filled instances -----------------------------------------------------

_FILLED: dict[str, Any] = {
    "bool": True,
    "int8": 7,
    "int16": 300,
    "int32": 70000,
    "int64": 2**40,
    "uint16": 65000,
    "uint32": 2**31 + 5,
    "float64": 1.5,
    "string": "ab",
    "bytes": b"xy",
    "records": b"rec",
    "uuid": uuid.UUID(int=0x0102030405060708090A0B0C0D0E0F10),
}


def filled(cls: type[Struct], version: int) -> Any:
    """An instance with every field of ``version`` set to a non-default value."""
    values: dict[str, Any] = {}
    for field in cls.FIELDS:
        if not present(field, version):
            continue
        one = filled(field.struct, version) if field.struct else _FILLED[field.type.lstrip("[]")]
        values[field.name] = [one, one] if field.type.startswith("[]") else one
    return cls(**values)
