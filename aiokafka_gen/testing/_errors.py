"""Errors raised by the real-Kafka test harness.

All subclass the library's ``KafkaError`` root so callers can catch one family.
This module holds classes only; it must not import anything heavy.
"""

from __future__ import annotations

from aiokafka_gen.errors import IllegalStateError, KafkaError, KafkaTimeoutError

__all__ = [
    "BackendUnavailableError",
    "ClusterStartError",
    "ClusterStateError",
    "HarnessError",
    "JarResolutionError",
    "ToolError",
]


class HarnessError(KafkaError):
    """Root of the harness errors."""


class BackendUnavailableError(HarnessError):
    """The requested backend cannot run here (no JDK/Maven, no Docker engine, no env var)."""


class JarResolutionError(HarnessError):
    """Maven could not assemble Kafka's classpath."""


class ClusterStartError(HarnessError, KafkaTimeoutError):
    """A broker did not become ready in time or exited; the message carries its log tail."""


class ClusterStateError(HarnessError, IllegalStateError):
    """An operation does not fit the cluster's state (e.g. killing a node of an external one)."""


class ToolError(HarnessError):
    """A Kafka Java tool exited with a non-zero status; carries its output."""

    def __init__(self, message: str, returncode: int, output: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output
