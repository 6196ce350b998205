"""The (message, version, direction) pairs the vendored specs define, read straight from the
JSON files: an expectation computed without the generator, so P can be checked against it.

The specs are JSON plus ``//`` comments; they are stripped here with a string-aware regex and
parsed with the standard json module (json5's pure-Python parser takes tens of seconds).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["SPEC_DIR", "expected_pairs", "spec_field_names"]

SPEC_DIR = Path(__file__).resolve().parents[2] / "kafka_messages_json"
MAX_VERSION = 32767


def expected_pairs(spec_dir: Path = SPEC_DIR) -> set[tuple[str, int, str]]:
    """{(spec name, version, request|response|header|data)} over every spec file."""
    pairs: set[tuple[str, int, str]] = set()
    for path in sorted(spec_dir.glob("*.json")):
        spec = load_spec(path)
        for version in parse_versions(spec["validVersions"]):
            pairs.add((spec["name"], version, spec["type"]))
    return pairs


# a JSON string (kept) or a // comment to the end of the line (dropped)
_STRING_OR_COMMENT = re.compile(r'("(?:[^"\\\n]|\\.)*")|//[^\n]*')


def load_spec(path: Path) -> dict[str, Any]:
    """One spec file as a dict (comments removed)."""
    text = _STRING_OR_COMMENT.sub(lambda m: m.group(1) or "", path.read_text(encoding="utf-8"))
    spec: dict[str, Any] = json.loads(text)
    return spec


def parse_versions(text: str) -> range:
    """Kafka's version syntax: ``none``, ``N``, ``A-B`` (inclusive), ``A+``."""
    if text == "none":
        return range(0)
    if text.endswith("+"):
        return range(int(text[:-1]), MAX_VERSION + 1)
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)


def spec_field_names(spec_dir: Path = SPEC_DIR) -> dict[str, set[tuple[str, str]]]:
    """{spec name: {(lowerCamel field name, Kafka type)}} over all its fields, nested ones and
    common structs included (flattened: enough to notice a field the generator lost)."""
    names: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(spec_dir.glob("*.json")):
        spec = load_spec(path)
        if spec["validVersions"] == "none":
            continue
        found: set[tuple[str, str]] = set()
        for fields in [spec.get("fields", [])] + [
            s["fields"] for s in spec.get("commonStructs", [])
        ]:
            _collect(fields, found)
        names[spec["name"]] = found
    return names


def _collect(fields: list[dict[str, object]], found: set[tuple[str, str]]) -> None:
    for field in fields:
        name = str(field["name"])
        found.add((name[:1].lower() + name[1:], str(field["type"])))
        nested = field.get("fields")
        if isinstance(nested, list):
            _collect(nested, found)
