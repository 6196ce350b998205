"""Client settings from the command line: ``-b``, ``--config FILE``, ``-X key=value``.

Keys are librdkafka's or Java's spellings (``security.protocol``, ``sasl.username``,
``ssl.ca.location``, ``sasl.jaas.config``...). The common ones become keyword arguments
every client takes; producer and consumer keys are kept apart for those commands. Secret
values are never part of any message this module produces.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka_gen.cli.errors import UsageError

if TYPE_CHECKING:
    import ssl

__all__ = [
    "CONSUMER_KEYS", "PRODUCER_KEYS", "Settings", "is_secret", "load_settings", "parse_assignments",
    "parse_pairs", "read_properties",
]  # fmt: skip

_SECRET = re.compile(r"password|secret|jaas|token|credential|keystore\.key", re.IGNORECASE)

#: librdkafka/Java key -> producer keyword argument (and how to convert the text)
PRODUCER_KEYS: dict[str, tuple[str, str]] = {
    "acks": ("acks", "acks"),
    "request.required.acks": ("acks", "acks"),
    "compression.type": ("compression_type", "codec"),
    "compression.codec": ("compression_type", "codec"),
    "linger.ms": ("linger_ms", "int"),
    "queue.buffering.max.ms": ("linger_ms", "int"),
    "batch.size": ("max_batch_size", "int"),
    "max.request.size": ("max_request_size", "int"),
    "message.max.bytes": ("max_request_size", "int"),
    "enable.idempotence": ("enable_idempotence", "bool"),
    "transactional.id": ("transactional_id", "str"),
    "transaction.timeout.ms": ("transaction_timeout_ms", "int"),
    "delivery.timeout.ms": ("delivery_timeout_ms", "int"),
    "message.timeout.ms": ("delivery_timeout_ms", "int"),
    "buffer.memory": ("buffer_memory", "int"),
    "max.in.flight.requests.per.connection": ("max_in_flight_requests_per_connection", "int"),
    "max.in.flight": ("max_in_flight_requests_per_connection", "int"),
}
#: librdkafka/Java key -> consumer keyword argument
CONSUMER_KEYS: dict[str, tuple[str, str]] = {
    "group.id": ("group_id", "str"),
    "group.instance.id": ("group_instance_id", "str"),
    "group.protocol": ("group_protocol", "group_protocol"),
    "group.remote.assignor": ("group_remote_assignor", "str"),
    "auto.offset.reset": ("auto_offset_reset", "offset_reset"),
    "isolation.level": ("isolation_level", "isolation"),
    "enable.auto.commit": ("enable_auto_commit", "bool"),
    "auto.commit.interval.ms": ("auto_commit_interval_ms", "int"),
    "session.timeout.ms": ("session_timeout_ms", "int"),
    "heartbeat.interval.ms": ("heartbeat_interval_ms", "int"),
    "max.poll.interval.ms": ("max_poll_interval_ms", "int"),
    "max.poll.records": ("max_poll_records", "int"),
    "fetch.max.wait.ms": ("fetch_max_wait_ms", "int"),
    "fetch.wait.max.ms": ("fetch_max_wait_ms", "int"),
    "fetch.min.bytes": ("fetch_min_bytes", "int"),
    "fetch.max.bytes": ("fetch_max_bytes", "int"),
    "max.partition.fetch.bytes": ("max_partition_fetch_bytes", "int"),
    "client.rack": ("client_rack", "str"),
    "check.crcs": ("check_crcs", "bool"),
}
_COMMON_SIMPLE: dict[str, tuple[str, str]] = {
    "client.id": ("client_id", "str"),
    "request.timeout.ms": ("request_timeout_ms", "int"),
    "metadata.max.age.ms": ("metadata_max_age_ms", "int"),
    "retry.backoff.ms": ("retry_backoff_ms", "int"),
    "connections.max.idle.ms": ("connections_max_idle_ms", "int"),
    "security.protocol": ("security_protocol", "security_protocol"),
    "sasl.mechanism": ("sasl_mechanism", "upper"),
    "sasl.mechanisms": ("sasl_mechanism", "upper"),
    "sasl.username": ("sasl_plain_username", "str"),
    "sasl.password": ("sasl_plain_password", "str"),
    "sasl.kerberos.service.name": ("sasl_kerberos_service_name", "str"),
    "sasl.kerberos.domain.name": ("sasl_kerberos_domain_name", "str"),
    "metrics.num.samples": ("metrics_num_samples", "int"),
    "metrics.sample.window.ms": ("metrics_sample_window_ms", "int"),
    "enable.metrics.push": ("enable_metrics_push", "bool"),
}
_SSL_KEYS = frozenset({
    "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
    "ssl.truststore.location", "ssl.truststore.type", "ssl.truststore.password",
    "ssl.endpoint.identification.algorithm", "enable.ssl.certificate.verification",
    "ssl.crl.location", "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password",
})  # fmt: skip
_BOOTSTRAP_KEYS = ("bootstrap.servers", "metadata.broker.list")
_IGNORED = frozenset({"sasl.login.callback.handler.class", "ssl.protocol", "ssl.enabled.protocols"})


def is_secret(key: str) -> bool:
    """Whether a config key's value must never be shown."""
    return bool(_SECRET.search(key))


@dataclass
class Settings:
    """What the common options resolved to."""

    bootstrap: str
    # keyword arguments for the clients' constructors (str, int, bool, SSLContext, ...)
    common: dict[str, Any] = field(default_factory=dict)
    producer: dict[str, Any] = field(default_factory=dict)
    consumer: dict[str, Any] = field(default_factory=dict)
    timeout_ms: int = 30000

    def __repr__(self) -> str:  # the kwargs may hold a password: show only the keys
        return f"Settings(bootstrap={self.bootstrap!r}, keys={sorted(self.common)})"


def read_properties(path: str) -> dict[str, str]:
    """A Java/librdkafka properties file: ``key=value`` or ``key: value`` lines, ``#``/``!``
    comments, backslash line continuations."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    props: dict[str, str] = {}
    pending = ""
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = pending + raw.strip()
        first = first if pending else number
        pending = ""
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        if not line or line[0] in "#!":
            continue
        key, value = _split_property(line, f"{path}:{first}")
        props[key] = value
    return props


def _split_property(line: str, where: str) -> tuple[str, str]:
    match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
    if match is None:  # the line itself is not shown: it may be a password on its own
        raise UsageError(f"{where}: not a key=value line")
    return match.group(1), match.group(2)


def parse_pairs(items: Iterable[str], what: str) -> list[tuple[str, str]]:
    """``key=value`` strings -> (key, value) pairs in order, repeats kept (``-H``)."""
    result: list[tuple[str, str]] = []
    for number, item in enumerate(items, 1):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} takes key=value; {_which(what, number, item)} is not")
        result.append((key.strip(), value))
    return result


def parse_assignments(items: Iterable[str], what: str) -> dict[str, str]:
    """``key=value`` strings (``-X``, ``--config-entry``) -> dict (the last one wins)."""
    return dict(parse_pairs(items, what))


def _which(what: str, number: int, item: str) -> str:
    """Names a malformed ``key=value`` item without showing it: only a key-like prefix
    ending at ``:`` or a space (``sasl.password:hunter2``) is shown, never what follows."""
    head = re.match(r"\s*([\w.\-]{1,60})[:\s]", item)
    if head is not None:
        return f"{what} #{number} ({head.group(1)!r}, did you mean {head.group(1)}=...?)"
    return f"{what} #{number}"


def load_settings(
    bootstrap: str | None,
    config_file: str | None,
    overrides: Iterable[str],
    timeout: float,
    env: Mapping[str, str] = os.environ,
) -> Settings:
    """Merge the config file, ``-X`` overrides and ``-b`` (in rising priority)."""
    props = read_properties(config_file) if config_file else {}
    props |= parse_assignments(overrides, "-X")
    servers = bootstrap or _first(props, _BOOTSTRAP_KEYS) or env.get("KAFKA_BOOTSTRAP_SERVERS")
    if not servers:
        raise UsageError("no bootstrap servers: pass -b HOST:PORT or set KAFKA_BOOTSTRAP_SERVERS")
    timeout_ms = max(1, int(timeout * 1000))
    settings = Settings(bootstrap=servers, timeout_ms=timeout_ms)
    settings.common["request_timeout_ms"] = timeout_ms
    _apply(settings, props)
    return settings


def _first(props: Mapping[str, str], keys: Iterable[str]) -> str | None:
    return next((props[k] for k in keys if props.get(k)), None)


def _apply(settings: Settings, props: dict[str, str]) -> None:
    unknown = []
    for key, value in props.items():
        if key in _COMMON_SIMPLE:
            name, kind = _COMMON_SIMPLE[key]
            settings.common[name] = convert(key, value, kind)
        elif key in PRODUCER_KEYS:
            name, kind = PRODUCER_KEYS[key]
            settings.producer[name] = convert(key, value, kind)
        elif key in CONSUMER_KEYS:
            name, kind = CONSUMER_KEYS[key]
            settings.consumer[name] = convert(key, value, kind)
        elif key == "sasl.jaas.config":
            settings.common |= _jaas(value)
        elif key not in _SSL_KEYS and key not in _BOOTSTRAP_KEYS and key not in _IGNORED:
            unknown.append(key)
    if unknown:
        print(f"aiokafka-gen: ignoring unknown config keys: {', '.join(unknown)}", file=sys.stderr)
    context = _ssl_context(props, settings.common.get("security_protocol", "PLAINTEXT"))
    if context is not None:
        settings.common["ssl_context"] = context


def convert(key: str, value: str, kind: str) -> str | int | bool | None:
    """One config value as the client argument wants it; UsageError names the key only."""
    text = value.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{key} must be an integer") from None
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0"):
            raise UsageError(f"{key} must be true or false")
        return text.lower() in ("true", "1")
    if kind == "acks":
        if text not in ("all", "-1", "0", "1"):
            raise UsageError(f"{key} must be all, -1, 0 or 1")
        return "all" if text in ("all", "-1") else int(text)
    if kind == "offset_reset":
        text = {"smallest": "earliest", "largest": "latest"}.get(text.lower(), text)
    if kind in _CHOICES:
        choices = _CHOICES[kind]
        folded = text.upper() if kind in ("security_protocol", "upper") else text.lower()
        if choices and folded not in choices:
            raise UsageError(f"{key} must be one of {', '.join(sorted(choices))}")
        return None if kind == "codec" and folded in ("none", "") else folded
    return value


_CHOICES: dict[str, frozenset[str]] = {
    "codec": frozenset({"none", "", "gzip", "snappy", "lz4", "zstd"}),
    "offset_reset": frozenset({"earliest", "latest", "none"}),
    "isolation": frozenset({"read_committed", "read_uncommitted"}),
    "group_protocol": frozenset({"classic", "consumer"}),
    "security_protocol": frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}),
    "upper": frozenset(),
    "lower": frozenset(),
}


def _jaas(text: str) -> dict[str, str]:
    """username/password out of a Java ``sasl.jaas.config`` line."""
    found = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', text))
    result = {}
    if "username" in found:
        result["sasl_plain_username"] = found["username"]
    if "password" in found:
        result["sasl_plain_password"] = found["password"]
    return result


def _ssl_context(props: Mapping[str, str], protocol: str) -> ssl.SSLContext | None:
    if "SSL" not in protocol.upper():
        return None
    from aiokafka_gen.helpers import create_ssl_context

    certfile = props.get("ssl.certificate.location")
    if "ssl.keystore.location" in props or "ssl.keystore.password" in props:
        if props.get("ssl.keystore.type", "JKS").upper() != "PEM" or certfile:
            raise UsageError(
                "JKS/PKCS12 keystores are not supported: give ssl.certificate.location and "
                "ssl.key.location (PEM files), or ssl.keystore.type=PEM"
            )
        certfile = props.get("ssl.keystore.location")  # a PEM keystore: key and chain
    cafile = props.get("ssl.ca.location")
    if cafile is None and "ssl.truststore.location" in props:
        if props.get("ssl.truststore.type", "JKS").upper() != "PEM":
            raise UsageError(
                "JKS/PKCS12 truststores are not supported: give ssl.ca.location (a PEM file)"
            )
        cafile = props["ssl.truststore.location"]
    context = create_ssl_context(
        cafile=cafile, certfile=certfile, keyfile=props.get("ssl.key.location"),
        password=props.get("ssl.key.password") or props.get("ssl.keystore.password"),
        crlfile=props.get("ssl.crl.location"),
    )  # fmt: skip
    if props.get("ssl.endpoint.identification.algorithm", "https").lower() in ("", "none"):
        context.check_hostname = False
    if props.get("enable.ssl.certificate.verification", "true").lower() == "false":
        import ssl

        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
