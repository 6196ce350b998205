"""One measurement in a fresh process: ``python -m bench.worker '<Run JSON>'`` prints one
JSON line with the raw result (clean RSS and rusage per run; aiokafka's pure and C paths,
and aiokafka_gen's compiled and pure ones, never share a process). For aiokafka_gen the
result carries ``implementation``: which of its modules ran compiled and which pure."""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

from .adapters import client
from .implementation import implementation
from .matrix import Run


def execute(run: Run) -> dict[str, Any]:
    entry = client(run.client)
    adapter = importlib.import_module(f"bench.adapters.{entry.module}")
    result: dict[str, Any] = adapter.run(run)
    if entry.is_aiokafka_gen:
        result["implementation"] = implementation()
    return result


def serve(argv: list[str] | None, work: Callable[[str], dict[str, Any]]) -> int:
    """A worker process's body: ``work`` on the JSON job in argv[1], its result (or the
    error) as one JSON line on stdout for the parent; exit 1 on error."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = work(args[0])
    except Exception as exc:  # reported to the parent, which records the failure
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result), flush=True)
    return 0 if "error" not in result else 1


def main(argv: list[str] | None = None) -> int:
    return serve(argv, lambda text: execute(Run.from_json(text)))


if __name__ == "__main__":
    sys.exit(main())
