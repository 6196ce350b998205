"""Java reference process (Kafka's own serializers) for differential tests; fixture java_ref.

Test-only plumbing: it resolves ``kafka-clients`` (pinned version, from
kafka_messages_json/SOURCE) and jackson-databind with Maven into
``~/.cache/aiokafka_gen/javaref/<kafka version>/lib``, compiles
tests/support/java/KafkaRef.java with javac into a directory keyed by the source's hash, and
runs it as one long-lived JVM per test session. It must not be imported by the library.

Protocol: one JSON object per line each way. A request is ``{"cmd": ..., ...}``; the answer
is ``{"ok": result}`` or ``{"error": "..."}`` (the JVM stays alive). Commands, with bytes as
standard base64 strings (see the top of KafkaRef.java for every field):

- ``encode`` {message | api_key + kind, version, json} -> {"bytes"}
- ``decode`` {message | api_key + kind, version, bytes} -> {"json", "remaining"}
- ``header_versions`` {api_key, version} -> {"request", "response"}
- ``list_messages`` {} -> {"messages": [{name, class, lowest, highest, api_key?, kind?}]}
- ``build_records`` {codec, magic, base_offset, timestamp_type, log_append_time,
  producer_id, producer_epoch, base_sequence, transactional, partition_leader_epoch,
  records: [{timestamp, key, value, headers: [[str, b64|None]]}]} -> {"bytes"}
- ``build_marker`` {control COMMIT|ABORT, coordinator_epoch, base_offset, timestamp,
  producer_id, producer_epoch, partition_leader_epoch} -> {"bytes"}
- ``read_records`` {bytes} -> {"batches": [...]} (batch metadata, "valid" CRC, records)
- ``murmur2`` {bytes, partitions} -> {"hash", "positive", "partition"}
- ``reencode`` {message | api_key + kind, version, bytes, to_version?} -> {"bytes",
  "remaining"} (Java's decode at version, encode at to_version: unknown tagged fields survive)
- ``batch`` {requests: [...]} -> {"results": [{"ok"} | {"error"}, ...]} (one pipe round trip)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["JavaRef", "JavaRefError", "b64", "unb64"]

REPO = Path(__file__).resolve().parents[2]
JAVA_SOURCE = Path(__file__).resolve().parent / "java" / "KafkaRef.java"
# jackson-databind is a compile-only dependency of kafka-clients' JSON converters; 2.19.x is
# the line Kafka 4.x builds against.
JACKSON_VERSION = "2.19.2"
DEFAULT_TIMEOUT = 60.0

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aiokafka_gen.tests</groupId>
  <artifactId>javaref</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId>
      <version>{kafka}</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId><version>{jackson}</version></dependency>
  </dependencies>
</project>
"""


class JavaRefError(RuntimeError):
    """The Java side answered a command with an error, or died, or timed out."""


def b64(data: bytes | bytearray | memoryview | None) -> str | None:
    """Bytes to the base64 text the Java side expects (None stays None)."""
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str | None) -> bytes | None:
    """Base64 text from the Java side back to bytes (None stays None)."""
    return None if text is None else base64.b64decode(text)


def pinned_kafka_version() -> str:
    """The one pinned Kafka version, read from kafka_messages_json/SOURCE."""
    for line in (REPO / "kafka_messages_json" / "SOURCE").read_text().splitlines():
        if line.startswith("kafka_version="):
            return line.split("=", 1)[1].strip()
    raise JavaRefError("kafka_version= missing from kafka_messages_json/SOURCE")


def cache_dir(kafka_version: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "aiokafka_gen" / "javaref" / kafka_version


def resolve_classpath(root: Path, kafka_version: str) -> Path:
    """Copy kafka-clients + jackson (and their runtime deps) into root/lib, once."""
    lib = root / "lib"
    marker = lib / ".complete"
    if marker.exists():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    (root / "pom.xml").write_text(POM.format(kafka=kafka_version, jackson=JACKSON_VERSION))
    cmd = [
        "mvn",
        "-B",
        "-q",
        "dependency:copy-dependencies",
        f"-DoutputDirectory={lib}",
        "-DincludeScope=runtime",
    ]
    _run(cmd, cwd=root)
    marker.write_text("ok\n")
    return lib


def compile_source(root: Path, lib: Path) -> Path:
    """Compile KafkaRef.java into a directory named by the source's hash (reused)."""
    digest = hashlib.sha256(JAVA_SOURCE.read_bytes()).hexdigest()[:16]
    classes = root / f"classes-{digest}"
    if (classes / "KafkaRef.class").exists():
        return classes
    tmp = root / f"classes-{digest}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    _run(["javac", "-nowarn", "-d", str(tmp), "-cp", f"{lib}/*", str(JAVA_SOURCE)], cwd=root)
    try:
        tmp.rename(classes)
    except OSError:  # another session won the race; its classes are identical
        shutil.rmtree(tmp, ignore_errors=True)
    return classes


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise JavaRefError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


class JavaRef:
    """One KafkaRef JVM: ``start()``, ``request(dict) -> dict``, ``close()``."""

    def __init__(self, kafka_version: str | None = None) -> None:
        self.kafka_version = kafka_version or pinned_kafka_version()
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pump_thread: threading.Thread | None = None

    def start(self) -> JavaRef:
        root = cache_dir(self.kafka_version)
        lib = resolve_classpath(root, self.kafka_version)
        classes = compile_source(root, lib)
        stderr = open(root / "kafkaref.stderr.log", "w")  # noqa: SIM115 - lives with the JVM
        self._proc = subprocess.Popen(
            ["java", "-Xmx512m", "-cp", f"{classes}{os.pathsep}{lib}/*", "KafkaRef"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        stderr.close()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        return self

    def _pump(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def request(self, req: dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Send one command; return its result, or raise JavaRefError with the Java error."""
        with self._lock:
            answer = self._roundtrip(json.dumps(req), timeout)
        if "error" in answer:
            raise JavaRefError(answer["error"])
        result: dict[str, Any] = answer["ok"]
        return result

    def _roundtrip(self, line: str, timeout: float) -> dict[str, Any]:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise JavaRefError("the KafkaRef JVM is not running")
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        try:
            text = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.close()  # the answer stream is now out of step: never reuse it
            raise JavaRefError(f"no answer within {timeout} s") from None
        if text is None:
            raise JavaRefError("the KafkaRef JVM exited")
        parsed: dict[str, Any] = json.loads(text)
        return parsed

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._pump_thread is not None:
            self._pump_thread.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="session")
def java_ref() -> Iterator[JavaRef]:
    """A running KafkaRef JVM shared by the whole session (tests need the ``java`` marker)."""
    missing = [tool for tool in ("javac", "mvn", "java") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"Java reference needs {', '.join(missing)} on PATH (JDK 17 + Maven)")
    ref = JavaRef().start()
    try:
        yield ref
    finally:
        ref.close()
