"""Every (message, version) pair byte-identical with Kafka's Java serializers, both ways.

CONFORMANCE_EXAMPLES sets the examples per pair (default 20); ``make conformance`` runs the
same checks through ``python -m conformance`` and prints the summary line.
"""

from __future__ import annotations

import pytest

from conformance.engine import Conformance, Pair, all_pairs, examples_per_pair
from conformance.spec_pairs import expected_pairs

PAIRS = all_pairs()


def test_pairs_are_exactly_what_the_specs_define() -> None:
    checked = {(p.cls.NAME, p.version, p.direction) for p in PAIRS}
    assert len(checked) == len(PAIRS)
    assert checked == expected_pairs()
    directions = {p.direction for p in PAIRS}
    assert directions == {"request", "response", "header", "data"}


@pytest.mark.java
def test_java_lists_the_same_messages(checker: Conformance) -> None:
    assert checker.check_index() == []


@pytest.mark.java
def test_header_versions_agree_for_every_api_version(checker: Conformance) -> None:
    assert checker.check_header_versions() == []


@pytest.mark.java
@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_pair_matches_java(checker: Conformance, pair: Pair) -> None:
    result = checker.check_pair(pair, examples_per_pair())
    assert result.examples == examples_per_pair()
    assert not result.mismatches, "\n".join(result.mismatches[:5])
