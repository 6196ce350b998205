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
        """stdout of a command that succeeded (fails the test otherwise)."""
        assert self.code == 0, self.err
        return self.out.decode("utf-8")

    def ok(self) -> Result:
        """This result, after checking the command succeeded."""
        assert self.code == 0, self.err
        return self

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    def lines(self) -> list[Any]:
        assert self.code == 0, self.err
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def api_cases() -> list[tuple[int, int, bool]]:
    """Every API and version the specs define, as request and as response."""
    from aiokafka_gen.messages import APIS

    return [
        (key, version, response)
        for key, info in sorted(APIS.items())
        for version in range(info.min_version, info.max_version + 1)
        for response in (False, True)
    ]


def require_tool(*names: str) -> str:
    """The path of the first of ``names`` installed. When none is: a skip, or a failure
    when AIOKAFKA_GEN_EXPECT is set (CI sets it and installs every system tool with
    scripts/ensure-system-deps.sh, so a missing one there is a broken setup)."""
    import shutil

    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    message = f"{names[0]} is not installed"
    if os.environ.get("AIOKAFKA_GEN_EXPECT"):
        pytest.fail(f"{message}, and AIOKAFKA_GEN_EXPECT is set (see ensure-system-deps.sh)")
    pytest.skip(message)


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


async def read_line(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> bytes:
    """One line of a running command's stdout, without blocking the event loop; fails
    after ``timeout``."""
    assert proc.stdout is not None
    try:
        return await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
    except TimeoutError:
        pytest.fail(f"no line from the command in {timeout} s")


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
