"""The independent spec reader: comment stripping and Kafka's version syntax."""

from __future__ import annotations

from pathlib import Path

from conformance.spec_pairs import expected_pairs, load_spec, parse_versions


def test_comments_go_but_slashes_inside_strings_stay(tmp_path: Path) -> None:
    path = tmp_path / "X.json"
    path.write_text(
        '// licence\n{ "about": "see http://kafka \\"//\\" x", // trailing\n "n": 1 }\n'
    )
    assert load_spec(path) == {"about": 'see http://kafka "//" x', "n": 1}


def test_version_syntax() -> None:
    assert list(parse_versions("none")) == []
    assert list(parse_versions("3")) == [3]
    assert list(parse_versions("1-4")) == [1, 2, 3, 4]
    assert parse_versions("2+") == range(2, 32768)


def test_removed_apis_define_no_pairs() -> None:
    names = {name for name, _, _ in expected_pairs()}
    assert "LeaderAndIsrRequest" not in names
    assert {"RequestHeader", "ConsumerProtocolSubscription", "MetadataRequest"} <= names
