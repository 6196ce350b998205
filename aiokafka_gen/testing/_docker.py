"""The ``testcontainers`` backend: the official ``apache/kafka:<version>`` image.

Single node, PLAINTEXT only (the image's own defaults cover nothing more without mounted
files). The broker listens inside the container on the same port number it is published
on, so one address works both from the host and for tools run inside the container.
Detection asks the engine to answer a ping; no answer means a clear BackendUnavailableError.
Imports docker/testcontainers lazily; must not be imported by the plugin at load time.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ._config import ClusterSpec, NodePlan, new_cluster_id, render_server_properties
from ._errors import BackendUnavailableError, ClusterStartError, ClusterStateError
from ._ports import free_ports
from ._probe import probe
from ._versions import tool_class

if TYPE_CHECKING:  # an optional dependency, imported when the backend starts
    from testcontainers.core.container import DockerContainer

__all__ = ["ContainerBackend", "docker_engine_available", "env_name", "require_docker_engine"]

_IMAGE = "apache/kafka"
_INTERNAL_CONTROLLER_PORT = 29093
_DATA_DIR = PurePosixPath("/var/lib/kafka/data")


def docker_engine_available(timeout: float = 3.0) -> bool:
    """True when a Docker engine (DOCKER_HOST or the default socket) answers a ping."""
    try:
        docker = importlib.import_module("docker")  # untyped; imported only when asked
        client = docker.from_env(timeout=int(max(1.0, timeout)))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def require_docker_engine() -> None:
    if not docker_engine_available():
        where = os.environ.get("DOCKER_HOST", "the default socket /var/run/docker.sock")
        raise BackendUnavailableError(
            f"backend 'testcontainers' needs a Docker engine, but none answered at {where}; "
            "use backend 'jvm' (Kafka from Maven jars) or 'external' (AIOKAFKA_GEN_BOOTSTRAP)"
        )


def env_name(prop: str) -> str:
    """The apache/kafka image's env var for a broker property ('-'->___, '_'->__, '.'->_)."""
    escapes = {"-": "___", "_": "__", ".": "_"}
    return "KAFKA_" + "".join(escapes.get(char, char) for char in prop).upper()


class ContainerBackend:
    """One apache/kafka container, published on a host port chosen at runtime."""

    def __init__(self, spec: ClusterSpec, *, startup_timeout: float) -> None:
        if (
            spec.nodes != 1 or spec.listeners != ("PLAINTEXT",) or spec.features or spec.acls
            or spec.extra_classpath
        ):  # fmt: skip
            raise BackendUnavailableError(
                "backend 'testcontainers' supports one PLAINTEXT node without ACLs, extra "
                "features or an extra classpath; use backend 'jvm' for the rest"
            )
        self.spec = spec
        self.startup_timeout = startup_timeout
        self.port = free_ports(1)[0]
        self._container: DockerContainer | None = None

    def environment(self) -> dict[str, str]:
        """Container env: the jvm backend's broker properties, re-addressed for the image."""
        plan = NodePlan(1, {"PLAINTEXT": self.port}, _INTERNAL_CONTROLLER_PORT)
        props = render_server_properties(self.spec, [plan], plan, _DATA_DIR, None)
        props["listeners"] = (
            f"PLAINTEXT://0.0.0.0:{self.port},CONTROLLER://127.0.0.1:{_INTERNAL_CONTROLLER_PORT}"
        )
        env = {env_name(key): value for key, value in props.items()}
        env["CLUSTER_ID"] = new_cluster_id()
        return env

    def start(self) -> None:
        require_docker_engine()
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(f"{_IMAGE}:{self.spec.version}")
        for key, value in self.environment().items():
            container.with_env(key, value)
        container.with_bind_ports(self.port, self.port)
        self._container = container.start()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                probe("127.0.0.1", self.port, timeout=1.0)
                return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise ClusterStartError(f"container not ready; last logs:\n{self.log_tail()}")

    def bootstrap(self, listener: str) -> str:
        if listener != "PLAINTEXT":
            raise ClusterStateError(f"container cluster: no {listener} listener")
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 80) -> str:
        if self._container is None:
            return ""
        out, err = self._container.get_logs()
        text = (out + err).decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def run_tool(
        self, tool: str, args: Sequence[str], *, input: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run a Kafka tool inside the container with kafka-run-class.sh."""
        del timeout  # docker exec has no timeout; the tools time out by their own options
        script = 'data=$1; shift; printf "%s" "$data" | /opt/kafka/bin/kafka-run-class.sh "$@"'
        argv = ["sh", "-c", script, "_", input or "", tool_class(tool, self.spec.version), *args]
        if self._container is None:
            raise ClusterStateError("container cluster: not started")
        code, output = self._container.exec(argv)
        return subprocess.CompletedProcess(argv, code, output.decode(errors="replace"), "")

    def stop(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None
