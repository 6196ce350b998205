"""Unit tests (no broker): ZooKeeper-mode configuration, version gates, tool classes of
old Kafka lines, the compatibility report."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest

from aiokafka_gen.testing._config import (
    ClusterSpec,
    listeners_for,
    plan_nodes,
    render_server_properties,
    render_zookeeper_properties,
    scram_format_args,
    scram_zookeeper_commands,
)
from aiokafka_gen.testing._jars import render_pom, scala_suffix
from aiokafka_gen.testing._jvm import zookeeper_jar_version
from aiokafka_gen.testing._versions import check_supported, tool_class
from aiokafka_gen.testing.compat import FEATURES, MATRIX, render_markdown, write_report


def test_mode_per_version() -> None:
    assert ClusterSpec("2.1.1").zookeeper and ClusterSpec("3.2.3").zookeeper
    assert not ClusterSpec("3.3.2").zookeeper and not ClusterSpec("4.4.0").zookeeper


def test_zookeeper_mode_broker_properties() -> None:
    spec = ClusterSpec("2.8.2", nodes=3)
    plans = plan_nodes(spec)
    props = render_server_properties(spec, plans, plans[1], PurePath("/d"), None, "127.0.0.1:2")
    assert props["broker.id"] == "2" and props["zookeeper.connect"] == "127.0.0.1:2"
    for kraft_only in ("process.roles", "node.id", "controller.quorum.voters",
                       "controller.listener.names"):  # fmt: skip
        assert kraft_only not in props
    assert "CONTROLLER" not in props["listeners"] + props["listener.security.protocol.map"]
    assert not [key for key in props if key.startswith(("group.consumer.", "share."))]
    assert props["offsets.topic.replication.factor"] == "3"
    with pytest.raises(ValueError, match="ZooKeeper mode"):
        render_server_properties(spec, plans, plans[0], PurePath("/d"), None)


def test_zookeeper_properties() -> None:
    props = render_zookeeper_properties(PurePath("/zk"), 2181)
    assert props["clientPort"] == "2181" and props["clientPortAddress"] == "127.0.0.1"
    assert "srvr" in props["4lw.commands.whitelist"]


def test_authorizer_per_mode() -> None:
    def authorizer(version: str) -> str:
        spec = ClusterSpec(version, acls=True)
        plans = plan_nodes(spec)
        return render_server_properties(spec, plans, plans[0], PurePath("/d"), None, "h:1")[
            "authorizer.class.name"
        ]

    assert authorizer("2.1.1") == "kafka.security.auth.SimpleAclAuthorizer"
    assert authorizer("2.8.2") == "kafka.security.authorizer.AclAuthorizer"
    assert authorizer("3.6.2").endswith("StandardAuthorizer")


def test_scram_users_per_mode() -> None:
    sasl = listeners_for("sasl_plaintext")
    zk = ClusterSpec("2.8.2", listeners=sasl)
    commands = scram_zookeeper_commands(zk, "127.0.0.1:9")
    assert len(commands) == len(zk.users) and scram_format_args(zk) == []
    assert "--zookeeper" in commands[0] and "users" in commands[0]
    assert "SCRAM-SHA-512=[password=" in " ".join(commands[0])
    # KRaft before 3.5 cannot hold SCRAM credentials: no SCRAM mechanism at all.
    old_kraft = ClusterSpec("3.3.2", listeners=sasl)
    assert old_kraft.mechanisms == ("PLAIN", "OAUTHBEARER")
    assert scram_format_args(old_kraft) == []
    plans = plan_nodes(old_kraft)
    props = render_server_properties(old_kraft, plans, plans[0], PurePath("/d"), None)
    assert props["sasl.enabled.mechanisms"] == "PLAIN,OAUTHBEARER"
    assert scram_format_args(ClusterSpec("3.6.2", listeners=sasl))
    assert scram_zookeeper_commands(ClusterSpec("3.6.2", listeners=sasl), "h:1") == []


def test_scala_build_and_pom() -> None:
    assert scala_suffix("2.1.1") == "2.12" and scala_suffix("2.4.1") == "2.13"
    assert "<artifactId>kafka_2.12</artifactId>" in render_pom("2.0.1")


@pytest.mark.parametrize(
    ("tool", "version", "expected"),
    [
        ("TopicCommand", "2.8.2", "kafka.admin.TopicCommand"),
        ("TopicCommand", "3.6.2", "kafka.admin.TopicCommand"),
        ("ConsoleConsumer", "3.6.2", "kafka.tools.ConsoleConsumer"),
        ("ConsoleConsumer", "3.9.1", "org.apache.kafka.tools.consumer.ConsoleConsumer"),
        ("ConsumerPerformance", "3.6.2", "org.apache.kafka.tools.ConsumerPerformance"),
        ("ConsumerPerformance", "3.3.2", "kafka.tools.ConsumerPerformance"),
        ("FeatureCommand", "3.3.2", "kafka.admin.FeatureCommand"),
        ("ConfigCommand", "2.1.1", "kafka.admin.ConfigCommand"),
        ("ProducerPerformance", "2.1.1", "org.apache.kafka.tools.ProducerPerformance"),
    ],
)
def test_tool_classes_of_old_lines(tool: str, version: str, expected: str) -> None:
    assert tool_class(tool, version) == expected


def test_supported_range() -> None:
    assert check_supported("2.0.1") == (2, 0, 1)
    with pytest.raises(ValueError, match=r"2\.0 and newer"):
        check_supported("1.1.1")


def test_zookeeper_jar_version(tmp_path: Path) -> None:
    (tmp_path / "zookeeper-3.4.13.jar").touch()
    (tmp_path / "zookeeper-jute-3.4.13.jar").touch()
    assert zookeeper_jar_version(tmp_path) == (3, 4, 13)
    (tmp_path / "zookeeper-3.4.13.jar").unlink()
    assert zookeeper_jar_version(tmp_path) is None


def test_report_rendering(tmp_path: Path) -> None:
    cells = {feature.key: "ok" for feature in FEATURES}
    cells["group-consumer"] = "not in this Kafka (typed error: UnsupportedVersionError)"
    row = {
        "version": "2.1.1", "cells": cells, "seconds": 40.0, "exit_code": 0,
        "startup_seconds": 9.5, "notes": {"group-consumer": "needs Kafka 4.0+"},
        "negotiated": {"Produce (key 0)": 7, "Fetch (key 1)": 10}, "floor": ["2.0.1 refused"],
    }  # fmt: skip
    md_path, json_path = write_report([row], tmp_path)
    text = md_path.read_text()
    assert "| 2.1.1 | ZooKeeper | ok |" in text
    assert "not in this Kafka (typed error: UnsupportedVersionError)" in text
    assert "| Produce (key 0) | 7 |" in text and "2.0.1 refused" in text
    assert json_path.exists() and "2.1.1" in render_markdown(
        {"generated": "now", "features": [vars(f) for f in FEATURES], "versions": [row]}
    )
    assert MATRIX[0] == "2.1.1" and MATRIX[-1] == "4.4.0"
