"""Generated message objects <-> JSON, driven by each class's ``FIELDS`` schema only.

Keys are the spec's names (Kafka's lowerCamel JSON names); only the fields the version has
are written, and keys left out when reading take Kafka's defaults. Bytes are base64
strings, uuids Kafka's text form (URL-safe base64, no padding). A ``records`` field is
``{"base64": ..., "batches": [...]}``: the batches are decoded for people to read and
ignored on the way back in (the base64 is what is encoded). Unknown tagged fields read
from the wire are shown under ``_unknownTaggedFields`` (read-only).
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from aiokafka_gen.cli.errors import short
from aiokafka_gen.cli.output import JSON, bytes_to_json

if TYPE_CHECKING:  # the protocol and records modules load when a command runs
    from aiokafka_gen.protocol._message import FieldSchema, Struct
    from aiokafka_gen.records import LegacyBatch, RecordBatch

    # A field's value as the generated classes hold it: what its schema type says (an
    # int, str, float, bool, bytes or buffer, uuid, a Struct, or a list of one of these).
    _Value = Struct | uuid.UUID | bytes | memoryview | str | int | float | bool | None
    _FieldValue = _Value | list[_Value]

__all__ = ["from_json", "records_json", "to_json"]

S = TypeVar("S", bound="Struct")


def _kafka_uuid(value: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).decode("ascii").rstrip("=")


def _parse_uuid(text: str) -> uuid.UUID:
    if len(text) == 36:  # the canonical hex form is accepted too
        return uuid.UUID(text)
    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def to_json(obj: Struct, version: int, *, decode_records: bool = True) -> dict[str, object]:
    """``obj`` (a Struct) as JSON at ``version``."""
    node: dict[str, object] = {}
    for field in obj.FIELDS:
        if field.in_version(version):
            node[field.json_name] = _value_out(field, getattr(obj, field.name), version,
                                               decode_records)  # fmt: skip
    unknown = obj.unknown_tagged_fields
    if unknown:
        node["_unknownTaggedFields"] = {
            str(tag): base64.b64encode(raw).decode("ascii") for tag, raw in unknown
        }
    return node


def _value_out(
    field: FieldSchema, value: _FieldValue, version: int, decode_records: bool
) -> object:
    if value is None:
        return None
    if field.type.startswith("[]"):
        assert isinstance(value, list)  # the schema says an array
        return [_item_out(field, item, version, decode_records) for item in value]
    return _item_out(field, value, version, decode_records)


def _item_out(field: FieldSchema, value: _FieldValue, version: int, decode_records: bool) -> object:
    if field.struct is not None:
        assert isinstance(value, field.struct)  # the schema says a struct
        return to_json(value, version, decode_records=decode_records)
    kind = field.type.removeprefix("[]")
    if kind == "records":
        assert isinstance(value, bytes | bytearray | memoryview)  # the schema says records
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        if not decode_records:
            return {"base64": encoded}
        return {"base64": encoded, "batches": records_json(bytes(value))}
    if kind == "bytes":
        assert isinstance(value, bytes | bytearray | memoryview)  # the schema says bytes
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "uuid":
        assert isinstance(value, uuid.UUID)  # the schema says a uuid
        return _kafka_uuid(value)
    return value


def records_json(data: bytes) -> list[dict[str, object]]:
    """Record batches decoded for reading (an ``error`` entry when they do not decode)."""
    from aiokafka_gen.records import read_batches

    batches: list[dict[str, object]] = []
    try:
        for batch in read_batches(data):
            batches.append(_batch_json(batch))
    except Exception as exc:  # shown, not raised: the frame itself decoded fine
        batches.append({"error": short(exc)})
    return batches


def _batch_json(batch: RecordBatch | LegacyBatch) -> dict[str, object]:
    node: dict[str, object] = {"base_offset": batch.base_offset, "magic": batch.magic}
    if batch.magic >= 2:
        node |= {
            "producer_id": batch.producer_id, "producer_epoch": batch.producer_epoch,
            "base_sequence": batch.base_sequence, "codec": batch.codec,
            "transactional": batch.is_transactional, "control": batch.is_control,
            "partition_leader_epoch": batch.partition_leader_epoch,
        }  # fmt: skip
    records = batch.control_records() if getattr(batch, "is_control", False) else batch
    node["records"] = [
        {"offset": r.offset, "timestamp": r.timestamp, "key": bytes_to_json(r.key),
         "value": bytes_to_json(r.value),
         "headers": [[k, bytes_to_json(v)] for k, v in r.headers]}
        for r in records
    ]  # fmt: skip
    return node


def from_json(cls: type[S], node: JSON, version: int) -> S:
    """Build ``cls`` from JSON; unknown keys raise ValueError (a typo would be lost)."""
    if not isinstance(node, dict):
        raise ValueError(f"{cls.__name__}: expected a JSON object, got {type(node).__name__}")
    known = {field.json_name: field for field in cls.FIELDS}
    unknown = set(node) - set(known) - {"_unknownTaggedFields"}
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}")
    values = {
        field.name: _value_in(field, node[name], version)
        for name, field in known.items()
        if name in node
    }
    return cls(**values)


def _value_in(field: FieldSchema, node: JSON, version: int) -> object:
    if node is None:
        return None
    if field.type.startswith("[]"):
        if not isinstance(node, list):
            raise ValueError(f"{field.json_name}: expected a JSON array")
        return [_item_in(field, item, version) for item in node]
    return _item_in(field, node, version)


def _item_in(field: FieldSchema, node: Any, version: int) -> object:
    # node stays dynamically typed: it goes as it is to the converter of the field's type
    # (b64decode, uuid, float), whose own error is what a wrong JSON type reports
    if field.struct is not None:
        return from_json(field.struct, node, version)
    kind = field.type.removeprefix("[]")
    if kind == "records":
        text = node["base64"] if isinstance(node, dict) else node
        return base64.b64decode(text, validate=True)
    if kind == "bytes":
        return base64.b64decode(node, validate=True)
    if kind == "uuid":
        return _parse_uuid(node)
    if kind == "float64":
        return float(node)
    return node
