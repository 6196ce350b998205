"""Unit tests (no network): the Maven classpath cache, driven by a fake ``mvn`` on PATH.

The fake records its arguments and writes the jar names a real resolution produced, so
the tests check the pom, the binding choice, the atomic rename and the cache reuse. Its
``tree`` call (the pinned plugin's resolution pass) writes a tree with the root only, or
fails with FAKE_TREE_EXIT set (an old Maven: the copy then runs the plugin Maven picks).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aiokafka_gen.testing._errors import JarResolutionError
from aiokafka_gen.testing._jars import PLUGIN, binding_artifact, ensure_kafka_lib, render_pom

KAFKA_44 = ["kafka_2.13-4.4.0.jar", "slf4j-api-1.7.36.jar", "log4j-core-2.25.5.jar"]
KAFKA_39 = ["kafka_2.13-3.9.1.jar", "slf4j-api-1.7.36.jar", "slf4j-reload4j-1.7.36.jar"]

FAKE_MVN = """#!/bin/sh
echo "$@" >> "$FAKE_MVN_LOG"
out=""
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done
case "$*" in
  *:tree*) for arg in "$@"; do
             case "$arg" in -DoutputFile=*) tree="${arg#-DoutputFile=}";; esac
           done
           echo "aiokafka-gen:kafka-classpath:jar:1" > "$tree"; exit ${FAKE_TREE_EXIT:-0} ;;
esac
mkdir -p "$out"
case "$*" in
  *copy-dependencies*) for jar in $FAKE_JARS; do touch "$out/$jar"; done ;;
  *-Dartifact=*) touch "$out/binding-from-maven.jar" ;;
esac
exit ${FAKE_MVN_EXIT:-0}
"""


def test_binding_choice() -> None:
    assert binding_artifact(KAFKA_44) == "org.apache.logging.log4j:log4j-slf4j-impl:2.25.5"
    assert binding_artifact(KAFKA_39) is None
    slf4j2 = ["slf4j-api-2.0.16.jar", "log4j-core-2.24.3.jar"]
    assert binding_artifact(slf4j2) == "org.apache.logging.log4j:log4j-slf4j2-impl:2.24.3"
    assert binding_artifact(["slf4j-api-1.7.36.jar"]) == "org.slf4j:slf4j-simple:1.7.36"
    with pytest.raises(JarResolutionError):
        binding_artifact(["kafka_2.13-4.4.0.jar"])


def test_pom_excludes_connect_runtime() -> None:
    pom = render_pom("4.4.0")
    assert pom.count("<version>4.4.0</version>") == 2
    assert "<artifactId>kafka-tools</artifactId>" in pom
    assert "<artifactId>connect-runtime</artifactId>" in pom


@pytest.fixture
def fake_mvn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mvn = bin_dir / "mvn"
    mvn.write_text(FAKE_MVN)
    mvn.chmod(mvn.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "mvn.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MVN_LOG", str(log))
    monkeypatch.setenv("AIOKAFKA_GEN_CACHE", str(tmp_path / "cache"))
    return log


def test_download_adds_binding_and_is_reused(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_44))
    lib = ensure_kafka_lib("4.4.0")
    assert lib == tmp_path / "cache" / "kafka" / "4.4.0" / "lib"
    assert sorted(os.listdir(lib)) == sorted([*KAFKA_44, "binding-from-maven.jar"])
    calls = fake_mvn.read_text().splitlines()
    assert len(calls) == 3 and ":tree" in calls[0] and "log4j-slf4j-impl:2.25.5" in calls[2]
    assert f"{PLUGIN}:copy-dependencies" in calls[1] and f"{PLUGIN}:copy " in calls[2]
    assert ensure_kafka_lib("4.4.0") == lib
    assert len(fake_mvn.read_text().splitlines()) == 3  # cached: Maven not called again
    leftovers = [p.name for p in lib.parent.iterdir() if p.name.startswith(".download")]
    assert leftovers == []


def test_no_second_maven_call_when_a_binding_came_along(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_39))
    lib = ensure_kafka_lib("3.9.1")
    assert sorted(os.listdir(lib)) == sorted(KAFKA_39)
    assert len(fake_mvn.read_text().splitlines()) == 2  # tree + copy-dependencies


def test_without_the_pinned_plugin_maven_picks_one(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_44))
    monkeypatch.setenv("FAKE_TREE_EXIT", "1")
    lib = ensure_kafka_lib("4.4.0")
    assert "binding-from-maven.jar" in os.listdir(lib)
    calls = fake_mvn.read_text().splitlines()
    assert [call.split()[2] for call in calls] == [
        f"{PLUGIN}:tree", "dependency:copy-dependencies", "dependency:copy",
    ]  # fmt: skip


def test_failed_download_leaves_no_cache_entry(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_44))
    monkeypatch.setenv("FAKE_MVN_EXIT", "1")
    with pytest.raises(JarResolutionError, match="failed"):
        ensure_kafka_lib("4.4.0")
    entry = tmp_path / "cache" / "kafka" / "4.4.0"
    assert not (entry / "lib").exists()
    assert [p.name for p in entry.iterdir()] == [".lock"]


def test_progress_goes_to_stderr_and_a_warm_cache_prints_nothing(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AIOKAFKA_GEN_QUIET", raising=False)
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_39))
    ensure_kafka_lib("3.9.1")
    first = capsys.readouterr()
    assert first.out == ""
    assert first.err.splitlines()[0] == "Kafka 3.9.1 jars: resolving dependencies with Maven (0 s)"
    assert "Kafka 3.9.1 jars: 3 artifacts (0 B) ready in" in first.err
    ensure_kafka_lib("3.9.1")
    assert capsys.readouterr() == ("", "")


def test_quiet_download(
    fake_mvn: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_JARS", " ".join(KAFKA_39))
    ensure_kafka_lib("3.9.1", quiet=True)
    monkeypatch.setenv("AIOKAFKA_GEN_QUIET", "1")
    ensure_kafka_lib("2.8.2")
    assert capsys.readouterr() == ("", "")
