"""Fixtures for the conformance tests: one Conformance checker on the session's Java JVM,
and a tally that prints the ``conformance: P ..., E ..., M ...`` line in pytest's summary.
"""

from __future__ import annotations

import pytest
from support.javaref import JavaRef

from conformance.engine import Conformance, Tally, seed_from_env

TALLY_KEY = pytest.StashKey[Tally]()


@pytest.fixture(scope="session")
def checker(java_ref: JavaRef) -> Conformance:
    return Conformance(java_ref, seed_from_env())


@pytest.fixture(scope="session")
def tally(request: pytest.FixtureRequest) -> Tally:
    return request.config.stash.setdefault(TALLY_KEY, Tally())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = terminalreporter.config.stash.get(TALLY_KEY, None)
    if tally is not None and tally.pairs:
        terminalreporter.write_line(tally.line())
