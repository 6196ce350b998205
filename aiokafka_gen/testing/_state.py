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
from pathlib import Path
from typing import Any

from ._jars import cache_root

__all__ = ["load_state", "pid_alive", "save_state", "state_path", "stop_detached"]


def state_path(name: str) -> Path:
    return cache_root() / "clusters" / f"{name}.json"


def save_state(name: str, state: dict[str, Any]) -> Path:
    path = state_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(state, indent=2, sort_keys=True))
    temp.replace(path)
    return path


def load_state(name: str) -> dict[str, Any] | None:
    path = state_path(name)
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
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
    if state.get("root"):
        shutil.rmtree(state["root"], ignore_errors=True)
    state_path(name).unlink(missing_ok=True)
    return True


def _terminate(targets: list[tuple[int, str]], timeout: float) -> None:
    for pid, marker in targets:
        _signal(pid, marker, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid, marker) for pid, marker in targets) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid, marker in targets:
        _signal(pid, marker, signal.SIGKILL)


def _signal(pid: int, marker: str, signum: int) -> None:
    if pid_alive(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
