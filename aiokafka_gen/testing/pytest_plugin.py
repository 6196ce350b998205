"""pytest plugin: session-scoped real-Kafka fixtures, started lazily on first use.

Fixtures: ``kafka_cluster`` (1 node, PLAINTEXT, pinned version), ``kafka_bootstrap``,
``kafka_topic`` (factory: unique, created topic names per test), ``kafka_secure_cluster``
(1 node, every listener, SASL users and TLS files), ``kafka_cluster_3`` (3 nodes).
Options ``--kafka-version`` and ``--kafka-backend``; AIOKAFKA_GEN_BOOTSTRAP selects the
external backend. On a failing test that used a cluster, the tail of each broker log is
attached to the report. This module is loaded in every pytest run of everyone who installs
the package: it must import nothing heavy at import time (the harness loads in fixtures).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .cluster import KafkaCluster

__all__ = [
    "kafka_bootstrap",
    "kafka_cluster",
    "kafka_cluster_3",
    "kafka_secure_cluster",
    "kafka_topic",
]

_STARTED = pytest.StashKey[list["KafkaCluster"]]()
_MARKERS = {
    "integration": "needs a real Kafka broker started by the harness",
    "slow": "long-running (multi-node clusters, fault injection)",
}
_FIXTURES = frozenset(
    ("kafka_cluster", "kafka_bootstrap", "kafka_topic", "kafka_secure_cluster", "kafka_cluster_3")
)
_BACKEND_CHOICES = ("auto", "jvm", "testcontainers", "external")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aiokafka_gen", "real Kafka clusters (aiokafka_gen.testing)")
    group.addoption("--kafka-version", default=None, help="Kafka version (default: pinned)")
    group.addoption(
        "--kafka-backend", default="auto", choices=_BACKEND_CHOICES,
        help="auto: external if AIOKAFKA_GEN_BOOTSTRAP is set, else jvm",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name, text in _MARKERS.items():
        if name not in known:
            config.addinivalue_line("markers", f"{name}: {text}")
    config.stash[_STARTED] = []


def _start(request: pytest.FixtureRequest, **options: Any) -> KafkaCluster:
    from .cluster import KafkaCluster, select_backend

    config = request.config
    backend = select_backend(config.getoption("--kafka-backend"), os.environ)
    if backend == "external" and (options.get("nodes", 1) != 1 or "security" in options):
        pytest.skip("the external backend offers only the one PLAINTEXT cluster")
    version = config.getoption("--kafka-version")
    cluster = KafkaCluster(version=version, backend=backend, **options)
    config.stash[_STARTED].append(cluster)
    return cluster.start()


def _session_cluster(
    request: pytest.FixtureRequest, **options: Any
) -> Generator[KafkaCluster, None, None]:
    cluster = _start(request, **options)
    try:
        yield cluster
    finally:
        cluster.stop()
        request.config.stash[_STARTED].remove(cluster)


@pytest.fixture(scope="session")
def kafka_cluster(request: pytest.FixtureRequest) -> Generator[KafkaCluster, None, None]:
    """One PLAINTEXT node of the pinned (or --kafka-version) Kafka, shared by the session."""
    yield from _session_cluster(request)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_cluster: KafkaCluster) -> str:
    """``host:port`` of ``kafka_cluster``'s PLAINTEXT listener."""
    return kafka_cluster.bootstrap()


@pytest.fixture(scope="session")
def kafka_secure_cluster(request: pytest.FixtureRequest) -> Generator[KafkaCluster, None, None]:
    """One node carrying PLAINTEXT, SSL, MTLS, SASL_PLAINTEXT and SASL_SSL listeners."""
    yield from _session_cluster(request, security="all")


@pytest.fixture(scope="session")
def kafka_cluster_3(request: pytest.FixtureRequest) -> Generator[KafkaCluster, None, None]:
    """Three combined broker+controller nodes (RF 3, min ISR 2 by default), one rack each
    (``rack-1``..``rack-3``) with Kafka's rack-aware replica selector: a consumer with
    ``client_rack`` is told to fetch from the replica in its rack (KIP-392)."""
    yield from _session_cluster(request, nodes=3, broker_properties=RACK_AWARE)


RACK_AWARE = {
    "broker.rack": "rack-{node_id}",
    "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector",
}


TopicFactory = Callable[..., str]


@pytest.fixture
def kafka_topic(request: pytest.FixtureRequest, kafka_cluster: KafkaCluster) -> TopicFactory:
    """A factory: ``kafka_topic(partitions=1, *, cluster=None, replication_factor=1,
    configs=None)`` creates a topic with a name unique to this test and returns the name."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:120].strip("-")
    counter = itertools.count()

    def make(
        partitions: int = 1,
        *,
        cluster: KafkaCluster | None = None,
        replication_factor: int = 1,
        configs: Mapping[str, str] | None = None,
    ) -> str:
        name = f"{base}-{next(counter)}-{os.urandom(3).hex()}"
        target = cluster or kafka_cluster
        target.create_topic(name, partitions, replication_factor, configs)
        return name

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    uses_kafka = _FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if report.failed and uses_kafka:
        for cluster in item.config.stash.get(_STARTED, []):
            for name, text in cluster.log_tails().items():
                report.sections.append((f"Kafka {cluster.version} broker log {name}", text))
    return report
