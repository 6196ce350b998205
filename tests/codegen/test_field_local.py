"""Adding one field to a spec changes only the generated code about that field.

The spec is bumped the two ways Kafka grows one: a new version with a new field, and a new
tagged field in existing flexible versions. Every changed hunk of the generated module must
name the field, or be a version table (docstrings, VALID_VERSIONS, dispatch tables), or lie
in a function made for the new version; with locals numbered by position (the old naming),
one new field renamed every local after it and the tagged-field dispatch was reordered.
The rest of generated/ (index, package, codes, errors: the files made from all specs) may
change only in the bumped API's version range.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import json5
import pytest

from codegen.build import build_module
from codegen.generate import build_models, shared_files
from codegen.render import format_python, render_module
from codegen.spec import MessageSpec

SPECS = Path(__file__).resolve().parents[2] / "kafka_messages_json"
FIELD, ATTR = "BrandNewField", "brand_new_field"
# lines about versions, which a version bump rightly changes
VERSION_LINE = re.compile(
    r"versions? [\d, -]+|VALID_VERSIONS|MAX_VERSION|^\s*\d+: _[de]_\w+,$|^_S_\w+ = _struct"
)


def _generate(raw: dict[str, Any]) -> str:
    spec = MessageSpec.model_validate(raw)
    return format_python(render_module(build_module(spec, "9.9.9", "X.json", False)))


def _functions(source: str) -> dict[int, str]:
    """Line number (0-based) -> the name of the top-level function it belongs to."""
    owner: dict[int, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno is not None
            for line in range(node.lineno - 1, node.end_lineno):
                owner[line] = node.name
    return owner


def _struct_fields(raw: dict[str, Any], path: list[str]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = raw["fields"]
    for name in path:
        fields = next(f for f in fields if f["name"] == name)["fields"]
    return fields


def _bump(raw: dict[str, Any], path: list[str], how: str) -> dict[str, Any]:
    bumped = copy.deepcopy(raw)
    fields = _struct_fields(bumped, path)
    field: dict[str, Any] = {"name": FIELD, "type": "int32", "default": "-1", "about": "New."}
    if how == "tagged":
        flexible = bumped["flexibleVersions"].rstrip("+")
        tag = 1 + max((f.get("tag", -1) for f in fields), default=-1)
        field |= {"versions": f"{flexible}+", "taggedVersions": f"{flexible}+", "tag": tag}
        field["ignorable"] = True
    else:
        lo, hi = bumped["validVersions"].split("-")
        bumped["validVersions"] = f"{lo}-{int(hi) + 1}"
        field["versions"] = f"{int(hi) + 1}+"
    fields.insert(1, field)  # not at the end: later fields must keep their code
    return bumped


def _foreign_hunks(before: str, after: str) -> list[list[str]]:
    """Changed hunks that neither name the field, nor are version lines, nor sit in a
    function that the bump added."""
    old, new = before.splitlines(), after.splitlines()
    old_owner, new_owner = _functions(before), _functions(after)
    added_functions = set(new_owner.values()) - set(old_owner.values())
    foreign = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(0):
        removed = [(i, old[i]) for _, i1, i2, _, _ in group for i in range(i1, i2)]
        added = [(j, new[j]) for _, _, _, j1, j2 in group for j in range(j1, j2)]
        text = [line for _, line in removed + added]
        if any(ATTR in line or FIELD in line or "brandNewField" in line for line in text):
            continue
        stray = [line for _, line in removed if line.strip() and not VERSION_LINE.search(line)]
        stray += [
            line
            for j, line in added
            if line.strip()
            and not VERSION_LINE.search(line)
            and new_owner.get(j) not in added_functions
        ]
        if stray:
            foreign.append(stray)
    return foreign


@pytest.mark.parametrize(
    ("spec", "path", "how"),
    [
        ("FetchResponse", ["Responses", "Partitions"], "tagged"),
        ("MetadataRequest", ["Topics"], "new version"),
        ("FetchRequest", ["Topics", "Partitions"], "new version"),
        ("OffsetCommitRequest", ["Topics"], "new version"),
    ],
)
def test_a_new_field_changes_only_its_own_lines(spec: str, path: list[str], how: str) -> None:
    raw = json5.loads((SPECS / f"{spec}.json").read_text())
    before = _generate(raw)
    after = _generate(_bump(raw, path, how))
    assert ATTR in after
    assert _foreign_hunks(before, after) == []


def test_the_check_sees_a_renumbered_local() -> None:
    """The check itself: a local renamed in an existing function is reported."""
    raw = json5.loads((SPECS / "MetadataRequest.json").read_text())
    before = _generate(raw)
    after = before.replace("n_topics_o", "n_2_o")
    assert after != before
    assert _foreign_hunks(before, after)


def _shared(spec_dir: Path) -> dict[str, str]:
    models = [m for m in build_models(spec_dir) if not m.spec.valid_versions.empty]
    return shared_files(spec_dir, models)


def _changed_lines(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str]]:
    assert before.keys() == after.keys()
    changed = []
    for path in sorted(before):
        diff = difflib.unified_diff(before[path].splitlines(), after[path].splitlines(), n=0)
        changed += [
            (path, line)
            for line in diff
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
    return changed


@pytest.mark.parametrize(
    ("spec", "path", "how", "expected"),
    [
        (
            "MetadataRequest",
            ["Topics"],
            "new version",
            [("generated/_index.py", "-        max_version=13,"),
             ("generated/_index.py", "+        max_version=14,")],
        ),
        ("FetchResponse", ["Responses", "Partitions"], "tagged", []),
    ],
)  # fmt: skip
def test_the_rest_of_generated_changes_only_in_the_version_range(
    tmp_path: Path, spec: str, path: list[str], how: str, expected: list[tuple[str, str]]
) -> None:
    bumped_dir = tmp_path / "specs"
    shutil.copytree(SPECS, bumped_dir)
    raw = json5.loads((SPECS / f"{spec}.json").read_text())
    (bumped_dir / f"{spec}.json").write_text(json.dumps(_bump(raw, path, how)))
    assert _changed_lines(_shared(SPECS), _shared(bumped_dir)) == expected
