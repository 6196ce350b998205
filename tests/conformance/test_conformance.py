"""Every (message, version) pair byte-identical with Kafka's Java serializers, both ways.

CONFORMANCE_EXAMPLES sets the examples per pair (default 20); ``make conformance`` runs the
same checks through ``python -m conformance`` and prints the summary line.
"""

from __future__ import annotations

import pytest

from aiokafka_gen.protocol import Struct
from conformance.engine import Conformance, Pair, Tally, all_pairs, examples_per_pair
from conformance.spec_pairs import expected_pairs, spec_field_names

PAIRS = all_pairs()


def test_pairs_are_exactly_what_the_specs_define() -> None:
    checked = {(p.cls.NAME, p.version, p.direction) for p in PAIRS}
    assert len(checked) == len(PAIRS)
    assert checked == expected_pairs()
    directions = {p.direction for p in PAIRS}
    assert directions == {"request", "response", "header", "data"}


def _our_fields(cls: type[Struct], seen: set[type[Struct]]) -> set[tuple[str, str]]:
    found = set()
    seen.add(cls)
    for field in cls.FIELDS:
        found.add((field.json_name, field.type))
        if field.struct is not None and field.struct not in seen:
            found |= _our_fields(field.struct, seen)
    return found


def test_every_spec_field_has_a_schema_entry() -> None:
    # Java's JSON cannot reveal a lost tagged field (it writes defaults out): count them here
    specs = spec_field_names()
    classes = {p.cls for p in PAIRS}
    assert {cls.NAME for cls in classes} == set(specs)
    for cls in classes:
        assert _our_fields(cls, set()) == specs[cls.NAME], cls.NAME


@pytest.mark.java
def test_java_lists_the_same_messages(checker: Conformance, tally: Tally) -> None:
    problems = checker.check_index()
    tally.mismatches += len(problems)
    assert problems == []


@pytest.mark.java
def test_header_versions_agree_for_every_api_version(checker: Conformance, tally: Tally) -> None:
    problems = checker.check_header_versions()
    tally.mismatches += len(problems)
    assert problems == []


@pytest.mark.java
@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_pair_matches_java(checker: Conformance, tally: Tally, pair: Pair) -> None:
    result = checker.check_pair(pair, examples_per_pair())
    tally.add(result)
    assert result.examples == examples_per_pair()
    assert not result.mismatches, "\n".join(result.mismatches[:5])
