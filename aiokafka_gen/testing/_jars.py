"""Kafka's classpath from Maven Central, cached per version outside the repository.

Theory of operation: a tiny generated pom.xml depends on ``kafka_2.13`` and ``kafka-tools``
(without ``connect-runtime``: the topic/ACL/config/feature/perf/console tools do not need
it); ``mvn dependency:copy-dependencies`` copies the runtime jars into a temp dir next to
the cache entry. The published POMs carry no slf4j binding, so a second Maven call adds
the one matching the logging backend that landed in ``lib/`` (log4j2 in 4.x). The temp dir
is renamed into place, and all of it runs under an exclusive file lock, so parallel
sessions neither corrupt nor duplicate the download.
Must not start Kafka; it only produces a ``lib/`` directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ._errors import BackendUnavailableError, JarResolutionError

__all__ = ["binding_artifact", "cache_root", "ensure_kafka_lib", "render_pom", "scala_suffix"]

CACHE_ENV = "AIOKAFKA_GEN_CACHE"
_EXCLUDED = ("org.apache.kafka:connect-runtime",)
_MAVEN_TIMEOUT_S = 900.0
_BINDING = re.compile(r"(slf4j-(reload4j|log4j12|simple)|log4j-slf4j2?-impl)-\d")


def cache_root() -> Path:
    """``$AIOKAFKA_GEN_CACHE`` or ``~/.cache/aiokafka_gen``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path.home() / ".cache" / "aiokafka_gen"


def scala_suffix(version: str) -> str:
    """The Scala build of ``kafka_<scala>`` to use: 2.13 exists from Kafka 2.4 on, 2.12 before."""
    parts = tuple(int(part) for part in version.split(".")[:2])
    return "2.13" if parts >= (2, 4) else "2.12"


def render_pom(version: str) -> str:
    """The pom.xml whose runtime dependencies are Kafka's broker and tools (ZooKeeper, which
    Kafka before 4.0 depends on, comes with the broker)."""
    exclusions = "".join(
        "<exclusion><groupId>{}</groupId><artifactId>{}</artifactId></exclusion>".format(
            *item.split(":")
        )
        for item in _EXCLUDED
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aiokafka-gen</groupId><artifactId>kafka-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_{scala_suffix(version)}</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId>
      <version>{version}</version><exclusions>{exclusions}</exclusions></dependency>
  </dependencies>
</project>
"""


def binding_artifact(jar_names: list[str]) -> str | None:
    """The Maven coordinates of the slf4j binding to add, or None when one is present.

    slf4j 1.x + log4j2 -> log4j-slf4j-impl; slf4j 2.x + log4j2 -> log4j-slf4j2-impl;
    no log4j2 at all -> slf4j-simple of the slf4j-api version.
    """
    if any(_BINDING.match(name) for name in jar_names):
        return None
    slf4j = _jar_version(jar_names, "slf4j-api")
    log4j = _jar_version(jar_names, "log4j-core")
    if slf4j is None:
        raise JarResolutionError(f"no slf4j-api among the resolved jars: {jar_names}")
    if log4j is None:
        return f"org.slf4j:slf4j-simple:{slf4j}"
    impl = "log4j-slf4j-impl" if slf4j.startswith("1.") else "log4j-slf4j2-impl"
    return f"org.apache.logging.log4j:{impl}:{log4j}"


def _jar_version(jar_names: list[str], artifact: str) -> str | None:
    for name in jar_names:
        match = re.fullmatch(re.escape(artifact) + r"-(\d[\w.\-]*)\.jar", name)
        if match:
            return match.group(1)
    return None


def ensure_kafka_lib(version: str) -> Path:
    """The cached ``lib/`` of Kafka ``version``, downloading it once if needed."""
    entry = cache_root() / "kafka" / version
    lib = entry / "lib"
    if lib.is_dir():
        return lib
    entry.mkdir(parents=True, exist_ok=True)
    with _locked(entry / ".lock"):
        if not lib.is_dir():
            _download_into(entry, version)
    return lib


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_into(entry: Path, version: str) -> None:
    work = Path(tempfile.mkdtemp(prefix=".download-", dir=entry))
    try:
        (work / "pom.xml").write_text(render_pom(version))
        _mvn(work, "dependency:copy-dependencies", "-DincludeScope=runtime")
        binding = binding_artifact(sorted(os.listdir(work / "lib")))
        if binding is not None:
            _mvn(work, "dependency:copy", f"-Dartifact={binding}")
        (work / "lib").rename(entry / "lib")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _mvn(work: Path, goal: str, *props: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BackendUnavailableError("Maven (mvn) is not on PATH; the jvm backend needs it")
    argv = [mvn, "-B", "-q", goal, f"-DoutputDirectory={work / 'lib'}", *props]
    done = subprocess.run(
        argv, cwd=work, capture_output=True, text=True, timeout=_MAVEN_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise JarResolutionError(f"{' '.join(argv)} failed ({done.returncode}):\n{tail}")
