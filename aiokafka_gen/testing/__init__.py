"""Real-Kafka test harness: start Kafka clusters for tests (yours too).

``KafkaCluster`` starts one (default backend ``jvm``: Kafka's jars from Maven Central, one
JVM per node, KRaft combined mode) with PLAINTEXT/SSL/mTLS/SASL listeners; the pytest
plugin (``aiokafka_gen.testing.pytest_plugin``) wraps it in session fixtures; ``python -m
aiokafka_gen.testing up`` runs one from a shell. Names are loaded lazily: importing this
package (which every pytest run does through the plugin) must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._errors import (
        BackendUnavailableError,
        ClusterStartError,
        ClusterStateError,
        HarnessError,
        JarResolutionError,
        ToolError,
    )
    from ._probe import ClusterView
    from ._versions import tool_class
    from .cluster import KafkaCluster, select_backend

__all__ = [
    "BackendUnavailableError",
    "ClusterStartError",
    "ClusterStateError",
    "ClusterView",
    "HarnessError",
    "JarResolutionError",
    "KafkaCluster",
    "ToolError",
    "select_backend",
    "tool_class",
]

_HOME = {
    "KafkaCluster": ".cluster",
    "select_backend": ".cluster",
    "ClusterView": "._probe",
    "tool_class": "._versions",
} | {
    name: "._errors"
    for name in (
        "BackendUnavailableError",
        "ClusterStartError",
        "ClusterStateError",
        "HarnessError",
        "JarResolutionError",
        "ToolError",
    )
}


def __getattr__(name: str) -> object:  # every exported name is typed above
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name], __name__), name)
