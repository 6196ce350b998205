"""ClientConfig: the connection settings every client shares, checked once (no broker)."""

from __future__ import annotations

import dataclasses
import ssl
from typing import Any

import pytest

from aiokafka_gen._validate import RangeBounds
from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.client_config import CLIENT_BOUNDS, ClientConfig
from aiokafka_gen.errors import KafkaConfigurationError
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.share import AIOKafkaShareConsumer

SECURE = {
    "bootstrap_servers": ["a:1", "b:2"], "client_id": "me", "security_protocol": "SASL_SSL",
    "ssl_context": ssl.create_default_context(), "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "user", "sasl_plain_password": "hidden-pw",
}  # fmt: skip


def test_defaults_are_the_clients() -> None:
    default = AIOKafkaClient()
    client = AIOKafkaClient.from_config(ClientConfig())  # no id given: the client's own default
    assert client.client_id == default.client_id
    assert client._config == default._config and client._bootstrap == default._bootstrap
    assert AIOKafkaClient.from_config(ClientConfig(), "fallback").client_id == "fallback"
    assert AIOKafkaClient.from_config(ClientConfig(client_id="mine"), "x").client_id == "mine"


def test_create_keeps_only_connection_settings() -> None:
    options = {**SECURE, **{name: 1 for name in CLIENT_BOUNDS}, "linger_ms": 5, "self": None}
    config = ClientConfig.create(options)
    assert config == ClientConfig(**{**SECURE, **{name: 1 for name in CLIENT_BOUNDS}})
    assert "hidden-pw" not in repr(config)
    client = AIOKafkaClient.from_config(config)
    direct = AIOKafkaClient(**{**SECURE, **{name: 1 for name in CLIENT_BOUNDS}})
    assert client.client_id == "me" and client._config == direct._config
    assert client._bootstrap == direct._bootstrap == [("a", 1), ("b", 2)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.client_id = "other"  # type: ignore[misc]
    assert (config.request_timeout, config.retry_backoff) == (0.001, 0.001)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("metadata_max_age_ms", -1),
        ("request_timeout_ms", 0),
        ("retry_backoff_ms", -1),
        ("connections_max_idle_ms", None),
        ("request_timeout_ms", "5"),
    ],
)
def test_default_bounds_match_the_client(name: str, value: object) -> None:
    options = {**{n: 100 for n in CLIENT_BOUNDS}, name: value}
    with pytest.raises(KafkaConfigurationError) as ours:
        ClientConfig.create(options)
    with pytest.raises(KafkaConfigurationError) as clients:
        AIOKafkaClient(**{name: value})  # type: ignore[arg-type]
    assert str(ours.value) == str(clients.value)


def test_bounds_are_checked_in_the_callers_order() -> None:
    options = {"request_timeout_ms": 0, "retry_backoff_ms": -1}
    bounds: dict[str, RangeBounds] = {
        "retry_backoff_ms": {"at_least": 0},
        "request_timeout_ms": {"at_least": 1},
    }
    with pytest.raises(KafkaConfigurationError, match="retry_backoff_ms"):
        ClientConfig.create(options, bounds)
    assert ClientConfig.create({"request_timeout_ms": 0}, {}).request_timeout_ms == 0


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    original = ClientConfig.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[ClientConfig], *args: Any, **kwargs: Any) -> ClientConfig:
        made.append(original(cls, *args, **kwargs))
        return made[-1]  # type: ignore[no-any-return]

    monkeypatch.setattr(ClientConfig, "create", classmethod(create))
    return made


def test_each_client_builds_one_config(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _counting(monkeypatch)
    from aiokafka_gen.consumer import AIOKafkaConsumer

    producer = AIOKafkaProducer(**SECURE)
    assert len(made) == 1 and producer._config.client is made[0]
    assert producer.client.client_id == "me"
    admin = AIOKafkaAdminClient(**SECURE)
    assert len(made) == 2 and admin.client.client_id == "me"
    consumer = AIOKafkaConsumer(**SECURE)
    assert len(made) == 3 and consumer._config.client is made[2]
    share = AIOKafkaShareConsumer(group_id="g", **SECURE)
    assert len(made) == 4 and share._client.client_id == "me"
    assert {config.sasl_mechanism for config in made} == {"SCRAM-SHA-512"}


def test_producer_client_takes_the_checked_settings() -> None:
    producer = AIOKafkaProducer(request_timeout_ms=1500, retry_backoff_ms=7)
    client = producer.client
    assert client.client_id.startswith("aiokafka-producer-")
    assert (client._request_timeout_ms, client.retry_backoff) == (1500, 0.007)
    assert (producer._config.request_timeout_ms, producer._config.retry_backoff_ms) == (1500, 7)


def test_from_config_checks_nothing_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each client checks a shared number once, against its own range; the client built
    from its config does not check it again (a direct AIOKafkaClient checks every one)."""
    import aiokafka_gen.client as client_module
    import aiokafka_gen.client_config as config_module
    from aiokafka_gen.consumer import AIOKafkaConsumer

    checked: list[str] = []

    def counting(name: str, value: object, **bounds: Any) -> None:
        checked.append(name)

    monkeypatch.setattr(config_module, "check_range", counting)
    monkeypatch.setattr(client_module, "check_range", counting)
    for build in (AIOKafkaProducer, AIOKafkaAdminClient, AIOKafkaConsumer):
        checked.clear()
        build()
        shared = [name for name in checked if name in CLIENT_BOUNDS]
        assert sorted(shared) == sorted(CLIENT_BOUNDS), build
    checked.clear()
    AIOKafkaClient()
    assert checked == [*CLIENT_BOUNDS, *client_module._RANGES]
    config = ClientConfig(request_timeout_ms=0)  # unchecked: from_config trusts its caller
    checked.clear()
    assert AIOKafkaClient.from_config(config, "fallback").client_id == "fallback"
    assert checked == []


@pytest.mark.parametrize(
    ("bad", "first"),
    [
        ({"request_timeout_ms": 0, "metadata_max_age_ms": -1}, "request_timeout_ms"),
        ({"metadata_max_age_ms": -1, "retry_backoff_ms": -1}, "metadata_max_age_ms"),
        ({"request_timeout_ms": 2**31}, "request_timeout_ms must be at most"),
        ({"connections_max_idle_ms": 2**63}, "connections_max_idle_ms must be at most"),
    ],
)
def test_admin_ranges_and_order(bad: dict[str, int], first: str) -> None:
    with pytest.raises(KafkaConfigurationError, match=first):
        AIOKafkaAdminClient(**bad)  # type: ignore[arg-type]


def test_producer_request_timeout_stays_an_int32() -> None:
    with pytest.raises(KafkaConfigurationError, match="request_timeout_ms must be an int"):
        AIOKafkaProducer(request_timeout_ms=1500.5)  # type: ignore[arg-type]
    with pytest.raises(KafkaConfigurationError, match="request_timeout_ms must be at most"):
        AIOKafkaProducer(request_timeout_ms=2**31)
