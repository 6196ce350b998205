"""Integration: a client whose security_protocol does not match the listener it reaches
fails at once with KafkaConnectionError("unable to bootstrap from <address>: <reason>;
hint: ...") naming the address, the reason and what to change. Every client protocol
against every wrong listener of the secure cluster (PLAINTEXT, SSL, MTLS, SASL_PLAINTEXT,
SASL_SSL), each bounded well under the request timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from aiokafka_gen.errors import AuthenticationMethodNotSupported, KafkaConnectionError
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster

from .support import client_for

pytestmark = pytest.mark.integration
TIMEOUT_MS = 10000  # the request and connection timeouts: every case must end far sooner
QUICK = 3.0

# the TLS listener's alert (read as a frame starting 15 03 03) and its close race: either
# the alert or the reset/EOF arrives first; both give the same hint
EXPECTS_TLS = ("failed at ApiVersions: ", "expects TLS", "'SSL' or 'SASL_SSL'")
NOT_TLS = ("failed at TCP/TLS connect", "does not seem to use TLS", "'PLAINTEXT' or")
CLIENT_CERT = ("CERTIFICATE", "requires a client certificate")


def needs_sasl(protocol: str) -> tuple[str, ...]:
    return ("the broker closed the connection", "probably requires SASL", repr(protocol))


def no_sasl(protocol: str) -> tuple[str, ...]:
    return ("does not use SASL", "ILLEGAL_SASL_STATE", f"security_protocol={protocol!r}")


# (client security_protocol, listener it reaches, fragments the message must hold)
CASES = [
    ("PLAINTEXT", "SSL", EXPECTS_TLS),
    ("PLAINTEXT", "MTLS", EXPECTS_TLS),
    ("PLAINTEXT", "SASL_PLAINTEXT", needs_sasl("SASL_PLAINTEXT")),
    ("PLAINTEXT", "SASL_SSL", EXPECTS_TLS),
    ("SSL", "PLAINTEXT", NOT_TLS),
    ("SSL", "MTLS", CLIENT_CERT),
    ("SSL", "SASL_PLAINTEXT", NOT_TLS),
    ("SSL", "SASL_SSL", needs_sasl("SASL_SSL")),
    ("SASL_PLAINTEXT", "PLAINTEXT", no_sasl("PLAINTEXT")),
    ("SASL_PLAINTEXT", "SSL", EXPECTS_TLS),
    ("SASL_PLAINTEXT", "MTLS", EXPECTS_TLS),
    ("SASL_PLAINTEXT", "SASL_SSL", EXPECTS_TLS),
    ("SASL_SSL", "PLAINTEXT", NOT_TLS),
    ("SASL_SSL", "SSL", no_sasl("SSL")),
    ("SASL_SSL", "MTLS", CLIENT_CERT),
    ("SASL_SSL", "SASL_PLAINTEXT", NOT_TLS),
]


@pytest.mark.parametrize(("protocol", "listener", "fragments"), CASES)
async def test_wrong_listener_is_named_with_reason_and_hint(
    kafka_secure_cluster: KafkaCluster, protocol: str, listener: str, fragments: tuple[str, ...]
) -> None:
    address = kafka_secure_cluster.bootstrap(listener)
    client = client_for(
        kafka_secure_cluster, protocol, "PLAIN" if protocol.startswith("SASL") else None,
        bootstrap_servers=address, request_timeout_ms=TIMEOUT_MS,
        connection_setup_timeout_ms=TIMEOUT_MS,
    )  # fmt: skip
    started = time.monotonic()
    try:
        async with asyncio.timeout(QUICK):
            with pytest.raises(KafkaConnectionError) as info:
                await client.bootstrap()
    finally:
        await client.close()
    assert time.monotonic() - started < QUICK
    message = str(info.value)
    assert message.startswith(f"KafkaConnectionError: unable to bootstrap from {address}: ")
    assert "hint: " in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert info.value.__cause__ is not None  # the error of the last attempt, for tracebacks


async def test_sasl_client_on_plain_listener_cause_is_typed(
    kafka_secure_cluster: KafkaCluster,
) -> None:
    client = client_for(kafka_secure_cluster, "SASL_PLAINTEXT", "PLAIN",
                        bootstrap_servers=kafka_secure_cluster.bootstrap("PLAINTEXT"))  # fmt: skip
    try:
        with pytest.raises(KafkaConnectionError) as info:
            await client.bootstrap()
    finally:
        await client.close()
    assert isinstance(info.value.__cause__, AuthenticationMethodNotSupported)


async def test_every_address_is_named_with_its_own_reason(
    kafka_secure_cluster: KafkaCluster,
) -> None:
    dead = "127.0.0.1:1"
    tls = kafka_secure_cluster.bootstrap("SSL")
    producer = AIOKafkaProducer(bootstrap_servers=f"{dead},{tls}", request_timeout_ms=TIMEOUT_MS)
    try:
        async with asyncio.timeout(QUICK):
            with pytest.raises(KafkaConnectionError) as info:
                await producer.start()
    finally:
        await producer.stop()
    message = str(info.value)
    assert f"unable to bootstrap from {dead}, {tls} ({dead}: " in message
    refused, _, expects_tls = message.partition(f"; {tls}: ")
    assert "ConnectionRefusedError" in refused and "nothing accepts connections" in refused
    assert "failed at ApiVersions: " in expects_tls and "expects TLS" in expects_tls
