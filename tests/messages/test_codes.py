"""The generated ``ErrorCode`` / ``ApiKey`` enums agree with the error classes, the API
table and Kafka's flags; the runtime's named code sets are spelled with their members."""

from __future__ import annotations

import ast
from pathlib import Path

from aiokafka_gen.messages import APIS
from aiokafka_gen.messages.codes import INVALID_METADATA, RETRIABLE, ApiKey, ErrorCode
from aiokafka_gen.messages.errors import ERRORS_BY_CODE

from aiokafka_gen import _codes

RUNTIME = Path(__file__).resolve().parents[2] / "aiokafka_gen"


def test_every_error_code_has_its_class_and_flags() -> None:
    assert {int(c) for c in ErrorCode} == set(ERRORS_BY_CODE)
    for code in ErrorCode:
        cls = ERRORS_BY_CODE[code]
        assert cls.errno == code and cls.message == code.name
        assert (code in RETRIABLE) == cls.retriable, code
        assert (code in INVALID_METADATA) == cls.invalid_metadata, code


def test_api_keys_name_the_api_table() -> None:
    assert {int(k) for k in ApiKey} == set(APIS)
    for key in ApiKey:
        assert key.name.replace("_", "") == APIS[key].name.upper(), key
    assert ApiKey.METADATA == 3 and ApiKey.CONSUMER_GROUP_HEARTBEAT == 68


def test_members_are_ints_for_responses() -> None:
    assert ErrorCode.NOT_COORDINATOR == 16 and 16 in _codes.COORDINATOR_MOVED
    assert {14, 15, 16} == set(_codes.COORDINATOR_MOVED)
    assert {ErrorCode(14): "x"}[14] == "x"  # a response's plain int finds an enum key


def test_no_bare_code_sets_in_the_runtime() -> None:
    """A module-level frozenset of plain integers is a code set someone did not name."""
    offenders = []
    for path in RUNTIME.rglob("*.py"):
        if {"testing", "cli"} & set(path.relative_to(RUNTIME).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "frozenset"
                and node.args
                and isinstance(node.args[0], ast.Set)
                and node.args[0].elts
                and all(
                    isinstance(e, ast.Constant) and type(e.value) is int for e in node.args[0].elts
                )
            ):
                offenders.append(f"{path.relative_to(RUNTIME)}:{node.lineno}")
    allowed = {"conn/_diagnose.py"}  # TLS record types, not Kafka codes
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []
