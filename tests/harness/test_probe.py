"""Unit tests (no broker): the Metadata v2 probe against a scripted socket server."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from aiokafka_gen.testing._probe import (
    BrokerInfo,
    decode_metadata_v2,
    encode_metadata_v2,
    probe,
)


def _string(text: str | None) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    return struct.pack(">h", len(text)) + text.encode()


def metadata_v2_response(correlation_id: int) -> bytes:
    """Two brokers (listed out of order, one with a rack), a cluster id, controller 2."""
    brokers = struct.pack(">i", 2)
    brokers += struct.pack(">i", 2) + _string("127.0.0.1") + struct.pack(">i", 9002) + _string("r1")
    brokers += struct.pack(">i", 1) + _string("localhost") + struct.pack(">i", 9001) + _string(None)
    body = struct.pack(">i", correlation_id) + brokers + _string("abc") + struct.pack(">i", 2)
    body += struct.pack(">i", 0)  # no topics
    return struct.pack(">i", len(body)) + body


def test_request_bytes() -> None:
    frame = encode_metadata_v2(7)
    size, api_key, version, correlation, id_len = struct.unpack_from(">ihhih", frame)
    assert (api_key, version, correlation) == (3, 2, 7)
    assert size == len(frame) - 4
    assert frame[14 : 14 + id_len] == b"aiokafka-gen-harness"
    assert frame[-4:] == b"\x00\x00\x00\x00"  # empty topic array: no topics


def test_decode_sorts_brokers_and_reads_ids() -> None:
    view = decode_metadata_v2(metadata_v2_response(5)[4:], 5)
    assert view.cluster_id == "abc" and view.controller_id == 2
    assert view.brokers == (BrokerInfo(1, "localhost", 9001), BrokerInfo(2, "127.0.0.1", 9002))
    with pytest.raises(ValueError, match="correlation"):
        decode_metadata_v2(metadata_v2_response(5)[4:], 6)


@pytest.fixture
def scripted_broker() -> Iterator[tuple[int, list[bytes]]]:
    """A one-connection server: records the request, answers it in two TCP writes."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            size = struct.unpack(">i", conn.recv(4))[0]
            request = conn.recv(size)
            received.append(request)
            reply = metadata_v2_response(struct.unpack_from(">i", request, 4)[0])
            conn.sendall(reply[:7])
            conn.sendall(reply[7:])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    thread.join(5)
    server.close()


def test_probe_over_a_socket(scripted_broker: tuple[int, list[bytes]]) -> None:
    port, received = scripted_broker
    view = probe("127.0.0.1", port)
    assert [b.node_id for b in view.brokers] == [1, 2]
    assert received and received[0][:4] == b"\x00\x03\x00\x02"


def test_probe_of_a_closed_port_raises_oserror() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OSError):
        probe("127.0.0.1", port, timeout=1.0)
