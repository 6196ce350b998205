"""The intermediate model: every Python name, type, default and per-version decision.

``build_module(spec)`` turns one validated MessageSpec into a ModuleModel that the jinja2
templates only print. Per (struct, version) it computes a Plan: the wire steps in order
(adjacent fixed-width fields merged into one precompiled struct), the decode ops (the
same wire read with fewer calls: see ``decode_ops``), the tagged fields, and the fields
the version lacks. Identical plans share one generated function. This module never
renders text and never touches the file system.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from codegen import names
from codegen.load import SpecError
from codegen.spec import NONE, FieldSpec, MessageSpec, VersionRange
from codegen.validate import element_type, is_struct_type

FIXED = {
    "bool": ("?", 1),
    "int8": ("b", 1),
    "int16": ("h", 2),
    "int32": ("i", 4),
    "int64": ("q", 8),
    "uint16": ("H", 2),
    "uint32": ("I", 4),
    "float64": ("d", 8),
}
_CODE_LETTER = {"?": "o"}
_ALWAYS_IMPORTED = frozenset(
    {
        "EMPTY",
        "ZERO_UUID",
        "count_error",
        "length_error",
        "new_object",
        "null_error",
        "null_value",
        "read_tags",
        "read_unknown_tags",
        "read_uvarint",
        "tags_unsupported",
        "write_tags",
    }
)
# reader / writer helper names per (kind, compact, nullable); writers of bytes append.
_READERS = {"string": "str", "bytes": "bytes", "records": "records"}


@dataclass(frozen=True)
class Step:
    """One wire item of a plan. ``kind``: fixed, value, bytes, struct, nstruct, array."""

    kind: str
    attrs: tuple[str, ...]
    label: str = ""
    struct_var: str = ""
    size: int = 0
    reader: str = ""
    writer: str = ""
    nullable: bool = False
    elem: str = ""
    elem_type: str = ""
    code: str = ""
    count_reader: str = ""
    count_writer: str = ""
    maybe_none: bool = False
    compact: bool = False
    child_plan: Plan | None = None
    # the Kafka type of a value/bytes step: string, uuid, bytes or records
    scalar: str = ""


@dataclass(frozen=True)
class Head:
    """A fixed-width array whose count is already read, unpacked with what follows it."""

    attr: str
    count: str
    cache_var: str
    size: int
    nullable: bool
    label: str
    rest_var: str


@dataclass(frozen=True)
class DecOp:
    """One decode operation; ``kind``: unpack, string, blob, count, array, step.

    - unpack: one ``struct.unpack_from`` into ``targets`` (``.attr`` for a field of the
      object, else a local length/count name), optionally led by a fixed-width array
      (``head``) of a count read earlier. ``size`` excludes the head's elements.
    - string / blob: a string, bytes or records value whose length is ``length`` (read by
      an earlier unpack) or, when ``length`` is empty, a compact length read inline.
    - count: a compact array count read inline into ``length``.
    - array: a struct or value array; count in ``length`` or read inline (compact).
    - step: anything else, decoded through ``step`` as it is (uuid, struct, nstruct).
    """

    kind: str
    attr: str = ""
    targets: tuple[str, ...] = ()
    struct_var: str = ""
    size: int = 0
    head: Head | None = None
    length: str = ""
    nullable: bool = False
    label: str = ""
    records: bool = False
    step: Step | None = None


@dataclass(frozen=True)
class TaggedStep:
    tag: int
    attr: str
    cond: str
    default: str
    steps: tuple[Step, ...]
    dec: tuple[DecOp, ...]


@dataclass(frozen=True)
class Plan:
    flexible: bool
    steps: tuple[Step, ...]
    dec: tuple[DecOp, ...]
    tagged: tuple[TaggedStep, ...]
    absent_checks: tuple[tuple[str, str], ...]
    absent_defaults: tuple[tuple[str, str], ...]


@dataclass
class FieldModel:
    spec: FieldSpec
    attr: str
    json_name: str
    struct: StructModel | None
    py_type: str
    elem_py_type: str
    param_type: str
    param_default: str
    init_expr: str
    fresh_default: str
    nondefault_cond: str
    schema_default: str
    default_is_null: bool

    @property
    def versions(self) -> VersionRange:
        return self.spec.effective_versions

    @property
    def nullable(self) -> VersionRange:
        return self.spec.nullable_versions or NONE

    @property
    def versions_text(self) -> str:
        text = f"v{self.versions}"
        if self.spec.tagged_versions is not None:
            text += f", tag {self.spec.tag}"
        if not self.nullable.intersect(self.versions).empty:
            text += f", nullable v{self.nullable}"
        return text

    @property
    def doc(self) -> str:
        return names.docstring(self.spec.about)

    @property
    def slot_doc(self) -> str:
        """The attribute's own docstring (``help()`` lists it), as a Python literal."""
        return repr(f"{self.versions_text}: {' '.join(self.spec.about.split()) or _NO_ABOUT}")

    @property
    def schema_args(self) -> str:
        spec = self.spec
        args = [
            repr(self.attr),
            repr(self.json_name),
            repr(spec.type),
            _span(self.versions),
            _span(spec.nullable_versions),
            _span(spec.tagged_versions),
            repr(spec.tag),
            self.schema_default,
            repr(self.default_is_null),
            repr(spec.ignorable),
            self.struct.name if self.struct else "None",
        ]
        if spec.flexible_versions is not None:
            args.append(_span(spec.flexible_versions))
        return ", ".join(args)


def _span(versions: VersionRange | None) -> str:
    if versions is None or versions.empty:
        return "None"
    return f"({versions.lo}, {versions.hi})"


@dataclass
class PlanFunc:
    suffix: str
    versions: list[int]
    plan: Plan

    @property
    def versions_text(self) -> str:
        return ", ".join(str(v) for v in self.versions)


@dataclass
class StructModel:
    name: str
    about: str
    specs: tuple[FieldSpec, ...]
    fields: list[FieldModel] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)
    funcs: list[PlanFunc] = field(default_factory=list)
    by_version: dict[int, str] = field(default_factory=dict)
    plans: dict[int, Plan] = field(default_factory=dict)
    # a struct field (not an array) defaults to a new instance: decoders need _fresh_<name>
    fresh: bool = False

    @property
    def doc(self) -> str:
        return names.docstring(self.about)


@dataclass(frozen=True)
class ResponseLink:
    """A request module's link to its response: where the class lives and what sending the
    request returns (the class, or the class or None where the broker may not answer)."""

    module: str
    name: str
    answer_optional: bool

    @property
    def type_arg(self) -> str:
        return f"{self.name} | None" if self.answer_optional else self.name


# Requests the broker may leave unanswered: Produce with acks=0 (the framing knows when).
UNANSWERED_API_KEYS = frozenset({0})


@dataclass
class ModuleModel:
    spec: MessageSpec
    module: str
    kafka_version: str
    source_file: str
    message: StructModel
    structs: list[StructModel]
    struct_consts: dict[str, str]
    array_consts: dict[str, str]
    helpers: set[str]
    needs_uuid: bool
    unstable: bool
    response: ResponseLink | None = None

    @property
    def doc(self) -> str:
        return summary(self.spec)

    @property
    def imports(self) -> list[str]:
        return sorted(self.helpers | _ALWAYS_IMPORTED)

    @property
    def message_base(self) -> str:
        """The top-level class's base: a request names what sending it returns."""
        return f"_Request[{self.response.type_arg}]" if self.response else "_Message"

    @property
    def flexible_min(self) -> int | None:
        flex = self.spec.flexible_versions.intersect(self.spec.valid_versions)
        return None if flex.empty else flex.lo


class _Builder:
    """Holds the per-module state (struct table, struct constants, used helpers)."""

    def __init__(self, spec: MessageSpec) -> None:
        self.spec = spec
        self.structs: dict[str, StructModel] = {}
        self.order: list[StructModel] = []
        self.struct_consts: dict[str, str] = {}
        self.array_consts: dict[str, str] = {}
        self.helpers: set[str] = set()
        self.needs_uuid = False
        self.common = {c.name: c for c in spec.common_structs}

    # --- structure --------------------------------------------------------------------

    def struct_for(self, name: str, about: str, specs: tuple[FieldSpec, ...] | None) -> StructModel:
        if name in self.structs:
            return self.structs[name]
        if specs is None:
            specs = self.common[name].fields
        model = StructModel(name=name, about=about, specs=specs)
        self.structs[name] = model
        model.fields = [self.field_model(f) for f in specs]
        self._check_attrs(model)
        self.order.append(model)
        return model

    def _check_attrs(self, model: StructModel) -> None:
        attrs = [f.attr for f in model.fields]
        if len(set(attrs)) != len(attrs):
            raise SpecError(f"{self.spec.name}.{model.name}: two fields map to one Python name")

    def field_model(self, spec: FieldSpec) -> FieldModel:
        struct = None
        if is_struct_type(spec.type):
            struct = self.struct_for(element_type(spec.type), spec.about, spec.fields)
        return _field_model(spec, struct, self)

    def mark_versions(self, model: StructModel, versions: set[int]) -> None:
        new = versions - model.versions
        if not new:
            return
        model.versions |= new
        for fm in model.fields:
            if fm.struct is not None:
                used = {v for v in new if v in fm.versions}
                self.mark_versions(fm.struct, used)

    def struct_const(self, fmt: str) -> str:
        name = "_S_" + "".join(_CODE_LETTER.get(c, c) for c in fmt)
        self.struct_consts[name] = ">" + fmt
        return name

    def array_cache(self, fmt: str) -> str:
        name = "_A_" + "".join(_CODE_LETTER.get(c, c) for c in fmt.replace("%d", "N"))
        self.array_consts[name] = ">" + fmt
        return name

    def use(self, helper: str) -> str:
        self.helpers.add(helper)
        return "_" + helper

    # --- plans ------------------------------------------------------------------------

    def build_plans(self, model: StructModel) -> None:
        seen: dict[Plan, str] = {}
        for version in sorted(model.versions):
            plan = self.plan(model, version)
            if plan not in seen:
                seen[plan] = f"{model.name}_{version}"
                model.funcs.append(PlanFunc(seen[plan], [], plan))
            next(f for f in model.funcs if f.suffix == seen[plan]).versions.append(version)
            model.by_version[version] = seen[plan]
            model.plans[version] = plan

    def plan(self, model: StructModel, version: int) -> Plan:
        flexible = version in self.spec.flexible_versions
        steps: list[Step] = []
        tagged: list[TaggedStep] = []
        checks: list[tuple[str, str]] = []
        defaults: list[tuple[str, str]] = []
        for fm in model.fields:
            tag_range = fm.spec.tagged_versions
            if flexible and tag_range is not None and version in tag_range:
                tagged.append(self.tagged_step(fm, version))
            elif version in fm.versions and not (tag_range and version in tag_range):
                steps.append(self.step(fm, version, flexible))
            else:
                defaults.append((fm.attr, fm.fresh_default))
                if not fm.spec.ignorable:
                    checks.append((fm.attr, fm.nondefault_cond))
        return Plan(
            flexible,
            _merge_fixed(steps, self),
            decode_ops(steps, self),
            tuple(tagged),
            tuple(checks),
            tuple(defaults),
        )

    def tagged_step(self, fm: FieldModel, version: int) -> TaggedStep:
        assert fm.spec.tag is not None
        raw = [self.step(fm, version, True)]
        return TaggedStep(
            fm.spec.tag,
            fm.attr,
            fm.nondefault_cond,
            fm.fresh_default,
            _merge_fixed(raw, self),
            decode_ops(raw, self),
        )

    def step(self, fm: FieldModel, version: int, flexible: bool) -> Step:
        spec = fm.spec
        compact = flexible and (spec.flexible_versions is None or version in spec.flexible_versions)
        nullable = version in fm.nullable
        label = f"{spec.name}"
        if spec.type.startswith("[]"):
            return self.array_step(fm, version, compact, nullable)
        if fm.struct is not None:
            kind = "nstruct" if nullable else "struct"
            if nullable:
                self.use("read_struct_marker")
            return Step(
                kind,
                (fm.attr,),
                label,
                reader=_dec(fm.struct, version),
                writer=_enc(fm.struct, version),
                nullable=nullable,
                maybe_none=fm.py_type.endswith("| None"),
            )
        return self.scalar_step(spec.type, fm.attr, label, compact, nullable)

    def scalar_step(
        self, kafka_type: str, attr: str, label: str, compact: bool, nullable: bool
    ) -> Step:
        if kafka_type in FIXED:
            code, size = FIXED[kafka_type]
            return Step("fixed", (attr,), label, code=code, size=size)
        if kafka_type == "uuid":
            return Step(
                "value",
                (attr,),
                label,
                reader=self.use("read_uuid"),
                writer=self.use("enc_uuid"),
                scalar="uuid",
            )
        base = _READERS[kafka_type]
        prefix = ("n" if nullable else "") + ("c" if compact else "")
        reader = self.use(f"read_{prefix}{base}")
        kind = "value" if kafka_type == "string" else "bytes"
        writer = self.use(f"enc_{prefix}str" if kind == "value" else f"write_{prefix}bytes")
        return Step(
            kind,
            (attr,),
            label,
            reader=reader,
            writer=writer,
            nullable=nullable,
            compact=compact,
            scalar=kafka_type,
        )

    def array_step(self, fm: FieldModel, version: int, compact: bool, nullable: bool) -> Step:
        elem_kafka = element_type(fm.spec.type)
        if compact:
            self.use("read_uvarint")
            self.use("uvarint")
        base = Step(
            "array",
            (fm.attr,),
            fm.spec.name,
            nullable=nullable,
            elem_type=fm.elem_py_type,
            compact=compact,
            struct_var="" if compact else self.struct_const("i"),
        )
        if fm.struct is not None:
            self.use("count_error")
            return dataclasses.replace(
                base,
                elem="struct",
                elem_type=fm.struct.name,
                reader=_dec(fm.struct, version),
                writer=_enc(fm.struct, version),
                child_plan=fm.struct.plans[version],
            )
        if elem_kafka in FIXED:
            code, size = FIXED[elem_kafka]
            self.use("array_structs")
            return dataclasses.replace(
                base,
                elem="fixed",
                code=code,
                size=size,
                reader=self.array_cache(f"%d{code}"),
                writer=self.array_cache(f"%d{code}" if compact else f"i%d{code}"),
            )
        self.use("count_error")
        inner = self.scalar_step(elem_kafka, "", "", compact, False)
        return dataclasses.replace(base, elem=inner.kind, reader=inner.reader, writer=inner.writer)


def _dec(struct: StructModel, version: int) -> str:
    return f"_d_{struct.by_version[version]}"


def _enc(struct: StructModel, version: int) -> str:
    return f"_e_{struct.by_version[version]}"


def _merge_fixed(steps: list[Step], builder: _Builder) -> tuple[Step, ...]:
    """Encode steps: runs of adjacent fixed-width steps merged into one struct.Struct each."""
    merged: list[Step] = []
    run: list[Step] = []
    for step in [*steps, Step("end", ())]:
        if step.kind == "fixed":
            run.append(step)
            continue
        if run:
            fmt = "".join(s.code for s in run)
            attrs = tuple(a for s in run for a in s.attrs)
            size = sum(s.size for s in run)
            merged.append(Step("fixed", attrs, struct_var=builder.struct_const(fmt), size=size))
        run = []
        if step.kind != "end":
            merged.append(step)
    return tuple(merged)


_PREFIX = {"string": ("h", 2), "bytes": ("i", 4), "records": ("i", 4)}


def decode_ops(steps: list[Step], builder: _Builder) -> tuple[DecOp, ...]:
    """The decode of ``steps`` with as few Python-level calls as the layout allows.

    Every classic length or count prefix joins the fixed-width fields before it in one
    ``unpack_from``; a fixed-width array's elements are unpacked together with the
    fixed-width fields and the next prefix after it (the array is then a ``Head``).
    Strings, bytes and compact lengths are read inline, without helper calls.
    """
    ops: list[DecOp] = []
    run: list[Step] = []
    head: tuple[Step, str] | None = None

    def flush(prefix: tuple[str, int] | None = None, var: str = "") -> None:
        nonlocal run, head
        if head is None and not run and prefix is None:
            return
        codes = "".join(s.code for s in run) + (prefix[0] if prefix else "")
        targets = tuple("." + a for s in run for a in s.attrs) + ((var,) if var else ())
        size = sum(s.size for s in run) + (prefix[1] if prefix else 0)
        if head is None:
            ops.append(
                DecOp("unpack", targets=targets, struct_var=builder.struct_const(codes), size=size)
            )
        else:
            array, count = head
            rest_var = builder.struct_const(codes) if codes and array.nullable else ""
            first = Head(
                array.attrs[0],
                count,
                builder.array_cache(f"%d{array.code}{codes}"),
                array.size,
                array.nullable,
                array.label,
                rest_var,
            )
            ops.append(DecOp("unpack", targets=targets, size=size, head=first))
        run, head = [], None

    for step in steps:
        attr = step.attrs[0] if step.attrs else ""
        if step.kind == "fixed":
            run.append(step)
        elif step.kind == "array":
            count = f"n_{attr}"
            if step.compact:
                flush()
                if step.elem == "fixed":
                    ops.append(DecOp("count", attr, length=count, nullable=step.nullable))
            else:
                flush(("i", 4), count)
            if step.elem == "fixed":
                head = (step, count)
            else:
                length = "" if step.compact else count
                ops.append(DecOp("array", attr, length=length, nullable=step.nullable, step=step))
        elif step.scalar in _PREFIX:
            kind = "string" if step.scalar == "string" else "blob"
            length = ""
            if not step.compact:
                length = f"ln_{attr}"
                flush(_PREFIX[step.scalar], length)
            else:
                flush()
            ops.append(
                DecOp(
                    kind,
                    attr,
                    length=length,
                    nullable=step.nullable,
                    label=step.label,
                    records=step.scalar == "records",
                )
            )
        else:
            flush()
            ops.append(DecOp("step", attr, step=step))
    flush()
    return tuple(ops)


# --- field typing and defaults ------------------------------------------------------------


def _field_model(spec: FieldSpec, struct: StructModel | None, builder: _Builder) -> FieldModel:
    attr = names.snake_case(spec.name)
    default_is_null = spec.default == "null"
    elem_py = _elem_py_type(element_type(spec.type), struct, builder)
    may_be_null = not (spec.nullable_versions or NONE).empty or default_is_null
    if spec.type.startswith("[]"):
        return _array_field(spec, attr, elem_py, may_be_null, default_is_null, struct)
    if struct is not None:
        return _struct_field(spec, attr, struct, may_be_null, default_is_null)
    return _scalar_field(spec, attr, elem_py, may_be_null, default_is_null)


def _elem_py_type(kafka_type: str, struct: StructModel | None, builder: _Builder) -> str:
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


# --- entry point ---------------------------------------------------------------------------

_NO_ABOUT = "No description in the spec."


def summary(spec: MessageSpec) -> str:
    """One line about a spec file: the module's and the message class's docstring."""
    key = "" if spec.api_key is None else f" (api key {spec.api_key})"
    flex = spec.flexible_versions.intersect(spec.valid_versions)
    flexible = "never flexible" if flex.empty else f"flexible from v{flex.lo}"
    return f"{spec.name}{key}: Kafka {spec.type}, versions {spec.valid_versions}, {flexible}."


def build_module(
    spec: MessageSpec, kafka_version: str, source_file: str, unstable: bool
) -> ModuleModel:
    """The complete model of one spec file's generated module."""
    builder = _Builder(spec)
    top = builder.struct_for(spec.name, summary(spec), spec.fields)
    if any(s.name == spec.name for s in builder.order[:-1]):
        raise SpecError(f"{spec.name}: a struct has the same name as the message")
    builder.mark_versions(top, set(spec.valid_versions.versions()))
    for model in builder.order:
        builder.build_plans(model)
    return ModuleModel(
        spec=spec,
        module=names.module_name(spec.name),
        kafka_version=kafka_version,
        source_file=source_file,
        message=top,
        structs=builder.order,
        struct_consts=dict(sorted(builder.struct_consts.items())),
        array_consts=dict(sorted(builder.array_consts.items())),
        helpers=builder.helpers,
        needs_uuid=builder.needs_uuid,
        unstable=unstable,
    )
