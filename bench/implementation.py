"""Which implementation of aiokafka_gen a process runs: compiled extension modules or pure
Python. ``aiokafka_gen.compiled()`` (when the package has it) maps module names to
"compiled"/"pure" (or True/False: both spellings are read); a build without it is pure
Python everywhere (``{"*": "pure"}``).
``AIOKAFKA_GEN_NO_EXTENSIONS=1`` in a process's environment asks aiokafka_gen to load no
compiled module (the bench's ``aiokafka_gen-pure`` client).

``python -m bench.implementation`` prints the map of a fresh interpreter as one JSON line
(the bench asks it under each worker environment before the timed runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NO_EXTENSIONS = "AIOKAFKA_GEN_NO_EXTENSIONS"
# Set by the bench for its aiokafka_gen-nometrics column: clients made with metrics_enabled=False.
METRICS_OFF = "AIOKAFKA_GEN_BENCH_METRICS_OFF"
# Environment switches the bench sets per client; never inherited from the caller's shell,
# so that "aiokafka_gen" means "as built" and only the -pure client runs without extensions.
SWITCHES = ("AIOKAFKA_NO_EXTENSIONS", NO_EXTENSIONS)
ROOT = Path(__file__).resolve().parent.parent
VARIED = "varied"  # a module that ran compiled in some runs of a column, pure in others


def implementation() -> dict[str, str]:
    """Module name -> "compiled" / "pure" for the aiokafka_gen this process imports. Loads
    the producer and consumer first, so that a lazily imported module is reported as it
    actually loaded."""
    import aiokafka_gen

    for name in ("AIOKafkaProducer", "AIOKafkaConsumer"):
        getattr(aiokafka_gen, name, None)  # lazy names: import the modules a run uses
    probe = getattr(aiokafka_gen, "compiled", None)
    if probe is None:
        return {"*": "pure"}
    return {str(name): state_of(value) for name, value in dict(probe()).items()}


def state_of(value: object) -> str:
    """``compiled`` or ``pure``, from either spelling of ``compiled()``'s values (others
    are kept as text and count as not compiled)."""
    if value is True or value == "compiled":
        return "compiled"
    if value is False or value == "pure":
        return "pure"
    return str(value)


def summary(modules: Mapping[str, str]) -> str:
    """One of: compiled, pure, partly compiled (n of m modules), or varied between runs
    (the build changed while the bench ran: see its warnings)."""
    states = list(modules.values())
    if VARIED in states:
        return "varied between runs"
    compiled = sum(state == "compiled" for state in states)
    if compiled == 0:
        return "pure"
    if compiled == len(states):
        return "compiled"
    return f"partly compiled ({compiled} of {len(states)} modules)"


def label(name: str, modules: Mapping[str, str] | None) -> str:
    """A report column: ``aiokafka_gen (compiled)``; other clients keep their name."""
    return name if modules is None else f"{name} ({summary(modules)})"


def worker_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a worker: the caller's, without the extension switches, plus the
    client's own ``extra``."""
    return {k: v for k, v in os.environ.items() if k not in SWITCHES} | dict(extra)


def probe(extra: Mapping[str, str]) -> dict[str, str] | dict[str, Any]:
    """The implementation map of a fresh interpreter with ``worker_env(extra)``, or
    ``{"error": ...}`` when aiokafka_gen does not import there."""
    argv = [sys.executable, "-m", "bench.implementation"]
    done = subprocess.run(
        argv, cwd=ROOT, env=worker_env(extra), capture_output=True, text=True, timeout=120
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"error": tail[0]}
    result: dict[str, str] = json.loads(lines[-1])
    return result


def main() -> int:
    print(json.dumps(implementation()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
