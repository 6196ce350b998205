"""The Kafka-JSON converter on its own (no JVM): key names, value forms, absent fields."""

from __future__ import annotations

import json
import math
import uuid

import pytest
from aiokafka_gen.messages import load_class
from support.kafka_json import from_kafka_json, kafka_uuid, parse_kafka_uuid, to_kafka_json

MetadataRequest = load_class("MetadataRequest")
DescribeClientQuotasResponse = load_class("DescribeClientQuotasResponse")
ProduceRequest = load_class("ProduceRequest")


def test_uuid_text_is_kafkas_url_safe_base64_without_padding() -> None:
    # Kafka's Uuid.ZERO_UUID and Uuid.METADATA_TOPIC_ID (0, 1) as Uuid.toString() prints them
    assert kafka_uuid(uuid.UUID(int=0)) == "A" * 22
    assert kafka_uuid(uuid.UUID(int=1)) == "A" * 21 + "Q"
    slashes = uuid.UUID(bytes=b"\xff" * 16)  # '/' in standard base64
    pluses = uuid.UUID(bytes=b"\xfb\xef\xbe" * 5 + b"\xfb")  # '+' in standard base64
    assert kafka_uuid(slashes) == "_" * 21 + "w"
    assert kafka_uuid(pluses) == "-" * 21 + "w"
    for value in (slashes, pluses):
        assert parse_kafka_uuid(kafka_uuid(value)) == value


def test_metadata_request_keys_are_lower_camel_and_absent_fields_are_left_out() -> None:
    topic_cls = MetadataRequest.FIELDS[0].struct
    assert topic_cls is not None
    obj = MetadataRequest(topics=[topic_cls(topic_id=uuid.UUID(int=1), name=None)])
    assert to_kafka_json(obj, 12) == {
        "topics": [{"topicId": "A" * 21 + "Q", "name": None}],
        "allowAutoTopicCreation": True,
        "includeTopicAuthorizedOperations": False,
    }
    # v0 lacks topicId; a non-default value is still written (Java decides what to drop)
    assert to_kafka_json(obj, 0) == {"topics": [{"topicId": "A" * 21 + "Q", "name": None}]}
    assert from_kafka_json(MetadataRequest, to_kafka_json(obj, 12), 12) == obj


def test_null_array_and_bytes_and_records() -> None:
    assert to_kafka_json(MetadataRequest(topics=None), 1)["topics"] is None
    data_cls = ProduceRequest.FIELDS[-1].struct
    assert data_cls is not None
    part_cls = next(f.struct for f in data_cls.FIELDS if f.struct is not None)
    assert part_cls is not None
    part = part_cls(index=3, records=b"\x00\xff\x10")
    assert to_kafka_json(part, 3) == {"index": 3, "records": "AP8Q"}
    assert from_kafka_json(part_cls, {"index": 3, "records": "AP8Q"}, 3) == part


def test_float64_survives_json_text_including_non_finite() -> None:
    entry_cls = DescribeClientQuotasResponse.FIELDS[-1].struct
    assert entry_cls is not None
    value_cls = next(f.struct for f in entry_cls.FIELDS if f.json_name == "values")
    assert value_cls is not None
    for number in (1.0, -0.0, 5e-324, 1e300, math.inf, -math.inf):
        node = to_kafka_json(value_cls(key="k", value=number), 0)
        text = json.dumps(node)
        back = from_kafka_json(value_cls, json.loads(text), 0).value  # type: ignore[attr-defined]
        assert back == number and math.copysign(1, back) == math.copysign(1, number)
    # Jackson writes non-finite doubles as strings
    negative = from_kafka_json(value_cls, {"key": "k", "value": "-Infinity"}, 0)
    assert negative.value == -math.inf  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        from_kafka_json(value_cls, {"key": "k", "value": "12"}, 0)


def test_a_json_key_we_do_not_know_is_an_error() -> None:
    with pytest.raises(ValueError, match="newField"):
        from_kafka_json(MetadataRequest, {"topics": None, "newField": 1}, 12)
