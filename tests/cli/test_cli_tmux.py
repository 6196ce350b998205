"""Tried as a person would: ``consume --follow`` runs in a tmux pane (a real terminal)
while records are produced; the pane shows them, and Ctrl-C typed into the pane ends the
command cleanly (exit status 0, no traceback)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cli_support import require_tool, wait_for

from aiokafka_gen.admin import AIOKafkaAdminClient

pytestmark = pytest.mark.integration

Cli = Callable[..., Any]


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    """``tmux(*args)`` on a private server (its own socket), killed afterwards."""
    require_tool("tmux")  # a skip, or a failure when AIOKAFKA_GEN_EXPECT is set
    socket = f"aiokafka-gen-cli-{os.getpid()}"

    def run(*args: str) -> str:
        done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                              timeout=30)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    yield run
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=30)


async def test_follow_in_a_terminal_and_ctrl_c(
    cli: Cli, kafka_topic: Any, kafka_bootstrap: str, admin: AIOKafkaAdminClient,
    tmux: Callable[..., str],
) -> None:  # fmt: skip
    topic = kafka_topic(1)
    group = f"{topic}-tmux"
    consume = shlex.join(
        [
            sys.executable,
            "-m",
            "aiokafka_gen",
            "-b",
            kafka_bootstrap,
            "consume",
            topic,
            "-G",
            group,
            "--follow",
            "-f",
            "got %s at %o\\n",
        ]
    )
    tmux("new-session", "-d", "-s", "cli", "-x", "160", "-y", "40",
         f"{consume}; echo exit=$?; sleep 600")  # fmt: skip

    def pane() -> str:
        return tmux("capture-pane", "-p", "-t", "cli")

    async def joined() -> bool:
        found = await admin.describe_consumer_groups([group], raise_on_error=False)
        return any(m.assignment for m in found[group].members)

    async def shows(text: str) -> bool:
        return text in pane()

    await wait_for(joined, "the consumer in the pane to join its group")
    cli("produce", topic, "-q", stdin="apples\npears\n").ok()
    await wait_for(lambda: shows("got pears at 1"), "the records in the pane")
    tmux("send-keys", "-t", "cli", "C-c")
    await wait_for(lambda: shows("exit="), "the command to exit")
    screen = pane()
    assert "got apples at 0\ngot pears at 1\n" in screen
    assert "exit=0" in screen and "Traceback" not in screen
