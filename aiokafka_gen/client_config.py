"""The connection settings every client shares, checked once: ``ClientConfig``.

The producer, the consumer, the share consumer and the admin client take the same
connection arguments (aiokafka's names: ``bootstrap_servers``, ``client_id``, timeouts,
security and SASL). Each builds one ``ClientConfig`` from its keyword arguments with
``ClientConfig.create(options, bounds)`` and builds its ``AIOKafkaClient`` with
``AIOKafkaClient.from_config(config)``, which does not check them again; nothing else
copies them.

``bounds`` is the calling client's legal range per numeric setting, in the order they are
checked (its message names the argument: ``KafkaConfigurationError``, a ``ValueError``).
The default, ``CLIENT_BOUNDS``, is ``AIOKafkaClient``'s own; the producer and the admin
client pass the tighter ranges of Java's ``ProducerConfig`` / ``AdminClientConfig``.
Security settings (protocol, SASL mechanism and credentials) are checked by the connection
layer when the client is built. Plain frozen dataclass, stdlib only, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiokafka_gen._validate import RangeBounds, check_range

if TYPE_CHECKING:
    import ssl

    from aiokafka_gen.abc import AbstractTokenProvider

__all__ = ["CLIENT_BOUNDS", "ClientConfig"]

# AIOKafkaClient's ranges of the shared numbers (Java's ConfigDef ranges, the request
# timeout at least 1: 0 would fail every request)
CLIENT_BOUNDS: Final[Mapping[str, RangeBounds]] = {
    "metadata_max_age_ms": {"at_least": 0},
    "request_timeout_ms": {"at_least": 1},
    "retry_backoff_ms": {"at_least": 0},
    "connections_max_idle_ms": {},  # any number; <= 0 never closes an idle connection
}


@dataclasses.dataclass(frozen=True, slots=True)
class ClientConfig:
    """The connection arguments of a client, checked (``create``); defaults are aiokafka's.

    ``client_id`` None (the producer's default) means the caller names the client:
    ``AIOKafkaClient.from_config(config, default_client_id)``.
    """

    bootstrap_servers: str | Iterable[str] = "localhost"
    client_id: str | None = None
    metadata_max_age_ms: int = 300000
    request_timeout_ms: int = 40000
    retry_backoff_ms: int = 100
    ssl_context: ssl.SSLContext | None = None
    security_protocol: str = "PLAINTEXT"
    connections_max_idle_ms: int = 540000
    sasl_mechanism: str = "PLAIN"
    sasl_plain_username: str | None = None
    sasl_plain_password: str | None = dataclasses.field(default=None, repr=False)
    sasl_kerberos_service_name: str = "kafka"
    sasl_kerberos_domain_name: str | None = None
    sasl_oauth_token_provider: AbstractTokenProvider | None = None

    @classmethod
    def create(
        cls, options: Mapping[str, Any], bounds: Mapping[str, RangeBounds] = CLIENT_BOUNDS
    ) -> ClientConfig:
        """The connection settings among a constructor's keyword arguments ``options``
        (other names are ignored; missing ones take the defaults), each number in ``bounds``
        checked in ``bounds``' order."""
        for name, limits in bounds.items():
            check_range(name, options[name], **limits)
        return cls(**{name: options[name] for name in _FIELDS if name in options})

    @property
    def request_timeout(self) -> float:
        """request_timeout_ms in seconds."""
        return self.request_timeout_ms / 1000

    @property
    def retry_backoff(self) -> float:
        """retry_backoff_ms in seconds."""
        return self.retry_backoff_ms / 1000


_FIELDS: Final = tuple(field.name for field in dataclasses.fields(ClientConfig))
