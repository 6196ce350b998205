"""SASL mechanisms as pure state objects: RFC vectors, server checks, no secrets shown."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from aiokafka_gen.protocol.sasl import OAuthBearer, Plain, SaslError, Scram
from aiokafka_gen.protocol.sasl.scram import escape_username

# RFC 7677 section 3 (SCRAM-SHA-256 example).
CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def rfc_scram() -> Scram:
    return Scram("SCRAM-SHA-256", "user", "pencil", nonce=CLIENT_NONCE)


def test_scram_sha256_rfc7677_vector() -> None:
    scram = rfc_scram()
    assert scram.first_message() == b"n,,n=user,r=" + CLIENT_NONCE.encode()
    assert scram.step(SERVER_FIRST) == CLIENT_FINAL
    assert not scram.complete
    assert scram.step(SERVER_FINAL) is None
    assert scram.complete


def test_scram_bad_server_signature_fails() -> None:
    scram = rfc_scram()
    scram.first_message()
    scram.step(SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\x00" * 32)
    with pytest.raises(SaslError, match="signature"):
        scram.step(forged)
    assert not scram.complete


def test_scram_server_error_is_reported() -> None:
    scram = rfc_scram()
    scram.first_message()
    scram.step(SERVER_FIRST)
    with pytest.raises(SaslError, match="invalid-proof"):
        scram.step(b"e=invalid-proof")


@pytest.mark.parametrize(
    "server_first",
    [
        b"r=someoneelse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nonce not ours
        b"r=" + CLIENT_NONCE.encode() + b",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # not extended
        b"r=" + CLIENT_NONCE.encode() + b"x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000",  # too few
        b"r=" + CLIENT_NONCE.encode() + b"x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",  # DoS
        b"r=" + CLIENT_NONCE.encode() + b"x,s=!!notbase64,i=4096",
        b"m=ext,r=" + CLIENT_NONCE.encode() + b"x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"garbage",
        b"\xff\xfe",
    ],
)
def test_scram_rejects_bad_server_first(server_first: bytes) -> None:
    scram = rfc_scram()
    scram.first_message()
    with pytest.raises(SaslError):
        scram.step(server_first)


def test_scram_sha512_proof_matches_the_rfc_formula() -> None:
    scram = Scram("SCRAM-SHA-512", "u", "p", nonce="abc")
    scram.first_message()
    server_first = b"r=abcdef,s=" + base64.b64encode(b"salt") + b",i=4096"
    final = scram.step(server_first)
    assert final is not None
    salted = hashlib.pbkdf2_hmac("sha512", b"p", b"salt", 4096)
    without_proof = b"c=biws,r=abcdef"
    auth = b"n=u,r=abc," + server_first + b"," + without_proof
    client_key = hmac.new(salted, b"Client Key", "sha512").digest()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth, "sha512").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    assert final == without_proof + b",p=" + base64.b64encode(proof)


def test_username_escaping() -> None:
    assert escape_username("a=b,c") == "a=3Db=2Cc"
    scram = Scram("SCRAM-SHA-256", "x,=y", "pw", nonce="n1")
    assert scram.first_message() == b"n,,n=x=2C=3Dy,r=n1"


def test_steps_out_of_order_fail() -> None:
    with pytest.raises(SaslError):
        rfc_scram().step(SERVER_FIRST)
    with pytest.raises(SaslError):
        Plain("u", "p").step(b"")
    with pytest.raises(SaslError):
        Scram("SCRAM-SHA-1", "u", "p")


def test_plain_message() -> None:
    plain = Plain("alice", "s3cret")
    assert plain.first_message() == b"\0alice\0s3cret"
    assert plain.step(b"") is None and plain.complete
    with pytest.raises(SaslError):
        Plain("a\0b", "x")


def test_oauthbearer_message_with_extensions() -> None:
    oauth = OAuthBearer("tok.en.", {"traceId": "123"})
    assert oauth.first_message() == b"n,,\x01auth=Bearer tok.en.\x01traceId=123\x01\x01"
    assert oauth.step(b"") is None and oauth.complete


def test_oauthbearer_error_challenge_is_acknowledged() -> None:
    oauth = OAuthBearer("t")
    oauth.first_message()
    assert oauth.step(b'{"status":"invalid_token"}') == b"\x01"
    assert not oauth.complete


@pytest.mark.parametrize("extensions", [{"auth": "x"}, {"bad key": "x"}, {"k": "\x01"}])
def test_oauthbearer_rejects_bad_extensions(extensions: dict[str, str]) -> None:
    with pytest.raises(SaslError):
        OAuthBearer("t", extensions)


def test_no_secret_in_repr() -> None:
    secret = "hunter2-secret"
    for mech in (Plain("u", secret), Scram("SCRAM-SHA-256", "u", secret), OAuthBearer(secret)):
        mech.first_message()
        assert secret not in repr(mech)
