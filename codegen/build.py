"""The entry point of the intermediate model: one validated MessageSpec -> its ModuleModel."""

from __future__ import annotations

from codegen import names
from codegen.fields import ENTITIES
from codegen.load import SpecError
from codegen.model import ModuleModel, summary
from codegen.plans import Builder
from codegen.spec import MessageSpec


def build_module(
    spec: MessageSpec, kafka_version: str, source_file: str, unstable: bool
) -> ModuleModel:
    """The complete model of one spec file's generated module."""
    builder = Builder(spec)
    top = builder.struct_for(spec.name, summary(spec), spec.fields)
    if any(s.name == spec.name for s in builder.order[:-1]):
        raise SpecError(f"{spec.name}: a struct has the same name as the message")
    aliases = {alias for alias, _, _ in ENTITIES.values()}
    if any(s.name in aliases for s in builder.order):
        raise SpecError(f"{spec.name}: a struct has the name of an entity alias")
    builder.mark_versions(top, set(spec.valid_versions.versions()))
    for model in builder.order:
        builder.build_plans(model)
    flexible = spec.flexible_versions.intersect(spec.valid_versions)
    for model in builder.order:
        if model is not top:
            model.nested = True
            model.flexible_min = None if flexible.empty else flexible.lo
    for model in builder.order:
        if model is not top:
            for fn in model.funcs:
                fn.decoder_called = fn.suffix in builder.called
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
        entities=sorted(builder.entities),
        unstable=unstable,
    )
