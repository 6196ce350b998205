"""Fault scenarios: the verdict report every scenario ends with.

Each scenario records into ``faults_report(name)``; at the end of the session one line per
scenario name is printed in a "fault verdicts" section (visible in plain ``make
test-faults`` and in CI logs, whatever the capture mode). A FAIL verdict fails the test
that recorded it, with the line as the message.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faults.verdict import Report, Verdicts

_VERDICTS = pytest.StashKey[Verdicts]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_VERDICTS] = Verdicts()


@pytest.fixture
def faults_report(request: pytest.FixtureRequest) -> Iterator[Report]:
    """``with faults_report("name") as tally:`` fill counts; FAIL raises AssertionError."""
    yield request.config.stash[_VERDICTS].scenario


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    verdicts = terminalreporter.config.stash.get(_VERDICTS, None)
    if verdicts is None or not verdicts.lines():
        return
    terminalreporter.section("fault verdicts")
    for line in verdicts.lines():
        terminalreporter.write_line(line, red="FAIL" in line, green="FAIL" not in line)
