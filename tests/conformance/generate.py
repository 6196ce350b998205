"""Seeded random instances of any generated message at one version, driven by FIELDS.

The instances are what a differential test against Kafka's Java classes needs:

- every field of the version gets a random value, biased towards boundaries (extreme ints,
  empty vs null, multi-byte text, the zero uuid, defaults for tagged fields);
- a field the version lacks stays at its default unless it is ignorable, in which case it
  sometimes gets a value (the encoders must then drop it silently, as Java does);
- unknown tagged fields are added only on request (Java's JSON cannot carry them).

Plain ``random.Random`` rather than hypothesis: examples are generated in bulk so one pipe
round trip to the JVM carries many of them, and a seed string names every example.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from aiokafka_gen.protocol import FieldSchema, Message, Struct

__all__ = [
    "add_unknown_tags",
    "normalized",
    "random_message",
    "random_scalar",
    "random_struct",
    "random_value",
]

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
TEXT_ALPHABET = 'abcXYZ09 -_.\x00\n"\\é€中😀'
FLOATS = (0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, 5e-324, float("inf"), float("-inf"))
P_DEFAULT = 0.15  # a present field keeps its default this often
P_IGNORABLE = 0.3  # an absent ignorable field gets a value this often
MAX_DEPTH_ITEMS = (3, 2, 1)  # max array length by nesting depth (then 1)
LONG_ARRAY = 130  # more than 127 items: a two-byte count in flexible versions
P_LONG_ARRAY = 0.03  # chance of a long array (scalar elements, or structs at the top level)


def random_message(cls: type[Message], version: int, rng: random.Random) -> Message:
    """A random ``cls`` instance valid for ``version`` (Java must accept its JSON)."""
    obj = random_struct(cls, version, rng, 0)
    assert isinstance(obj, Message)
    return obj


def random_struct(cls: type[Struct], version: int, rng: random.Random, depth: int) -> Struct:
    values: dict[str, Any] = {}
    for field in cls.FIELDS:
        if field.in_version(version):
            if _needs_value(field, version) or rng.random() >= _default_chance(field):
                values[field.name] = random_value(field, version, rng, depth)
        elif field.ignorable and rng.random() < P_IGNORABLE:
            values[field.name] = random_value(field, version, rng, depth)
    return cls(**values)


def _needs_value(field: FieldSchema, version: int) -> bool:
    """Records default to null even where null is not allowed: such a default is unusable."""
    return field.default_is_null and not field.nullable_in(version)


def _default_chance(field: FieldSchema) -> float:
    return 0.4 if field.tag is not None else P_DEFAULT


def random_value(field: FieldSchema, version: int, rng: random.Random, depth: int) -> Any:
    if field.nullable_in(version) and rng.random() < 0.2:
        return None
    if field.type.startswith("[]"):
        return [_item(field, version, rng, depth) for _ in range(_length(field, rng, depth))]
    return _item(field, version, rng, depth)


def _length(field: FieldSchema, rng: random.Random, depth: int) -> int:
    if (field.struct is None or depth == 0) and rng.random() < P_LONG_ARRAY:
        return LONG_ARRAY
    return rng.randint(0, MAX_DEPTH_ITEMS[min(depth, len(MAX_DEPTH_ITEMS) - 1)])


def _item(field: FieldSchema, version: int, rng: random.Random, depth: int) -> Any:
    if field.struct is not None:
        return random_struct(field.struct, version, rng, depth + 1)
    kind = field.type[2:] if field.type.startswith("[]") else field.type
    return random_scalar(kind, rng)


def random_scalar(kind: str, rng: random.Random) -> Any:
    if kind in INT_RANGES:
        return _int(*INT_RANGES[kind], rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "string":
        return _text(rng)
    if kind in ("bytes", "records"):
        return rng.randbytes(rng.choice((0, 1, 7, 40, 200)))
    if kind == "uuid":
        return uuid.UUID(int=0) if rng.random() < 0.2 else uuid.UUID(bytes=rng.randbytes(16))
    if kind == "float64":
        return rng.choice(FLOATS) if rng.random() < 0.5 else rng.uniform(-1e9, 1e9)
    raise ValueError(f"no generator for Kafka type {kind!r}")


def _int(lo: int, hi: int, rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice((lo, hi, 0, -1 if lo < 0 else 1))
    if roll < 0.6:
        return rng.randint(max(lo, -300), min(hi, 300))
    return rng.randint(lo, hi)


def _text(rng: random.Random) -> str:
    size = rng.choice((0, 1, 5, 12, 300))
    return "".join(rng.choice(TEXT_ALPHABET) for _ in range(size))


# --- what a decoder must give back ------------------------------------------------------


def normalized(obj: Struct, version: int) -> Struct:
    """A copy of ``obj`` as it reads back at ``version``: absent fields at their defaults."""
    values: dict[str, Any] = {}
    for field in obj.FIELDS:
        if field.in_version(version):
            values[field.name] = _normalized_value(field, getattr(obj, field.name), version)
    return type(obj)(**values)


def _normalized_value(field: FieldSchema, value: Any, version: int) -> Any:
    if value is None or field.struct is None:
        return value
    if field.type.startswith("[]"):
        return [normalized(item, version) for item in value]
    return normalized(value, version)


# --- unknown tagged fields --------------------------------------------------------------


def add_unknown_tags(obj: Struct, version: int, rng: random.Random) -> Struct:
    """Give ``obj`` and its present nested structs 0-2 unknown tags each (in place).

    Tag numbers avoid every tag the struct knows in any version and may fall between known
    ones, so writers must merge them into ascending order.
    """
    known = {f.tag for f in obj.FIELDS if f.tag is not None}
    free = [t for t in range(max(known, default=-1) + 4) if t not in known]
    chosen = sorted(rng.sample(free, rng.randint(0, min(2, len(free)))))
    obj._unknown_tags = [(t, rng.randbytes(rng.choice((0, 1, 3, 130)))) for t in chosen] or None
    for field in obj.FIELDS:
        value = getattr(obj, field.name)
        if field.struct is None or value is None or not field.in_version(version):
            continue
        for item in value if field.type.startswith("[]") else (value,):
            add_unknown_tags(item, version, rng)
    return obj
