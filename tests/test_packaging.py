"""Packaging and layout facts that CI must keep true (no broker, no JVM)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _source_version() -> str:
    for line in (ROOT / "kafka_messages_json" / "SOURCE").read_text().splitlines():
        if line.startswith("kafka_version="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("SOURCE has no kafka_version line")


def test_every_package_directory_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {"aiokafka_gen.messages"} if (ROOT / "generated" / "__init__.py").exists() else set()
    for init in (ROOT / "aiokafka_gen").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        found.add(".".join(rel.parts))
    assert found == listed


def test_generated_dir_has_no_subpackages() -> None:
    # The package-dir mapping names only aiokafka_gen.messages.
    assert not [p for p in (ROOT / "generated").iterdir() if p.is_dir() and p.name != "__pycache__"]


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "aiokafka_gen" / "py.typed").exists()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["*"]


def test_kafka_pin_is_the_same_everywhere() -> None:
    import aiokafka_gen.messages

    pin = _source_version()
    assert pin == aiokafka_gen.messages.KAFKA_VERSION
    assert f"KAFKA_VERSION={pin}\n" in (ROOT / ".env").read_text()


def _compose_command() -> list[str]:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if shutil.which("docker") and probe.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("no compose implementation: run scripts/ensure-system-deps.sh")


def test_compose_file_is_valid_and_uses_the_pin() -> None:
    cmd = [*_compose_command(), "-f", str(ROOT / "docker-compose.yml"), "config"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert f"apache/kafka:{_source_version()}" in out
    assert "healthcheck" in out


def test_import_stays_light() -> None:
    # Heavy modules must be imported lazily so that `import aiokafka_gen` stays fast.
    code = (
        "import sys, json, aiokafka_gen, aiokafka_gen.errors;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {"pydantic", "jinja2", "zstandard", "lz4", "snappy", "asyncio", "ssl"}
    assert not heavy & loaded
    assert not [m for m in loaded if m.startswith("aiokafka_gen.messages.")]
