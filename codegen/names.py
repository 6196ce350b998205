"""Python names and literals derived from Kafka spec names and values.

Pure string functions; the decisions about which name goes where live in the model
(codegen.build and its stages).
"""

from __future__ import annotations

import base64
import keyword
import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
RESERVED = frozenset(
    {"encode", "encode_into", "decode", "decode_from", "is_flexible", "unknown_tagged_fields"}
)


def snake_case(name: str) -> str:
    """``ThrottleTimeMs`` -> ``throttle_time_ms``; keywords and reserved names get ``_``."""
    result = _WORD_BOUNDARY.sub("_", name).lower()
    if keyword.iskeyword(result) or result in RESERVED:
        result += "_"
    return result


def json_name(name: str) -> str:
    """Kafka's JSON converters use the field name with a lower-case first letter."""
    return name[:1].lower() + name[1:]


def module_name(spec_name: str) -> str:
    return snake_case(spec_name)


def docstring(text: str) -> str:
    """Text safe to put between triple quotes."""
    cleaned = " ".join(text.split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return cleaned.rstrip('"') or "No description in the spec."


def int_literal(value: str | int | float | bool) -> int:
    """Spec integer defaults: JSON numbers, decimal strings or hex strings (``0x7fffffff``)."""
    if isinstance(value, bool | float):
        raise ValueError(f"not an integer default: {value!r}")
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    return sign * (int(text, 16) if text.startswith("0x") else int(text, 10))


def bool_literal(value: str | int | float | bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"not a boolean default: {value!r}")


def uuid_bytes(value: str) -> bytes:
    """Kafka prints uuids as URL-safe base64 without padding."""
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(raw) != 16:
        raise ValueError(f"not a uuid: {value!r}")
    return raw
