"""Cross-field rules Kafka's own generator enforces, checked before any code is produced.

Each check returns messages instead of raising, so one run reports every problem. This
module never builds names or code (that is codegen.model).
"""

from __future__ import annotations

from collections.abc import Iterator

from codegen.load import SpecError
from codegen.spec import MAX_VERSION, FieldSpec, MessageSpec, VersionRange

PRIMITIVES = frozenset(
    [
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint16",
        "uint32",
        "float64",
        "uuid",
        "string",
        "bytes",
        "records",
    ]
)
NULLABLE_KINDS = frozenset({"string", "bytes", "records"})


def element_type(type_name: str) -> str:
    return type_name[2:] if type_name.startswith("[]") else type_name


def is_struct_type(type_name: str) -> bool:
    elem = element_type(type_name)
    return elem not in PRIMITIVES and elem[:1].isupper()


def validate(spec: MessageSpec) -> None:
    """Raise SpecError listing every rule ``spec`` breaks."""
    problems = list(_problems(spec))
    if problems:
        raise SpecError(f"{spec.name}: " + "; ".join(problems))


def _problems(spec: MessageSpec) -> Iterator[str]:
    if spec.type in ("request", "response") and spec.api_key is None:
        yield "requests and responses need an apiKey"
    flex = spec.flexible_versions
    if not flex.empty and flex.hi != MAX_VERSION:
        yield f"flexibleVersions {flex} must be open-ended"
    yield from _struct_names(spec)
    yield from _fields(spec.fields, spec, "")
    for common in spec.common_structs:
        yield from _fields(common.fields, spec, common.name + ".")


def _struct_names(spec: MessageSpec) -> Iterator[str]:
    common = [c.name for c in spec.common_structs]
    seen: set[str] = set()
    for name in common:
        if name in seen:
            yield f"commonStruct {name} defined twice"
        seen.add(name)
    for field in _walk(spec):
        if not is_struct_type(field.type):
            continue
        elem = element_type(field.type)
        if field.fields is None and elem not in common:
            yield f"{field.name}: struct type {elem} has no fields and no commonStruct"
        elif field.fields is not None and elem in seen:
            yield f"struct {elem} defined twice in one file"
        seen.add(elem)


def _walk(spec: MessageSpec) -> Iterator[FieldSpec]:
    stack = list(spec.fields) + [f for c in spec.common_structs for f in c.fields]
    while stack:
        field = stack.pop(0)
        yield field
        stack.extend(field.fields or ())


def _fields(fields: tuple[FieldSpec, ...], spec: MessageSpec, prefix: str) -> Iterator[str]:
    names = [f.name for f in fields]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        yield f"{prefix}{dup}: duplicate field name"
    tags = sorted(f.tag for f in fields if f.tag is not None)
    if tags != list(range(len(tags))):
        yield f"{prefix}: tags {tags} must be unique and contiguous from 0"
    for field in fields:
        path = prefix + field.name
        yield from (f"{path}: {p}" for p in _field_problems(field, spec))
        if field.fields:
            yield from _fields(field.fields, spec, path + ".")


def _field_problems(field: FieldSpec, spec: MessageSpec) -> Iterator[str]:
    yield from _type_problems(field)
    yield from _tag_problems(field, spec.flexible_versions)
    yield from _nullable_problems(field)


def _type_problems(field: FieldSpec) -> Iterator[str]:
    elem = element_type(field.type)
    if elem.startswith("[]"):
        yield "arrays of arrays are not allowed"
    elif elem not in PRIMITIVES and not elem[:1].isupper():
        yield f"unknown type {field.type}"
    if field.fields is not None and not is_struct_type(field.type):
        yield "only struct types may have nested fields"
    if field.type == "records" and field.tag is not None:
        yield "records cannot be tagged"


def _tag_problems(field: FieldSpec, flexible: VersionRange) -> Iterator[str]:
    tagged = field.tagged_versions
    if (field.tag is None) != (tagged is None):
        yield "tag and taggedVersions must appear together"
    if tagged is None:
        return
    if not tagged.empty and tagged.hi != MAX_VERSION:
        yield f"taggedVersions {tagged} must be open-ended"
    if not flexible.contains_range(tagged):
        yield f"taggedVersions {tagged} outside flexibleVersions {flexible}"
    if not field.effective_versions.contains_range(tagged):
        yield f"taggedVersions {tagged} outside versions {field.effective_versions}"


def _nullable_problems(field: FieldSpec) -> Iterator[str]:
    nullable = field.nullable_versions
    versions = field.effective_versions
    can_be_null = field.type in NULLABLE_KINDS or field.type.startswith("[]")
    if nullable is not None and not nullable.empty and not (can_be_null or field.type[0].isupper()):
        yield f"type {field.type} cannot be nullable"
    if field.default == "null" and (nullable is None or not nullable.contains_range(versions)):
        yield "default null needs the field to be nullable in every version"
