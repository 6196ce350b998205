"""``produce`` and ``consume`` against the session broker, in subprocesses, checked with
the admin client: keys, headers, JSON lines, formats, start offsets, counts, groups and
commits, transactions with read_committed, and --follow stopped by Ctrl-C."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import TIMEOUT, command, environment, read_line, wait_for

from aiokafka_gen.admin import AIOKafkaAdminClient, OffsetSpec
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.integration

Cli = Callable[..., Any]


async def _ends(admin: AIOKafkaAdminClient, topic: str, partitions: int) -> dict[int, int]:
    tps = {TopicPartition(topic, p): OffsetSpec.LATEST for p in range(partitions)}
    found = await admin.list_offsets(tps)
    return {tp.partition: r.offset for tp, r in found.items()}


async def test_produce_with_keys_and_headers_then_consume_json(
    cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    topic = kafka_topic(3)
    lines = "".join(f"key-{i}:value {i}\n" for i in range(30))
    done = cli("produce", topic, "-K:", "-H", "source=cli", "-H", "n=1", "--json", stdin=lines)
    summary = done.json()
    assert summary["records"] == 30
    ends = await _ends(admin, topic, 3)
    assert sum(ends.values()) == 30
    for name, span in summary["partitions"].items():
        part = int(name.rsplit(":", 1)[1])
        assert span["last_offset"] + 1 == ends[part]
        assert span["records"] == ends[part]
    records = cli("consume", topic, "--json").lines()
    assert len(records) == 30
    assert {(r["key"], r["value"]) for r in records} == {
        (f"key-{i}", f"value {i}") for i in range(30)
    }
    assert all(r["headers"] == [["source", "cli"], ["n", "1"]] for r in records)
    # the same key always lands in the same partition (the default partitioner)
    again = cli("produce", topic, "-K:", "--json", stdin="key-7:again\n").json()
    first = next(r for r in records if r["key"] == "key-7")
    assert list(again["partitions"]) == [f"{topic}:{first['partition']}"]


async def test_start_offsets_counts_and_formats(cli: Cli, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    cli("produce", topic, "-q", stdin="".join(f"r{i}\n" for i in range(10))).ok()
    assert cli("consume", topic, "-f", "%o:%s ").text.split() == [f"{i}:r{i}" for i in range(10)]
    assert cli("consume", f"{topic}:0:7", "-f", "%s\\n").text.split() == ["r7", "r8", "r9"]
    assert cli("consume", topic, "-o", "-2", "-f", "%s ").text.split() == ["r8", "r9"]
    assert cli("consume", topic, "-o", "3", "-c", "2").text.split() == ["r3", "r4"]
    assert cli("consume", topic, "-o", "end").ok().out == b""
    assert cli("consume", topic, "--raw", "-c", "3").ok().out == b"r0r1r2"
    assert cli("consume", topic, "-K", "=", "-c", "1").ok().out == b"=r0\n"


async def test_from_timestamp(cli: Cli, kafka_topic: Any) -> None:
    topic = kafka_topic(1)
    rows = [{"value": f"v{i}", "timestamp": 1_000_000 + i * 1000} for i in range(5)]
    cli("produce", topic, "--json-input", "-q", stdin="\n".join(map(json.dumps, rows))).ok()
    got = cli("consume", topic, "--from-time", "ms:1002000", "-f", "%T=%s ").text.split()
    assert got == ["1002000=v2", "1003000=v3", "1004000=v4"]
    iso = "1970-01-01T00:16:42.500+00:00"  # 1002500 ms
    assert cli("consume", topic, "-o", f"@{iso}", "-f", "%s ").text.split() == ["v3", "v4"]
    assert cli("consume", topic, "-o", f"s@{iso}", "-f", "%s ").text.split() == ["v3", "v4"]


async def test_json_input_carries_binary_null_and_partitions(cli: Cli, kafka_topic: Any) -> None:
    topic = kafka_topic(2)
    blob = bytes(range(256))
    rows = [
        {"key": None, "value": {"base64": base64.b64encode(blob).decode()}, "partition": 1,
         "headers": [["bin", {"base64": "AP8="}], ["none", None]]},
        {"key": "k", "value": None, "partition": 0, "headers": {"a": "b"}},
    ]  # fmt: skip
    cli("produce", topic, "--json-input", "-q", stdin="\n".join(map(json.dumps, rows))).ok()
    records = sorted(cli("consume", topic, "--json").lines(), key=lambda r: -r["partition"])
    assert records[0]["partition"] == 1 and records[0]["key"] is None
    assert base64.b64decode(records[0]["value"]["base64"]) == blob
    assert records[0]["headers"] == [["bin", {"base64": "AP8="}], ["none", None]]
    assert records[1]["value"] is None and records[1]["headers"] == [["a", "b"]]
    # what consume --json writes, produce --json-input reads back unchanged
    copy = kafka_topic(2)
    cli("produce", copy, "--json-input", "-q", stdin="\n".join(map(json.dumps, records))).ok()
    back = sorted(cli("consume", copy, "--json").lines(), key=lambda r: -r["partition"])
    strip = ("topic", "offset", "timestamp", "timestamp_type")
    assert [{k: v for k, v in r.items() if k not in strip} for r in back] == [
        {k: v for k, v in r.items() if k not in strip} for r in records
    ]


async def test_files_whole_and_split(cli: Cli, kafka_topic: Any, tmp_path: Path) -> None:
    topic = kafka_topic(1)
    one, two = tmp_path / "one.txt", tmp_path / "two.bin"
    one.write_bytes(b"a\nb\n")
    two.write_bytes(b"x|y|z")
    cli("produce", topic, str(one), "-q").ok()
    cli("produce", topic, str(two), "-l", "-D", "|", "-q").ok()
    assert cli("consume", topic, "-f", "[%s]").ok().out == b"[a\nb\n][x][y][z]"


async def test_group_consume_commits_what_it_printed(
    cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    topic = kafka_topic(2)
    group = f"{topic}-g"
    cli("produce", topic, "-K:", "-q", stdin="".join(f"{i}:{i}\n" for i in range(20))).ok()
    first = cli("consume", topic, "-G", group, "-c", "5", "--json").lines()
    assert len(first) == 5
    committed = await admin.list_consumer_group_offsets(group)
    assert sum(o.offset for o in committed.values()) == 5
    rest = cli("consume", topic, "-G", group, "--json").lines()
    seen = {(r["partition"], r["offset"]) for r in first + rest}
    assert len(first) + len(rest) == 20 == len(seen)
    described = cli("groups", "describe", group, "--json").json()
    assert described["total_lag"] == 0
    committed = await admin.list_consumer_group_offsets(group)
    assert {(p["partition"], p["committed_offset"]) for p in described["partitions"]} == {
        (tp.partition, o.offset) for tp, o in committed.items()
    }


async def test_transactions_and_read_committed(
    cli: Cli, kafka_topic: Any, admin: AIOKafkaAdminClient
) -> None:
    topic = kafka_topic(1)
    summary = cli(
        "produce", topic, "--transactional-id", f"{topic}-tx", "--transaction-size", "2",
        "--json", stdin="a\nb\nc\nd\ne\n",
    ).json()  # fmt: skip
    assert summary["transactions"] == 3 and summary["records"] == 5
    ends = await _ends(admin, topic, 1)
    assert ends[0] == 5 + 3  # every commit wrote a marker
    got = cli("consume", topic, "--isolation", "read_committed", "-f", "%s ")
    assert got.code == 0, got.err
    assert got.text.split() == ["a", "b", "c", "d", "e"]


async def test_one_transaction_per_input_file(cli: Cli, kafka_topic: Any, tmp_path: Path) -> None:
    topic = kafka_topic(1)
    files = []
    for name, text in (("one", "a\nb\n"), ("two", "c\n")):
        (tmp_path / name).write_text(text)
        files.append(str(tmp_path / name))
    summary = cli("produce", topic, *files, "-l", "--transactional-id", f"{topic}-tx",
                  "--json").json()  # fmt: skip
    assert (summary["transactions"], summary["records"]) == (2, 3)
    got = cli("consume", topic, "--isolation", "read_committed", "-f", "%o=%s ")
    assert got.text.split() == ["0=a", "1=b", "3=c"]  # offset 2 is the first commit marker


async def test_follow_prints_new_records_and_stops_cleanly_on_ctrl_c(
    cli: Cli, kafka_topic: Any, kafka_bootstrap: str, admin: AIOKafkaAdminClient
) -> None:
    topic = kafka_topic(1)
    group = f"{topic}-follow"
    proc = subprocess.Popen(
        command("consume", topic, "-G", group, "--follow", "-f", "%s\\n"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(kafka_bootstrap),
    )  # fmt: skip
    try:

        async def joined() -> bool:
            found = await admin.describe_consumer_groups([group], raise_on_error=False)
            return any(m.assignment for m in found[group].members)

        await wait_for(joined, "the follower to join its group")
        cli("produce", topic, "-q", stdin="one\ntwo\n").ok()
        assert proc.stdout is not None
        lines = [await read_line(proc), await read_line(proc)]
        assert lines == [b"one\n", b"two\n"]
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.to_thread(proc.communicate, timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert b"Traceback" not in err
    committed = await admin.list_consumer_group_offsets(group)
    assert committed[TopicPartition(topic, 0)].offset == 2
    found = await admin.describe_consumer_groups([group])
    assert found[group].members == ()  # it left the group on the way out
