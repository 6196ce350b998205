"""Producer test fixtures: a second one-node cluster whose finalized ``transaction.version``
is 1 (the classic transaction protocol, KIP-98 plus KIP-890 part 1), started lazily once
per session, and ``txn_cluster``, which runs a test against both protocols: the session
cluster (Kafka 4.4 formats new clusters with transaction version 2) and the classic one."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from aiokafka_gen.testing import KafkaCluster


@pytest.fixture(scope="session")
def kafka_cluster_tv1(request: pytest.FixtureRequest) -> Generator[KafkaCluster, None, None]:
    """One PLAINTEXT node formatted with ``--feature transaction.version=1``."""
    if request.config.getoption("--kafka-backend") == "external" or os.environ.get(
        "AIOKAFKA_GEN_BOOTSTRAP"
    ):
        pytest.skip("the external backend offers only the one cluster")
    version = request.config.getoption("--kafka-version")
    cluster = KafkaCluster(version=version, features=["transaction.version=1"])
    if cluster.spec.version.startswith("3."):
        pytest.skip("Kafka 3.x offers only the classic protocol: the session cluster has it")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["tv2", "classic"])
def txn_cluster(request: pytest.FixtureRequest) -> KafkaCluster:
    """The session cluster (transaction version 2), then the classic one."""
    name = "kafka_cluster" if request.param == "tv2" else "kafka_cluster_tv1"
    cluster: KafkaCluster = request.getfixturevalue(name)
    return cluster
