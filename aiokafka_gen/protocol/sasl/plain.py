"""SASL/PLAIN (RFC 4616): one message carrying the username and the password.

Only use it over TLS. Must not do I/O, and must never show the password.
"""

from __future__ import annotations

from aiokafka_gen.protocol.sasl._base import SaslError

__all__ = ["Plain"]


class Plain:
    """``\\0username\\0password``, then the broker's (empty) answer completes it."""

    name = "PLAIN"

    def __init__(self, username: str, password: str) -> None:
        if "\0" in username or "\0" in password:
            raise SaslError("PLAIN credentials cannot contain NUL characters")
        self._username = username
        self._password = password
        self._sent = False
        self._done = False

    @property
    def complete(self) -> bool:
        return self._done

    def first_message(self) -> bytes:
        self._sent = True
        return b"\0" + self._username.encode() + b"\0" + self._password.encode()

    def step(self, server_token: bytes) -> bytes | None:
        if not self._sent:
            raise SaslError("PLAIN: server answered before the client spoke")
        self._done = True
        return None

    def __repr__(self) -> str:
        return "<Plain>"
