"""Kafka versions the harness knows, and the Java class of each tool per version.

Tool classes moved from Scala ``kafka.admin``/``kafka.tools`` to Java
``org.apache.kafka.tools`` over 3.6, 3.7 and 4.0; this table is the single place that knows
it.
Must not start processes or touch the network.
"""

from __future__ import annotations

import importlib
import re

__all__ = [
    "OLDEST",
    "TOOL_NAMES",
    "bootstrap_flag",
    "check_supported",
    "config_flag",
    "parse_version",
    "pinned_version",
    "tool_class",
]

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

# Tool -> (the release whose jars first hold the modern class, the class before it).
# Read from the jars of 2.0.1, 2.1.1, 2.4.1, 2.8.2, 3.0.2, 3.3.2, 3.6.2, 3.9.1 and 4.x.
_MOVED: dict[str, tuple[tuple[int, int], str]] = {
    "ConsoleProducer": ((4, 0), "kafka.tools.ConsoleProducer"),
    "AclCommand": ((4, 0), "kafka.admin.AclCommand"),
    "ConfigCommand": ((4, 0), "kafka.admin.ConfigCommand"),
    "TopicCommand": ((3, 7), "kafka.admin.TopicCommand"),
    "ConsoleConsumer": ((3, 7), "kafka.tools.ConsoleConsumer"),
    "GetOffsetShell": ((3, 7), "kafka.tools.GetOffsetShell"),
    "ConsumerGroupCommand": ((3, 7), "kafka.admin.ConsumerGroupCommand"),
    "FeatureCommand": ((3, 6), "kafka.admin.FeatureCommand"),
    "ConsumerPerformance": ((3, 6), "kafka.tools.ConsumerPerformance"),
}

# The oldest Kafka the harness starts: 2.0 (ZooKeeper mode), one below the oldest the
# client supports (2.1, KIP-896), so the refusal of an older broker can be tested.
OLDEST = (2, 0)

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
    moved = _MOVED.get(name)
    if moved is not None and parse_version(version)[:2] < moved[0]:
        return moved[1]
    return _MODERN[name]


def check_supported(version: str) -> tuple[int, int, int]:
    """Parse ``version``; ValueError when the harness cannot start it (before 2.0)."""
    parsed = parse_version(version)
    if parsed[:2] < OLDEST:
        raise ValueError(
            f"the harness starts Kafka {OLDEST[0]}.{OLDEST[1]} and newer, not {version} "
            "(the client itself needs Kafka 2.1+)"
        )
    return parsed


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


def bootstrap_flag(tool: str, version: str) -> str:
    """The option naming the brokers: ConsoleProducer before 2.5 knows only --broker-list."""
    if tool == "ConsoleProducer" and parse_version(version) < (2, 5, 0):
        return "--broker-list"
    return "--bootstrap-server"


def pinned_version() -> str:
    """The Kafka version the project is generated from (kafka_messages_json/SOURCE)."""
    # Imported by name: the generated subpackage is mapped from generated/ at install time.
    messages = importlib.import_module("aiokafka_gen.messages")
    return str(messages.KAFKA_VERSION)
