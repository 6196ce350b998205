"""Helpers for the command-line tests: run ``python -m aiokafka_gen`` in a subprocess (as a
user would) and read its output; wait for a condition instead of sleeping."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

TIMEOUT = 120.0


@dataclass
class Result:
    """A finished command."""

    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8")

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    def lines(self) -> list[Any]:
        assert self.code == 0, self.err
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aiokafka_gen", *args]


def environment(bootstrap: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    if bootstrap is not None:
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    return env


def run_cli(
    args: Sequence[str], *, bootstrap: str | None = None, stdin: bytes | str = b""
) -> Result:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        command(*args), input=data, capture_output=True, timeout=TIMEOUT,
        env=environment(bootstrap),
    )  # fmt: skip
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
