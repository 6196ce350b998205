"""Why a connection failed, in words: the root cause of an exception chain, and a hint when
the failure is the known sign of a client whose ``security_protocol`` does not match the
listener it reached.

The signs (seen against Kafka 4.4's listeners):
- a TLS client on a plaintext listener: the broker reads the ClientHello as a huge frame
  size and closes, so the TLS handshake ends in a reset or EOF;
- a plaintext client on a TLS listener: the broker answers ApiVersions with a TLS alert,
  whose first bytes (``15 03 03``) read as an absurd Kafka frame size, then closes (the
  close can overtake the alert: a reset or EOF before ApiVersions is answered);
- a client without SASL on a SASL listener: ApiVersions is answered (it is allowed before
  authentication), then the broker closes the connection at the first other request;
- a SASL client on a listener without SASL: SaslHandshake is answered ILLEGAL_SASL_STATE
  with no mechanism offered (handled where the handshake is read);
- mutual TLS without an acceptable client certificate: a ``bad certificate`` or
  ``certificate required`` alert; an untrusted broker certificate fails verification.
Pure functions over exceptions and bytes; no I/O.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

from aiokafka_gen.errors import KafkaConnectionError, KafkaError

__all__ = [
    "CONNECT",
    "FIRST_REQUEST",
    "SASL",
    "VERSIONS",
    "describe",
    "hint",
    "looks_like_tls",
    "no_sasl_hint",
]

# What the connection was doing when it failed (used in messages, and by ``hint``)
CONNECT = "TCP/TLS connect"
VERSIONS = "ApiVersions"
SASL = "SASL"
FIRST_REQUEST = "the first request after ApiVersions"

_TLS_RECORD_TYPES = frozenset({20, 21, 22, 23})  # change_cipher_spec, alert, handshake, data
_CLIENT_CERT_REASONS = frozenset(
    {"SSLV3_ALERT_BAD_CERTIFICATE", "TLSV13_ALERT_CERTIFICATE_REQUIRED"}
)
_CUT_OFF_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING", "RECORD_LAYER_FAILURE"}
)
_CLOSED = (ConnectionResetError, BrokenPipeError, EOFError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


def looks_like_tls(head: bytes) -> bool:
    """Do the first bytes of a reply start a TLS record (type, then version 3.x)?"""
    return len(head) >= 3 and head[0] in _TLS_RECORD_TYPES and head[1] == 3 and head[2] <= 4


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _root(exc: BaseException) -> BaseException:
    *_, last = _chain(exc)
    return last


def _closed_by_peer(exc: BaseException) -> bool:
    root = _root(exc)
    if isinstance(root, _CLOSED):
        return True
    return isinstance(root, ssl.SSLError) and root.reason in _CUT_OFF_REASONS


def describe(exc: BaseException) -> str:
    """The root cause of ``exc`` in one line."""
    root = _root(exc)
    if isinstance(root, EOFError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return f"the broker closed the connection ({type(root).__name__})"
    if isinstance(root, ConnectionResetError):
        return "the broker reset the connection (ConnectionResetError)"
    if isinstance(root, TimeoutError):
        return "no answer in time"
    if isinstance(root, KafkaConnectionError) and root.args:
        return str(root.args[0])
    if isinstance(root, KafkaError):
        return str(root)
    text = str(root)
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


def hint(
    exc: BaseException, *, phase: str | None, tls: bool, sasl: bool, tls_reply: bool = False
) -> str | None:
    """A hint for a failure that looks like a known configuration mismatch, else None.

    ``phase`` is what the connection was doing (``CONNECT``, ``VERSIONS``,
    ``FIRST_REQUEST``; None for an established connection), ``tls``/``sasl`` describe the
    client's security_protocol, ``tls_reply`` says the broker's first bytes were a TLS
    record."""
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                "ssl_context does not trust the broker's certificate: give "
                "create_ssl_context(cafile=...) the CA that signed it, and connect by a "
                "host name or address the certificate lists"
            )
        if isinstance(cause, ssl.SSLError) and cause.reason in _CLIENT_CERT_REASONS:
            return (
                "the listener requires a client certificate (mutual TLS) and got none or "
                "refused it: load one into ssl_context, e.g. "
                "create_ssl_context(cafile=..., certfile=..., keyfile=...)"
            )
    if tls_reply and not tls:
        return (
            "the listener expects TLS: use "
            "security_protocol='SSL' or 'SASL_SSL' with an ssl_context"
        )
    if not tls and phase == VERSIONS and _closed_by_peer(exc):
        return (
            "closed before ApiVersions was answered: the listener probably expects TLS; use "
            "security_protocol='SSL' or 'SASL_SSL' with an ssl_context"
        )
    if tls and phase == CONNECT and _closed_by_peer(exc):
        return (
            "the TLS handshake was cut off: the listener does not seem to use TLS; use "
            "security_protocol='PLAINTEXT' or 'SASL_PLAINTEXT' for it, or the broker's TLS port"
        )
    if not sasl and phase == FIRST_REQUEST and _closed_by_peer(exc):
        wanted = "SASL_SSL" if tls else "SASL_PLAINTEXT"
        return (
            "closed at the first request after ApiVersions: the listener probably requires "
            f"SASL; use security_protocol={wanted!r} with a sasl_mechanism and credentials"
        )
    if isinstance(_root(exc), ConnectionRefusedError):
        return (
            "nothing accepts connections there: check the host, the port and that the broker runs"
        )
    return None


def no_sasl_hint(tls: bool) -> str:
    """What to do when a listener answered SaslHandshake as one without SASL."""
    wanted = "SSL" if tls else "PLAINTEXT"
    return f"use security_protocol={wanted!r} for it, or the broker's SASL listener"
