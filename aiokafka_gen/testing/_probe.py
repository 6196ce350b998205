"""Readiness probe: a hand-framed Metadata v2 request over a plain socket.

Metadata v0-3 are still served by 4.x brokers (KIP-896 kept them), so this works on 3.9
and 4.x alike. Kept in one small module so it can later switch to the project's own
client. Must not depend on the generated protocol code. Speaks PLAINTEXT, or TLS when given
an ``ssl.SSLContext``; never SASL.
"""

from __future__ import annotations

import socket
import ssl
import struct
from dataclasses import dataclass

__all__ = ["BrokerInfo", "ClusterView", "decode_metadata_v2", "encode_metadata_v2", "probe"]

_METADATA_KEY = 3
_VERSION = 2
_CLIENT_ID = b"aiokafka-gen-harness"


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int


@dataclass(frozen=True)
class ClusterView:
    """What the broker reports about the cluster."""

    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerInfo, ...]


def encode_metadata_v2(correlation_id: int) -> bytes:
    """A size-prefixed Metadata v2 request asking for no topics."""
    header = struct.pack(">hhih", _METADATA_KEY, _VERSION, correlation_id, len(_CLIENT_ID))
    body = header + _CLIENT_ID + struct.pack(">i", 0)
    return struct.pack(">i", len(body)) + body


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self._data, self._pos)
        self._pos += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        text = self._data[self._pos : self._pos + length].decode()
        self._pos += length
        return text


def decode_metadata_v2(payload: bytes, correlation_id: int) -> ClusterView:
    """Parse a Metadata v2 response (without its size prefix); topics are ignored."""
    reader = _Reader(payload)
    if reader.take(">i") != correlation_id:
        raise ValueError("correlation id mismatch in the probe response")
    brokers = []
    for _ in range(reader.take(">i")):
        node_id, host, port = reader.take(">i"), reader.string() or "", reader.take(">i")
        reader.string()  # rack
        brokers.append(BrokerInfo(node_id, host, port))
    cluster_id = reader.string()
    controller_id = reader.take(">i")
    return ClusterView(cluster_id, controller_id, tuple(sorted(brokers, key=lambda b: b.node_id)))


def probe(
    host: str, port: int, timeout: float = 2.0, ssl_context: ssl.SSLContext | None = None
) -> ClusterView:
    """Ask the broker at ``host:port`` for cluster metadata; raises OSError when not ready
    (ssl.SSLError, a subclass, when TLS fails)."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock = raw if ssl_context is None else ssl_context.wrap_socket(raw, server_hostname=host)
        with sock:
            sock.sendall(encode_metadata_v2(1))
            size = struct.unpack(">i", _recv_exactly(sock, 4))[0]
            return decode_metadata_v2(_recv_exactly(sock, size), 1)


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        chunk = sock.recv(count - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection during the probe")
        chunks += chunk
    return bytes(chunks)
