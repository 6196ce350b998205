"""``decode``/``encode`` on Kafka's own serializer output: for every API and version, request
and response, Java encodes a random message; the command line's decoder turns those bytes
into JSON and its encoder turns the JSON back into exactly Java's bytes."""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from typing import Any

import pytest
from aiokafka_gen.messages import APIS, request_class, response_class
from cli_support import api_cases
from conformance.generate import random_message
from support.kafka_json import to_kafka_json

from aiokafka_gen.cli import wire

pytestmark = pytest.mark.java


# Cases the test may not check, each with its reason, as (message name, version):
# none today. A message Java's jar lacks, or a value it refuses to encode, lands here
# only on purpose; anything else skipped fails the test.
EXCLUDED: dict[tuple[str, int], str] = {}


def _java_encodings(
    java_ref: Any, rng: random.Random, skipped: Counter[str]
) -> list[tuple[int, int, bool, Any]]:
    classes = {
        e["name"]: e["class"] for e in java_ref.request({"cmd": "list_messages"})["messages"]
    }
    cases, requests = [], []
    for key, version, response in api_cases():
        cls = response_class(key) if response else request_class(key)
        if (cls.NAME, version) in EXCLUDED:
            skipped["excluded"] += 1
            continue
        if cls.NAME not in classes:
            skipped[f"no Java class for {cls.NAME}"] += 1
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
    skipped: Counter[str] = Counter()
    for key, version, response, answer in _java_encodings(
        java_ref, random.Random("cli-java"), skipped
    ):
        if "ok" not in answer:  # Java refused a value our generator chose
            skipped[f"Java refused {APIS[key].name} v{version}: {str(answer)[:80]}"] += 1
            continue
        data = base64.b64decode(answer["ok"]["bytes"])
        args = argparse.Namespace(api=str(key), api_version=version, response=response,
                                  body=True, no_records=False)  # fmt: skip
        doc = json.loads(json.dumps(wire.decode_frame(data, args)))
        assert wire.encode_document(doc, body_only=True) == data, (key, version, response)
        checked += 1
    assert dict(skipped) == ({"excluded": len(EXCLUDED)} if EXCLUDED else {})
    assert checked == len(api_cases()) - len(EXCLUDED)
