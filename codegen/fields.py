"""Field typing and defaults: each spec field's Python type, constructor default, decoder
default and the test that it differs from its default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codegen import names
from codegen.load import SpecError
from codegen.model import FIXED, FieldModel, StructModel
from codegen.spec import NONE, FieldSpec
from codegen.validate import element_type

if TYPE_CHECKING:
    from codegen.plans import Builder

# The specs' entityType values, as type aliases a field's annotation uses (generated
# entities.py): (alias, Python type, what it is). Aliases, not NewTypes: a user passes
# a plain str or int as before, and the annotation still says which kind of id it is.
ENTITIES: dict[str, tuple[str, str, str]] = {
    "brokerId": ("BrokerId", "int", "a broker's node id"),
    "groupId": ("GroupId", "str", "a consumer or share group's id"),
    "producerId": ("ProducerId", "int", "an idempotent or transactional producer's id"),
    "topicName": ("TopicName", "str", "a topic's name"),
    "transactionalId": ("TransactionalId", "str", "a transactional producer's id"),
}


def field_model(spec: FieldSpec, struct: StructModel | None, builder: Builder) -> FieldModel:
    attr = names.snake_case(spec.name)
    default_is_null = spec.default == "null"
    elem_py = _elem_py_type(element_type(spec.type), struct, builder)
    if spec.entity_type in ENTITIES and struct is None:
        alias, py, _ = ENTITIES[spec.entity_type]
        if py != elem_py:
            raise SpecError(f"{spec.name}: entityType {spec.entity_type} on a {spec.type}")
        builder.entities.add(alias)
        elem_py = alias
    may_be_null = not (spec.nullable_versions or NONE).empty or default_is_null
    if spec.type.startswith("[]"):
        return _array_field(spec, attr, elem_py, may_be_null, default_is_null, struct)
    if struct is not None:
        return _struct_field(spec, attr, struct, may_be_null, default_is_null)
    return _scalar_field(spec, attr, elem_py, may_be_null, default_is_null)


def _elem_py_type(kafka_type: str, struct: StructModel | None, builder: Builder) -> str:
    if struct is not None:
        return struct.name
    if kafka_type == "uuid":
        builder.needs_uuid = True
        return "uuid.UUID"
    return {
        "bool": "bool",
        "float64": "float",
        "string": "str",
        "bytes": "bytes",
        "records": "bytes | memoryview",
    }.get(kafka_type, "int")


def _array_field(
    spec: FieldSpec,
    attr: str,
    elem: str,
    may_be_null: bool,
    null_default: bool,
    struct: StructModel | None,
) -> FieldModel:
    py_type = f"list[{elem}] | None" if may_be_null else f"list[{elem}]"
    if null_default:
        return _plain(spec, attr, py_type, elem, "None", struct, null=True)
    return FieldModel(
        spec,
        attr,
        names.json_name(spec.name),
        struct,
        py_type,
        elem,
        py_type,
        "_EMPTY",
        f"[] if {attr} is _EMPTY else {attr}",
        "[]",
        f"o.{attr} != []",
        "None",
        False,
    )


def _struct_field(
    spec: FieldSpec, attr: str, struct: StructModel, may_be_null: bool, null_default: bool
) -> FieldModel:
    if null_default:
        return _plain(spec, attr, f"{struct.name} | None", struct.name, "None", struct, null=True)
    struct.fresh = True
    py_type = f"{struct.name} | None" if may_be_null else struct.name
    return FieldModel(
        spec,
        attr,
        names.json_name(spec.name),
        struct,
        py_type,
        struct.name,
        f"{struct.name} | None",
        "None",
        f"{struct.name}() if {attr} is None else {attr}",
        f"_fresh_{struct.name}()",
        f"o.{attr} != {struct.name}()",
        "None",
        False,
    )


def _scalar_field(
    spec: FieldSpec, attr: str, py: str, may_be_null: bool, null_default: bool
) -> FieldModel:
    if null_default or (spec.type == "records" and spec.default is None):
        return _plain(spec, attr, f"{py} | None", py, "None", None, null=True)
    literal = _scalar_default(spec)
    py_type = f"{py} | None" if may_be_null else py
    return _plain(spec, attr, py_type, py, literal, None, null=False)


def _plain(
    spec: FieldSpec,
    attr: str,
    py_type: str,
    elem: str,
    literal: str,
    struct: StructModel | None,
    null: bool,
) -> FieldModel:
    cond = f"o.{attr} is not None" if literal == "None" else f"o.{attr} != {literal}"
    return FieldModel(
        spec,
        attr,
        names.json_name(spec.name),
        struct,
        py_type,
        elem,
        py_type,
        literal,
        attr,
        literal,
        cond,
        literal,
        null,
    )


def _scalar_default(spec: FieldSpec) -> str:
    value = spec.default
    kind = spec.type
    try:
        return _default_literal(kind, value)
    except ValueError as exc:
        raise SpecError(f"{spec.name}: bad default {value!r} for {kind}: {exc}") from exc


def _default_literal(kind: str, value: str | int | float | bool | None) -> str:
    if kind == "bool":
        return repr(False if value is None else names.bool_literal(value))
    if kind == "float64":
        return repr(0.0 if value is None else float(value))
    if kind in FIXED:
        return repr(0 if value is None else names.int_literal(value))
    if kind == "string":
        return repr("" if value is None else str(value))
    if kind == "bytes":
        return 'b""'
    if kind == "uuid":
        if value in (None, "", "AAAAAAAAAAAAAAAAAAAAAA"):
            return "_ZERO_UUID"
        return f"uuid.UUID(bytes={names.uuid_bytes(str(value))!r})"
    raise ValueError(f"no default for type {kind}")
