"""Unit tests (no broker): cluster spec validation and the rendered Kafka/Java files."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiokafka_gen.testing._config import (
    ALL_LISTENERS,
    ClusterSpec,
    listeners_for,
    plan_nodes,
    render_client_properties,
    render_log4j,
    render_server_properties,
    scram_format_args,
    to_properties_text,
)
from aiokafka_gen.testing._tls import tls_files_in

TLS = tls_files_in(Path("/pki"))


def _render(spec: ClusterSpec, node: int = 1) -> dict[str, str]:
    plans = plan_nodes(spec)
    return render_server_properties(spec, plans, plans[node - 1], Path("/data"), TLS)


def test_security_presets_and_lists() -> None:
    assert listeners_for("plaintext") == ("PLAINTEXT",)
    assert listeners_for("all") == ALL_LISTENERS
    assert listeners_for("sasl_ssl,mtls") == ("PLAINTEXT", "SASL_SSL", "MTLS")
    with pytest.raises(ValueError, match="BOGUS"):
        listeners_for("bogus")


@pytest.mark.parametrize(
    "kwargs",
    [{"nodes": 2}, {"listeners": ("SSL",)}, {"users": {"alice": "x"}}],
)
def test_spec_rejects_impossible_clusters(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClusterSpec(version="4.4.0", **kwargs)  # type: ignore[arg-type]


def test_single_node_plaintext_properties() -> None:
    props = _render(ClusterSpec(version="4.4.0"))
    port = int(props["listeners"].split(",")[0].rsplit(":", 1)[1])
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"].startswith("1@127.0.0.1:")
    assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["num.io.threads"] == "2" and props["group.initial.rebalance.delay.ms"] == "0"
    assert "ssl.keystore.location" not in props and "sasl.enabled.mechanisms" not in props
    assert "authorizer.class.name" not in props


def test_three_nodes_share_voters_and_own_ports() -> None:
    spec = ClusterSpec(version="4.4.0", nodes=3)
    plans = plan_nodes(spec)
    rendered = [render_server_properties(spec, plans, p, Path("/d"), None) for p in plans]
    assert len({r["controller.quorum.voters"] for r in rendered}) == 1
    assert rendered[0]["controller.quorum.voters"].count("@127.0.0.1:") == 3
    assert len({r["listeners"] for r in rendered}) == 3
    assert [r["node.id"] for r in rendered] == ["1", "2", "3"]
    assert rendered[0]["transaction.state.log.min.isr"] == "2"
    all_ports = [port for p in plans for port in (*p.ports.values(), p.controller_port)]
    assert len(set(all_ports)) == len(all_ports) == 6


def test_node_id_placeholder_gives_per_node_properties() -> None:
    racks = {"broker.rack": "rack-{node_id}"}
    spec = ClusterSpec(version="4.4.0", nodes=3, broker_properties=racks)
    plans = plan_nodes(spec)
    rendered = [render_server_properties(spec, plans, p, Path("/d"), None) for p in plans]
    assert [r["broker.rack"] for r in rendered] == ["rack-1", "rack-2", "rack-3"]


def test_all_listeners_tls_sasl_acls_and_overrides() -> None:
    spec = ClusterSpec(
        version="4.4.0", listeners=ALL_LISTENERS, acls=True,
        broker_properties={"num.io.threads": "4", "foo.bar": "baz"},
    )  # fmt: skip
    props = _render(spec)
    assert props["listener.security.protocol.map"].split(",").count("MTLS:SSL") == 1
    assert props["listener.name.mtls.ssl.client.auth"] == "required"
    assert props["ssl.client.auth"] == "none"
    assert props["ssl.keystore.location"] == "/pki/broker.p12"
    assert props["super.users"] == "User:admin;User:ANONYMOUS"
    assert props["num.io.threads"] == "4" and props["foo.bar"] == "baz"
    jaas_keys = [key for key in props if key.endswith(".sasl.jaas.config")]
    assert len(jaas_keys) == 2 * 4  # two SASL listeners x four mechanisms
    plain = props["listener.name.sasl_ssl.plain.sasl.jaas.config"]
    assert 'user_alice="alice-secret"' in plain and plain.endswith(";")
    oauth = props["listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config"]
    assert 'unsecuredValidatorRequiredScope="kafka"' in oauth


def test_tls_listener_without_files_is_an_error() -> None:
    spec = ClusterSpec(version="4.4.0", listeners=("PLAINTEXT", "SSL"))
    plans = plan_nodes(spec)
    with pytest.raises(ValueError, match="TLS"):
        render_server_properties(spec, plans, plans[0], Path("/d"), None)


def test_scram_users_only_with_sasl() -> None:
    assert scram_format_args(ClusterSpec(version="4.4.0")) == []
    args = scram_format_args(ClusterSpec(version="4.4.0", listeners=listeners_for("sasl_ssl")))
    assert args.count("--add-scram") == 4
    assert "SCRAM-SHA-512=[name=alice,password=alice-secret]" in args


def test_client_properties_per_listener() -> None:
    assert render_client_properties("PLAINTEXT", None) == {"security.protocol": "PLAINTEXT"}
    mtls = render_client_properties("MTLS", TLS)
    assert mtls["security.protocol"] == "SSL" and mtls["ssl.keystore.location"] == "/pki/client.p12"
    no_cert = render_client_properties("MTLS", TLS, client_cert=False)
    assert "ssl.keystore.location" not in no_cert and "ssl.truststore.location" in no_cert
    untrusting = render_client_properties("SSL", TLS, trust=False)
    assert "ssl.truststore.location" not in untrusting


def test_client_sasl_jaas() -> None:
    scram = render_client_properties(
        "SASL_SSL", TLS, mechanism="SCRAM-SHA-256", user="alice", password="pw"
    )
    assert scram["sasl.mechanism"] == "SCRAM-SHA-256"
    assert scram["sasl.jaas.config"].endswith('username="alice" password="pw";')
    oauth = render_client_properties("SASL_PLAINTEXT", None, mechanism="OAUTHBEARER", user="bob")
    assert 'unsecuredLoginStringClaim_sub="bob"' in oauth["sasl.jaas.config"]
    assert 'unsecuredLoginListClaim_scope=",kafka"' in oauth["sasl.jaas.config"]
    unscoped = render_client_properties(
        "SASL_PLAINTEXT", None, mechanism="OAUTHBEARER", oauth_scope=None
    )
    assert "scope" not in unscoped["sasl.jaas.config"]


def test_logging_configs_and_properties_text() -> None:
    assert "rootLogger.level=WARN" in render_log4j("WARN", legacy=False)
    assert render_log4j("INFO", legacy=True).startswith("log4j.rootLogger=INFO, stdout")
    assert to_properties_text({"a": "1", "b.c": "x=y"}) == "a=1\nb.c=x=y\n"
