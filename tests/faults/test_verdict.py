"""The verdict machinery itself (no broker): the line's format, and a FAIL fails."""

from __future__ import annotations

import pytest

from faults.verdict import Tally, Verdicts, format_line


def test_line_format() -> None:
    tally = Tally("demo", sent=3, received=3, kills=1)
    assert format_line(tally) == (
        "fault demo: sent=3 received=3 lost=0 duplicated=0 kills=1 verdict=ok"
    )


@pytest.mark.parametrize("field", ["lost", "duplicated"])
def test_a_fail_verdict_raises_and_is_summed(field: str) -> None:
    verdicts = Verdicts()
    with verdicts.scenario("x") as tally:
        tally.sent = tally.received = 2
    with pytest.raises(AssertionError, match="verdict=FAIL"), verdicts.scenario("x") as tally:
        setattr(tally, field, 1)
    assert verdicts.lines() == [
        f"fault x: sent=2 received=2 lost={int(field == 'lost')} "
        f"duplicated={int(field == 'duplicated')} kills=0 verdict=FAIL"
    ]


def test_a_problem_or_an_exception_is_a_fail() -> None:
    verdicts = Verdicts()
    with pytest.raises(AssertionError, match="3 sends failed"), verdicts.scenario("p") as tally:
        tally.problems.append("3 sends failed")
    with pytest.raises(KeyError), verdicts.scenario("q"):
        raise KeyError("boom")
    assert [line.endswith("verdict=FAIL") for line in verdicts.lines()] == [True, True]


def test_explained_duplicates_pass_and_the_rest_fail() -> None:
    verdicts = Verdicts()
    with verdicts.scenario("s") as tally:
        tally.sent, tally.received, tally.duplicated, tally.explained, tally.changes = 4, 4, 2, 2, 3
    with pytest.raises(AssertionError, match="verdict=FAIL"), verdicts.scenario("s") as tally:
        tally.duplicated, tally.explained = 1, 0
    assert verdicts.lines() == [
        "fault s: sent=4 received=4 lost=0 duplicated=3 (explained 2) changes=3 kills=0 "
        "verdict=FAIL"
    ]
