"""The random instances themselves: valid for their version, seeded, and varied enough."""

from __future__ import annotations

import random

from aiokafka_gen.messages import load_class

from aiokafka_gen.protocol import Message
from conformance.engine import all_pairs
from conformance.generate import add_unknown_tags, normalized, random_message

MetadataRequest = load_class("MetadataRequest")
ProduceRequest = load_class("ProduceRequest")


def test_same_seed_same_message() -> None:
    for name, version in (("MetadataRequest", 12), ("FetchResponse", 17)):
        cls = load_class(name)
        first = random_message(cls, version, random.Random("s"))
        assert first == random_message(cls, version, random.Random("s"))


def test_every_pair_gets_encodable_messages_with_non_default_values() -> None:
    for pair in all_pairs():
        objs = [random_message(pair.cls, pair.version, random.Random(i)) for i in range(10)]
        for obj in objs:
            obj.encode(pair.version)  # raises on any invalid value
        if any(f.in_version(pair.version) for f in pair.cls.FIELDS):
            assert any(obj != pair.cls() for obj in objs), pair.id


def test_absent_ignorable_fields_are_sometimes_set_and_normalized_away() -> None:
    # Produce v13 replaced topic names with topic ids; the name field is ignorable
    topic_field = next(f for f in ProduceRequest.FIELDS if f.struct is not None)
    topic_cls = topic_field.struct
    assert topic_cls is not None
    name = next(f for f in topic_cls.FIELDS if f.name == "name")
    assert name.ignorable and not name.in_version(13)
    seen = 0
    for seed in range(40):
        obj = random_message(ProduceRequest, 13, random.Random(seed))
        topics = getattr(obj, topic_field.name)
        seen += any(t.name != "" for t in topics)
        back = normalized(obj, 13)
        assert all(t.name == "" for t in getattr(back, topic_field.name))
        assert ProduceRequest.decode(obj.encode(13), 13) == back
    assert seen > 0


def test_unknown_tags_reach_nested_structs_and_survive_our_round_trip() -> None:
    topic_cls = MetadataRequest.FIELDS[0].struct
    assert topic_cls is not None
    nested = 0
    for seed in range(20):
        obj = random_message(MetadataRequest, 12, random.Random(seed))
        obj.topics = [topic_cls()]  # type: ignore[attr-defined]
        tagged = add_unknown_tags(normalized(obj, 12), 12, random.Random(seed))
        assert isinstance(tagged, Message)
        nested += bool(tagged.topics[0].unknown_tagged_fields)  # type: ignore[attr-defined]
        back = MetadataRequest.decode(tagged.encode(12), 12)
        assert back == tagged
    assert nested > 0
