"""Interop with the tools people use today: records written by ``aiokafka-gen produce`` are
read by kcat and Kafka's ConsoleConsumer, and records written by kcat and ConsoleProducer
are read by ``aiokafka-gen consume``, keys and headers included; kcat format strings give
the same bytes from both tools."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from cli_support import require_tool

from aiokafka_gen.testing import KafkaCluster

pytestmark = pytest.mark.integration

Cli = Callable[..., Any]
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
needs_kcat = pytest.mark.usefixtures("kcat_installed")
ROWS = [("k1", "first value", "h=1"), ("k2", "zweiter Wert é", "h=2"), ("k3", "third", "h=3")]


@pytest.fixture
def kcat_installed() -> None:
    """Skips without kcat, or fails when AIOKAFKA_GEN_EXPECT says it must be there."""
    require_tool("kcat", "kafkacat")


def _kcat(bootstrap: str, *args: str, stdin: str = "") -> str:
    assert KCAT is not None
    done = subprocess.run([KCAT, "-b", bootstrap, *args], input=stdin.encode(),
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def _tool_flag(cluster: KafkaCluster, kind: str) -> str:
    return "--property" if cluster.version.startswith("3.") else f"--{kind}-property"


def _produce_rows(cli: Cli, topic: str) -> None:
    for key, value, header in ROWS:
        done = cli("produce", topic, "-K", "\t", "-H", header, "-H", "from=aiokafka-gen",
                   stdin=f"{key}\t{value}\n")  # fmt: skip
        assert done.code == 0, done.err


@needs_kcat
def test_kcat_reads_what_we_produce(cli: Cli, kafka_topic: Any, kafka_bootstrap: str) -> None:
    topic = kafka_topic(1)
    _produce_rows(cli, topic)
    fmt = "%k|%s|%h|%p|%o\n"
    theirs = _kcat(kafka_bootstrap, "-C", "-t", topic, "-e", "-q", "-f", fmt)
    ours = cli("consume", topic, "-f", fmt).text
    assert theirs == ours
    assert theirs.splitlines() == [
        f"{k}|{v}|{h},from=aiokafka-gen|0|{i}" for i, (k, v, h) in enumerate(ROWS)
    ]


@needs_kcat
def test_we_read_what_kcat_produces(cli: Cli, kafka_topic: Any, kafka_bootstrap: str) -> None:
    topic = kafka_topic(2)
    lines = "".join(f"{k}:{v}\n" for k, v, _ in ROWS)
    _kcat(kafka_bootstrap, "-P", "-t", topic, "-K:", "-H", "via=kcat", stdin=lines)
    records = cli("consume", topic, "--json").lines()
    assert sorted((r["key"], r["value"]) for r in records) == [(k, v) for k, v, _ in ROWS]
    assert all(r["headers"] == [["via", "kcat"]] for r in records)
    # kcat picks partitions with librdkafka's partitioner: both tools must see each record
    # at the same partition and offset
    theirs = _kcat(kafka_bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%k %p %o\n")
    ours = cli("consume", topic, "-f", "%k %p %o\n").text
    assert sorted(theirs.splitlines()) == sorted(ours.splitlines())


def test_console_consumer_reads_what_we_produce(
    cli: Cli, kafka_topic: Any, kafka_cluster: KafkaCluster
) -> None:
    topic = kafka_topic(1)
    _produce_rows(cli, topic)
    flag = _tool_flag(kafka_cluster, "formatter")
    args = [
        "--bootstrap-server",
        kafka_cluster.bootstrap(),
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        str(len(ROWS)),
        "--timeout-ms",
        "30000",
    ]
    for prop in ("print.key=true", "print.headers=true", "key.separator=|"):
        args += [flag, prop]  # fmt: skip
    done = kafka_cluster.run_tool("ConsoleConsumer", *args)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines == [f"{h.replace('=', ':')},from:aiokafka-gen|{k}|{v}" for k, v, h in ROWS]


def test_we_read_what_console_producer_writes(
    cli: Cli, kafka_topic: Any, kafka_cluster: KafkaCluster
) -> None:
    topic = kafka_topic(1)
    flag = _tool_flag(kafka_cluster, "reader")
    args = ["--bootstrap-server", kafka_cluster.bootstrap(), "--topic", topic]
    for prop in ("parse.key=true", "key.separator=|", "parse.headers=true"):
        args += [flag, prop]  # fmt: skip
    lines = "".join(f"{h.replace('=', ':')},tool:java\t{k}|{v}\n" for k, v, h in ROWS)
    kafka_cluster.run_tool("ConsoleProducer", *args, input=lines)
    records = cli("consume", topic, "--json").lines()
    assert [(r["key"], r["value"], r["headers"]) for r in records] == [
        (k, v, [[h.split("=")[0], h.split("=")[1]], ["tool", "java"]]) for k, v, h in ROWS
    ]
