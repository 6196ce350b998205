"""The command line without a broker: help, usage errors (exit 2), settings from config
files and -X (secrets never shown), kcat format strings, and the protocol decoder/encoder
round trip over every API and version."""

from __future__ import annotations

import argparse
import json
import random
import struct
from types import SimpleNamespace

import pytest
from aiokafka_gen.messages import (
    APIS,
    request_class,
    request_header_version,
    response_class,
    response_header_version,
)
from aiokafka_gen.messages.request_header import RequestHeader
from aiokafka_gen.messages.response_header import ResponseHeader
from cli_support import run_cli
from conformance.generate import random_message

from aiokafka_gen.cli import fmt, settings, wire
from aiokafka_gen.cli.errors import UsageError, describe
from aiokafka_gen.cli.main import build_parser

SUBCOMMANDS = [
    ["produce"], ["consume"], ["topics", "list"], ["topics", "describe"], ["topics", "create"],
    ["topics", "delete"], ["topics", "add-partitions"], ["topics", "alter-config"],
    ["groups", "list"], ["groups", "describe"], ["groups", "delete"],
    ["groups", "reset-offsets"], ["acls", "list"], ["acls", "create"], ["acls", "delete"],
    ["configs", "describe"], ["configs", "alter"], ["cluster"], ["records", "delete"],
    ["api-versions"], ["decode"], ["encode"],
]  # fmt: skip


def test_top_level_help_lists_every_command() -> None:
    done = run_cli(["--help"])
    assert done.code == 0
    for name in ("produce", "consume", "topics", "groups", "acls", "configs", "cluster",
                 "records", "api-versions", "decode", "encode"):  # fmt: skip
        assert f"    {name}" in done.text


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([*args, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: aiokafka-gen " + " ".join(args))
    assert "--bootstrap" in text or args[0] in ("topics", "groups", "acls", "configs")


@pytest.mark.parametrize(
    "args",
    [["nonsense"], ["topics"], ["consume"], ["produce", "t", "--acks", "2"],
     ["topics", "list", "-X", "novalue"], ["consume", "t", "-f", "%q"]],
    ids=str,
)  # fmt: skip
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = run_cli([*args, "-b", "127.0.0.1:1"])
    assert done.code == 2, done.err
    assert "Traceback" not in done.err


def test_missing_bootstrap_is_a_usage_error() -> None:
    done = run_cli(["topics", "list"])
    assert done.code == 2
    assert "KAFKA_BOOTSTRAP_SERVERS" in done.err


def test_unreachable_broker_is_one_line_exit_1() -> None:
    done = run_cli(["topics", "list", "-b", "127.0.0.1:1", "--timeout", "3"])
    assert done.code == 1
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Kafka"), done.err
    assert "127.0.0.1:1" in lines[0] and "hint" in lines[0]


def test_debug_shows_the_traceback() -> None:
    done = run_cli(["topics", "list", "-b", "127.0.0.1:1", "--timeout", "3", "--debug"])
    assert done.code == 1
    assert "Traceback" in done.err


def test_config_file_librdkafka_keys(tmp_path: object) -> None:
    path = tmp_path / "client.properties"  # type: ignore[operator]
    path.write_text(
        "# a comment\nbootstrap.servers=h1:9092,h2:9092\nsecurity.protocol=sasl_plaintext\n"
        "sasl.mechanisms=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=s3cret!\n"
        "acks=all\ngroup.id=g\nauto.offset.reset=smallest\n"
    )
    got = settings.load_settings(None, str(path), ["client.id=me"], 5.0, env={})
    assert got.bootstrap == "h1:9092,h2:9092"
    assert got.common["security_protocol"] == "SASL_PLAINTEXT"
    assert got.common["sasl_mechanism"] == "SCRAM-SHA-512"
    assert got.common["sasl_plain_username"] == "alice"
    assert got.common["sasl_plain_password"] == "s3cret!"
    assert got.common["client_id"] == "me"
    assert got.common["request_timeout_ms"] == 5000
    assert got.producer == {"acks": "all"}
    assert got.consumer == {"group_id": "g", "auto_offset_reset": "earliest"}
    assert "s3cret" not in repr(got)


def test_java_jaas_config_and_precedence(tmp_path: object) -> None:
    path = tmp_path / "java.properties"  # type: ignore[operator]
    path.write_text(
        "bootstrap.servers=from-file:1\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
        '    username="bob" password="pw";\n'
    )
    got = settings.load_settings("from-flag:2", str(path), [], 30.0, env={})
    assert got.bootstrap == "from-flag:2"
    assert got.common["sasl_plain_username"] == "bob"
    assert got.common["sasl_plain_password"] == "pw"
    env = {"KAFKA_BOOTSTRAP_SERVERS": "from-env:3"}
    assert settings.load_settings(None, None, [], 1.0, env=env).bootstrap == "from-env:3"


def test_secret_in_a_bad_value_is_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        settings.load_settings("h:1", None, ["linger.ms=hunter2"], 1.0, env={})
    assert "hunter2" not in str(caught.value)
    secret = ["-X", "sasl.password=hunter2", "-X", "security.protocol=SASL_PLAINTEXT"]
    done = run_cli(["topics", "list", "-b", "127.0.0.1:1", "--timeout", "2", *secret])
    assert done.code == 1
    assert "hunter2" not in done.err + done.text


def test_error_description_is_one_line_with_a_hint() -> None:
    from aiokafka_gen.errors import TopicAuthorizationFailedError

    line = describe(TopicAuthorizationFailedError("not allowed\non topic x"))
    assert line.startswith("TopicAuthorizationFailedError: ")
    assert "\n" not in line and "ACL" in line


def _record(**kw: object) -> SimpleNamespace:
    base = {"topic": "t", "partition": 2, "offset": 41, "timestamp": 1700000000000,
            "timestamp_type": 0, "key": b"k", "value": b"v\xff",
            "headers": (("h", b"1"),)}  # fmt: skip
    return SimpleNamespace(**(base | kw))


def test_kcat_format_tokens() -> None:
    render = fmt.compile_format(r"%t|%p|%o|%k|%K|%s|%S|%T|%h|%%\t\n")
    assert render(_record()) == b"t|2|41|k|1|v\xff|2|1700000000000|h=1|%\t\n"
    assert (
        render(_record(key=None, value=None, headers=())) == b"t|2|41||-1||-1|1700000000000||%\t\n"
    )
    assert fmt.compile_format("%R%s")(_record()) == struct.pack(">i", 2) + b"v\xff"


def test_json_line_uses_base64_only_for_non_utf8() -> None:
    line = json.loads(fmt.json_line(_record(key=None)))
    assert line["key"] is None
    assert line["value"] == {"base64": "dv8="}
    assert line["headers"] == [["h", "1"]]


# ---- decode / encode -----------------------------------------------------------------


def _cases() -> list[tuple[int, int, bool]]:
    """Every API and version, as request and as response."""
    return [
        (key, version, response)
        for key, info in sorted(APIS.items())
        for version in range(info.min_version, info.max_version + 1)
        for response in (False, True)
    ]


def _frame(key: int, version: int, response: bool, rng: random.Random) -> bytes:
    cls = response_class(key) if response else request_class(key)
    body = random_message(cls, version, rng).encode(version)
    if response:
        hv = response_header_version(key, version)
        header = ResponseHeader(correlation_id=rng.randint(0, 2**31 - 1)).encode(hv)
    else:
        hv = request_header_version(key, version)
        header = RequestHeader(request_api_key=key, request_api_version=version,
                               correlation_id=rng.randint(0, 2**31 - 1),
                               client_id=rng.choice(["cli", "", None])).encode(hv)  # fmt: skip
    return struct.pack(">i", len(header) + len(body)) + header + body


def test_decode_encode_round_trip_every_api_and_version() -> None:
    """frame -> decode -> JSON text -> encode gives the same bytes (random messages with
    boundary values, for every request and response version the specs define)."""
    rng = random.Random("cli-round-trip")
    for key, version, response in _cases():
        data = _frame(key, version, response, rng)
        args = argparse.Namespace(
            api=str(key) if response else None, api_version=version if response else None,
            response=response, body=False, no_records=False,
        )  # fmt: skip
        doc = json.loads(json.dumps(wire.decode_frame(data, args)))
        assert doc["api_key"] == key and doc["version"] == version
        assert wire.encode_document(doc) == data, (key, version, response)


def test_decode_encode_through_the_command_line() -> None:
    rng = random.Random("cli-subprocess")
    for key, version in ((3, 12), (0, 9), (1, 16), (18, 3)):
        data = _frame(key, version, False, rng)
        decoded = run_cli(["decode", data.hex()])
        doc = decoded.json()
        assert doc["api"] == APIS[key].name
        encoded = run_cli(["encode", "--output", "base64"], stdin=decoded.out)
        assert encoded.code == 0, encoded.err
        import base64

        assert base64.b64decode(encoded.text) == data


def test_decode_shows_records_of_a_produce_request() -> None:
    from aiokafka_gen.messages.produce_request import (
        PartitionProduceData,
        ProduceRequest,
        TopicProduceData,
    )

    from aiokafka_gen.records import BatchBuilder

    builder = BatchBuilder()
    builder.append(timestamp=1234, key=b"k", value="é".encode(), headers=[("h", b"\x00\xff")])
    batch = builder.close()
    request = ProduceRequest(acks=-1, timeout_ms=1000, topic_data=[TopicProduceData(
        name="t", partition_data=[PartitionProduceData(index=0, records=batch)])])  # fmt: skip
    header = RequestHeader(request_api_key=0, request_api_version=9, correlation_id=5,
                           client_id="x").encode(2)  # fmt: skip
    frame = header + request.encode(9)
    done = run_cli(["decode", "--input", "base64", __import__("base64").b64encode(frame).decode()])
    doc = done.json()
    records = doc["body"]["topicData"][0]["partitionData"][0]["records"]
    (only,) = records["batches"][0]["records"]
    assert only["key"] == "k" and only["value"] == "é" and only["timestamp"] == 1234
    assert only["headers"] == [["h", {"base64": "AP8="}]]
    again = run_cli(["encode", "--output", "hex", "--body"], stdin=done.out)
    assert bytes.fromhex(again.text.strip()) == request.encode(9)


def test_decode_wireshark_style_hex_and_response_needs_api() -> None:
    data = _frame(3, 12, False, random.Random(1))
    spaced = " ".join(f"{b:02x}" for b in data)
    assert run_cli(["decode", spaced]).json()["api"] == "Metadata"
    response = _frame(3, 12, True, random.Random(2))
    done = run_cli(["decode", response.hex()])
    assert done.code == 2 and "--api" in done.err
    done = run_cli(["decode", "--response", "--api", "metadata", "--version", "12", response.hex()])
    assert done.json()["kind"] == "response"


def test_the_library_never_imports_the_command_line() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aiokafka_gen, aiokafka_gen.admin, aiokafka_gen.producer,"
        " aiokafka_gen.consumer; print('aiokafka_gen.cli' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = (
        "import sys, aiokafka_gen.cli.main; heavy = ('aiokafka_gen.admin', 'aiokafka_gen.producer',"
        " 'aiokafka_gen.consumer', 'aiokafka_gen.messages'); print([m for m in heavy if m in"
        " sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"  # --help and usage errors stay fast


def test_progress_bar_when_the_input_size_is_known(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from aiokafka_gen.cli import produce

    path = Path(str(tmp_path)) / "input.txt"
    path.write_bytes(b"a" * 300 + b"\n" + b"b" * 99 + b"\n")
    assert produce._input_size([str(path)]) == 401
    assert produce._input_size([str(path), str(path)]) == 802
    progress = produce.Progress(True, 400)
    stats = SimpleNamespace(sent=3, bytes=100)
    assert progress.bar(100, finished=False) == "[" + "#" * 6 + "-" * 18 + "]  25% "
    assert progress.bar(100, finished=True).startswith("[" + "#" * 24 + "] 100%")
    progress.update(stats, force=True)  # type: ignore[arg-type]
    line = capsys.readouterr().err
    assert line.startswith("\r[") and "3 records, 100 bytes" in line and line.endswith("\n")
    assert produce.Progress(True, None).bar(100, finished=False) == ""  # stdin: no total
