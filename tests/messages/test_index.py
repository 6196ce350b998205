"""The generated API index, the lazy package attributes, header-version rules and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import aiokafka_gen.messages as messages
import json5

SPEC_DIR = Path(__file__).resolve().parents[2] / "kafka_messages_json"


def test_api_count_equals_request_specs_with_versions() -> None:
    specs = [json5.loads(p.read_text()) for p in sorted(SPEC_DIR.glob("*Request.json"))]
    requests = [s for s in specs if s["type"] == "request"]
    with_versions = {s["apiKey"] for s in requests if s["validVersions"] != "none"}
    assert set(messages.APIS) == with_versions
    removed = {s["apiKey"] for s in requests if s["validVersions"] == "none"}
    assert removed and not removed & set(messages.APIS)  # e.g. LeaderAndIsr is gone


def test_index_matches_the_classes() -> None:
    for key, info in messages.APIS.items():
        request, response = messages.request_class(key), messages.response_class(key)
        assert request.API_KEY == response.API_KEY == key
        assert (info.min_version, info.max_version) == (request.MIN_VERSION, request.MAX_VERSION)
        assert info.flexible_min == request.FLEXIBLE_MIN
        assert request.KIND == "request" and response.KIND == "response"
        assert response.UNSTABLE_LATEST == request.UNSTABLE_LATEST == info.unstable_latest


def test_every_request_names_its_response_class_and_type() -> None:
    from aiokafka_gen.protocol._message import Request

    for key in messages.APIS:
        request, response = messages.request_class(key), messages.response_class(key)
        assert issubclass(request, Request) and not issubclass(response, Request)
        assert request.RESPONSE is response
        (base,) = [b for b in request.__orig_bases__ if typing.get_origin(b) is Request]
        (answer,) = typing.get_args(base)
        # what client.send() is typed to return: the class, or class | None for acks=0 Produce
        expected = response | None if key == 0 else response
        assert answer == expected, (request.NAME, answer)


def test_known_facts_about_the_pinned_specs() -> None:
    metadata = messages.api_info(3)
    assert (metadata.name, metadata.min_version, metadata.flexible_min) == ("Metadata", 0, 9)
    assert messages.api_info(0).name == "Produce"


def test_header_versions() -> None:
    assert messages.request_header_version(3, 8) == 1
    assert messages.request_header_version(3, 9) == 2
    assert messages.response_header_version(3, 8) == 0
    assert messages.response_header_version(3, 9) == 1
    assert messages.response_header_version(18, 3) == 0  # ApiVersions: always v0 (KIP-511)
    assert messages.request_header_version(18, 3) == 2


def test_lazy_attribute_access_imports_on_demand() -> None:
    code = (
        "import sys, aiokafka_gen.messages as m;"
        "assert 'aiokafka_gen.messages.fetch_response' not in sys.modules;"
        "cls = m.FetchResponse;"
        "assert 'aiokafka_gen.messages.fetch_response' in sys.modules;"
        "print(cls.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "FetchResponse"


def test_cli_table_and_json() -> None:
    run = [sys.executable, "-m", "aiokafka_gen.messages"]
    table = subprocess.run(run, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(table) == len(messages.APIS)
    assert "3\tMetadata\t0\t13\t9" in table
    as_json = json.loads(subprocess.run([*run, "--json"], capture_output=True, check=True).stdout)
    assert [row["api_key"] for row in as_json] == sorted(messages.APIS)
    bad = subprocess.run([*run, "--nope"], capture_output=True, check=False)
    assert bad.returncode == 2


def test_kafka_version_matches_source() -> None:
    pinned = (SPEC_DIR / "SOURCE").read_text().split("kafka_version=")[1].split()[0]
    assert pinned == messages.KAFKA_VERSION


def test_cli_survives_a_closed_pipe() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that already left: every write gets EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "aiokafka_gen.messages"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.returncode == 1
