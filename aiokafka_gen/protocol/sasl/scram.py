"""SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), client side.

Three messages: client-first (username, client nonce), client-final (channel binding,
combined nonce, proof) and the check of the server's signature. The combined nonce must
extend ours, the iteration count must be sane, and the server signature must verify:
otherwise ``SaslError``. Usernames are escaped (``=`` -> ``=3D``, ``,`` -> ``=2C``);
SASLprep is not applied (Kafka's Java client does not apply it either). Must not do I/O,
and must never show the password, the salted password or the proof.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from aiokafka_gen.protocol.sasl._base import SaslError

__all__ = ["MAX_ITERATIONS", "MIN_ITERATIONS", "Scram", "escape_username"]

#: Kafka refuses SCRAM credentials with fewer iterations.
MIN_ITERATIONS = 4096
#: A hostile server could ask for billions of PBKDF2 rounds; refuse beyond this.
MAX_ITERATIONS = 1_000_000
_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
_GS2_HEADER = b"n,,"


def escape_username(username: str) -> str:
    """RFC 5802 saslname escaping; ``=`` first so the escapes are not escaped again."""
    return username.replace("=", "=3D").replace(",", "=2C")


def _parse(message: bytes) -> dict[str, str]:
    try:
        text = message.decode()
    except UnicodeDecodeError:
        raise SaslError("SCRAM: server message is not UTF-8") from None
    fields: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or len(key) != 1:
            raise SaslError("SCRAM: malformed server message")
        fields.setdefault(key, value)
    return fields


class Scram:
    """One SCRAM exchange; ``nonce`` is for tests (RFC vectors), normally random."""

    def __init__(
        self, mechanism: str, username: str, password: str, *, nonce: str | None = None
    ) -> None:
        if mechanism not in _HASHES:
            raise SaslError(f"unknown SCRAM mechanism {mechanism!r}")
        self.name = mechanism
        self._hash = _HASHES[mechanism]
        self._username = username
        self._password = password
        self._nonce = nonce or base64.b64encode(secrets.token_bytes(24)).decode()
        self._first_bare = f"n={escape_username(username)},r={self._nonce}"
        self._state = "start"
        self._server_signature = b""

    @property
    def complete(self) -> bool:
        return self._state == "done"

    def first_message(self) -> bytes:
        self._expect("start", "first")
        return _GS2_HEADER + self._first_bare.encode()

    def step(self, server_token: bytes) -> bytes | None:
        if self._state == "first":
            return self._client_final(server_token)
        self._expect("final", "failed")
        self._verify(server_token)
        self._state = "done"
        return None

    def _expect(self, state: str, following: str) -> None:
        if self._state != state:
            raise SaslError(f"SCRAM: unexpected step in state {self._state!r}")
        self._state = following

    def _client_final(self, server_first: bytes) -> bytes:
        self._expect("first", "final")
        fields = _parse(server_first)
        nonce, salt, iterations = self._check_server_first(fields)
        salted = hashlib.pbkdf2_hmac(self._hash, self._password.encode(), salt, iterations)
        without_proof = f"c={base64.b64encode(_GS2_HEADER).decode()},r={nonce}"
        auth_message = f"{self._first_bare},{server_first.decode()},{without_proof}".encode()
        client_key = self._hmac(salted, b"Client Key")
        signature = self._hmac(hashlib.new(self._hash, client_key).digest(), auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def _check_server_first(self, fields: dict[str, str]) -> tuple[str, bytes, int]:
        if "m" in fields:
            raise SaslError("SCRAM: server requires an extension this client does not know")
        nonce, salt, count = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not nonce.startswith(self._nonce) or len(nonce) <= len(self._nonce):
            raise SaslError("SCRAM: server nonce does not extend the client nonce")
        if not count.isdigit() or not MIN_ITERATIONS <= int(count) <= MAX_ITERATIONS:
            raise SaslError(f"SCRAM: iteration count {count[:12]!r} outside the allowed range")
        try:
            return nonce, base64.b64decode(salt, validate=True), int(count)
        except ValueError:
            raise SaslError("SCRAM: salt is not base64") from None

    def _verify(self, server_final: bytes) -> None:
        fields = _parse(server_final)
        if "e" in fields:
            raise SaslError(f"SCRAM: server reported {fields['e'][:100]!r}")
        try:
            signature = base64.b64decode(fields.get("v", ""), validate=True)
        except ValueError:
            raise SaslError("SCRAM: server signature is not base64") from None
        if not hmac.compare_digest(signature, self._server_signature):
            raise SaslError("SCRAM: server signature does not verify")

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self._hash).digest()

    def __repr__(self) -> str:
        return f"<Scram {self.name} state={self._state}>"
