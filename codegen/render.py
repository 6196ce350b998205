"""Render ModuleModels through jinja2 templates and format the result with black in-process.

Templates only print what codegen.model decided. The black mode is fixed so the output is
byte-identical for the same input. Nothing here reads specs or writes files.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import black
import jinja2

from codegen.model import ModuleModel

TEMPLATES = Path(__file__).resolve().parent / "templates"
BLACK_MODE = black.Mode(
    target_versions={black.mode.TargetVersion.PY311}, line_length=100, magic_trailing_comma=True
)


def _attr_target(attr: str) -> str:
    return f"o.{attr}"


def _prefix(name: str, prefix: str) -> str:
    return prefix + name


def _target(name: str, ov: str) -> str:
    """A decode target: ``.attr`` is a field of the object ``ov``, else a local of ``ov``."""
    return ov + name if name.startswith(".") else f"{name}_{ov}"


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["attr_target"] = _attr_target
    env.filters["prefix"] = _prefix
    env.filters["target"] = _target
    return env


ENV = make_env()


def format_python(source: str) -> str:
    return black.format_str(source, mode=BLACK_MODE)


def format_many(sources: list[str]) -> list[str]:
    """black over many files, on every core (black dominates generation time)."""
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(sources) < 8:
        return [format_python(s) for s in sources]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(format_python, sources, chunksize=4))


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


def render_module(model: ModuleModel) -> str:
    """Unformatted source: body first, then the header (its imports depend on the body)."""
    body = render("module.py.j2", m=model)
    header = render("header.py.j2", m=model, imports=model.imports)
    return header + body
