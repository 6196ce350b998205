"""Fixtures for the command-line tests: ``cli`` runs ``python -m aiokafka_gen`` against the
session broker; ``admin`` is our admin client on the same broker, to check what the command
line reports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from cli_support import Result, run_cli

from aiokafka_gen.admin import AIOKafkaAdminClient

Cli = Callable[..., Result]


@pytest.fixture
def cli(kafka_bootstrap: str) -> Cli:
    """``cli(*args, stdin=b"")``: one command against the session broker (found through
    KAFKA_BOOTSTRAP_SERVERS, as a user would set it)."""

    def invoke(*args: str, stdin: bytes | str = b"") -> Result:
        return run_cli(args, bootstrap=kafka_bootstrap, stdin=stdin)

    return invoke


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_bootstrap, request_timeout_ms=30000
    ) as client:
        yield client
