"""Integration: StandardAuthorizer ACLs (admin super user, alice not) and format-time
features (share.version=1), driven through Kafka's AclCommand and FeatureCommand."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from aiokafka_gen.testing import KafkaCluster

from .helpers import produce

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def acl_cluster() -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(security="sasl_plaintext", acls=True, features=["share.version=1"])
    with cluster:
        yield cluster


def test_features_set_at_format_time(acl_cluster: KafkaCluster) -> None:
    done = acl_cluster.run_tool("FeatureCommand", "--bootstrap-server", acl_cluster.bootstrap(),
                                "describe")  # fmt: skip
    share = [line for line in done.stdout.splitlines() if "Feature: share.version" in line]
    assert share and "FinalizedVersionLevel: 1" in share[0]


def test_acls_gate_non_super_users(acl_cluster: KafkaCluster) -> None:
    cluster = acl_cluster
    cluster.create_topic("guarded")
    sasl = {"listener": "SASL_PLAINTEXT", "mechanism": "PLAIN"}
    assert produce(cluster, "guarded", ["as-admin"], user="admin", **sasl) == 0
    assert produce(cluster, "guarded", ["as-alice"], user="alice", **sasl) != 0
    cluster.run_tool(
        "AclCommand", "--bootstrap-server", cluster.bootstrap(), "--add",
        "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Describe",
        "--topic", "guarded",
    )  # fmt: skip
    assert _eventually(lambda: produce(cluster, "guarded", ["as-alice"], user="alice", **sasl))


def _eventually(attempt: object, tries: int = 3) -> bool:
    """ACLs are metadata records: the first attempt may precede their propagation."""
    assert callable(attempt)
    for _ in range(tries):
        if attempt() == 0:
            return True
        time.sleep(1.0)
    return False
