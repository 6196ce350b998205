"""The pydantic spec model: version ranges, strict keys, spec-file quirks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from codegen.load import parse_json_with_comments
from codegen.spec import MAX_VERSION, FieldSpec, MessageSpec, VersionRange


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [("3", 3, 3), ("1-4", 1, 4), ("9+", 9, MAX_VERSION), ("none", 1, 0), ("0", 0, 0)],
)
def test_version_range_syntax(text: str, lo: int, hi: int) -> None:
    rng = VersionRange.model_validate(text)
    assert (rng.lo, rng.hi) == (lo, hi)
    assert str(rng) == text


@pytest.mark.parametrize("text", ["", "a", "4-2", "1-", "-1", "40000", "3++"])
def test_bad_version_ranges(text: str) -> None:
    with pytest.raises(ValidationError):
        VersionRange.model_validate(text)


def test_none_is_empty() -> None:
    empty = VersionRange.model_validate("none")
    assert empty.empty and 0 not in empty and not list(empty.versions())


def test_unknown_key_fails_loudly() -> None:
    with pytest.raises(ValidationError, match="brandNewKey"):
        FieldSpec.model_validate({"name": "A", "type": "int32", "versions": "0+", "brandNewKey": 1})


def test_string_tag_and_tagged_versions_default() -> None:
    field = FieldSpec.model_validate(
        {"name": "A", "type": "int32", "tag": "3", "taggedVersions": "2+"}
    )
    assert field.tag == 3
    assert field.versions is None
    assert field.effective_versions == VersionRange.model_validate("2+")


def test_message_spec_camel_case_keys() -> None:
    spec = MessageSpec.model_validate(
        {
            "apiKey": 1,
            "type": "request",
            "name": "X",
            "validVersions": "0-1",
            "flexibleVersions": "none",
            "latestVersionUnstable": True,
            "fields": [],
        }
    )
    assert spec.api_key == 1 and spec.latest_version_unstable
    assert spec.flexible_versions.empty


def test_comments_are_stripped_outside_strings_only() -> None:
    text = '// header\n{"a": "x // y", /* block */ "b": 1} // trailing\n'
    assert parse_json_with_comments(text) == {"a": "x // y", "b": 1}
