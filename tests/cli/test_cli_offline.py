"""The command line without a broker: help, usage errors (exit 2), settings from config
files and -X (secrets never shown), kcat format strings, and the protocol decoder/encoder
round trip over every API and version."""

from __future__ import annotations

import argparse
import base64
import json
import random
import struct
from pathlib import Path
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
from cli_support import api_cases, run_cli
from conformance.generate import random_message

from aiokafka_gen.cli import clients, fmt, settings, wire
from aiokafka_gen.cli import errors as errors_module
from aiokafka_gen.cli.errors import UsageError, describe
from aiokafka_gen.cli.main import _finish_namespace, build_parser

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
    assert "--bootstrap" in text


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
    assert "hunter2" not in done.err + done.out.decode()


@pytest.mark.parametrize(
    "item", ["sasl.password:hunter2", "=hunter2", "sasl.password hunter2", "hunter2"]
)
def test_a_malformed_x_item_is_not_echoed(item: str) -> None:
    """A typo (':' for '=') must not print the password that follows it."""
    done = run_cli(["topics", "list", "-b", "127.0.0.1:1", "-X", "acks=1", "-X", item])
    assert done.code == 2, done.err
    assert "hunter2" not in done.err + done.out.decode()
    assert "-X #2" in done.err
    if ":" in item and not item.startswith(":"):
        assert "sasl.password" in done.err  # the key part is shown, to find the typo


def test_a_bare_config_file_line_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "client.properties"
    path.write_text("bootstrap.servers=h:1\nsasl.username=alice\nhunter2\n")
    done = run_cli(["topics", "list", "--config", str(path)])
    assert done.code == 2, done.err
    assert "hunter2" not in done.err
    assert f"{path}:3" in done.err  # where it is, not what it says


def test_x_before_and_after_the_command_both_count() -> None:
    args = build_parser().parse_args(
        ["-X", "client.id=a", "-v", "topics", "list", "-X", "acks=1", "-v", "--timeout", "4"]
    )
    merged = _finish_namespace(args)
    assert merged.overrides == ["client.id=a", "acks=1"]
    assert merged.verbose == 2 and merged.timeout == 4.0
    merged = _finish_namespace(build_parser().parse_args(["--json", "cluster"]))
    assert merged.json is True and merged.overrides == [] and merged.timeout == 30.0


def test_every_hint_names_an_error_class() -> None:
    import aiokafka_gen.errors

    for name in errors_module._HINTS:
        found = getattr(aiokafka_gen.errors, name, None)
        assert isinstance(found, type) and issubclass(found, Exception), name


@pytest.mark.parametrize(
    "args",
    [["produce", "t", "-X", "acks=foo"], ["produce", "t", "-K", "\\x"],
     ["produce", "t", "-D", ""], ["produce", "t", "-H", "novalue"],
     ["produce", "t", "/no/such/file"], ["consume", "t", "-o", "@-5"],
     ["consume", "t", "-o", "garbage"], ["consume", "t", "-o", "e@2024-01-01"],
     ["consume", "t:x"], ["consume", "t", "-G", "g", "--from-time", "2024-01-01"],
     ["consume", "t", "-G", "g", "-o", "5"], ["consume", "t", "-X", "isolation.level=x"],
     ["consume", "t", "-X", "auto.offset.reset=soon"], ["consume", "t", "-D", "\\q"],
     ["groups", "reset-offsets", "g", "--all-topics", "--to-datetime", "garbage"],
     ["groups", "reset-offsets", "g", "--topic", "t:a", "--to-earliest"],
     ["records", "delete", "t:0:x"], ["acls", "list", "--operation", "nope"],
     ["acls", "create", "--principal", "User:a", "--operation", "READ", "--topic", "t",
      "--pattern", "any"],
     ["topics", "list", "-X", "compression.type=brotli"],
     ["topics", "list", "-X", "ssl.keystore.location=/k.jks",
      "-X", "security.protocol=SSL"]],
    ids=" ".join,
)  # fmt: skip
def test_bad_values_are_usage_errors_before_connecting(args: list[str]) -> None:
    """Exit 2 with one line, and no connection: the bootstrap address would never answer
    (a connection attempt would end in exit 1 after the timeout)."""
    done = run_cli([*args, "-b", "127.0.0.1:1", "--timeout", "60"])
    assert done.code == 2, done.err
    assert "Traceback" not in done.err
    assert len(done.err.strip().splitlines()) <= 2, done.err  # usage line + the error


def test_time_parsing() -> None:
    assert clients.parse_time_ms("ms:1002000") == 1002000
    assert clients.parse_time_ms("1700000000000") == 1700000000000
    assert clients.parse_time_ms("2024-01-01T00:00:00+00:00") == 1704067200000
    local = clients.parse_time_ms("2024-01-01")
    assert clients.parse_time_ms("20240101") == local  # a date, not 20 million ms
    for bad in ("1002000", "-5", "ms:", "ms:12x", "yesterday"):
        with pytest.raises(UsageError):
            clients.parse_time_ms(bad)


def test_one_escape_dialect() -> None:
    assert fmt.unescape("\\t|\\n|\\0|\\\\|\\r") == b"\t|\n|\0|\\|\r"
    assert fmt.unescape("é") == "é".encode()
    for bad in ("\\x", "\\u0041", "a\\"):
        with pytest.raises(UsageError):
            fmt.unescape(bad)
        with pytest.raises(UsageError):
            fmt.compile_format(bad)


async def test_split_stream_is_linear_and_exact() -> None:
    import io

    from aiokafka_gen.cli.produce import split_stream

    async def split(data: bytes, delimiter: bytes) -> list[bytes]:
        return [p async for p in split_stream(io.BytesIO(data), delimiter)]

    assert await split(b"a\nbb\n\nccc", b"\n") == [b"a", b"bb", b"", b"ccc"]
    assert await split(b"x||y||", b"||") == [b"x", b"y"]
    big = b"r" * 100 + b"\n"
    assert await split(big * 20000, b"\n") == [b"r" * 100] * 20000  # 2 MB, many chunks
    one = b"z" * (3 << 20)  # one record over many chunks: not re-joined per chunk
    assert await split(one + b"|-|" + one, b"|-|") == [one, one]


def test_decode_masks_sasl_auth_bytes() -> None:
    from aiokafka_gen.messages import request_class

    body = request_class(36)(auth_bytes=b"\x00alice\x00hunter2").encode(2)
    header = RequestHeader(request_api_key=36, request_api_version=2, correlation_id=1,
                           client_id="c").encode(request_header_version(36, 2))  # fmt: skip
    frame = (header + body).hex()
    shown = run_cli(["decode", frame])
    assert shown.json()["body"]["authBytes"] == wire.MASKED
    assert base64.b64encode(b"\x00alice\x00hunter2").decode() not in shown.text
    full = run_cli(["decode", "--show-secrets", frame]).json()
    assert base64.b64decode(full["body"]["authBytes"]) == b"\x00alice\x00hunter2"


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
    for key, version, response in api_cases():
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


async def test_configs_alter_never_prints_a_secret_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``configs alter --json`` (and ``topics alter-config``) print after the broker
    took the change: the names and ops, never a secret's value (a stand-in admin client
    takes the change: no broker accepts an ssl.key.password for a topic)."""
    import contextlib
    from collections.abc import AsyncIterator
    from typing import Any

    from aiokafka_gen.cli import configs

    sent: list[Any] = []

    class Admin:
        async def incremental_alter_configs(self, changes: Any, validate_only: bool) -> None:
            sent.append(changes)

    @contextlib.asynccontextmanager
    async def fake(settings: Any) -> AsyncIterator[Admin]:
        yield Admin()

    monkeypatch.setattr(configs, "admin_client", fake)
    args = argparse.Namespace(
        sets=["ssl.key.password=hunter2", "sasl.jaas.config=x password=\"hunter2\";",
              "retention.ms=5"],
        deletes=[], appends=[], subtracts=[], validate_only=False, json=True,
    )  # fmt: skip
    assert await configs.alter(args, None, "BROKER", "1") == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "hunter2" not in out
    changes = {c["name"]: c["value"] for c in json.loads(out)["changes"]}
    assert changes["retention.ms"] == "5" and changes["ssl.key.password"] == "(sensitive)"
    ops = next(iter(sent[0].values()))
    assert {op.name: op.value for op in ops}["ssl.key.password"] == "hunter2"  # sent as given


def test_configs_describe_masks_synonyms_of_sensitive_entries() -> None:
    from aiokafka_gen.cli import configs

    synonym = SimpleNamespace(name="listener.name.x.ssl.key.password", value="hunter2",
                              source=SimpleNamespace(name="DYNAMIC_BROKER_CONFIG"))  # fmt: skip
    entry = SimpleNamespace(name="ssl.key.password", value=None, is_sensitive=True,
                            source=SimpleNamespace(name="DYNAMIC_BROKER_CONFIG"),
                            read_only=False, synonyms=[synonym])  # fmt: skip
    assert "hunter2" not in json.dumps(configs._entry_json(entry))


def test_short_error_text_names_the_class_once() -> None:
    from aiokafka_gen.cli.errors import short
    from aiokafka_gen.errors import ClusterAuthorizationFailedError

    line = short(ClusterAuthorizationFailedError("no DESCRIBE on the cluster"))
    assert line.count("ClusterAuthorizationFailedError") == 1, line
    assert line.startswith("ClusterAuthorizationFailedError: ") and "DESCRIBE" in line


async def test_produce_closes_a_producer_whose_start_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aiokafka_gen.producer
    from aiokafka_gen.cli import produce
    from aiokafka_gen.errors import KafkaConnectionError

    stopped: list[bool] = []

    class Failing:
        def __init__(self, **kwargs: object) -> None:
            pass

        async def start(self) -> None:
            raise KafkaConnectionError("no broker")

        async def stop(self) -> None:
            stopped.append(True)

    monkeypatch.setattr(aiokafka_gen.producer, "AIOKafkaProducer", Failing)
    args = build_parser().parse_args(["produce", "t", "-b", "h:1"])
    args = _finish_namespace(args)
    config = settings.load_settings("h:1", None, [], 1.0, env={})
    with pytest.raises(KafkaConnectionError):
        await produce.run(args, config)
    assert stopped == [True]


def test_produce_keeps_the_input_order_unless_told_otherwise() -> None:
    """Without idempotence the command's producer keeps one request in flight, so a
    retried batch cannot land after a later one of its partition (the sender model tests
    that this holds under NOT_LEADER answers); idempotence keeps order with 5."""
    from aiokafka_gen.cli import produce

    def chosen(*argv: str, x: tuple[str, ...] = ()) -> object:
        args = _finish_namespace(build_parser().parse_args(["produce", "t", "-b", "h:1", *argv]))
        config = settings.load_settings("h:1", None, list(x), 1.0, env={})
        return produce._producer_kwargs(args, config).get("max_in_flight_requests_per_connection")

    assert chosen() == 1
    assert chosen("--no-idempotence", "--acks", "1") == 1
    assert chosen("--idempotence") is None  # the producer's default (5)
    assert chosen(x=("enable.idempotence=true",)) is None
    assert chosen("--transactional-id", "tx") is None
    assert chosen(x=("max.in.flight=5",)) == 5  # asked for: more throughput, order at risk
    assert chosen(x=("max.in.flight.requests.per.connection=3",)) == 3
