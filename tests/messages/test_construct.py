"""Positional construction of every generated class: ``Cls(a, b, c)`` takes the fields in
FIELDS order and builds the same object as ``Cls(a=..., b=..., c=...)``, for every message,
nested struct and version (defaults, nulls, tagged fields, unknown tags).

Driven by the generated registry and FIELDS, so new specs are covered for free.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiokafka_gen.protocol import Message, Struct
from messages.schema import all_classes, all_pairs, filled, message_strategy, pair_id

PAIRS = all_pairs()


def _all_structs() -> list[type[Struct]]:
    seen: dict[type[Struct], None] = {}
    todo: list[type[Struct]] = list(all_classes())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen[cls] = None
        todo.extend(f.struct for f in cls.FIELDS if f.struct is not None)
    return sorted(seen, key=lambda c: (c.__module__, c.__qualname__))


STRUCTS = _all_structs()
STRUCT_IDS = [f"{c.__module__.rsplit('.', 1)[-1]}.{c.__qualname__}" for c in STRUCTS]


def positional_copy(value: Any) -> Any:
    """A deep copy of ``value`` whose structs are all rebuilt with positional arguments."""
    if isinstance(value, Struct):
        args = [positional_copy(getattr(value, f.name)) for f in value.FIELDS]
        rebuilt = type(value)(*args)
        rebuilt._unknown_tags = copy.deepcopy(value._unknown_tags)
        return rebuilt
    if isinstance(value, list):
        return [positional_copy(item) for item in value]
    return value


def _assert_same(cls: type[Message], version: int, keyword: Any, positional: Any) -> None:
    assert positional == keyword
    encoded = keyword.encode(version)
    assert positional.encode(version) == encoded
    assert cls.decode(encoded, version) == positional


def test_registry_reaches_nested_structs() -> None:
    assert len(STRUCTS) > len(all_classes())  # nested structs are included, not just messages


@pytest.mark.parametrize("cls", STRUCTS, ids=STRUCT_IDS)
def test_signature_is_fields_in_order(cls: type[Struct]) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in cls.FIELDS]
    for param in params:
        assert param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, param.name
        assert param.default is not inspect.Parameter.empty, param.name


@pytest.mark.parametrize("cls", STRUCTS, ids=STRUCT_IDS)
def test_positional_defaults(cls: type[Struct]) -> None:
    defaults = [f.make_default() for f in cls.FIELDS]
    assert cls(*defaults) == cls()
    for cut in range(len(defaults)):  # a positional prefix, the rest omitted
        assert cls(*defaults[:cut]) == cls()
    # omitted arrays are fresh lists, never shared between instances
    arrays = [f.name for f in cls.FIELDS if f.type.startswith("[]") and not f.default_is_null]
    first, second = cls(), cls()
    for name in arrays:
        assert getattr(first, name) == [] and getattr(first, name) is not getattr(second, name)


@pytest.mark.parametrize("cls", STRUCTS, ids=STRUCT_IDS)
def test_positional_null_and_mixed(cls: type[Struct]) -> None:
    defaults = [f.make_default() for f in cls.FIELDS]
    for index, field in enumerate(cls.FIELDS):
        if field.nullable_versions is None:
            continue
        args = [*defaults[:index], None]
        obj = cls(*args)
        assert getattr(obj, field.name) is None
        assert obj == cls(**{field.name: None})
    if cls.FIELDS:
        first, *rest = cls.FIELDS
        value = defaults[0]
        tail = {f.name: d for f, d in zip(rest, defaults[1:], strict=True)}
        assert cls(value, **tail) == cls(**{first.name: value}, **tail)


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_filled_positional_equals_keyword(pair: tuple[type[Message], int]) -> None:
    """Every field of the version non-default, tagged ones included."""
    cls, version = pair
    keyword = filled(cls, version)
    _assert_same(cls, version, keyword, positional_copy(keyword))


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
@settings(max_examples=5)  # the property round trips draw more; this checks construction
@given(data=st.data())
def test_drawn_positional_equals_keyword(pair: tuple[type[Message], int], data: Any) -> None:
    """Drawn values: extreme ints, unicode, empty vs null, unknown tagged fields."""
    cls, version = pair
    keyword = data.draw(message_strategy(cls, version))
    _assert_same(cls, version, keyword, positional_copy(keyword))
