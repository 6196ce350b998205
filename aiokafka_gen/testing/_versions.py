"""Kafka versions the harness knows, and the Java class of each tool per version.

Tool classes moved between packages in Kafka 4.0 (Scala ``kafka.admin``/``kafka.tools``
to Java ``org.apache.kafka.tools``); this table is the single place that knows it.
Must not start processes or touch the network.
"""

from __future__ import annotations

import importlib
import re

__all__ = ["TOOL_NAMES", "config_flag", "parse_version", "pinned_version", "tool_class"]

_MODERN: dict[str, str] = {
    "Kafka": "kafka.Kafka",
    "StorageTool": "kafka.tools.StorageTool",
    "TopicCommand": "org.apache.kafka.tools.TopicCommand",
    "ConsoleProducer": "org.apache.kafka.tools.ConsoleProducer",
    "ConsoleConsumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "AclCommand": "org.apache.kafka.tools.AclCommand",
    "ConfigCommand": "org.apache.kafka.tools.ConfigCommand",
    "FeatureCommand": "org.apache.kafka.tools.FeatureCommand",
    "ProducerPerformance": "org.apache.kafka.tools.ProducerPerformance",
    "ConsumerPerformance": "org.apache.kafka.tools.ConsumerPerformance",
    "GetOffsetShell": "org.apache.kafka.tools.GetOffsetShell",
    "ConsumerGroupCommand": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
}

# Differences of the 3.x line (checked against the 3.9.1 jars).
_LEGACY_OVERRIDES: dict[str, str] = {
    "ConsoleProducer": "kafka.tools.ConsoleProducer",
    "AclCommand": "kafka.admin.AclCommand",
    "ConfigCommand": "kafka.admin.ConfigCommand",
}

TOOL_NAMES: tuple[str, ...] = tuple(sorted(_MODERN))


def parse_version(version: str) -> tuple[int, int, int]:
    """``"4.4.0"`` -> ``(4, 4, 0)``; raises ValueError on anything else."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version.strip())
    if match is None:
        raise ValueError(f"not a Kafka release version: {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def tool_class(name: str, version: str) -> str:
    """The main class of tool ``name`` in Kafka ``version``; full class names pass through."""
    if "." in name:
        return name
    if name not in _MODERN:
        raise ValueError(f"unknown Kafka tool {name!r}; known: {', '.join(TOOL_NAMES)}")
    if parse_version(version)[0] < 4 and name in _LEGACY_OVERRIDES:
        return _LEGACY_OVERRIDES[name]
    return _MODERN[name]


_LEGACY_CONFIG_FLAGS = {
    "ConsoleProducer": "--producer.config",
    "ConsoleConsumer": "--consumer.config",
    "ProducerPerformance": "--producer.config",
    "ConsumerPerformance": "--consumer.config",
}


def config_flag(tool: str, version: str) -> str:
    """The option through which ``tool`` reads a client properties file.

    4.4 deprecates the console tools' --producer.config/--consumer.config for
    --command-config (checked on 4.4.0; older lines keep the old names).
    """
    if tool in ("ConsoleProducer", "ConsoleConsumer") and parse_version(version) >= (4, 4, 0):
        return "--command-config"
    return _LEGACY_CONFIG_FLAGS.get(tool, "--command-config")


def pinned_version() -> str:
    """The Kafka version the project is generated from (kafka_messages_json/SOURCE)."""
    # Imported by name: the generated subpackage is mapped from generated/ at install time.
    messages = importlib.import_module("aiokafka_gen.messages")
    return str(messages.KAFKA_VERSION)
