"""Helpers for the real-broker tests: clients per listener, an unsecured OAuth token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.testing import KafkaCluster

PROTOCOL_OF = {"MTLS": "SSL"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class UnsecuredToken(AbstractTokenProvider):
    """An unsigned JWT (alg none), what the harness's unsecured OAUTHBEARER validator wants."""

    def __init__(self, subject: str = "admin", scope: str = "kafka", life_s: int = 3600) -> None:
        self.subject, self.scope, self.life_s = subject, scope, life_s
        self.calls = 0

    async def token(self) -> str:
        self.calls += 1
        now = int(time.time())
        claims = {"sub": self.subject, "iat": now, "exp": now + self.life_s, "scope": self.scope}
        return f"{_b64({'alg': 'none'})}.{_b64(claims)}."

    def extensions(self) -> dict[str, str]:
        return {"traceId": "abc"}


def client_for(
    cluster: KafkaCluster,
    listener: str,
    mechanism: str | None = None,
    *,
    user: str = "alice",
    password: str | None = None,
    client_cert: bool = False,
    **kw: Any,
) -> AIOKafkaClient:
    options: dict[str, Any] = {
        "bootstrap_servers": cluster.bootstrap(listener),
        "security_protocol": PROTOCOL_OF.get(listener, listener),
        "request_timeout_ms": 15000,
    }
    if "SSL" in listener or listener == "MTLS":
        options["ssl_context"] = cluster.ssl_context(client_cert=client_cert)
    if mechanism == "OAUTHBEARER":
        options |= {"sasl_mechanism": mechanism, "sasl_oauth_token_provider": UnsecuredToken()}
    elif mechanism is not None:
        secret = cluster.credentials[user] if password is None else password
        options |= {"sasl_mechanism": mechanism, "sasl_plain_username": user,
                    "sasl_plain_password": secret}  # fmt: skip
    return AIOKafkaClient(**(options | kw))
