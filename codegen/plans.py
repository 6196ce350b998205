"""The struct table and the per-(struct, version) plans: wire steps, tagged fields, absent
fields, struct constants and the codec helpers a module imports.

``Builder`` holds one module's state while ``codegen.build`` walks the spec; the decode
reads of a plan come from ``codegen.decode_plan``, field types from ``codegen.fields``.
"""

from __future__ import annotations

import dataclasses

from codegen.decode_plan import decode_ops
from codegen.fields import field_model
from codegen.load import SpecError
from codegen.model import (
    FIXED,
    FieldModel,
    Plan,
    PlanFunc,
    Step,
    StructModel,
    TaggedStep,
)
from codegen.spec import FieldSpec, MessageSpec
from codegen.validate import element_type, is_struct_type

_CODE_LETTER = {"?": "o"}
# reader / writer helper names per (kind, compact, nullable); writers of bytes append.
_READERS = {"string": "str", "bytes": "bytes", "records": "records"}


class Builder:
    """Holds the per-module state (struct table, struct constants, used helpers)."""

    def __init__(self, spec: MessageSpec) -> None:
        self.spec = spec
        self.structs: dict[str, StructModel] = {}
        self.order: list[StructModel] = []
        self.struct_consts: dict[str, str] = {}
        self.array_consts: dict[str, str] = {}
        self.helpers: set[str] = set()
        self.needs_uuid = False
        # decoders a parent calls (a struct field's); struct arrays are inlined instead
        self.called: set[str] = set()
        self.entities: set[str] = set()  # the entity aliases the module's fields use
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
        return field_model(spec, struct, self)

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
            merge_fixed(steps, self),
            decode_ops(steps, self),
            # by tag: the wire order, and a new tag (the next number) is added at the end
            tuple(sorted(tagged, key=lambda t: t.tag)),
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
            merge_fixed(raw, self),
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
            self.called.add(fm.struct.by_version[version])
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
        struct_var = "" if compact else self.struct_const("i")
        base = Step(
            "array",
            (fm.attr,),
            fm.spec.name,
            nullable=nullable,
            elem_type=fm.elem_py_type,
            compact=compact,
            struct_var=struct_var,
            # compact: unsigned varint of count + 1, null 0; classic: int32 count, null -1
            null_count='b"\\x00"' if compact else 'b"\\xff\\xff\\xff\\xff"',
            count_writer="_uvarint(len({a}) + 1)" if compact else struct_var + ".pack(len({a}))",
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
                packs_count=not compact,
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


def merge_fixed(steps: list[Step], builder: Builder) -> tuple[Step, ...]:
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
