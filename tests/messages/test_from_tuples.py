"""``Message.from_tuples``: the whole object tree from nested tuples in FIELDS order, for
every generated message and version: equal to the tree the constructors build, same bytes,
nulls and defaults as ``__init__`` gives them, and no Python call per nested object.

Driven by the generated registry and FIELDS, so new specs are covered for free.
"""

from __future__ import annotations

import ast
import copy
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiokafka_gen.protocol import ZERO_UUID, FieldSchema, Message, Struct
from messages.schema import all_classes, all_pairs, filled, message_strategy, pair_id

PAIRS = all_pairs()
CLASSES = all_classes()
CLASS_IDS = [c.NAME for c in CLASSES]


# --- test-side converters ---------------------------------------------------------------


def _tupled(value: Any, field: FieldSchema) -> Any:
    if value is None or field.struct is None:
        return value
    if field.type.startswith("[]"):
        return [to_tuple(item) for item in value]
    return to_tuple(value)


def to_tuple(obj: Struct) -> tuple[Any, ...]:
    """``obj`` as one tuple in FIELDS order; nested structs as tuples, struct arrays as
    lists of tuples, recursively. Unknown tagged fields are not part of it."""
    return tuple(_tupled(getattr(obj, f.name), f) for f in obj.FIELDS)


def without_unknown_tags(value: Any) -> Any:
    """A deep copy of ``value`` with every struct's unknown tagged fields dropped."""
    value = copy.deepcopy(value)
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, Struct):
            item._unknown_tags = None
            todo.extend(getattr(item, f.name) for f in item.FIELDS if f.struct is not None)
        elif isinstance(item, list):
            todo.extend(item)
    return value


def _assert_rebuilt(cls: type[Message], version: int, obj: Message) -> None:
    expected = without_unknown_tags(obj)
    rebuilt = cls.from_tuples(*to_tuple(obj))
    assert type(rebuilt) is cls
    assert rebuilt == expected
    encoded = expected.encode(version)
    assert rebuilt.encode(version) == encoded
    assert cls.decode(encoded, version) == rebuilt


# --- every (message, version) -------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_filled_from_tuples_equals_constructed(pair: tuple[type[Message], int]) -> None:
    """Every field of the version non-default, tagged ones and two-element arrays included."""
    cls, version = pair
    _assert_rebuilt(cls, version, filled(cls, version))


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
@settings(max_examples=5)  # the property round trips draw more; this checks construction
@given(data=st.data())
def test_drawn_from_tuples_equals_constructed(pair: tuple[type[Message], int], data: Any) -> None:
    """Drawn values: extreme ints, unicode, empty arrays, null (struct) arrays, unknown tags
    (dropped: tuples have no place for them, as ``__init__`` has none)."""
    cls, version = pair
    _assert_rebuilt(cls, version, data.draw(message_strategy(cls, version)))


def test_unknown_tags_are_dropped() -> None:
    from aiokafka_gen.messages import MetadataResponse

    obj = MetadataResponse(brokers=[])
    obj._unknown_tags = [(9, b"\x00")]
    rebuilt = MetadataResponse.from_tuples(*to_tuple(obj))
    assert rebuilt.unknown_tagged_fields is None and rebuilt != obj
    assert rebuilt == without_unknown_tags(obj) == MetadataResponse(brokers=[])


# --- defaults and nulls, per class (version independent, like __init__) -----------------


def _none_args(cls: type[Struct]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Every struct and nullable struct-array field None at every depth; a non-nullable
    struct array gets one element built the same way. Returns (tuple, constructor kwargs)."""
    values: list[Any] = []
    kwargs: dict[str, Any] = {}
    for f in cls.FIELDS:
        if f.struct is None:
            value = f.make_default()
            values.append(value)
            kwargs[f.name] = value
        elif f.type.startswith("[]") and f.nullable_versions is None and not f.default_is_null:
            inner, inner_kwargs = _none_args(f.struct)
            values.append([inner])
            kwargs[f.name] = [f.struct(**inner_kwargs)]
        else:
            values.append(None)
            kwargs[f.name] = None
    return tuple(values), kwargs


def _struct_fields(cls: type[Struct]) -> list[FieldSchema]:
    found: list[FieldSchema] = []
    todo = [cls]
    while todo:
        for f in todo.pop().FIELDS:
            if f.struct is not None:
                found.append(f)
                todo.append(f.struct)
    return found


@pytest.mark.parametrize("cls", CLASSES, ids=CLASS_IDS)
def test_defaults_and_prefixes(cls: type[Message]) -> None:
    assert cls.from_tuples() == cls()
    values = to_tuple(filled(cls, cls.MAX_VERSION))
    plain = [getattr(filled(cls, cls.MAX_VERSION), f.name) for f in cls.FIELDS]
    for cut in range(len(values) + 1):  # a positional prefix, the rest defaulted
        assert cls.from_tuples(*values[:cut]) == cls(*plain[:cut])
    first, second = cls.from_tuples(), cls.from_tuples()
    for f in cls.FIELDS:  # default arrays are new lists, never shared
        if f.type.startswith("[]") and not f.default_is_null:
            assert getattr(first, f.name) == []
            assert getattr(first, f.name) is not getattr(second, f.name)


@pytest.mark.parametrize("cls", CLASSES, ids=CLASS_IDS)
def test_none_for_structs_and_null_arrays(cls: type[Message]) -> None:
    """None where a struct is expected gives what __init__ gives for None (a default
    struct, or None when the default is null); a nullable struct array stays None."""
    values, kwargs = _none_args(cls)
    rebuilt = cls.from_tuples(*values)
    assert rebuilt == cls(**kwargs)
    for f, value in zip(cls.FIELDS, values, strict=True):
        if f.struct is not None and not f.type.startswith("[]") and not f.default_is_null:
            assert getattr(rebuilt, f.name) == f.struct()
        elif f.struct is not None and value is None:
            assert getattr(rebuilt, f.name) is None


def test_registry_has_nested_nulls() -> None:
    """The two tests above meet null struct arrays and struct defaults at some depth."""
    nested = [f for cls in CLASSES for f in _struct_fields(cls)]
    assert any(f.type.startswith("[]") and f.nullable_versions is not None for f in nested)
    assert any(not f.type.startswith("[]") and not f.default_is_null for f in nested)
    assert any(not f.type.startswith("[]") and f.default_is_null for f in nested)


def test_metadata_example() -> None:
    """The documented shape: top-level fields positionally, nested structs as tuples."""
    from aiokafka_gen.messages import metadata_response as m

    replicas = [1, 2, 3]
    brokers = [(0, "b0", 9092, None), (1, "b1", 9092, "rack-1")]
    parts = [(0, 0, 1, 5, replicas, [1, 2], [])]
    topics = [(0, "t", ZERO_UUID, False, parts, 8)]
    obj = m.MetadataResponse.from_tuples(0, brokers, "c1", 1, topics)
    expected = m.MetadataResponse(
        throttle_time_ms=0,
        brokers=[
            m.MetadataResponseBroker(node_id=0, host="b0", port=9092),
            m.MetadataResponseBroker(node_id=1, host="b1", port=9092, rack="rack-1"),
        ],
        cluster_id="c1",
        controller_id=1,
        topics=[
            m.MetadataResponseTopic(
                error_code=0,
                name="t",
                is_internal=False,
                partitions=[
                    m.MetadataResponsePartition(
                        partition_index=0,
                        leader_id=1,
                        leader_epoch=5,
                        replica_nodes=replicas,
                        isr_nodes=[1, 2],
                    )
                ],
                topic_authorized_operations=8,
            )
        ],
    )
    assert obj == expected
    for version in (8, 12, 13):
        assert obj.encode(version) == expected.encode(version)
    assert obj.topics[0].partitions[0].replica_nodes is replicas  # value lists kept as given
    assert obj.topics is not topics and obj.brokers[0].unknown_tagged_fields is None


def test_wrong_tuple_length_is_a_value_error() -> None:
    from aiokafka_gen.messages import MetadataResponse

    with pytest.raises(ValueError):
        MetadataResponse.from_tuples(0, [(0, "b0", 9092)])  # rack missing
    with pytest.raises(ValueError):
        MetadataResponse.from_tuples(0, [(0, "b0", 9092, None, "extra")])
    with pytest.raises(TypeError):
        MetadataResponse.from_tuples(0, None)  # brokers is not nullable: not a sequence


# --- the generated code itself ------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=CLASS_IDS)
def test_signature_follows_init(cls: type[Message]) -> None:
    init = list(inspect.signature(cls.__init__).parameters.values())[1:]
    built = list(inspect.signature(cls.from_tuples).parameters.values())
    assert [p.name for p in built] == [p.name for p in init]
    for field, a, b in zip(cls.FIELDS, init, built, strict=True):
        assert b.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        if field.struct is not None and field.type.startswith("[]") and not field.default_is_null:
            assert b.default == ()
        else:
            assert b.default is a.default or b.default == a.default


def _from_tuples_calls(cls: type[Message]) -> list[str]:
    source = Path(sys.modules[cls.__module__].__file__ or "").read_text()
    tree = ast.parse(source)
    klass = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
    method = next(
        n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name == "from_tuples"
    )
    return [ast.unparse(n.func) for n in ast.walk(method) if isinstance(n, ast.Call)]


@pytest.mark.parametrize("cls", CLASSES, ids=CLASS_IDS)
def test_no_python_call_per_object(cls: type[Message]) -> None:
    """Only object.__new__, list.append and the decoders' default-struct helpers are
    called: no constructor and no Python function per nested object."""
    for call in _from_tuples_calls(cls):
        assert call == "_new_object" or call.endswith(".append") or call.startswith("_fresh_")


def test_no_call_check_sees_nesting() -> None:
    from aiokafka_gen.messages import MetadataResponse

    calls = _from_tuples_calls(MetadataResponse)
    assert calls.count("_new_object") == 4 and calls.count("_l3.append") == 1
