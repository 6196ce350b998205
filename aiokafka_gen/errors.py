"""The error hierarchy: one root (``KafkaError``), aiokafka-compatible names.

Client-side errors live here. Broker errors (one class per protocol error code)
come from the generated error table and subclass ``BrokerResponseError``; they
are re-exported from this module so users import every error from one place.
Errors are matched by class or code, never by message text.

Two conditions are raised on both sides: ``MessageSizeTooLargeError`` (errno 10) and
``CorruptRecordError`` (errno 2) are ``BrokerResponseError`` classes defined here, raised
by the client (a record over ``max_request_size``, a batch failing its CRC), and the
generated class for the same code subclasses them (adding Kafka's description and flags),
so one ``except`` catches the broker's and the client's error. aiokafka's names for code 2,
``CorruptRecordException`` and ``InvalidMessageError``, are ``CorruptRecordError`` here
for the same reason (``for_code(2)`` is its subclass named ``CorruptRecordException``).

Every name of aiokafka.errors exists here with aiokafka's bases and flags
(``tests/test_errors_aiokafka.py`` checks it against the installed aiokafka). Deliberate
differences: broker errors take ``retriable``/``invalid_metadata`` and ``message`` from
Kafka's Java client (generated from ``errors.tsv``), not from aiokafka's hand-kept table;
``KafkaTimeoutError`` is retriable (as Java's TimeoutException; the producer and the
coordinators retry on it); ``ConsumerStoppedError`` and ``IllegalOperation`` are
``KafkaError`` subclasses (aiokafka's are plain exceptions). ``KafkaProtocolError`` is
retriable as in aiokafka (the connection is replaced and a new one may do better), but its
subclasses for bytes that would fail the same way again (``DecodeError``,
``CorruptRecordError``, framing's ``FrameSizeError``) are not.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, ClassVar

__all__ = [
    "AuthenticationFailedError",
    "AuthenticationMethodNotSupported",
    "BrokerResponseError",
    "Cancelled",
    "CommitFailedError",
    "ConsumerStoppedError",
    "CorrelationIdError",
    "CorruptRecordError",
    "CorruptRecordException",
    "DecodeError",
    "EncodeError",
    "FieldVersionError",
    "IllegalArgumentError",
    "IllegalOperation",
    "IllegalStateError",
    "IncompatibleBrokerVersion",
    "InvalidMessageError",
    "KafkaConfigurationError",
    "KafkaConnectionError",
    "KafkaError",
    "KafkaProtocolError",
    "KafkaTimeoutError",
    "KafkaUnavailableError",
    "MessageSizeTooLargeError",
    "MetadataEmptyBrokerList",
    "NoBrokersAvailable",
    "NoOffsetForPartitionError",
    "NodeNotReadyError",
    "ProducerClosed",
    "ProducerFenced",
    "QuotaViolationError",
    "RecordTooLargeError",
    "StaleMetadata",
    "TooManyInFlightRequests",
    "UnknownMessageVersionError",
    "UnrecognizedBrokerVersion",
    "UnsupportedCodecError",
    "for_code",
]


class KafkaError(RuntimeError):
    """Root of every error this library raises."""

    retriable: ClassVar[bool] = False
    invalid_metadata: ClassVar[bool] = False

    def __str__(self) -> str:
        if not self.args:
            return self.__class__.__name__
        return f"{self.__class__.__name__}: {super().__str__()}"


class BrokerResponseError(KafkaError):
    """An error code returned by a broker. Subclasses exist for every code."""

    errno: ClassVar[int] = -1
    message: ClassVar[str] = "UNKNOWN"
    description: ClassVar[str] = ""

    def __str__(self) -> str:
        text = f"[Error {self.errno}] {self.__class__.__name__}"
        if self.args:
            text += f": {self.args[0]}"
        elif self.description:
            text += f": {self.description}"
        return text


class KafkaProtocolError(KafkaError):
    """Bytes on the wire do not follow the Kafka protocol (bad frame, bad field).

    Retriable as in aiokafka: the connection is closed and a new one may do better.
    """

    retriable = True


class DecodeError(KafkaProtocolError):
    """Bytes do not decode as the expected message (truncated, bad length, bad UTF-8, ...).

    Not retriable: the same bytes would fail the same way again.
    """

    retriable = False


class EncodeError(KafkaError, ValueError):
    """A message cannot be written at the requested version (null, range, missing field)."""


class FieldVersionError(EncodeError):
    """A field holds a non-default value but the requested version lacks it."""

    def __init__(self, struct: str, field: str, version: int) -> None:
        super().__init__(f"{struct}.{field} is set but version {version} does not have it")
        self.struct = struct
        self.field = field
        self.version = version


class UnknownMessageVersionError(KafkaError, ValueError):
    """A message was asked to encode or decode a version it does not have."""


class CorruptRecordError(BrokerResponseError, KafkaProtocolError):
    """A record batch failed its CRC or is malformed (errno 2, CORRUPT_MESSAGE).

    Raised by the client's record reader (as ``RecordsCorruptError`` and its subclasses,
    carrying topic, partition and offset) and, as its subclass ``CorruptRecordException``
    (``for_code(2)``), by a broker that refused a batch. aiokafka raises its
    ``CorruptRecordException`` on both sides; catch this class for both here. Not
    retriable client side (refetching gives the same bytes); the broker's class is, as in
    Kafka's Java client.
    """

    errno = 2
    message = "CORRUPT_MESSAGE"
    retriable = False


#: aiokafka's names for code 2: the client's class, which the broker's subclasses.
CorruptRecordException = CorruptRecordError
InvalidMessageError = CorruptRecordError


class UnsupportedCodecError(KafkaError):
    """A compression codec is unknown, or its optional library is not installed."""


class KafkaTimeoutError(KafkaError):
    """An operation did not complete within its deadline."""

    retriable = True


class KafkaConnectionError(KafkaError):
    """A connection to a broker failed or was closed."""

    retriable = True
    invalid_metadata = True


class NodeNotReadyError(KafkaError):
    """The broker connection is not ready to send requests."""

    retriable = True


class IncompatibleBrokerVersion(KafkaError):
    """The broker supports no version of an API that this client implements."""


class IllegalStateError(KafkaError):
    """An operation was called in a state that does not allow it."""


class IllegalOperation(KafkaError):
    """An operation is not allowed with this configuration."""


class CommitFailedError(KafkaError):
    """An offset commit failed because group membership changed."""


class ConsumerStoppedError(KafkaError):
    """The consumer was stopped."""


class ProducerClosed(KafkaError):
    """The producer was stopped."""


class ProducerFenced(KafkaError):
    """Another producer with the same transactional id took over."""


class IllegalArgumentError(KafkaError, ValueError):
    """An argument has a value the operation cannot accept (also a ``ValueError``)."""


class KafkaConfigurationError(KafkaError, ValueError):
    """A configuration value is out of its legal range or of the wrong kind.

    Also a ``ValueError``, so code that caught the ``ValueError`` of a bad argument keeps
    working.
    """


class CorrelationIdError(KafkaProtocolError):
    """A response carried a correlation id that matches no request in flight."""

    retriable = True


class Cancelled(KafkaError):
    """A request was cancelled before it completed."""

    retriable = True


class TooManyInFlightRequests(KafkaError):
    """A connection has as many requests in flight as it may have."""

    retriable = True


class StaleMetadata(KafkaError):
    """The cluster metadata does not know a broker or partition the operation needs."""

    retriable = True
    invalid_metadata = True


class MetadataEmptyBrokerList(KafkaError):
    """A Metadata response listed no brokers."""

    retriable = True


class NoBrokersAvailable(KafkaError):
    """No broker of the cluster could be reached."""

    retriable = True
    invalid_metadata = True


class KafkaUnavailableError(KafkaError):
    """The cluster is unavailable."""


class UnrecognizedBrokerVersion(KafkaError):
    """The broker's version could not be recognised."""


class AuthenticationMethodNotSupported(KafkaError):
    """The broker does not offer the configured SASL mechanism."""


class AuthenticationFailedError(KafkaError):
    """Authentication with the broker failed."""

    retriable = False


class QuotaViolationError(KafkaError):
    """A client quota was violated."""


class NoOffsetForPartitionError(KafkaError):
    """A partition has no valid position and ``auto_offset_reset`` is ``"none"``."""


class MessageSizeTooLargeError(BrokerResponseError):
    """A record or batch is too large (errno 10, MESSAGE_TOO_LARGE), as in aiokafka.

    The producer raises it for a record over ``max_request_size``; a broker answers
    code 10 with its subclass ``for_code(10)`` (same name, in
    ``aiokafka_gen.messages.errors``), so this one class catches both.
    """

    errno = 10
    message = "MESSAGE_TOO_LARGE"


class RecordTooLargeError(KafkaError):
    """A fetched record does not fit max_partition_fetch_bytes."""


# --- broker errors: generated per-code classes, loaded on first use ----------------------


def _broker_errors() -> ModuleType:
    return importlib.import_module("aiokafka_gen.messages.errors")


_BY_CODE: dict[int, type[BrokerResponseError]] = {}  # filled at the first for_code()


def for_code(code: int) -> type[BrokerResponseError]:
    """The exception class for a broker error code; unknown codes map to UnknownError."""
    table = _BY_CODE or _load_codes()
    return table.get(code) or table[-1]


def _load_codes() -> dict[int, type[BrokerResponseError]]:
    _BY_CODE.update(_broker_errors().ERRORS_BY_CODE)
    return _BY_CODE


def __getattr__(name: str) -> Any:
    """Generated broker error classes (``UnknownTopicOrPartitionError``, ...) by name."""
    if name[:1].isupper():
        module = _broker_errors()
        if name in module.__all__:
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
