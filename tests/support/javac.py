"""Compile a one-file Java program against the kafka-clients classpath of the Java
reference (cached per source hash) and give the ``java`` command line that runs it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.javaref import cache_dir, pinned_kafka_version, resolve_classpath


def compiled_java(source: Path) -> list[str]:
    """``java ... -cp <classes>:<kafka jars> <Main>`` for ``source`` (its class name is
    the file name); skips the test when javac, java or mvn is missing."""
    if any(shutil.which(tool) is None for tool in ("javac", "mvn", "java")):
        pytest.skip("needs javac, java and mvn")
    version = pinned_kafka_version()
    root = cache_dir(version)
    lib = resolve_classpath(root, version)
    main = source.stem
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    classes = root / f"{main.lower()}-{digest}"
    if not (classes / f"{main}.class").exists():
        tmp = root / f"{main.lower()}-{digest}.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(
            ["javac", "-nowarn", "-d", str(tmp), "-cp", f"{lib}/*", str(source)],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            tmp.rename(classes)
        except OSError:  # another session compiled the same source first
            shutil.rmtree(tmp, ignore_errors=True)
    return [
        "java", "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", f"{classes}{os.pathsep}{lib}/*", main,
    ]  # fmt: skip
