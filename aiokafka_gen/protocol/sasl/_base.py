"""The mechanism interface every SASL implementation follows, and the SASL error type.

Must not do I/O or hold anything but the state of one authentication exchange.
"""

from __future__ import annotations

from typing import Protocol

from aiokafka_gen.errors import AuthenticationFailedError

__all__ = ["SaslError", "SaslMechanism"]


class SaslError(AuthenticationFailedError):
    """The client side of a SASL exchange failed (bad server message, bad signature).

    An ``AuthenticationFailedError`` (aiokafka's name for a failed authentication; not
    retriable), so ``except AuthenticationFailedError`` catches it. A broker's refusal
    arrives as its error code's class instead (``SaslAuthenticationFailed``,
    ``UnsupportedSaslMechanismError``, ...).
    """


class SaslMechanism(Protocol):
    """One authentication exchange; create a new object for every (re-)authentication."""

    name: str

    @property
    def complete(self) -> bool: ...

    def first_message(self) -> bytes: ...

    def step(self, server_token: bytes) -> bytes | None: ...
