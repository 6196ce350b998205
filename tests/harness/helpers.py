"""Shared helpers for the harness integration tests: Java console clients in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing._versions import bootstrap_flag

# Bad clients must fail fast instead of waiting the default 60 s for metadata, and the
# console producer's default linger (1 s) would be paid on every --sync send.
CLIENT_TUNING = {"max.block.ms": "15000", "request.timeout.ms": "10000", "linger.ms": "0"}


def produce(
    cluster: KafkaCluster,
    topic: str,
    lines: list[str],
    *,
    listener: str = "PLAINTEXT",
    properties: Mapping[str, str] | None = None,
    **client_options: Any,
) -> int:
    """Send ``lines`` with Kafka's ConsoleProducer (synchronously) through ``listener``,
    with client_properties(**client_options) plus ``properties``; returns the exit status."""
    extra = CLIENT_TUNING | dict(properties or {})
    config = cluster.client_properties(listener, extra=extra, **client_options)
    done = cluster.run_tool(
        "ConsoleProducer", bootstrap_flag("ConsoleProducer", cluster.version),
        cluster.bootstrap(listener), "--topic", topic,
        "--sync", config=config, input="".join(f"{line}\n" for line in lines), check=False,
    )  # fmt: skip
    return done.returncode


def consume(cluster: KafkaCluster, topic: str, count: int) -> list[str]:
    """Read ``count`` records from the start with Kafka's ConsoleConsumer (PLAINTEXT)."""
    done = cluster.run_tool(
        "ConsoleConsumer", "--bootstrap-server", cluster.bootstrap(), "--topic", topic,
        "--from-beginning", "--max-messages", str(count), "--timeout-ms", "20000",
    )  # fmt: skip
    return done.stdout.split()
