"""``decode`` on frames captured from a real conversation: the command line's own produce
and consume run through the harness's frame-aware proxy, which records every request and
response; Metadata, Produce and Fetch frames decode (records included) and encode back to
the captured bytes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_support import environment, run_cli

from aiokafka_gen.cli import wire
from aiokafka_gen.testing import KafkaCluster, proxy

pytestmark = pytest.mark.integration

METADATA, PRODUCE, FETCH = 3, 0, 1


class Recorder:
    """Every frame the proxy forwards: requests as sent, responses as the broker sent them."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.responses: list[tuple[bytes, int, int]] = []


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    seen = Recorder()
    head = proxy._request_head
    rewritten = proxy.KafkaProxy._rewritten

    def record_request(frame: bytes) -> tuple[int, int, int]:
        seen.requests.append(bytes(frame))
        return head(frame)

    def record_response(self: Any, frame: bytes, api_key: int, version: int) -> bytes:
        seen.responses.append((bytes(frame), api_key, version))
        return rewritten(self, frame, api_key, version)

    monkeypatch.setattr(proxy, "_request_head", record_request)
    monkeypatch.setattr(proxy.KafkaProxy, "_rewritten", record_response)
    return seen


async def _run(bootstrap: str, *args: str, stdin: bytes = b"") -> bytes:
    """The command line in a subprocess while this loop keeps the proxy running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiokafka_gen", *args, env=environment(bootstrap),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin), 120)
    assert proc.returncode == 0, err.decode()
    return out


def _request_args() -> argparse.Namespace:
    return argparse.Namespace(api=None, api_version=None, response=False, body=False,
                              no_records=False)  # fmt: skip


def _response_args(key: int, version: int) -> argparse.Namespace:
    return argparse.Namespace(api=str(key), api_version=version, response=True, body=False,
                              no_records=False)  # fmt: skip


def _values(doc: dict[str, Any], topics_key: str, parts_key: str) -> list[str]:
    values = []
    for topic in doc["body"][topics_key]:
        for part in topic[parts_key]:
            records = part.get("records")
            for batch in (records or {}).get("batches", []):
                values += [r["value"] for r in batch.get("records", [])]
    return values


async def test_decode_frames_of_a_real_conversation(
    kafka_cluster: KafkaCluster, kafka_topic: Any, recorder: Recorder
) -> None:
    topic = kafka_topic(1)
    async with proxy.ProxyCluster(kafka_cluster.bootstrap()) as proxies:
        await _run(proxies.bootstrap, "produce", topic, "-K:", "-q", "-z", "gzip", "--acks",
                   "all", "--idempotence", stdin=b"k1:hello\nk2:world\n")  # fmt: skip
        out = await _run(proxies.bootstrap, "consume", topic, "-f", "%s ")
    assert out.split() == [b"hello", b"world"]
    requests = {key: [] for key in (METADATA, PRODUCE, FETCH)}  # type: dict[int, list[bytes]]
    for frame in recorder.requests:
        key = int.from_bytes(frame[4:6], "big", signed=True)
        requests.setdefault(key, []).append(frame)
    assert all(requests[k] for k in (METADATA, PRODUCE, FETCH)), sorted(requests)

    produced = [wire.decode_frame(f, _request_args()) for f in requests[PRODUCE]]
    values = [v for d in produced for v in _values(d, "topicData", "partitionData")]
    assert values == ["hello", "world"]
    (sent,) = produced  # one request, acks=all, one gzip batch from an idempotent producer
    assert sent["body"]["acks"] == -1
    (batch,) = sent["body"]["topicData"][0]["partitionData"][0]["records"]["batches"]
    assert batch["codec"] == 1 and batch["producer_id"] >= 0 and batch["base_sequence"] == 0
    for frame in recorder.requests:
        assert wire.encode_document(wire.decode_frame(frame, _request_args())) == frame

    fetched: list[str] = []
    kinds = set()
    for frame, key, version in recorder.responses:
        if key < 0:
            continue
        doc = wire.decode_frame(frame, _response_args(key, version))
        assert wire.encode_document(doc) == frame, (key, version)
        kinds.add(key)
        if key == FETCH:
            fetched += _values(doc, "responses", "partitions")
    assert {METADATA, PRODUCE, FETCH} <= kinds
    assert fetched.count("hello") >= 1 and fetched.count("world") >= 1

    # and once through the command line itself, as a person would paste a capture
    frame = requests[METADATA][0]
    shown = run_cli(["decode", frame.hex()]).json()
    assert shown["api"] == "Metadata" and shown["header"]["clientId"] == "aiokafka-gen-cli"


async def test_decode_a_captured_stream_with_its_requests(
    kafka_cluster: KafkaCluster, kafka_topic: Any, recorder: Recorder, tmp_path: Path
) -> None:
    topic = kafka_topic(1)
    async with proxy.ProxyCluster(kafka_cluster.bootstrap()) as proxies:
        await _run(proxies.bootstrap, "produce", topic, "-q", stdin=b"a\nb\n")
        await _run(proxies.bootstrap, "consume", topic, "-c", "2")
    ids = Counter(int.from_bytes(f[8:12], "big", signed=True) for f in recorder.requests)
    unique = {i for i, n in ids.items() if n == 1}  # ids repeat across connections
    requests = [f for f in recorder.requests if int.from_bytes(f[8:12], "big") in unique]
    responses = [(f, k, v) for f, k, v in recorder.responses
                 if int.from_bytes(f[4:8], "big") in unique and k >= 0]  # fmt: skip
    assert len(responses) >= 3
    (tmp_path / "requests.bin").write_bytes(b"".join(requests))
    (tmp_path / "responses.bin").write_bytes(b"".join(f for f, _, _ in responses))

    sent = run_cli(["decode", "--file", str(tmp_path / "requests.bin"), "--input", "raw"])
    assert [d["api_key"] for d in sent.json()] == [int.from_bytes(f[4:6], "big") for f in requests]
    pairing = ["--requests-from", str(tmp_path / "requests.bin")]
    got = run_cli(["decode", "--response", "--file", str(tmp_path / "responses.bin"),
                   "--input", "raw", *pairing])  # fmt: skip
    docs = got.json()
    assert [(d["api_key"], d["version"]) for d in docs] == [(k, v) for _, k, v in responses]
    back = run_cli(["encode", "--output", "raw"], stdin=got.out)
    assert back.out == (tmp_path / "responses.bin").read_bytes()
