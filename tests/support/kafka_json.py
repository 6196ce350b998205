"""Convert generated message objects to and from Kafka's JSON converter format.

Kafka's generated ``<Name>DataJsonConverter`` classes read and write a JSON shape that this
module reproduces from the generated FIELDS schemas alone (no per-message code): keys are
the spec's lowerCamel names, every integer (int64 included) is a JSON number, float64 is a
JSON float (``Infinity``/``NaN`` as Jackson's non-numeric numbers on the way in, as strings
on the way out), bytes and records are standard base64, uuids are Kafka's text form
(URL-safe base64 of the 16 bytes, no padding), null stays null.

Java's converter cannot carry records (it writes ``""`` or a size in their place) nor
unknown tagged fields; callers compare those on the wire instead. Test-only: the library
must never import this.
"""

from __future__ import annotations

import base64
import math
import uuid
from typing import Any

from aiokafka_gen.protocol import FieldSchema, Struct

__all__ = ["from_kafka_json", "kafka_uuid", "parse_kafka_uuid", "to_kafka_json"]

Json = Any


def kafka_uuid(value: uuid.UUID) -> str:
    """Kafka's ``Uuid.toString()``: URL-safe base64 of the 16 bytes without padding."""
    return base64.urlsafe_b64encode(value.bytes).decode("ascii").rstrip("=")


def parse_kafka_uuid(text: str) -> uuid.UUID:
    """The inverse of :func:`kafka_uuid` (``Uuid.fromString``)."""
    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def to_kafka_json(obj: Struct, version: int) -> dict[str, Json]:
    """``obj`` at ``version`` as Kafka's JSON converter reads it.

    Every field of ``version`` is written (Java's reader requires them). A scalar field the
    version lacks is written only when it holds a non-default value, so Java's writer sees
    the same value ours does and decides the same way (drop an ignorable one, refuse the
    others). A struct field the version lacks is never written: Java's reader refuses to
    read a struct at a version outside the struct's own versions.
    """
    node: dict[str, Json] = {}
    for field in obj.FIELDS:
        value = getattr(obj, field.name)
        if field.in_version(version) or _absent_but_set(field, value):
            node[field.json_name] = _value_to_json(field, value, version)
    return node


def _absent_but_set(field: FieldSchema, value: Any) -> bool:
    return field.struct is None and value != field.make_default()


def from_kafka_json(cls: type[Struct], node: dict[str, Json], version: int) -> Struct:
    """Build ``cls`` from Kafka's JSON; keys Java left out (absent, default tagged) default.

    A key ``cls`` does not know raises ValueError: Java knows a field we do not.
    """
    unknown = set(node) - {field.json_name for field in cls.FIELDS}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field for JSON keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for field in cls.FIELDS:
        if field.json_name in node:
            values[field.name] = _value_from_json(field, node[field.json_name], version)
    return cls(**values)


def _element_type(field: FieldSchema) -> str:
    return field.type[2:] if field.type.startswith("[]") else field.type


def _value_to_json(field: FieldSchema, value: Any, version: int) -> Json:
    if value is None:
        return None
    if field.type.startswith("[]"):
        return [_item_to_json(field, item, version) for item in value]
    return _item_to_json(field, value, version)


def _item_to_json(field: FieldSchema, value: Any, version: int) -> Json:
    if field.struct is not None:
        return to_kafka_json(value, version)
    kind = _element_type(field)
    if kind in ("bytes", "records"):
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "uuid":
        return kafka_uuid(value)
    if kind == "float64":
        return float(value)
    return value


def _value_from_json(field: FieldSchema, node: Json, version: int) -> Any:
    if node is None:
        return None
    if field.type.startswith("[]"):
        return [_item_from_json(field, item, version) for item in node]
    return _item_from_json(field, node, version)


def _item_from_json(field: FieldSchema, node: Json, version: int) -> Any:
    if field.struct is not None:
        return from_kafka_json(field.struct, node, version)
    kind = _element_type(field)
    if kind in ("bytes", "records"):
        return base64.b64decode(node)
    if kind == "uuid":
        return parse_kafka_uuid(node)
    if kind == "float64":
        return _float(node)
    return node


def _float(node: Json) -> float:
    """Jackson writes non-finite doubles as the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(node, str):
        value = float(node.replace("Infinity", "inf"))
        if not math.isnan(value) and not math.isinf(value):
            raise ValueError(f"not a float64 JSON value: {node!r}")
        return value
    return float(node)
