"""Integration (slow): SASL/GSSAPI against a real broker and a throwaway MIT Kerberos KDC.

Needs Debian's krb5-kdc + krb5-admin-server and the optional ``gssapi`` package; skipped
(with the reason) when they are missing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.testing import KafkaCluster

from .kdc import MiniKdc, kdc_tools_missing

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BROKER_OPTS_ENV = "AIOKAFKA_GEN_BROKER_JVM_OPTS"


@pytest.fixture(scope="module")
def kdc() -> Iterator[MiniKdc]:
    pytest.importorskip("gssapi", reason="the optional gssapi package is not installed")
    missing = kdc_tools_missing()
    if missing:
        pytest.skip(
            f"MIT KDC tools missing: {missing} (apt-get install krb5-kdc krb5-admin-server)"
        )
    with tempfile.TemporaryDirectory(prefix="aiokafka-gen-kdc-") as root:
        server = MiniKdc(Path(root)).start()
        saved = {k: os.environ.get(k) for k in server.client_env()}
        os.environ.update(server.client_env())
        try:
            yield server
        finally:
            server.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="module")
def kerberos_cluster(kdc: MiniKdc) -> Iterator[KafkaCluster]:
    previous = os.environ.get(BROKER_OPTS_ENV)
    os.environ[BROKER_OPTS_ENV] = kdc.broker_jvm_opts()
    cluster = KafkaCluster(security="sasl_plaintext", broker_properties=kdc.broker_properties())
    try:
        cluster.start()
    finally:
        if previous is None:
            os.environ.pop(BROKER_OPTS_ENV, None)
        else:
            os.environ[BROKER_OPTS_ENV] = previous
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_gssapi_authenticates(kerberos_cluster: KafkaCluster) -> None:
    async with AIOKafkaClient(
        bootstrap_servers=kerberos_cluster.bootstrap("SASL_PLAINTEXT"),
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="GSSAPI",
        sasl_kerberos_service_name="kafka", sasl_kerberos_domain_name="localhost",
        request_timeout_ms=15000,
    ) as client:  # fmt: skip
        node = client.get_random_node()
        assert node is not None
        response = await client.send(node, MetadataRequest(topics=None))
        assert response.cluster_id == client.cluster.cluster_id


async def test_gssapi_unknown_service_fails_typed(kerberos_cluster: KafkaCluster) -> None:
    from aiokafka_gen.protocol.sasl import SaslError

    client = AIOKafkaClient(
        bootstrap_servers=kerberos_cluster.bootstrap("SASL_PLAINTEXT"),
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="GSSAPI",
        sasl_kerberos_service_name="nosuchservice", sasl_kerberos_domain_name="localhost",
        request_timeout_ms=15000,
    )  # fmt: skip
    with pytest.raises(SaslError):
        await client.bootstrap()
    await client.close()
