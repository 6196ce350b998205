"""Compatibility: SASL PLAIN and SCRAM over TLS (SASL_SSL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.errors import UnsupportedSaslMechanismError
from aiokafka_gen.testing import KafkaCluster

from .conftest import Cell
from .support import client_options, expect_error, produce, read

pytestmark = pytest.mark.integration


async def _roundtrip(cluster: KafkaCluster, topic: str, mechanism: str) -> None:
    # The super user: the cluster has an authorizer and alice has no ACLs (the acls column
    # grants and checks those).
    user = cluster.admin_user
    sasl = {"sasl_mechanism": mechanism, "sasl_plain_username": user,
            "sasl_plain_password": cluster.credentials[user]}  # fmt: skip
    options = client_options(cluster, "SASL_SSL", **sasl)
    await produce(options, topic, [mechanism.encode()])
    [record] = await read(options, topic, 1)
    assert record.value == mechanism.encode()


async def test_matrix_sasl_plain_over_tls(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    compat_cell("sasl-plain")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    await _roundtrip(compat_cluster, topic, "PLAIN")


async def test_matrix_sasl_scram_over_tls(
    compat_cluster: KafkaCluster, compat_cell: Callable[[str], Cell], unique: Callable[[str], str]
) -> None:
    cell = compat_cell("sasl-scram")
    topic = unique("t")
    compat_cluster.create_topic(topic, 1)
    if "SCRAM-SHA-256" not in compat_cluster.sasl_mechanisms:
        # KRaft before 3.5 cannot store SCRAM credentials: the broker offers no SCRAM, and
        # the client's bootstrap raises the typed error itself.
        error = await expect_error(
            lambda: _roundtrip(compat_cluster, topic, "SCRAM-SHA-256"),
            UnsupportedSaslMechanismError,
        )
        assert "does not enable sasl_mechanism 'SCRAM-SHA-256'" in str(error)
        cell.missing(error)
        return
    await _roundtrip(compat_cluster, topic, "SCRAM-SHA-256")
    other = unique("t512")
    compat_cluster.create_topic(other, 1)
    await _roundtrip(compat_cluster, other, "SCRAM-SHA-512")
