"""Integration: every secured listener accepts the right credentials and refuses wrong ones.

Clients are Kafka's own ConsoleProducer (one JVM each) and, for the TLS listeners, Python's
ssl module with the harness's ssl_context() (a Metadata probe over TLS).
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing._probe import probe

from .helpers import consume, produce

pytestmark = pytest.mark.integration

GOOD: list[tuple[str, dict[str, Any]]] = [
    ("SASL_PLAINTEXT", {"mechanism": "PLAIN", "user": "alice"}),
    ("SASL_SSL", {"mechanism": "SCRAM-SHA-256", "user": "alice"}),
    ("SASL_PLAINTEXT", {"mechanism": "SCRAM-SHA-512", "user": "admin"}),
    ("SASL_SSL", {"mechanism": "OAUTHBEARER", "user": "alice"}),
    ("SSL", {}),
    ("MTLS", {}),
]
BAD: list[tuple[str, dict[str, Any]]] = [
    ("SASL_PLAINTEXT", {"mechanism": "PLAIN", "user": "alice", "password": "wrong"}),
    ("SASL_SSL", {"mechanism": "SCRAM-SHA-256", "user": "alice", "password": "wrong"}),
    ("SASL_PLAINTEXT", {"mechanism": "SCRAM-SHA-512", "user": "mallory", "password": "x"}),
    ("SASL_PLAINTEXT", {"mechanism": "OAUTHBEARER", "oauth_scope": None}),
    ("SSL", {"trust": False}),
    ("MTLS", {"client_cert": False}),
]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    listener, options = case
    return "-".join([listener, *(f"{k}={v}" for k, v in options.items())])


@pytest.fixture(scope="module")
def secure_topic(kafka_secure_cluster: KafkaCluster) -> str:
    kafka_secure_cluster.create_topic("harness-secure")
    return "harness-secure"


@pytest.mark.parametrize("case", GOOD, ids=_case_id)
def test_right_credentials_are_accepted(
    kafka_secure_cluster: KafkaCluster, secure_topic: str, case: tuple[str, dict[str, Any]]
) -> None:
    listener, options = case
    records = [f"ok-{_case_id(case)}"]
    assert produce(kafka_secure_cluster, secure_topic, records, listener=listener, **options) == 0


@pytest.mark.parametrize("case", BAD, ids=_case_id)
def test_wrong_credentials_are_refused(
    kafka_secure_cluster: KafkaCluster, secure_topic: str, case: tuple[str, dict[str, Any]]
) -> None:
    listener, options = case
    records = ["must-not-arrive"]
    assert produce(kafka_secure_cluster, secure_topic, records, listener=listener, **options) != 0


def test_only_accepted_records_arrived(
    kafka_secure_cluster: KafkaCluster, secure_topic: str
) -> None:
    records = consume(kafka_secure_cluster, secure_topic, len(GOOD))
    assert sorted(records) == sorted(f"ok-{_case_id(case)}" for case in GOOD)


def test_python_ssl_context_talks_to_tls_listeners(kafka_secure_cluster: KafkaCluster) -> None:
    cluster = kafka_secure_cluster
    for listener, client_cert in (("SSL", False), ("MTLS", True)):
        host, port = cluster.bootstrap(listener).split(":")
        view = probe(host, int(port), ssl_context=cluster.ssl_context(client_cert=client_cert))
        assert len(view.brokers) == 1


def test_python_without_client_cert_is_refused_by_mtls(kafka_secure_cluster: KafkaCluster) -> None:
    host, port = kafka_secure_cluster.bootstrap("MTLS").split(":")
    with pytest.raises(OSError):
        probe(host, int(port), ssl_context=kafka_secure_cluster.ssl_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        probe(host, int(port), ssl_context=ssl.create_default_context())


def test_secured_cluster_exposes_what_clients_need(kafka_secure_cluster: KafkaCluster) -> None:
    cluster = kafka_secure_cluster
    assert set(cluster.listeners) == {"PLAINTEXT", "SSL", "MTLS", "SASL_PLAINTEXT", "SASL_SSL"}
    assert len({cluster.bootstrap(name) for name in cluster.listeners}) == 5
    assert cluster.credentials["alice"] == "alice-secret"
    for path in (cluster.tls.ca_pem, cluster.tls.client_cert_pem, cluster.tls.client_key_pem):
        assert path.read_text().count("-----BEGIN") >= 1
