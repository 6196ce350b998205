"""Small pure pieces of the connection layer: lifecycle table, backoff, config, TLS helper."""

from __future__ import annotations

import ssl

import pytest

from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.conn import (
    ConnectionConfig,
    ConnectionEvent,
    ConnectionState,
    Lifecycle,
    ReconnectBackoff,
)
from aiokafka_gen.errors import IllegalStateError
from aiokafka_gen.helpers import create_ssl_context


def test_lifecycle_table() -> None:
    life = Lifecycle()
    steps = [("connect", "CONNECTING"), ("connected", "HANDSHAKE"), ("ready", "READY"),
             ("reauth", "REAUTHENTICATING"), ("ready", "READY")]  # fmt: skip
    for event, state in steps:
        assert life.fire(ConnectionEvent(event)) is ConnectionState[state]
    with pytest.raises(IllegalStateError, match="connect"):
        life.fire(ConnectionEvent.CONNECT)
    life.fire(ConnectionEvent.CLOSE)
    assert life.fire(ConnectionEvent.CLOSE) is ConnectionState.CLOSED
    with pytest.raises(IllegalStateError):
        life.fire(ConnectionEvent.READY)


def test_backoff_exponential_capped_with_jitter() -> None:
    low = ReconnectBackoff(50, 1000, rand=lambda: 0.0)
    high = ReconnectBackoff(50, 1000, rand=lambda: 1.0)
    assert low.delay(0) == 0
    assert low.delay(1) == pytest.approx(0.040)
    assert high.delay(1) == pytest.approx(0.060)
    assert low.delay(3) == pytest.approx(0.160)
    assert high.delay(30) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ReconnectBackoff(100, 10)


class Provider(AbstractTokenProvider):
    async def token(self) -> str:
        return "token-value"


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"security_protocol": "HTTP"}, "security_protocol"),
        ({"security_protocol": "SSL"}, "ssl_context"),
        ({"security_protocol": "SASL_PLAINTEXT"}, "username"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "OAUTHBEARER"}, "provider"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "MD5"}, "sasl_mechanism"),
        ({"max_in_flight_requests": 0}, "in_flight"),
    ],
)
def test_config_validation(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ConnectionConfig(**kw).validate()  # type: ignore[arg-type]


def test_secrets_never_in_repr() -> None:
    config = ConnectionConfig(
        security_protocol="SASL_PLAINTEXT", sasl_plain_username="u",
        sasl_plain_password="hunter2-pw", sasl_oauth_token_provider=Provider(),
    )  # fmt: skip
    assert "hunter2-pw" not in repr(config)
    client = AIOKafkaClient(
        bootstrap_servers="h1:1,h2", security_protocol="SASL_PLAINTEXT",
        sasl_plain_username="u", sasl_plain_password="hunter2-pw",
    )  # fmt: skip
    text = repr(client)
    assert "hunter2-pw" not in text
    assert "h1:1,h2:9092" in text and "new" in text


def test_create_ssl_context_verifies() -> None:
    context = create_ssl_context()
    assert context.check_hostname
    assert context.verify_mode is ssl.CERT_REQUIRED


def test_bootstrap_servers_must_name_something() -> None:
    with pytest.raises(ValueError):
        AIOKafkaClient(bootstrap_servers=" , ")
