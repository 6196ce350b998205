"""Connection settings shared by every connection of a client (aiokafka names and units).

Secrets (the SASL password, the token provider) are excluded from repr. Must not open
anything; ``validate()`` only checks values and combinations (``KafkaConfigurationError``,
a ``ValueError``).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from aiokafka_gen._validate import check_range
from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.errors import KafkaConfigurationError
from aiokafka_gen.protocol.framing import DEFAULT_MAX_FRAME_SIZE

__all__ = ["SASL_MECHANISMS", "SECURITY_PROTOCOLS", "ConnectionConfig"]

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI")


@dataclass(frozen=True)
class ConnectionConfig:
    """Everything a ``BrokerConnection`` needs besides its address."""

    client_id: str | None = "aiokafka-gen"
    security_protocol: str = "PLAINTEXT"
    ssl_context: ssl.SSLContext | None = None
    sasl_mechanism: str = "PLAIN"
    sasl_plain_username: str | None = None
    sasl_plain_password: str | None = field(default=None, repr=False)
    sasl_kerberos_service_name: str = "kafka"
    sasl_kerberos_domain_name: str | None = None
    sasl_oauth_token_provider: AbstractTokenProvider | None = field(default=None, repr=False)
    request_timeout_ms: float = 40000
    connect_timeout_ms: float | None = None
    connections_max_idle_ms: float = 540000
    max_in_flight_requests: int = 64
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE

    def validate(self) -> ConnectionConfig:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise KafkaConfigurationError(
                f"security_protocol must be one of {SECURITY_PROTOCOLS},"
                f" not {self.security_protocol!r}"
            )
        if self.uses_tls and self.ssl_context is None:
            raise KafkaConfigurationError(f"{self.security_protocol} needs an ssl_context")
        if self.uses_sasl:
            self._validate_sasl()
        check_range("max_in_flight_requests", self.max_in_flight_requests, at_least=1,
                    integral=True)  # fmt: skip
        return self

    def _validate_sasl(self) -> None:
        if self.sasl_mechanism not in SASL_MECHANISMS:
            raise KafkaConfigurationError(
                f"sasl_mechanism must be one of {SASL_MECHANISMS}, not {self.sasl_mechanism!r}"
            )
        if self.sasl_mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512") and (
            self.sasl_plain_username is None or self.sasl_plain_password is None
        ):
            raise KafkaConfigurationError(
                f"{self.sasl_mechanism} needs sasl_plain_username and sasl_plain_password"
            )
        if self.sasl_mechanism == "OAUTHBEARER" and self.sasl_oauth_token_provider is None:
            raise KafkaConfigurationError("OAUTHBEARER needs sasl_oauth_token_provider")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def request_timeout(self) -> float:
        return self.request_timeout_ms / 1000.0

    @property
    def connect_timeout(self) -> float:
        ms = (
            self.connect_timeout_ms
            if self.connect_timeout_ms is not None
            else (self.request_timeout_ms)
        )
        return ms / 1000.0
