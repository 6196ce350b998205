"""State files of detached clusters (``up --detach``), and stopping them later.

A state file (JSON under ``<cache>/clusters/<name>.json``) records pids, dirs, addresses,
credentials and TLS paths. ``stop_detached`` only signals a pid whose command line still
mentions the cluster's node dir, so a recycled pid is never killed.
Must not start processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from ._jars import cache_root

__all__ = [
    "ClusterState",
    "NodeState",
    "ZooKeeperState",
    "load_state",
    "pid_alive",
    "save_state",
    "state_path",
    "stop_detached",
]


class NodeState(TypedDict):
    node_id: int
    pid: int | None
    dir: str
    log: str


class ZooKeeperState(TypedDict):
    pid: int | None
    dir: str
    log: str
    connect: str | None


class ClusterState(TypedDict, total=False):
    """A detached cluster's state file (``KafkaCluster.state()``)."""

    backend: str
    version: str
    root: str | None
    nodes: list[NodeState]
    bootstrap: dict[str, str]  # listener -> addresses
    credentials: dict[str, str]  # SASL user -> password
    zookeeper: ZooKeeperState
    tls: dict[str, str]  # TlsFiles field -> path (and the password)


def state_path(name: str) -> Path:
    return cache_root() / "clusters" / f"{name}.json"


def save_state(name: str, state: Mapping[str, object]) -> Path:
    path = state_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(state, indent=2, sort_keys=True))
    temp.replace(path)
    return path


def load_state(name: str) -> ClusterState | None:
    path = state_path(name)
    if not path.exists():
        return None
    loaded: ClusterState = json.loads(path.read_text())  # as save_state wrote it
    return loaded


def pid_alive(pid: int | None, marker: str) -> bool:
    """True when ``pid`` runs and its command line contains ``marker``."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def stop_detached(name: str, timeout: float = 30.0) -> bool:
    """Stop a detached cluster and remove its files; False when there was none."""
    state = load_state(name)
    if state is None:
        return False
    # Brokers first: a ZooKeeper-mode broker's controlled shutdown needs its ZooKeeper.
    _terminate([(node["pid"], node["dir"]) for node in state.get("nodes", [])], timeout)
    zookeeper = state.get("zookeeper")
    if zookeeper:
        _terminate([(zookeeper["pid"], zookeeper["dir"])], timeout)
    root = state.get("root")
    if root:
        shutil.rmtree(root, ignore_errors=True)
    state_path(name).unlink(missing_ok=True)
    return True


def _terminate(targets: list[tuple[int | None, str]], timeout: float) -> None:
    for pid, marker in targets:
        _signal(pid, marker, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid, marker) for pid, marker in targets) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid, marker in targets:
        _signal(pid, marker, signal.SIGKILL)


def _signal(pid: int | None, marker: str, signum: int) -> None:
    if pid is not None and pid_alive(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
