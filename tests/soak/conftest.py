"""The soak's verdict line in its own section at the end of the pytest run (shown in plain
``make test-soak`` and in CI logs, whatever the capture mode)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_LINES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LINES] = []


@pytest.fixture
def soak_verdict(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Call with the verdict line: kept for the terminal summary."""
    return request.config.stash[_LINES].append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_LINES, [])
    if not lines:
        return
    terminalreporter.section("soak verdict")
    for line in lines:
        terminalreporter.write_line(line, red="FAIL" in line, green="FAIL" not in line)
    lines.clear()  # once, even where the hook runs twice
