"""A scripted SASL peer: a forged SCRAM server, a missing mechanism, a lying re-auth.

What a correct broker never does, so only a fake one can check the client refuses it.
"""

from __future__ import annotations

import asyncio
import base64

import pytest
from aiokafka_gen.messages.errors import SaslAuthenticationFailed, UnsupportedSaslMechanismError
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse
from aiokafka_gen.messages.sasl_authenticate_response import SaslAuthenticateResponse
from aiokafka_gen.messages.sasl_handshake_response import SaslHandshakeResponse

from aiokafka_gen.conn import BrokerConnection, ConnectionConfig, ConnectionState
from aiokafka_gen.errors import KafkaConnectionError
from aiokafka_gen.protocol.sasl import SaslError

from .fakebroker import FakeBroker, Peer, answer_api_versions, forever

GUARD = 10.0


def sasl_config(mechanism: str) -> ConnectionConfig:
    return ConnectionConfig(
        security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism, sasl_plain_username="u",
        sasl_plain_password="pw-secret", request_timeout_ms=5000,
    )  # fmt: skip


async def handshake(peer: Peer, mechanisms: list[str]) -> None:
    request = await peer.read_request()
    assert request.api_key == 17
    error = 0 if request.body.mechanism in mechanisms else 33  # type: ignore[attr-defined]
    await peer.reply(request, SaslHandshakeResponse(error_code=error, mechanisms=mechanisms))


async def authenticate(peer: Peer, auth_bytes: bytes, lifetime_ms: int = 0) -> bytes:
    request = await peer.read_request()
    assert request.api_key == 36
    response = SaslAuthenticateResponse(auth_bytes=auth_bytes, session_lifetime_ms=lifetime_ms)
    await peer.reply(request, response)
    return bytes(request.body.auth_bytes)  # type: ignore[attr-defined]


async def test_mechanism_not_offered_is_typed() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await handshake(peer, ["GSSAPI"])
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = BrokerConnection("127.0.0.1", fb.port, sasl_config("PLAIN"))
        with pytest.raises(UnsupportedSaslMechanismError, match="GSSAPI"):
            await conn.connect()
        assert conn.state is ConnectionState.CLOSED


async def test_forged_scram_server_signature_is_refused() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await handshake(peer, ["SCRAM-SHA-256"])
        first = await peer.read_request()
        nonce = bytes(first.body.auth_bytes).split(b"r=")[1]  # type: ignore[attr-defined]
        salt = base64.b64encode(b"salt")
        server_first = b"r=" + nonce + b"srv,s=" + salt + b",i=4096"
        await peer.reply(first, SaslAuthenticateResponse(auth_bytes=server_first))
        await authenticate(peer, b"v=" + base64.b64encode(b"\x01" * 32))
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = BrokerConnection("127.0.0.1", fb.port, sasl_config("SCRAM-SHA-256"))
        with pytest.raises(SaslError, match="signature") as info:
            await conn.connect()
        assert "pw-secret" not in str(info.value)
        assert conn.state is ConnectionState.CLOSED


async def test_reauthentication_holds_new_requests_back() -> None:
    """A 200 ms session: the next request after it re-authenticates first, on the same
    connection, and the broker sees SaslHandshake + SaslAuthenticate before the request."""

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await handshake(peer, ["PLAIN"])
        await authenticate(peer, b"", lifetime_ms=200)
        while True:
            request = await peer.read_request()
            if request.api_key == 17:
                await peer.reply(request, SaslHandshakeResponse(mechanisms=["PLAIN"]))
            elif request.api_key == 36:
                await peer.reply(request, SaslAuthenticateResponse(session_lifetime_ms=60000))
            else:
                await peer.reply(request, MetadataResponse(cluster_id="after"))

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await BrokerConnection("127.0.0.1", fb.port, sasl_config("PLAIN")).connect()
        assert conn.session_lifetime_ms == 200
        await asyncio.sleep(0.25)
        responses = await asyncio.gather(*[conn.send(MetadataRequest(topics=None))
                                           for _ in range(3)])  # fmt: skip
        assert [r.cluster_id for r in responses] == ["after"] * 3
        keys = [r.api_key for r in fb.peers[0].requests]
        assert keys == [18, 17, 36, 17, 36, 3, 3, 3]
        assert conn.reauthentications == 1 and conn.session_lifetime_ms == 60000


async def test_refused_reauthentication_closes_with_a_typed_error() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await handshake(peer, ["PLAIN"])
        await authenticate(peer, b"", lifetime_ms=100)
        await handshake(peer, ["PLAIN"])
        request = await peer.read_request()
        refusal = SaslAuthenticateResponse(error_code=58, error_message="session over")
        await peer.reply(request, refusal)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await BrokerConnection("127.0.0.1", fb.port, sasl_config("PLAIN")).connect()
        await asyncio.sleep(0.15)
        with pytest.raises(SaslAuthenticationFailed, match="session over"):
            await conn.send(MetadataRequest(topics=None))
        assert conn.state is ConnectionState.CLOSED


async def test_close_fails_pending_requests() -> None:
    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        conn = await BrokerConnection("127.0.0.1", fb.port, ConnectionConfig()).connect()
        pending = [asyncio.ensure_future(conn.send(MetadataRequest(topics=None))) for _ in range(3)]
        while len(fb.peers[0].requests) < 4:
            await asyncio.sleep(0.01)
        await conn.close()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, KafkaConnectionError) for r in results)
        assert conn.in_flight == 0


async def test_bootstrap_where_every_address_refuses_the_mechanism_raises_its_type() -> None:
    """Not a connection problem (retrying cannot help): the client's bootstrap raises the
    typed UnsupportedSaslMechanismError, naming the address, as Java's client would."""
    from aiokafka_gen.client import AIOKafkaClient

    async def script(peer: Peer) -> None:
        await answer_api_versions(peer)
        await handshake(peer, ["GSSAPI"])
        await forever(peer)

    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:
        port = fb.port
        client = AIOKafkaClient(
            bootstrap_servers=f"127.0.0.1:{port}", security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN", sasl_plain_username="u", sasl_plain_password="pw-secret",
        )  # fmt: skip
        try:
            with pytest.raises(UnsupportedSaslMechanismError) as info:
                await client.bootstrap()
        finally:
            await client.close()
    message = str(info.value)
    assert f"unable to bootstrap from 127.0.0.1:{port}" in message and "GSSAPI" in message
    assert "pw-secret" not in message
