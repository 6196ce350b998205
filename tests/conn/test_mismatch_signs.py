"""The signs of a listener of another security_protocol, each made deterministic with the
scripted fake broker (a real broker shows them too, but which one arrives first is a race:
a TLS listener's alert or its close; see test_listener_mismatch.py for the real ones).
Every connect fails at once with KafkaConnectionError naming the step, the reason and a
hint."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse

from aiokafka_gen.conn import BrokerConnection, ConnectionConfig
from aiokafka_gen.errors import KafkaConnectionError
from aiokafka_gen.helpers import create_ssl_context

from .fakebroker import FakeBroker, Peer, answer_api_versions

GUARD = 10.0  # a hang guard, not a speed assertion
TLS_ALERT = bytes.fromhex("15030300020228")  # alert record: fatal handshake_failure


def conn_to(broker: FakeBroker, **kw: object) -> BrokerConnection:
    base: dict[str, object] = {"request_timeout_ms": 5000, "connect_timeout_ms": 5000}
    return BrokerConnection("127.0.0.1", broker.port, ConnectionConfig(**(base | kw)))  # type: ignore[arg-type]


async def alert_then_close(peer: Peer) -> None:
    await peer.reader.read(4096)  # our ApiVersions request, read as a TLS record
    await peer.write(TLS_ALERT)


async def close_unanswered(peer: Peer) -> None:
    await peer.reader.read(4096)  # the close overtook the alert


async def close_at_first_request(peer: Peer) -> None:
    await answer_api_versions(peer)  # allowed before SASL authentication
    await peer.read_request()


async def close_on_client_hello(peer: Peer) -> None:
    await peer.reader.read(4096)


@pytest.mark.parametrize(
    ("script", "reason"),
    [(alert_then_close, "start a TLS record"), (close_unanswered, "closed the connection")],
)
async def test_plaintext_client_on_a_tls_listener(script: object, reason: str) -> None:
    async with asyncio.timeout(GUARD), FakeBroker(script) as fb:  # type: ignore[arg-type]
        port = fb.port
        with pytest.raises(KafkaConnectionError) as info:
            await conn_to(fb).connect()
    message = str(info.value)
    assert f"connect to 127.0.0.1:{port} (PLAINTEXT) failed at ApiVersions: " in message
    assert reason in message
    assert "hint: " in message and "expects TLS" in message and "'SSL' or 'SASL_SSL'" in message


async def test_client_without_sasl_on_a_sasl_listener() -> None:
    async with asyncio.timeout(GUARD), FakeBroker(close_at_first_request) as fb:
        port = fb.port
        conn = await conn_to(fb).connect()
        with pytest.raises(KafkaConnectionError) as info:
            await conn.send(MetadataRequest(topics=None))
    message = str(info.value)
    assert f"connection to 127.0.0.1:{port} is closed: the broker closed" in message
    assert "probably requires SASL" in message and "'SASL_PLAINTEXT'" in message


async def test_later_closes_get_no_sasl_hint() -> None:
    async def answer_once_then_close(peer: Peer) -> None:
        await answer_api_versions(peer)
        await peer.reply(await peer.read_request(), MetadataResponse())
        await peer.read_request()

    async with asyncio.timeout(GUARD), FakeBroker(answer_once_then_close) as fb:
        conn = await conn_to(fb).connect()
        await conn.send(MetadataRequest(topics=None))
        with pytest.raises(KafkaConnectionError) as info:
            await conn.send(MetadataRequest(topics=None))
    assert "hint" not in str(info.value)  # an established connection that dies is not a mismatch


async def test_tls_client_on_a_plaintext_listener() -> None:
    async with asyncio.timeout(GUARD), FakeBroker(close_on_client_hello) as fb:
        port = fb.port
        conn = conn_to(fb, security_protocol="SSL", ssl_context=create_ssl_context())
        with pytest.raises(KafkaConnectionError) as info:
            await conn.connect()
    message = str(info.value)
    assert f"connect to 127.0.0.1:{port} (SSL) failed at TCP/TLS connect: " in message
    assert "does not seem to use TLS" in message and "'PLAINTEXT' or 'SASL_PLAINTEXT'" in message
