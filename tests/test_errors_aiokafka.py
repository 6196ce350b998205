"""aiokafka_gen.errors against the installed aiokafka.errors: every public exception name,
its bases, its flags and aliases; and the conditions raised on both sides (codes 2 and 10),
the framing's CorrelationIdError and SASL's AuthenticationFailedError.

Expectations are read from aiokafka at run time. Differences are allowed only where
aiokafka_gen.errors documents them: broker errors take ``retriable``/``invalid_metadata``
and ``message`` from Kafka's Java client (``kafka_messages_json/errors.tsv``),
``KafkaTimeoutError`` is retriable, and classes aiokafka leaves outside ``KafkaError``
(ConsumerStoppedError, IllegalOperation) are inside it here (additive).
"""

from __future__ import annotations

import csv
import inspect
import struct
from pathlib import Path

import aiokafka.errors as theirs
import pytest
from aiokafka_gen.messages.errors import ERRORS_BY_CODE
from aiokafka_gen.messages.metadata_request import MetadataRequest
from aiokafka_gen.messages.metadata_response import MetadataResponse
from aiokafka_gen.messages.response_header import ResponseHeader

import aiokafka_gen.errors as ours
from aiokafka_gen.protocol import framing
from aiokafka_gen.protocol.sasl import SaslError, Scram
from aiokafka_gen.records import BatchBuilder, BatchReader, RecordsCorruptError

ROOT = Path(__file__).resolve().parents[1]

# Deliberate differences of a client-side flag, documented in aiokafka_gen/errors.py.
DELIBERATE_FLAGS = {("KafkaTimeoutError", "retriable")}


def _public_exceptions() -> list[str]:
    return sorted(
        name
        for name, value in vars(theirs).items()
        if not name.startswith("_")
        and inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == theirs.__name__
    )


NAMES = _public_exceptions()


def _kafka_table() -> dict[int, dict[str, str]]:
    path = ROOT / "kafka_messages_json" / "errors.tsv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {int(row["code"]): row for row in rows}


def test_aiokafka_has_what_this_test_expects() -> None:
    # Guards against the derivation silently finding nothing in a future aiokafka.
    assert len(NAMES) > 90 and "KafkaError" in NAMES and "BrokerResponseError" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_name_exists_with_aiokafkas_bases(name: str) -> None:
    mine = getattr(ours, name)
    assert inspect.isclass(mine) and issubclass(mine, BaseException)
    for base in getattr(theirs, name).__mro__[1:]:
        if getattr(theirs, base.__name__, None) is base:  # a public aiokafka error class
            assert issubclass(mine, getattr(ours, base.__name__)), base.__name__


@pytest.mark.parametrize("name", NAMES)
def test_flags_agree(name: str) -> None:
    their, mine = getattr(theirs, name), getattr(ours, name)
    kafka = _kafka_table()
    for flag in ("retriable", "invalid_metadata"):
        if not hasattr(their, flag):  # aiokafka's plain-Exception classes
            continue
        if getattr(mine, flag) == getattr(their, flag):
            continue
        if issubclass(their, theirs.BrokerResponseError):  # from Kafka's Java client
            assert getattr(mine, flag) == (kafka[their.errno][flag] == "true"), flag
        else:
            assert (name, flag) in DELIBERATE_FLAGS


@pytest.mark.parametrize(
    "name", [n for n in NAMES if issubclass(getattr(theirs, n), theirs.BrokerResponseError)]
)
def test_broker_errors_keep_errno_and_are_caught_by_aiokafkas_name(name: str) -> None:
    their, mine = getattr(theirs, name), getattr(ours, name)
    if name == "BrokerResponseError":
        return
    assert mine.errno == their.errno
    assert mine.message in (their.message, _kafka_table()[their.errno]["name"])
    # whatever the broker's code becomes, aiokafka's name for it catches it
    assert issubclass(ours.for_code(their.errno), mine)


def test_aliases_stay_aliases() -> None:
    for a in NAMES:
        for b in NAMES:
            if a < b and getattr(theirs, a) is getattr(theirs, b):
                assert getattr(ours, a) is getattr(ours, b), (a, b)


@pytest.mark.parametrize(
    ("code", "name"), [(10, "MessageSizeTooLargeError"), (2, "CorruptRecordError")]
)
def test_client_and_broker_side_are_one_except(code: int, name: str) -> None:
    client, broker = getattr(ours, name), ours.for_code(code)
    assert broker is ERRORS_BY_CODE[code] and broker is not client
    assert broker.__bases__ == (client,)  # one base chain, no diamond
    for cls in (client, broker):
        assert issubclass(cls, ours.BrokerResponseError) and cls.errno == code
        with pytest.raises(client):
            raise cls("x")
    assert client.message == broker.message == _kafka_table()[code]["name"]


def test_message_size_too_large_matches_aiokafkas_shape() -> None:
    error = ours.MessageSizeTooLargeError("The message is 2000000 bytes")
    assert error.errno == 10 and error.message == "MESSAGE_TOO_LARGE"
    assert str(error) == "[Error 10] MessageSizeTooLargeError: The message is 2000000 bytes"
    assert not ours.MessageSizeTooLargeError.retriable


def test_a_corrupt_batch_is_caught_as_corrupt_record_exception() -> None:
    builder = BatchBuilder()
    builder.append(0, b"k", b"v")
    data = bytearray(builder.close())
    data[-1] ^= 0xFF
    with pytest.raises(ours.CorruptRecordException) as info:  # aiokafka's name
        list(next(iter(BatchReader(bytes(data)))))
    assert isinstance(info.value, RecordsCorruptError)
    assert isinstance(info.value, ours.KafkaProtocolError) and info.value.errno == 2
    assert not info.value.retriable  # refetching gives the same bytes
    assert ours.for_code(2).retriable  # the broker's, as Java's CorruptRecordException
    assert ours.InvalidMessageError is ours.CorruptRecordException is ours.CorruptRecordError


def test_protocol_error_flags() -> None:
    assert ours.KafkaProtocolError.retriable and ours.CorrelationIdError.retriable
    assert not ours.DecodeError.retriable
    assert not framing.FrameSizeError.retriable


def _response(correlation_id: int) -> bytes:
    payload = ResponseHeader(correlation_id=correlation_id).encode(1)
    payload += MetadataResponse().encode(12)
    return struct.pack(">i", len(payload)) + payload


def test_framing_raises_the_library_correlation_id_error() -> None:
    assert framing.CorrelationIdError is ours.CorrelationIdError
    stream = framing.KafkaFraming(None)
    cid, _ = stream.send(MetadataRequest(topics=None), 12)
    stream.receive_data(_response(cid + 1))
    with pytest.raises(ours.CorrelationIdError) as info:
        stream.next_event()
    assert isinstance(info.value, ours.KafkaProtocolError) and info.value.retriable

    idle = framing.KafkaFraming(None)  # nothing in flight
    idle.receive_data(_response(0))
    with pytest.raises(ours.CorrelationIdError, match="no request"):
        idle.next_event()


def test_sasl_failures_are_authentication_failures() -> None:
    assert issubclass(SaslError, ours.AuthenticationFailedError)
    scram = Scram("SCRAM-SHA-256", "user", "secret")
    scram.first_message()
    with pytest.raises(ours.AuthenticationFailedError):
        scram.step(b"not a scram message")
