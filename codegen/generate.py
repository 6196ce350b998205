"""Produce the full contents of generated/ (and .env) in memory from kafka_messages_json/.

``generate(spec_dir)`` returns {relative path: text}; writing and staleness checks are
codegen.__main__'s job. Output is deterministic: sorted inputs, no timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen import error_names, names
from codegen.build import build_module
from codegen.fields import ENTITIES
from codegen.load import ErrorRow, load_errors, load_source, load_specs
from codegen.model import UNANSWERED_API_KEYS, ModuleModel, ResponseLink
from codegen.render import format_many, format_python, render, render_module
from codegen.spec import MessageSpec
from codegen.validate import validate

API_VERSIONS_KEY = 18


@dataclass(frozen=True)
class ErrorClass:
    code: int
    name: str
    class_name: str
    retriable: bool
    invalid_metadata: bool
    base: str
    doc: str
    message_literal: str


def _unstable_keys(specs: list[MessageSpec]) -> set[int]:
    return {
        s.api_key
        for s in specs
        if s.type == "request" and s.latest_version_unstable and s.api_key is not None
    }


def build_models(spec_dir: Path) -> list[ModuleModel]:
    specs = load_specs(spec_dir)
    for spec in specs:
        validate(spec)
    version = load_source(spec_dir).kafka_version
    unstable = _unstable_keys(specs)
    models = [
        build_module(s, version, f"{s.name}.json", s.api_key in unstable and s.type != "data")
        for s in specs
        if s.type in ("request", "response", "header", "data")
    ]
    _link_responses(models)
    return models


def _link_responses(models: list[ModuleModel]) -> None:
    """Give every request model the response model of its API key."""
    responses = {m.spec.api_key: m for m in models if m.spec.type == "response"}
    for m in models:
        if m.spec.type != "request" or m.spec.api_key not in responses:
            continue
        resp = responses[m.spec.api_key]
        m.response = ResponseLink(
            module=resp.module,
            name=resp.spec.name,
            answer_optional=m.spec.api_key in UNANSWERED_API_KEYS,
        )


def _api_rows(models: list[ModuleModel]) -> list[dict[str, Any]]:
    requests = {m.spec.api_key: m for m in models if m.spec.type == "request"}
    responses = {m.spec.api_key: m for m in models if m.spec.type == "response"}
    rows = []
    for key in sorted(k for k in requests if k is not None):
        req, resp = requests[key], responses[key]
        if req.spec.valid_versions.empty:
            continue
        rows.append(
            {
                "api_key": key,
                "name": req.spec.name.removesuffix("Request"),
                "min": req.spec.valid_versions.lo,
                "max": req.spec.valid_versions.hi,
                "flexible_min": req.flexible_min,
                "unstable": req.unstable,
                "request_module": req.module,
                "request_class": req.spec.name,
                "response_module": resp.module,
                "response_class": resp.spec.name,
            }
        )
    return rows


def _error_classes(rows: list[ErrorRow]) -> list[ErrorClass]:
    return [
        ErrorClass(
            code=r.code,
            name=r.name,
            class_name=error_names.class_name(r.code, r.name),
            retriable=r.retriable,
            invalid_metadata=r.invalid_metadata,
            base=error_names.base_class(r.code),
            doc=names.docstring(f"Error {r.code} {r.name}: {r.message or 'no error'}"),
            message_literal=repr(r.message),
        )
        for r in rows
    ]


def generate(spec_dir: Path) -> dict[str, str]:
    """Every generated file, keyed by its path relative to the repository root."""
    models = [m for m in build_models(spec_dir) if not m.spec.valid_versions.empty]
    sources = format_many([render_module(m) for m in models])
    files = {f"generated/{m.module}.py": src for m, src in zip(models, sources, strict=True)}
    return files | shared_files(spec_dir, models)


def shared_files(spec_dir: Path, models: list[ModuleModel]) -> dict[str, str]:
    """The files made from all specs together (index, package, codes, errors, ...), not
    one message's module: what a spec bump may touch besides its own module."""
    source = load_source(spec_dir)
    files: dict[str, str] = {}
    ctx: dict[str, Any] = {"kafka_version": source.kafka_version}
    class_modules = sorted((m.spec.name, m.module) for m in models)
    files["generated/_index.py"] = format_python(
        render(
            "index.py.j2",
            apis=_api_rows(models),
            class_modules=class_modules,
            always_v0=[str(API_VERSIONS_KEY)],
            **ctx,
        )
    )
    files["generated/__init__.py"] = format_python(
        render("init.py.j2", class_modules=class_modules, **ctx)
    )
    files["generated/__main__.py"] = format_python(render("main.py.j2", **ctx))
    entities = [
        {"kind": kind, "alias": alias, "py": py, "doc": doc}
        for kind, (alias, py, doc) in sorted(ENTITIES.items())
    ]
    files["generated/entities.py"] = format_python(
        render("entities.py.j2", entities=entities, **ctx)
    )
    files["generated/_source.py"] = format_python(
        render("source.py.j2", jar_sha256=source.jar_sha256, **ctx)
    )
    error_classes = _error_classes(load_errors(spec_dir))
    defined = {e.class_name for e in error_classes}
    aliases = {a: t for a, t in error_names.ALIASES.items() if t in defined}
    files["generated/errors.py"] = format_python(
        render(
            "errors.py.j2",
            errors=error_classes,
            aliases=aliases,
            **ctx,
        )
    )
    apis = [
        {**row, "enum_name": names.snake_case(row["name"]).upper()} for row in _api_rows(models)
    ]
    files["generated/codes.py"] = format_python(
        render("codes.py.j2", errors=error_classes, apis=apis, **ctx)
    )
    files[".env"] = f"KAFKA_VERSION={source.kafka_version}\n"
    return files
