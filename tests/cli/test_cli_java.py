"""``decode``/``encode`` on Kafka's own serializer output: for every API and version, request
and response, Java encodes a random message; the command line's decoder turns those bytes
into JSON and its encoder turns the JSON back into exactly Java's bytes."""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

import pytest
from aiokafka_gen.messages import APIS, request_class, response_class
from conformance.generate import random_message
from support.kafka_json import to_kafka_json

from aiokafka_gen.cli import wire

pytestmark = pytest.mark.java


def _cases() -> list[tuple[int, int, bool]]:
    return [
        (key, version, response)
        for key, info in sorted(APIS.items())
        for version in range(info.min_version, info.max_version + 1)
        for response in (False, True)
    ]


def _java_encodings(java_ref: Any, rng: random.Random) -> list[tuple[int, int, bool, Any]]:
    classes = {
        e["name"]: e["class"] for e in java_ref.request({"cmd": "list_messages"})["messages"]
    }
    cases, requests = [], []
    for key, version, response in _cases():
        cls = response_class(key) if response else request_class(key)
        if cls.NAME not in classes:
            continue
        obj = random_message(cls, version, rng)
        cases.append((key, version, response, obj))
        requests.append({"cmd": "encode", "message": classes[cls.NAME], "version": version,
                         "json": to_kafka_json(obj, version)})  # fmt: skip
    answers = java_ref.request({"cmd": "batch", "requests": requests}, timeout=300)["results"]
    return [(*case[:3], answer) for case, answer in zip(cases, answers, strict=True)]


def test_java_bytes_decode_and_encode_back(java_ref: Any) -> None:
    import base64

    checked = 0
    for key, version, response, answer in _java_encodings(java_ref, random.Random("cli-java")):
        if "ok" not in answer:  # Java refused a value our generator chose: nothing to decode
            continue
        data = base64.b64decode(answer["ok"]["bytes"])
        args = argparse.Namespace(api=str(key), api_version=version, response=response,
                                  body=True, no_records=False)  # fmt: skip
        doc = json.loads(json.dumps(wire.decode_frame(data, args)))
        assert wire.encode_document(doc, body_only=True) == data, (key, version, response)
        checked += 1
    assert checked >= len(_cases()) * 0.9
