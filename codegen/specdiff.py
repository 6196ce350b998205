"""Describe what changed between two sets of raw Kafka message specs (for spec bumps).

Works on the raw json5 dicts so it can compare spec sets the current pydantic model would
reject. Output is a sorted list of human-readable lines; it must not write any file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import json5

RawSpec = dict[str, Any]


def load_raw_specs(spec_dir: Path) -> dict[str, RawSpec]:
    """Spec name -> raw dict for every *.json in spec_dir (empty when there are none)."""
    specs: dict[str, RawSpec] = {}
    for path in sorted(spec_dir.glob("*.json")):
        data = json5.loads(path.read_text(encoding="utf-8"))
        specs[str(data["name"])] = data
    return specs


def _versions(text: str | None, top: int = 32767) -> set[int]:
    if text is None or text == "none":
        return set()
    if text.endswith("+"):
        return set(range(int(text[:-1]), top + 1))
    lo, _, hi = text.partition("-")
    return set(range(int(lo), int(hi or lo) + 1))


def _span(versions: set[int]) -> str:
    if not versions:
        return "none"
    lo, hi = min(versions), max(versions)
    return f"{lo}+" if hi == 32767 else (f"{lo}" if lo == hi else f"{lo}-{hi}")


def _field_table(spec: RawSpec) -> dict[str, str]:
    """Dotted field path -> its versions string, over the whole tree and commonStructs."""
    table: dict[str, str] = {}

    def walk(fields: list[RawSpec], prefix: str) -> None:
        for field in fields:
            path = f"{prefix}{field['name']}"
            table[path] = str(field.get("versions", field.get("taggedVersions", "none")))
            walk(field.get("fields", []), path + ".")

    walk(spec.get("fields", []), "")
    for common in spec.get("commonStructs", []):
        walk(common.get("fields", []), f"{common['name']}.")
    return table


def _spec_changes(name: str, old: RawSpec, new: RawSpec) -> list[str]:
    lines: list[str] = []
    old_v, new_v = _versions(old.get("validVersions")), _versions(new.get("validVersions"))
    if new_v - old_v:
        lines.append(f"{name}: new versions {sorted(new_v - old_v)}")
    if old_v - new_v:
        lines.append(f"{name}: removed versions {sorted(old_v - new_v)}")
    old_f, new_f = _field_table(old), _field_table(new)
    for path in sorted(new_f.keys() - old_f.keys()):
        lines.append(f"{name}: field {path} added (versions {new_f[path]})")
    for path in sorted(old_f.keys() - new_f.keys()):
        lines.append(f"{name}: field {path} removed (was versions {old_f[path]})")
    for path in sorted(old_f.keys() & new_f.keys()):
        if old_f[path] != new_f[path]:
            lines.append(f"{name}: field {path} versions {old_f[path]} -> {new_f[path]}")
    for key in ("flexibleVersions", "latestVersionUnstable"):
        if old.get(key) != new.get(key):
            lines.append(f"{name}: {key} {old.get(key)} -> {new.get(key)}")
    return lines


def describe_changes(old: dict[str, RawSpec], new: dict[str, RawSpec]) -> list[str]:
    """Human-readable change lines, new APIs first, then per-spec changes."""
    lines = [
        f"new spec {n} (apiKey {new[n].get('apiKey', '-')}, versions "
        f"{_span(_versions(new[n].get('validVersions')))})"
        for n in sorted(new.keys() - old.keys())
    ]
    lines += [f"removed spec {n}" for n in sorted(old.keys() - new.keys())]
    for name in sorted(old.keys() & new.keys()):
        lines += _spec_changes(name, old[name], new[name])
    return lines
