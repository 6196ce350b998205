"""Kafka generator rules, each broken once by a small inline spec."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.load import SpecError
from codegen.spec import MessageSpec
from codegen.validate import validate


def spec(fields: list[dict[str, Any]], **extra: Any) -> MessageSpec:
    data = {
        "apiKey": 1,
        "type": "request",
        "name": "TRequest",
        "validVersions": "0-3",
        "flexibleVersions": "2+",
        "fields": fields,
        **extra,
    }
    return MessageSpec.model_validate(data)


def field(name: str, kind: str = "int32", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "versions": "0+", **extra}


def tagged(name: str, tag: int, versions: str = "2+", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "int32",
        "tag": tag,
        "taggedVersions": versions,
        "versions": versions,
        **extra,
    }


def test_a_valid_spec_passes() -> None:
    validate(spec([field("A"), tagged("B", 0), tagged("C", 1)]))


@pytest.mark.parametrize(
    ("fields", "extra", "message"),
    [
        ([tagged("B", 0), tagged("C", 0)], {}, "contiguous"),
        ([tagged("B", 1)], {}, "contiguous"),
        ([tagged("B", 0, versions="2-3")], {}, "open-ended"),
        ([tagged("B", 0, versions="1+")], {}, "outside flexibleVersions"),
        ([field("A", "string", default="null", nullableVersions="1+")], {}, "default null"),
        ([field("A", "string", default="null")], {}, "default null"),
        ([field("A", "int32", nullableVersions="0+")], {}, "cannot be nullable"),
        ([field("A"), field("A")], {}, "duplicate field"),
        ([field("A", "[][]int32")], {}, "arrays of arrays"),
        ([field("A", "Missing")], {}, "no commonStruct"),
        ([field("A", "weird")], {}, "unknown type"),
        ([{"name": "B", "type": "int32", "versions": "2+", "tag": 0}], {}, "together"),
        (
            [field("A", "[]S", fields=[field("X")]), field("B", "[]S", fields=[field("Y")])],
            {},
            "defined twice",
        ),
        ([field("A")], {"flexibleVersions": "1-2"}, "open-ended"),
        ([field("A")], {"apiKey": None}, "apiKey"),
    ],
)
def test_rule_violations(fields: list[dict[str, Any]], extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        validate(spec(fields, **extra))


def test_common_struct_reference_is_fine() -> None:
    common = [{"name": "S", "versions": "0+", "fields": [field("X")]}]
    validate(spec([field("A", "[]S"), field("B", "S")], commonStructs=common))


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SpecError) as info:
        validate(spec([field("A", "[][]int32"), field("B", "weird")]))
    assert "arrays of arrays" in str(info.value) and "unknown type" in str(info.value)
