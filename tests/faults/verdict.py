"""Verdicts: counts per scenario, one report line each, a failed test when FAIL.

``lost`` and ``duplicated`` mean what they say for record scenarios (where a scenario allows
duplicates that have a reason, ``explained`` counts those and only the rest fail it); for
hostile input and fuzzing, ``sent`` counts inputs, ``received`` the inputs that ended in a
typed outcome, and ``lost`` the ones that did not (an untyped exception, a hang).
``problems`` lists any other broken guarantee (a failed delivery, a misordered key); one
problem makes the verdict FAIL.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

__all__ = ["Report", "Tally", "Verdicts", "format_line"]


@dataclass
class Tally:
    """Counts of one scenario (summed over the tests that record the same name)."""

    name: str
    sent: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    kills: int = 0
    problems: list[str] = field(default_factory=list)
    # scenarios where some duplicates are allowed (at-least-once with a reason for each)
    # count those here; None: the scenario allows none and the line does not mention it
    explained: int | None = None
    changes: int | None = None  # membership changes injected, where a scenario makes some

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == (self.explained or 0) and not self.problems

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.received += other.received
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.kills += other.kills
        self.problems += other.problems
        if other.explained is not None:
            self.explained = (self.explained or 0) + other.explained
        if other.changes is not None:
            self.changes = (self.changes or 0) + other.changes


def format_line(tally: Tally) -> str:
    """The issue's report line (``(explained n)`` and ``changes=`` only where counted)."""
    explained = "" if tally.explained is None else f" (explained {tally.explained})"
    changes = "" if tally.changes is None else f" changes={tally.changes}"
    return (
        f"fault {tally.name}: sent={tally.sent} received={tally.received} lost={tally.lost} "
        f"duplicated={tally.duplicated}{explained}{changes} kills={tally.kills} "
        f"verdict={'ok' if tally.ok else 'FAIL'}"
    )


class Verdicts:
    """Every scenario's tally for the session, in first-recorded order."""

    def __init__(self) -> None:
        self.tallies: dict[str, Tally] = {}

    @contextlib.contextmanager
    def scenario(self, name: str) -> Iterator[Tally]:
        """Collect one test's counts; an exception inside is recorded as a FAIL."""
        mine = Tally(name)
        try:
            yield mine
        except BaseException as exc:
            mine.problems.append(f"{type(exc).__name__}: {exc}"[:300])
            raise
        finally:
            self.tallies.setdefault(name, Tally(name)).add(mine)
            print(format_line(mine), file=sys.stdout)  # in the test's captured output
        if not mine.ok:
            details = "; ".join(mine.problems[:10])
            raise AssertionError(f"{format_line(mine)}: {details}")

    def lines(self) -> list[str]:
        return [format_line(tally) for tally in self.tallies.values()]


Report = Callable[[str], AbstractContextManager[Tally]]
"""The type of the ``faults_report`` fixture."""
