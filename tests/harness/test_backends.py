"""Unit tests (no broker, no Docker engine): backend selection and detection, the
external backend's address parsing, the container env mapping, detached state files."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiokafka_gen.testing import BackendUnavailableError, KafkaCluster, select_backend
from aiokafka_gen.testing._config import ClusterSpec, listeners_for
from aiokafka_gen.testing._docker import (
    ContainerBackend,
    docker_engine_available,
    env_name,
    require_docker_engine,
)
from aiokafka_gen.testing._external import ExternalBackend, parse_bootstrap
from aiokafka_gen.testing._process import tail
from aiokafka_gen.testing._state import load_state, pid_alive, save_state, stop_detached


def test_select_backend() -> None:
    assert select_backend(None, {"AIOKAFKA_GEN_BOOTSTRAP": "h:1"}) == "external"
    assert select_backend("auto", {}) == "jvm"  # this machine has a JDK
    assert select_backend("JVM", {"AIOKAFKA_GEN_BOOTSTRAP": "h:1"}) == "jvm"
    assert select_backend("testcontainers", {}) == "testcontainers"
    with pytest.raises(ValueError, match="unknown backend"):
        select_backend("podman", {})


def test_cluster_reads_bootstrap_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOKAFKA_GEN_BOOTSTRAP", "127.0.0.1:1")
    assert KafkaCluster(backend="auto").backend_name == "external"
    assert KafkaCluster().backend_name == "jvm"


def test_no_engine_means_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # discard port: nothing listens
    assert docker_engine_available(timeout=1.0) is False
    with pytest.raises(BackendUnavailableError, match=r"tcp://127\.0\.0\.1:9"):
        require_docker_engine()
    cluster = KafkaCluster(backend="testcontainers")
    with pytest.raises(BackendUnavailableError, match="needs a Docker engine"):
        cluster.start()
    assert not cluster.started


class _FakeEngine(http.server.BaseHTTPRequestHandler):
    """Answers like a Docker engine: /version and /_ping."""

    def do_GET(self) -> None:
        body = (
            b"OK" if self.path.endswith("/_ping") else json.dumps({"ApiVersion": "1.44"}).encode()
        )
        self.send_response(200)
        self.send_header("Api-Version", "1.44")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def fake_engine() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answering_engine_is_detected(fake_engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", fake_engine)
    assert docker_engine_available() is True


def test_container_backend_scope_and_env() -> None:
    with pytest.raises(BackendUnavailableError, match="one PLAINTEXT node"):
        ContainerBackend(ClusterSpec("4.4.0", nodes=3), startup_timeout=1)
    with pytest.raises(BackendUnavailableError):
        ContainerBackend(ClusterSpec("4.4.0", listeners=listeners_for("ssl")), startup_timeout=1)
    backend = ContainerBackend(ClusterSpec("4.4.0"), startup_timeout=1)
    env = backend.environment()
    assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://127.0.0.1:{backend.port}"
    assert env["KAFKA_LISTENERS"].startswith(f"PLAINTEXT://0.0.0.0:{backend.port},")
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert len(env["CLUSTER_ID"]) == 22
    assert backend.bootstrap("PLAINTEXT") == f"127.0.0.1:{backend.port}"


def test_env_names_follow_the_image_convention() -> None:
    assert env_name("num.io.threads") == "KAFKA_NUM_IO_THREADS"
    assert env_name("a_b.c-d") == "KAFKA_A__B_C___D"


def test_external_backend() -> None:
    assert parse_bootstrap("h1:9092, [::1]:9093") == [("h1", 9092), ("::1", 9093)]
    with pytest.raises(ValueError):
        parse_bootstrap("h1")
    with pytest.raises(BackendUnavailableError):
        ExternalBackend(ClusterSpec("4.4.0"), "")
    with pytest.raises(BackendUnavailableError, match="PLAINTEXT"):
        ExternalBackend(ClusterSpec("4.4.0", listeners=listeners_for("all")), "h:1")
    backend = ExternalBackend(ClusterSpec("4.4.0"), "h1:1,h2:2")
    assert backend.bootstrap("PLAINTEXT") == "h1:1,h2:2"


def test_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(500)))
    assert tail(log, 3) == "line 497\nline 498\nline 499"
    assert tail(tmp_path / "missing.log") == ""


def test_stop_detached_kills_only_marked_pids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOKAFKA_GEN_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "cluster"
    node_dir = root / "node-1"
    node_dir.mkdir(parents=True)
    marked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(node_dir)])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # On a busy machine /proc may still show the forking parent's command line.
        deadline = time.monotonic() + 30
        while not pid_alive(marked.pid, str(node_dir)) and time.monotonic() < deadline:
            time.sleep(0.05)
        nodes = [{"node_id": 1, "pid": marked.pid, "dir": str(node_dir)},
                 {"node_id": 2, "pid": other.pid, "dir": str(root / "node-2")}]  # fmt: skip
        save_state("t", {"root": str(root), "nodes": nodes})
        assert load_state("t") is not None
        assert stop_detached("t", timeout=10) is True
        assert marked.wait(10) is not None
        assert other.poll() is None  # its command line does not name the node dir
        assert not root.exists() and load_state("t") is None
        assert stop_detached("t") is False
    finally:
        for proc in (marked, other):
            proc.kill()
            proc.wait()


def test_sweep_removes_only_dirs_of_dead_owners(tmp_path: Path) -> None:
    from aiokafka_gen.testing._jvm import sweep_stale_dirs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    owners = {"dead": str(dead.pid), "alive": str(os.getpid()), "detached": "detached"}
    for name, owner in owners.items():
        (tmp_path / f"aiokafka-gen-kafka-{name}").mkdir()
        (tmp_path / f"aiokafka-gen-kafka-{name}" / "owner.pid").write_text(owner)
    (tmp_path / "aiokafka-gen-kafka-no-owner").mkdir()
    busy = tmp_path / "aiokafka-gen-kafka-busy"
    busy.mkdir()
    (busy / "owner.pid").write_text(str(dead.pid))
    user = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(busy)])
    try:
        # until the child has exec'd, /proc shows the forking parent's command line
        cmdline = Path(f"/proc/{user.pid}/cmdline")
        deadline = time.monotonic() + 30
        while str(busy).encode() not in cmdline.read_bytes():
            assert time.monotonic() < deadline, "the child never showed its command line"
            time.sleep(0.01)
        removed = sweep_stale_dirs(tmp_path)
    finally:
        user.kill()
        user.wait()
    assert removed == [tmp_path / "aiokafka-gen-kafka-dead"]
    left = sorted(p.name.rsplit("-", 1)[-1] for p in tmp_path.iterdir())
    assert left == ["alive", "busy", "detached", "owner"]
