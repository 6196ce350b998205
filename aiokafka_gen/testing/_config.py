"""What a harness cluster looks like, and the files that describe it to Kafka.

Theory of operation: ``ClusterSpec`` is the user's wish (version, node count, listeners,
ACLs, extra properties and features); ``plan_nodes`` freezes ports per node; the render_*
functions turn both into server.properties, client properties and logging configs as
plain dicts/strings. Pure functions only: no processes, no sockets, no file writes.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ._ports import free_ports

__all__ = [
    "ALL_LISTENERS",
    "DEFAULT_USERS",
    "MECHANISMS",
    "SECURITY_PRESETS",
    "ClusterSpec",
    "NodePlan",
    "TlsFiles",
    "listeners_for",
    "new_cluster_id",
    "plan_nodes",
    "render_client_properties",
    "render_log4j",
    "render_server_properties",
    "render_zookeeper_properties",
    "scram_format_args",
    "scram_zookeeper_commands",
    "to_properties_text",
]

SASL_LISTENERS = ("SASL_PLAINTEXT", "SASL_SSL")
TLS_LISTENERS = ("SSL", "MTLS", "SASL_SSL")
ALL_LISTENERS = ("PLAINTEXT", "SSL", "MTLS", "SASL_PLAINTEXT", "SASL_SSL")
PROTOCOL_OF = {name: name for name in ALL_LISTENERS} | {"MTLS": "SSL", "CONTROLLER": "PLAINTEXT"}
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
SECURITY_PRESETS: dict[str, tuple[str, ...]] = {
    "plaintext": ("PLAINTEXT",),
    "ssl": ("PLAINTEXT", "SSL"),
    "mtls": ("PLAINTEXT", "MTLS"),
    "sasl_plaintext": ("PLAINTEXT", "SASL_PLAINTEXT"),
    "sasl_ssl": ("PLAINTEXT", "SASL_SSL"),
    "all": ALL_LISTENERS,
}
DEFAULT_USERS: Mapping[str, str] = {"admin": "admin-secret", "alice": "alice-secret"}
ADMIN_USER = "admin"
OAUTH_SCOPE = "kafka"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# ZooKeeper mode: AclAuthorizer from 2.4 on, SimpleAclAuthorizer before.
ZK_AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"
ZK_AUTHORIZER_LEGACY = "kafka.security.auth.SimpleAclAuthorizer"
# KRaft is production-ready from 3.3; SCRAM credentials live in KRaft metadata from 3.5
# (KIP-900: StorageTool --add-scram), so KRaft 3.3/3.4 offer PLAIN and OAUTHBEARER only.
KRAFT_SINCE = (3, 3)
KRAFT_SCRAM_SINCE = (3, 5)
_JAAS_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "OAUTHBEARER": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
}


def listeners_for(security: str) -> tuple[str, ...]:
    """A preset name (``"all"``, ``"sasl_ssl"``...) or a comma list of listener names."""
    preset = SECURITY_PRESETS.get(security.lower())
    if preset is not None:
        return preset
    names = [part.strip().upper() for part in security.split(",") if part.strip()]
    unknown = [name for name in names if name not in ALL_LISTENERS]
    if unknown or not names:
        raise ValueError(f"unknown listener(s) {unknown or security!r}; known: {ALL_LISTENERS}")
    return tuple(dict.fromkeys(["PLAINTEXT", *names]))


@dataclass(frozen=True)
class ClusterSpec:
    """The cluster a test wants. PLAINTEXT is always present (inter-broker traffic)."""

    version: str
    nodes: int = 1
    listeners: tuple[str, ...] = ("PLAINTEXT",)
    acls: bool = False
    broker_properties: Mapping[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    # Directories or jars appended to each broker JVM's classpath (jvm backend only): a
    # plugin compiled by a test, e.g. a metric reporter named in broker_properties.
    extra_classpath: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.nodes not in (1, 3):
            raise ValueError(f"nodes must be 1 or 3, not {self.nodes}")
        if "PLAINTEXT" not in self.listeners:
            raise ValueError("the PLAINTEXT listener is required (inter-broker traffic)")
        if ADMIN_USER not in self.users:
            raise ValueError(f"users must include the super user {ADMIN_USER!r}")

    @property
    def release(self) -> tuple[int, int, int]:
        """The version as numbers (``"2.8.2"`` -> ``(2, 8, 2)``)."""
        parts = self.version.split(".")
        return int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 0

    @property
    def zookeeper(self) -> bool:
        """ZooKeeper mode (Kafka before 3.3); KRaft combined mode otherwise."""
        return self.release[:2] < KRAFT_SINCE

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms this Kafka can enable (no SCRAM in KRaft before 3.5)."""
        if not self.zookeeper and self.release[:2] < KRAFT_SCRAM_SINCE:
            return tuple(m for m in MECHANISMS if not m.startswith("SCRAM"))
        return MECHANISMS

    @property
    def needs_tls(self) -> bool:
        return any(name in TLS_LISTENERS for name in self.listeners)

    @property
    def needs_sasl(self) -> bool:
        return any(name in SASL_LISTENERS for name in self.listeners)


@dataclass(frozen=True)
class NodePlan:
    """One combined broker+controller: its id and its frozen ports."""

    node_id: int
    ports: Mapping[str, int]
    controller_port: int


@dataclass(frozen=True)
class TlsFiles:
    """Keystores for Java and PEM files for Python; one password for all stores."""

    password: str
    broker_keystore: Path
    client_keystore: Path
    truststore: Path
    ca_pem: Path
    client_cert_pem: Path
    client_key_pem: Path


def new_cluster_id() -> str:
    """16 random bytes as unpadded base64url, never starting with '-' (Kafka's Uuid rule)."""
    while True:
        text = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def plan_nodes(spec: ClusterSpec) -> list[NodePlan]:
    """Pick free ports for every listener of every node (before formatting storage)."""
    per_node = len(spec.listeners) + 1
    ports = free_ports(per_node * spec.nodes)
    plans = []
    for index in range(spec.nodes):
        mine = ports[index * per_node : (index + 1) * per_node]
        listener_ports = dict(zip(spec.listeners, mine[:-1], strict=True))
        plans.append(NodePlan(index + 1, listener_ports, mine[-1]))
    return plans


def to_properties_text(props: Mapping[str, str]) -> str:
    """Java properties text; values here never hold backslashes or newlines."""
    return "".join(f"{key}={value}\n" for key, value in props.items())


def render_server_properties(
    spec: ClusterSpec,
    plans: list[NodePlan],
    node: NodePlan,
    data_dir: PurePath,
    tls: TlsFiles | None,
    zookeeper_connect: str | None = None,
) -> dict[str, str]:
    """server.properties of ``node``, tuned for a 2-core box: KRaft combined mode, or a
    ZooKeeper-mode broker (``spec.zookeeper``) registered at ``zookeeper_connect``."""
    if spec.zookeeper:
        if not zookeeper_connect:
            raise ValueError(f"Kafka {spec.version} runs in ZooKeeper mode: zookeeper_connect?")
        props = _zookeeper_mode_properties(spec, plans, node, data_dir, zookeeper_connect)
    else:
        props = _base_properties(spec, plans, node, data_dir)
    if spec.needs_tls:
        props |= _tls_properties(spec, _require(tls))
    if spec.needs_sasl:
        props |= _sasl_properties(spec)
    if spec.acls:
        props |= {"authorizer.class.name": _authorizer(spec),
                  "super.users": "User:admin;User:ANONYMOUS"}  # fmt: skip
    # "{node_id}" in a value is this node's id (per-node settings: broker.rack=rack-{node_id})
    node_id = str(node.node_id)
    props |= {k: v.replace("{node_id}", node_id) for k, v in spec.broker_properties.items()}
    return props


def _authorizer(spec: ClusterSpec) -> str:
    if not spec.zookeeper:
        return AUTHORIZER
    return ZK_AUTHORIZER if spec.release[:2] >= (2, 4) else ZK_AUTHORIZER_LEGACY


def _zookeeper_mode_properties(
    spec: ClusterSpec, plans: list[NodePlan], node: NodePlan, data_dir: PurePath, connect: str
) -> dict[str, str]:
    """The KRaft settings that mean the same in ZooKeeper mode; no controller listener."""
    kraft = _base_properties(spec, plans, node, data_dir)
    dropped = ("process.roles", "node.id", "controller.quorum.voters",
               "controller.listener.names")  # fmt: skip
    props = {"broker.id": str(node.node_id), "zookeeper.connect": connect}
    props |= {
        key: value
        for key, value in kraft.items()
        if key not in dropped and not key.startswith(("group.consumer.", "group.share.", "share."))
    }
    props["listeners"] = _listener_list(node, with_controller=False)
    props["listener.security.protocol.map"] = ",".join(
        f"{k}:{v}" for k, v in PROTOCOL_OF.items() if k != "CONTROLLER"
    )
    props["zookeeper.connection.timeout.ms"] = "30000"
    return props


def render_zookeeper_properties(data_dir: PurePath, port: int) -> dict[str, str]:
    """A standalone ZooKeeper on loopback (the test-only settings of Kafka's sample file)."""
    return {
        "dataDir": str(data_dir),
        "clientPort": str(port),
        "clientPortAddress": "127.0.0.1",
        "maxClientCnxns": "0",
        "tickTime": "2000",
        "admin.enableServer": "false",
        "4lw.commands.whitelist": "srvr,ruok",
    }


def _require(tls: TlsFiles | None) -> TlsFiles:
    if tls is None:
        raise ValueError("TLS listeners need TLS files")
    return tls


def _base_properties(
    spec: ClusterSpec, plans: list[NodePlan], node: NodePlan, data_dir: PurePath
) -> dict[str, str]:
    replicas = "1" if spec.nodes == 1 else "3"
    min_isr = "1" if spec.nodes == 1 else "2"
    return {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": ",".join(
            f"{p.node_id}@127.0.0.1:{p.controller_port}" for p in plans
        ),
        "listeners": _listener_list(node, with_controller=True),
        "advertised.listeners": _listener_list(node, with_controller=False),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": ",".join(f"{k}:{v}" for k, v in PROTOCOL_OF.items()),
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "default.replication.factor": replicas,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replicas,
        "offsets.topic.num.partitions": "1" if spec.nodes == 1 else "3",
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "transaction.state.log.num.partitions": "1" if spec.nodes == 1 else "3",
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": min_isr,
        "group.initial.rebalance.delay.ms": "0",
        # Test-friendly group timing: classic members may ask for short sessions, and the
        # consumer protocol (KIP-848) heartbeats every second with a 10 s session (broker
        # defaults: 5 s and 45 s, with minimums that forbid less).
        "group.min.session.timeout.ms": "1000",
        "group.consumer.heartbeat.interval.ms": "1000",
        "group.consumer.min.heartbeat.interval.ms": "500",
        "group.consumer.session.timeout.ms": "10000",
        "group.consumer.min.session.timeout.ms": "3000",
        # Share groups keep the broker defaults (45 s session, 5 s heartbeat) but may ask
        # for less on their GROUP config resource (the default minimums forbid it).
        "group.share.min.session.timeout.ms": "3000",
        "group.share.min.heartbeat.interval.ms": "500",
        "log.cleaner.dedupe.buffer.size": "2097152",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "auto.create.topics.enable": "false",
        "delete.topic.enable": "true",
    }


def _listener_list(node: NodePlan, *, with_controller: bool) -> str:
    entries = [f"{name}://127.0.0.1:{port}" for name, port in node.ports.items()]
    if with_controller:
        entries.append(f"CONTROLLER://127.0.0.1:{node.controller_port}")
    return ",".join(entries)


def _tls_properties(spec: ClusterSpec, tls: TlsFiles) -> dict[str, str]:
    props = {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(tls.broker_keystore),
        "ssl.keystore.password": tls.password,
        "ssl.key.password": tls.password,
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.location": str(tls.truststore),
        "ssl.truststore.password": tls.password,
        "ssl.client.auth": "none",
        # mTLS principals are the certificate CN, so a cert for CN=admin is the super user.
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+).*$/$1/,DEFAULT",
    }
    if "MTLS" in spec.listeners:
        props["listener.name.mtls.ssl.client.auth"] = "required"
    return props


def _sasl_properties(spec: ClusterSpec) -> dict[str, str]:
    props = {"sasl.enabled.mechanisms": ",".join(spec.mechanisms)}
    for listener in (name for name in spec.listeners if name in SASL_LISTENERS):
        for mechanism in spec.mechanisms:
            key = f"listener.name.{listener.lower()}.{mechanism.lower()}.sasl.jaas.config"
            props[key] = _server_jaas(spec, mechanism)
    return props


def _server_jaas(spec: ClusterSpec, mechanism: str) -> str:
    options = ""
    if mechanism == "PLAIN":
        admin = spec.users[ADMIN_USER]
        users = " ".join(f'user_{name}="{pw}"' for name, pw in spec.users.items())
        options = f' username="{ADMIN_USER}" password="{admin}" {users}'
    elif mechanism == "OAUTHBEARER":
        options = (
            f' unsecuredLoginStringClaim_sub="{ADMIN_USER}"'
            f' unsecuredValidatorRequiredScope="{OAUTH_SCOPE}"'
        )
    return f"{_JAAS_MODULES[mechanism]} required{options};"


def scram_format_args(spec: ClusterSpec) -> list[str]:
    """``--add-scram`` arguments creating every user for both SCRAM mechanisms (KRaft 3.5+;
    ZooKeeper mode creates them with ``scram_zookeeper_commands`` before the brokers start)."""
    if not spec.needs_sasl or spec.zookeeper or "SCRAM-SHA-256" not in spec.mechanisms:
        return []
    args = []
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        for name, password in spec.users.items():
            args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
    return args


def scram_zookeeper_commands(spec: ClusterSpec, connect: str) -> list[list[str]]:
    """ConfigCommand argument lists writing every user's SCRAM credentials into ZooKeeper."""
    if not spec.needs_sasl or not spec.zookeeper:
        return []
    commands = []
    for name, password in spec.users.items():
        value = f"SCRAM-SHA-256=[password={password}],SCRAM-SHA-512=[password={password}]"
        commands.append(["--zookeeper", connect, "--alter", "--add-config", value,
                         "--entity-type", "users", "--entity-name", name])  # fmt: skip
    return commands


def render_client_properties(
    listener: str,
    tls: TlsFiles | None,
    *,
    mechanism: str | None = None,
    user: str = ADMIN_USER,
    password: str = "",
    client_cert: bool = True,
    trust: bool = True,
    oauth_scope: str | None = OAUTH_SCOPE,
) -> dict[str, str]:
    """Java client properties for ``listener``.

    ``client_cert=False``, ``trust=False`` or ``oauth_scope=None`` make clients the broker
    must refuse (no client certificate, unknown CA, token without the required scope).
    """
    props = {"security.protocol": PROTOCOL_OF[listener]}
    if listener in TLS_LISTENERS and trust:
        props |= _client_trust(_require(tls))
    if listener == "MTLS" and client_cert:
        props |= _client_keystore(_require(tls))
    if listener in SASL_LISTENERS:
        chosen = mechanism or "PLAIN"
        jaas = _client_jaas(chosen, user, password, oauth_scope)
        props |= {"sasl.mechanism": chosen, "sasl.jaas.config": jaas}
    return props


def _client_trust(tls: TlsFiles) -> dict[str, str]:
    return {
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.location": str(tls.truststore),
        "ssl.truststore.password": tls.password,
    }


def _client_keystore(tls: TlsFiles) -> dict[str, str]:
    return {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(tls.client_keystore),
        "ssl.keystore.password": tls.password,
        "ssl.key.password": tls.password,
    }


def _client_jaas(mechanism: str, user: str, password: str, oauth_scope: str | None) -> str:
    if mechanism == "OAUTHBEARER":
        # A list claim's first character is its delimiter.
        scope = f' unsecuredLoginListClaim_scope=",{oauth_scope}"' if oauth_scope else ""
        return f'{_JAAS_MODULES[mechanism]} required unsecuredLoginStringClaim_sub="{user}"{scope};'
    return f'{_JAAS_MODULES[mechanism]} required username="{user}" password="{password}";'


def render_log4j(level: str, *, legacy: bool) -> str:
    """A console-only logging config: log4j2 for Kafka 4.x, reload4j for 3.x."""
    pattern = "[%d] %p %m (%c)%n"
    if legacy:
        return (
            f"log4j.rootLogger={level}, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.Target=System.err\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            f"log4j.appender.stdout.layout.ConversionPattern={pattern}\n"
        )
    return (
        "appender.c.type=Console\n"
        "appender.c.name=STDERR\n"
        "appender.c.target=SYSTEM_ERR\n"
        "appender.c.layout.type=PatternLayout\n"
        f"appender.c.layout.pattern={pattern}\n"
        f"rootLogger.level={level}\n"
        "rootLogger.appenderRef.s.ref=STDERR\n"
    )
