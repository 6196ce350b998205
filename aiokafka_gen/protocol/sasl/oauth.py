"""SASL/OAUTHBEARER (RFC 7628) client side, with KIP-342 SASL extensions.

The token is fetched by the connection (the provider is async) and handed in ready-made.
The client message is ``n,,<0x01>auth=Bearer <token><0x01>key=value...<0x01><0x01>``. A
failing server answers with a JSON error challenge, to which the client must reply with a
single 0x01 before the broker reports the failure. Must not do I/O and must never show
the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aiokafka_gen.protocol.sasl._base import SaslError

__all__ = ["OAuthBearer"]

_SEP = "\x01"
_KEY = re.compile(r"[A-Za-z]+")
_VALUE = re.compile(r"[\x21-\x7E \t\r\n]+")


def _check_extensions(extensions: Mapping[str, str]) -> None:
    for key, value in extensions.items():
        if key == "auth" or not _KEY.fullmatch(key):
            raise SaslError(f"OAUTHBEARER: invalid extension name {key!r}")
        if not _VALUE.fullmatch(value):
            raise SaslError(f"OAUTHBEARER: invalid value for extension {key!r}")


class OAuthBearer:
    """One OAUTHBEARER exchange for an already obtained token."""

    name = "OAUTHBEARER"

    def __init__(self, token: str, extensions: Mapping[str, str] | None = None) -> None:
        _check_extensions(extensions or {})
        self._token = token
        self._extensions = dict(extensions or {})
        self._state = "start"

    @property
    def complete(self) -> bool:
        return self._state == "done"

    def first_message(self) -> bytes:
        if self._state != "start":
            raise SaslError("OAUTHBEARER: first message sent twice")
        self._state = "sent"
        extra = "".join(f"{key}={value}{_SEP}" for key, value in self._extensions.items())
        return f"n,,{_SEP}auth=Bearer {self._token}{_SEP}{extra}{_SEP}".encode()

    def step(self, server_token: bytes) -> bytes | None:
        if self._state != "sent":
            raise SaslError(f"OAUTHBEARER: unexpected step in state {self._state!r}")
        if server_token:
            self._state = "failed"
            return _SEP.encode()  # acknowledge the error challenge; the broker then fails
        self._state = "done"
        return None

    def __repr__(self) -> str:
        return f"<OAuthBearer state={self._state}>"
