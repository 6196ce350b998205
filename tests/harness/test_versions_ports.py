"""Unit tests (no broker): version parsing, the tool class map, free ports."""

from __future__ import annotations

import socket

import pytest

from aiokafka_gen.testing._ports import free_ports
from aiokafka_gen.testing._versions import (
    TOOL_NAMES,
    config_flag,
    parse_version,
    pinned_version,
    tool_class,
)


def test_parse_version() -> None:
    assert parse_version("4.4.0") == (4, 4, 0)
    assert parse_version(" 3.9.1 ") == (3, 9, 1)
    for bad in ("4.4", "4.4.0-rc1", "latest"):
        with pytest.raises(ValueError):
            parse_version(bad)


def test_pinned_version_comes_from_the_generated_package() -> None:
    from aiokafka_gen.messages import KAFKA_VERSION

    assert pinned_version() == KAFKA_VERSION
    parse_version(pinned_version())


@pytest.mark.parametrize(
    ("tool", "v39", "v44"),
    [
        (
            "ConsoleProducer",
            "kafka.tools.ConsoleProducer",
            "org.apache.kafka.tools.ConsoleProducer",
        ),
        ("AclCommand", "kafka.admin.AclCommand", "org.apache.kafka.tools.AclCommand"),
        ("ConfigCommand", "kafka.admin.ConfigCommand", "org.apache.kafka.tools.ConfigCommand"),
        (
            "TopicCommand",
            "org.apache.kafka.tools.TopicCommand",
            "org.apache.kafka.tools.TopicCommand",
        ),
        ("StorageTool", "kafka.tools.StorageTool", "kafka.tools.StorageTool"),
    ],
)
def test_tool_classes_per_version(tool: str, v39: str, v44: str) -> None:
    assert tool_class(tool, "3.9.1") == v39
    assert tool_class(tool, "4.4.0") == v44


def test_tool_class_passes_full_names_and_rejects_unknown() -> None:
    assert tool_class("kafka.tools.DumpLogSegments", "4.4.0") == "kafka.tools.DumpLogSegments"
    assert "ConsoleConsumer" in TOOL_NAMES
    with pytest.raises(ValueError, match="unknown Kafka tool"):
        tool_class("NoSuchTool", "4.4.0")


def test_config_flags() -> None:
    assert config_flag("ConsoleProducer", "4.4.0") == "--command-config"
    assert config_flag("ConsoleProducer", "3.9.1") == "--producer.config"
    assert config_flag("ConsumerPerformance", "4.4.0") == "--consumer.config"
    assert config_flag("TopicCommand", "3.9.1") == "--command-config"


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(12)
    assert len(set(ports)) == 12
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
