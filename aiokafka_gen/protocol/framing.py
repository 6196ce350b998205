"""Sans-IO Kafka framing: requests to bytes, bytes to responses, correlation ids matched.

Theory of operation: ``send(request, version)`` assigns the next correlation id, writes
``int32 size | request header | body`` and remembers what it expects back (in send order:
Kafka answers requests on one connection in order). ``receive_data(bytes)`` buffers what
the socket delivered; ``next_event()`` returns a ``Response`` or ``NEED_DATA``.
``bytes_needed()`` tells a reader how many bytes complete the current frame, so reads are
sized by the frame header and a hostile size prefix is refused before anything is
allocated. Any protocol violation raises ``KafkaProtocolError`` and breaks the object for
good: the stream can no longer be trusted. A response whose correlation id is not the one
expected next (or that arrives with nothing in flight) raises ``CorrelationIdError``
(``aiokafka_gen.errors``, a retriable ``KafkaProtocolError``, as aiokafka raises it); a
size prefix out of range raises ``FrameSizeError`` (not retriable).

This module must not do I/O, know about sockets, timers or asyncio, or retry anything.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import Final, NamedTuple, NoReturn

from aiokafka_gen.errors import CorrelationIdError, DecodeError, KafkaProtocolError
from aiokafka_gen.messages._index import (
    request_header_version,
    response_class,
    response_header_version,
)
from aiokafka_gen.messages.codes import ApiKey, ErrorCode
from aiokafka_gen.messages.request_header import RequestHeader
from aiokafka_gen.messages.response_header import ResponseHeader
from aiokafka_gen.protocol._codec import Buffer
from aiokafka_gen.protocol._message import Message

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "NEED_DATA",
    "CorrelationIdError",
    "FrameSizeError",
    "KafkaFraming",
    "NeedData",
    "Response",
    "expects_response",
]

#: The broker's own default socket.request.max.bytes; fetch responses stay well below it.
DEFAULT_MAX_FRAME_SIZE: Final = 100 * 1024 * 1024
_SIZE = struct.Struct(">i")


class FrameSizeError(KafkaProtocolError):
    """A frame's size prefix is negative or larger than the allowed maximum.

    Not retriable: the same response would be as large again.
    """

    retriable = False


class NeedData:
    """The event returned when the buffer does not yet hold a whole frame."""

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData()


@dataclass(frozen=True, slots=True)
class Response:
    """One decoded response, with the request it answers (api key and version)."""

    correlation_id: int
    api_key: int
    api_version: int
    message: Message


class _Pending(NamedTuple):
    correlation_id: int
    api_key: int
    api_version: int


def expects_response(request: Message) -> bool:
    """False only for acks=0 Produce requests, which the broker never answers."""
    return not (request.API_KEY == ApiKey.PRODUCE and getattr(request, "acks", 1) == 0)


class KafkaFraming:
    """One connection's framing state; not thread-safe, not reusable after an error."""

    def __init__(
        self,
        client_id: str | None,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        first_correlation_id: int = 0,
    ) -> None:
        self.client_id = client_id
        self.max_frame_size = max_frame_size
        self._next_id = first_correlation_id
        self._pending: deque[_Pending] = deque()
        self._buffer = bytearray()
        self._frame_size: int | None = None
        self._broken: KafkaProtocolError | None = None

    # ---- sending -------------------------------------------------------------------------
    def send(
        self, request: Message, api_version: int, *, expect_response: bool | None = None
    ) -> tuple[int, bytes]:
        """Frame ``request`` at ``api_version``; return (correlation id, bytes to write)."""
        self._check()
        api_key = request.API_KEY
        if api_key is None:
            raise ValueError(f"{type(request).__name__} is not a request")
        correlation_id = self._allocate_id()
        parts = self._encode(request, api_key, api_version, correlation_id)
        wanted = expects_response(request) if expect_response is None else expect_response
        if wanted:
            self._pending.append(_Pending(correlation_id, api_key, api_version))
        return correlation_id, b"".join(parts)

    def _allocate_id(self) -> int:
        correlation_id = self._next_id
        self._next_id = 0 if correlation_id >= 0x7FFFFFFF else correlation_id + 1
        return correlation_id

    def _encode(
        self, request: Message, api_key: int, api_version: int, correlation_id: int
    ) -> list[Buffer]:
        header = RequestHeader(
            request_api_key=api_key,
            request_api_version=api_version,
            correlation_id=correlation_id,
            client_id=self.client_id,
        )
        parts: list[Buffer] = [b""]
        header.encode_into(parts, request_header_version(api_key, api_version))
        request.encode_into(parts, api_version)
        parts[0] = _SIZE.pack(sum(len(p) for p in parts))
        return parts

    # ---- receiving -----------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Requests sent whose responses have not been returned yet."""
        return len(self._pending)

    def bytes_needed(self) -> int:
        """How many more bytes complete the size prefix or the current frame (at least 1)."""
        self._check()
        if self._frame_size is None:
            return max(1, 4 - len(self._buffer))
        return max(1, 4 + self._frame_size - len(self._buffer))

    def receive_data(self, data: Buffer) -> None:
        """Buffer bytes read from the socket; the size prefix is checked as soon as it is in."""
        self._check()
        self._buffer += data
        self._read_size()

    def _read_size(self) -> None:
        if self._frame_size is not None or len(self._buffer) < 4:
            return
        (size,) = _SIZE.unpack_from(self._buffer, 0)
        if size < 0 or size > self.max_frame_size:
            self._fail(FrameSizeError(f"frame size {size} outside 0..{self.max_frame_size}"))
        self._frame_size = size

    def next_event(self) -> Response | NeedData:
        """The next complete response, or NEED_DATA."""
        self._check()
        size = self._frame_size
        if size is None or len(self._buffer) < 4 + size:
            return NEED_DATA
        frame = bytes(memoryview(self._buffer)[4 : 4 + size])
        del self._buffer[: 4 + size]
        self._frame_size = None
        self._read_size()
        return self._decode_frame(memoryview(frame))

    def _decode_frame(self, frame: memoryview) -> Response:
        if not self._pending:
            self._fail(CorrelationIdError("a response arrived but no request is in flight"))
        expected = self._pending[0]
        try:
            version = response_header_version(expected.api_key, expected.api_version)
            header, offset = ResponseHeader.decode_from(frame, version, 0)
        except DecodeError as exc:
            self._fail(exc)
        if header.correlation_id != expected.correlation_id:
            got, want = header.correlation_id, expected.correlation_id
            self._fail(CorrelationIdError(f"correlation id {got}, expected {want}"))
        self._pending.popleft()
        message, version = self._decode_body(frame, offset, expected)
        return Response(expected.correlation_id, expected.api_key, version, message)

    def _decode_body(
        self, frame: memoryview, offset: int, expected: _Pending
    ) -> tuple[Message, int]:
        cls = response_class(expected.api_key)
        version = expected.api_version
        if expected.api_key == ApiKey.API_VERSIONS and _is_unsupported(frame, offset):
            version = 0  # the broker answers an unknown ApiVersions version in v0 (KIP-511)
        try:
            message = cls.decode_from(frame, version, offset)[0]
        except DecodeError as exc:
            self._fail(exc)
        return message, version

    # ---- errors --------------------------------------------------------------------------
    def _check(self) -> None:
        if self._broken is not None:
            raise KafkaProtocolError(f"connection stream is broken: {self._broken}")

    def _fail(self, error: KafkaProtocolError) -> NoReturn:
        self._broken = error
        raise error


def _is_unsupported(frame: memoryview, offset: int) -> bool:
    return len(frame) >= offset + 2 and struct.unpack_from(">h", frame, offset)[0] == (
        ErrorCode.UNSUPPORTED_VERSION
    )
