"""The mechanism interface every SASL implementation follows, and the SASL error type.

Must not do I/O or hold anything but the state of one authentication exchange.
"""

from __future__ import annotations

from typing import Protocol

from aiokafka_gen.errors import KafkaError

__all__ = ["SaslError", "SaslMechanism"]


class SaslError(KafkaError):
    """The client side of a SASL exchange failed (bad server message, bad signature)."""


class SaslMechanism(Protocol):
    """One authentication exchange; create a new object for every (re-)authentication."""

    name: str

    @property
    def complete(self) -> bool: ...

    def first_message(self) -> bytes: ...

    def step(self, server_token: bytes) -> bytes | None: ...
