"""The spec-bump report (pure) and, with Maven + JDK, a real vendoring run into a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from codegen.specdiff import describe_changes

ROOT = Path(__file__).resolve().parents[2]


def spec(name: str, versions: str, fields: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "apiKey": 1,
        "type": "request",
        "validVersions": versions,
        "fields": fields,
        **extra,
    }


def test_describe_changes() -> None:
    old = {
        "ARequest": spec(
            "ARequest", "0-3", [{"name": "X", "versions": "0+"}, {"name": "Y", "versions": "1+"}]
        ),
        "GoneRequest": spec("GoneRequest", "0", []),
    }
    new = {
        "ARequest": spec(
            "ARequest",
            "1-4",
            [
                {"name": "X", "versions": "2+"},
                {"name": "Z", "versions": "4+", "fields": [{"name": "W", "versions": "4+"}]},
            ],
            latestVersionUnstable=True,
        ),
        "NewRequest": spec("NewRequest", "0+", []),
    }
    lines = describe_changes(old, new)
    assert lines[0].startswith("new spec NewRequest (apiKey 1")
    assert "removed spec GoneRequest" in lines
    assert "ARequest: new versions [4]" in lines
    assert "ARequest: removed versions [0]" in lines
    assert "ARequest: field Z added (versions 4+)" in lines
    assert "ARequest: field Z.W added (versions 4+)" in lines
    assert "ARequest: field Y removed (was versions 1+)" in lines
    assert "ARequest: field X versions 0+ -> 2+" in lines
    assert "ARequest: latestVersionUnstable None -> True" in lines
    assert describe_changes(new, new) == []


@pytest.mark.java
def test_vendoring_reproduces_the_committed_specs(tmp_path: Path) -> None:
    from codegen import update_specs

    pinned = (ROOT / "kafka_messages_json" / "SOURCE").read_text()
    version = pinned.split("kafka_version=")[1].split()[0]
    spec_dir = tmp_path / "specs"
    shutil.copytree(ROOT / "kafka_messages_json", spec_dir)
    (spec_dir / "MetadataRequest.json").unlink()
    changes = update_specs.update(version, spec_dir)
    assert any(line.startswith("new spec MetadataRequest") for line in changes)
    for path in (ROOT / "kafka_messages_json").iterdir():
        if path.name != "SOURCE":
            assert (spec_dir / path.name).read_bytes() == path.read_bytes(), path.name
    assert "jar_sha256=" in (spec_dir / "SOURCE").read_text()
