"""SASL/GSSAPI (Kerberos V5, RFC 4752) client side through the optional ``gssapi`` package.

The context tokens are exchanged until the GSS context is established; then the server
sends a wrapped 4-byte security-layer offer, and the client answers with a wrapped choice
of "no security layer" (Kafka protects the stream with TLS, never with SASL layers).
``gssapi`` is imported when a mechanism is created, never at module import. Must not do
I/O beyond what the GSS library does to reach the KDC.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType

from aiokafka_gen.protocol.sasl._base import SaslError

__all__ = ["Gssapi"]

_NO_SECURITY_LAYER = 1


def _load() -> ModuleType:
    try:
        return importlib.import_module("gssapi")  # optional: may be absent at type-check time
    except ImportError:
        raise SaslError("GSSAPI needs the optional 'gssapi' package") from None


@contextlib.contextmanager
def _typed(gssapi: ModuleType) -> Iterator[None]:
    """GSS library failures (no ticket, unknown service, KDC down) become SaslError."""
    try:
        yield
    except gssapi.exceptions.GSSError as exc:
        raise SaslError(f"GSSAPI: {exc}") from None


class Gssapi:
    """One Kerberos exchange for ``service@host`` with the default credentials."""

    name = "GSSAPI"

    def __init__(self, service: str, host: str) -> None:
        self._gssapi = gssapi = _load()
        with _typed(gssapi):
            target = gssapi.Name(f"{service}@{host}", name_type=gssapi.NameType.hostbased_service)
            self._context = gssapi.SecurityContext(name=target, usage="initiate")
        self._state = "context"

    @property
    def complete(self) -> bool:
        return self._state == "done"

    def first_message(self) -> bytes:
        with _typed(self._gssapi):
            token = self._context.step(None)
        return bytes(token or b"")

    def step(self, server_token: bytes) -> bytes | None:
        with _typed(self._gssapi):
            return self._step(server_token)

    def _step(self, server_token: bytes) -> bytes | None:
        if self._state == "context":
            if not self._context.complete:
                return bytes(self._context.step(server_token) or b"")
            self._state = "layer"
        if self._state == "layer":
            return self._choose_layer(server_token)
        if self._state == "answered":
            self._state = "done"
            return None
        raise SaslError(f"GSSAPI: unexpected step in state {self._state!r}")

    def _choose_layer(self, server_token: bytes) -> bytes:
        offer = bytes(self._context.unwrap(server_token).message)
        if len(offer) != 4 or not offer[0] & _NO_SECURITY_LAYER:
            raise SaslError("GSSAPI: the server offers no 'no security layer' option")
        self._state = "answered"
        answer = bytes([_NO_SECURITY_LAYER, 0, 0, 0])  # no layer: max size must be 0
        return bytes(self._context.wrap(answer, False).message)

    def __repr__(self) -> str:
        return f"<Gssapi state={self._state}>"
