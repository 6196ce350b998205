"""One asyncio connection to one broker: open, negotiate, authenticate, pipeline requests.

Task and lock ownership (see DESIGN.md):
- the reader task (one per connection) owns the socket's read side and the framing's
  receive side; it resolves the future registered for each correlation id and releases the
  in-flight slot; a response whose caller went away (cancelled, timed out) is read and
  dropped, so the stream never desynchronises;
- a caller frames its request and appends the bytes to the outgoing buffer in one
  synchronous step (cancellation cannot split them); a ``call_soon`` flush writes every
  request framed in the same loop iteration with one socket write;
- ``_slots`` (a semaphore) bounds requests in flight; ``_gate`` (an event) holds new
  requests back while a KIP-368 re-authentication runs; nothing else locks.
Closing fails every waiting future with KafkaConnectionError. A failure's message names
the address, what the connection was doing, the root cause and, when the failure is the
known sign of a security_protocol that does not match the listener, a hint (``_diagnose``).
The framing and the SASL mechanisms are sans-IO; this module only moves bytes and
schedules work. It must not retry, refresh metadata or pick brokers: that is the client's
job.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Iterator
from typing import TypeVar, cast

from aiokafka_gen._logging import client_logger
from aiokafka_gen.conn import _diagnose
from aiokafka_gen.conn._auth import make_mechanism
from aiokafka_gen.conn._config import ConnectionConfig
from aiokafka_gen.conn._metrics import ConnectionMetrics
from aiokafka_gen.conn._minimum import check_minimum_broker
from aiokafka_gen.conn._state import ConnectionEvent, ConnectionState, Lifecycle
from aiokafka_gen.errors import (
    AuthenticationMethodNotSupported,
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaProtocolError,
    KafkaTimeoutError,
    for_code,
)
from aiokafka_gen.messages.sasl_authenticate_request import SaslAuthenticateRequest
from aiokafka_gen.messages.sasl_handshake_request import SaslHandshakeRequest
from aiokafka_gen.protocol._message import Message, Request
from aiokafka_gen.protocol.framing import (
    FrameSizeError,
    KafkaFraming,
    Response,
    expects_response,
)
from aiokafka_gen.protocol.negotiation import (
    ApiVersionsRetry,
    BrokerVersions,
    api_versions_request,
    first_api_versions_version,
    read_api_versions,
)
from aiokafka_gen.protocol.sasl import SaslError, SaslMechanism

__all__ = ["BrokerConnection"]

log = client_logger("aiokafka_gen.conn")
R = TypeVar("R")
_SASL_HANDSHAKE = 17
_SASL_AUTHENTICATE = 36
_UNSUPPORTED_SASL_MECHANISM = 33
_ILLEGAL_SASL_STATE = 34
_API_VERSIONS_ATTEMPTS = 3
_WRITE_AT_ONCE = 64 * 1024
_CLOSE_GRACE = 1.0  # seconds a closing connection may take to flush what was written


def _socket_closed(writer: asyncio.StreamWriter) -> bool:
    sock = writer.get_extra_info("socket")
    return sock is None or sock.fileno() == -1


def _api_name(request: Message) -> str:
    return request.NAME[:-7] if request.NAME.endswith("Request") else request.NAME


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn OS and timeout errors into the library's typed errors (one boundary)."""
    try:
        yield
    except KafkaError:
        raise
    except TimeoutError:
        raise KafkaTimeoutError(f"{what} timed out") from None
    except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
        raise KafkaConnectionError(f"{what}: {type(exc).__name__}: {exc}") from None


class BrokerConnection:
    """A pipelined connection; create, ``await connect()``, ``await send()``, ``close()``."""

    def __init__(
        self, host: str, port: int, config: ConnectionConfig, *, node_id: int | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.node_id = node_id
        self.config = config.validate()
        self.versions: BrokerVersions | None = None
        self.reauthentications = 0
        self.session_lifetime_ms = 0
        self.close_reason: BaseException | None = None
        self._life = Lifecycle()
        self._framing = KafkaFraming(config.client_id, max_frame_size=config.max_frame_size)
        self._waiters: dict[int, asyncio.Future[Response]] = {}
        self._slots = asyncio.Semaphore(config.max_in_flight_requests)
        self._gate = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._read_task: asyncio.Task[None] | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._reauth_at: float | None = None
        self._last_activity = 0.0
        self._outgoing: list[bytes] = []
        # for failure messages: what connect() is doing, responses read, a TLS-looking reply
        self._phase: str | None = None
        self._answered = 0
        self._answered_when_ready = 0
        self._tls_reply = False
        self._hint: str | None = None
        # metrics (issue #24): set by the client's pool when its metrics are on; then the
        # send time and API of every request waiting for its answer, by correlation id
        self.metrics: ConnectionMetrics | None = None
        self._sent_at: dict[int, tuple[float, int, str]] = {}

    # ---- state -------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._life.state

    def connected(self) -> bool:
        return self._life.state in (ConnectionState.READY, ConnectionState.REAUTHENTICATING)

    @property
    def in_flight(self) -> int:
        return len(self._waiters)

    def __repr__(self) -> str:
        node = "bootstrap" if self.node_id is None else f"node={self.node_id}"
        return (
            f"<BrokerConnection {node} {self.host}:{self.port} {self.config.security_protocol}"
            f" state={self.state.name} in_flight={self.in_flight}>"
        )

    # ---- connect -----------------------------------------------------------------------
    async def connect(self) -> BrokerConnection:
        """Open the socket, negotiate versions, authenticate; typed errors, no leaks."""
        self._life.fire(ConnectionEvent.CONNECT)
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                with _translated(f"connect to {self.host}:{self.port}"):
                    self._phase = _diagnose.CONNECT
                    await self._open()
                    self._phase = _diagnose.VERSIONS
                    await self._negotiate()
                    self._phase = _diagnose.SASL
                    await self._authenticate()
        except BaseException as exc:
            await self._shutdown(exc)
            error = self._connect_error(exc)
            if error is exc:
                raise
            raise error from exc
        self._phase = None
        self._answered_when_ready = self._answered
        if self.metrics is not None:
            self.metrics.created.record(1.0, asyncio.get_running_loop().time())
        self._life.fire(ConnectionEvent.READY)
        self._gate.set()
        self._touch()
        return self

    def _connect_error(self, exc: BaseException) -> BaseException:
        """The error connect() raises: typed broker and SASL errors as they are; anything
        about the transport as KafkaConnectionError naming the address, the step, the
        root cause and a hint when the listener seems to expect another security_protocol."""
        if not isinstance(exc, Exception):
            return exc  # cancellation
        transport = isinstance(exc, KafkaConnectionError | KafkaTimeoutError | TimeoutError)
        if isinstance(exc, KafkaError) and not transport:
            return exc
        if isinstance(exc, TimeoutError):
            reason = (f"timed out after {self.config.connect_timeout:g} s "
                      "(connection_setup_timeout_ms)")  # fmt: skip
        else:
            reason = _diagnose.describe(exc)
        hint = self._hint or self._hint_for(exc, self._phase)
        return KafkaConnectionError(
            f"connect to {self.host}:{self.port} ({self.config.security_protocol}) failed at "
            f"{self._phase or 'connect'}: {reason}" + (f"; hint: {hint}" if hint else "")
        )

    def _hint_for(self, exc: BaseException, phase: str | None) -> str | None:
        return _diagnose.hint(
            exc, phase=phase, tls=self.config.uses_tls, sasl=self.config.uses_sasl,
            tls_reply=self._tls_reply,
        )  # fmt: skip

    async def _open(self) -> None:
        ssl_context = self.config.ssl_context if self.config.uses_tls else None
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=ssl_context,
            server_hostname=self.host if ssl_context else None,
        )  # fmt: skip
        self._reader, self._writer = reader, writer
        self._read_task = asyncio.get_running_loop().create_task(
            self._read_loop(), name=f"aiokafka_gen-read-{self.host}:{self.port}"
        )
        self._life.fire(ConnectionEvent.CONNECTED)

    async def _negotiate(self) -> None:
        version = first_api_versions_version()
        for _ in range(_API_VERSIONS_ATTEMPTS):
            request = api_versions_request(version)
            response = await self._internal(request, version)
            try:
                versions = read_api_versions(response, version)
            except ApiVersionsRetry as retry:
                version = retry.version
                continue
            check_minimum_broker(versions.ranges, f"{self.host}:{self.port}")
            self.versions = versions
            return
        raise KafkaConnectionError("ApiVersions negotiation did not converge")

    # ---- SASL --------------------------------------------------------------------------
    async def _authenticate(self) -> None:
        if not self.config.uses_sasl:
            return
        mechanism = await make_mechanism(self.config, self.host)
        await self._handshake(mechanism.name)
        lifetime = await self._sasl_exchange(mechanism)
        self._schedule_reauth(lifetime)

    async def _handshake(self, name: str) -> None:
        version = self._version_for(_SASL_HANDSHAKE)
        request = SaslHandshakeRequest(mechanism=name)
        response = await self._internal(request, version)
        code = response.error_code
        if not code:
            return
        where = f"the listener at {self.host}:{self.port}"
        offered = ", ".join(response.mechanisms)
        if code == _ILLEGAL_SASL_STATE and not response.mechanisms:
            raise AuthenticationMethodNotSupported(
                f"{where} does not use SASL (it answered SaslHandshake with ILLEGAL_SASL_STATE "
                f"and offers no mechanism); hint: " + _diagnose.no_sasl_hint(self.config.uses_tls)
            )
        if code == _UNSUPPORTED_SASL_MECHANISM:
            raise for_code(code)(
                f"{where} does not enable sasl_mechanism {name!r}; it offers "
                f"{offered or 'none'}: set sasl_mechanism to one of them"
            )
        raise for_code(code)(f"SaslHandshake for {name} with {where} failed; it offers "
                                 f"{offered or 'no mechanism'}")  # fmt: skip

    async def _sasl_exchange(self, mechanism: SaslMechanism) -> int:
        version = self._version_for(_SASL_AUTHENTICATE)
        token: bytes | None = mechanism.first_message()
        lifetime = 0
        while token is not None:
            request = SaslAuthenticateRequest(auth_bytes=token)
            response = await self._internal(request, version)
            if response.error_code:
                raise for_code(response.error_code)(response.error_message)
            lifetime = response.session_lifetime_ms
            token = mechanism.step(bytes(response.auth_bytes))
        if not mechanism.complete:
            raise SaslError(f"{mechanism.name} exchange ended before completing")
        return lifetime

    def _schedule_reauth(self, lifetime_ms: int) -> None:
        """KIP-368: re-authenticate at 85-95 % of the session lifetime the broker granted."""
        self.session_lifetime_ms = lifetime_ms
        if lifetime_ms <= 0:
            self._reauth_at = None
            return
        share = 0.85 + 0.1 * random.random()
        self._reauth_at = asyncio.get_running_loop().time() + lifetime_ms * share / 1000.0

    async def _maybe_reauthenticate(self) -> None:
        if self._reauth_at is None or asyncio.get_running_loop().time() < self._reauth_at:
            return
        if self.state is not ConnectionState.READY:
            return
        self._life.fire(ConnectionEvent.REAUTH)
        self._gate.clear()
        try:
            with _translated(f"re-authenticate with {self.host}:{self.port}"):
                async with asyncio.timeout(self.config.request_timeout):
                    await self._authenticate()
        except BaseException as exc:
            self._abort(exc)
            raise
        self.reauthentications += 1
        self._life.fire(ConnectionEvent.READY)
        self._gate.set()

    # ---- requests ----------------------------------------------------------------------
    def _version_for(self, api_key: int, pinned: int | None = None) -> int:
        if self.versions is None:
            raise IllegalStateError("API versions are not negotiated yet")
        return self.versions.version_for(api_key, pinned)

    async def send(
        self, request: Request[R], *, api_version: int | None = None, timeout: float | None = None
    ) -> R:
        """Send ``request`` at the negotiated (or pinned) version; the response message, or
        None for requests that get none (acks=0 Produce)."""
        limit = self.config.request_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                await self._wait_usable()
                await self._maybe_reauthenticate()
                assert request.API_KEY is not None
                version = self._version_for(request.API_KEY, api_version)
                response = await self._exchange(request, version)
        except TimeoutError:
            error = KafkaTimeoutError(f"{request.NAME} to {self.host}:{self.port} timed out")
            if self.metrics is not None and request.API_KEY is not None:
                now = asyncio.get_running_loop().time()
                self.metrics.failed(request.API_KEY, _api_name(request), now)
            self._abort(error)
            raise error from None
        # decoded with the API key's response class (request.RESPONSE), or none was due
        return cast(R, None if response is None else response.message)

    async def _wait_usable(self) -> None:
        self._raise_if_closed()
        await self._gate.wait()
        self._raise_if_closed()

    def _raise_if_closed(self) -> None:
        if self.state is ConnectionState.CLOSED:
            raise self._closed_error()

    async def _internal(self, request: Request[R], version: int) -> R:
        """An ApiVersions or SASL request (each gets an answer): its response message."""
        response = await self._exchange(request, version, internal=True)
        assert response is not None
        # decoded with the API key's response class (request.RESPONSE), as in ``send``
        return cast(R, response.message)

    async def _exchange(
        self, request: Message, version: int, *, internal: bool = False
    ) -> Response | None:
        """Take a slot, frame and write in one synchronous step, await the response.

        ``internal`` requests (ApiVersions, SASL) pass the re-authentication gate."""
        await self._take_slot(internal)
        try:
            future = self._write(request, version)
        except BaseException:
            self._slots.release()
            raise
        if future is None:
            self._slots.release()
            await self._drain()
            return None
        await self._drain()
        return await future

    async def _take_slot(self, internal: bool) -> None:
        while True:
            if not internal:
                await self._gate.wait()
            await self._slots.acquire()
            if internal or self._gate.is_set():
                return
            self._slots.release()  # a re-authentication started while we waited

    def _write(self, request: Message, version: int) -> asyncio.Future[Response] | None:
        if not self._life.usable or self._writer is None:
            raise self._closed_error()
        correlation_id, data = self._framing.send(request, version)
        future: asyncio.Future[Response] | None = None
        metrics = self.metrics
        if expects_response(request):
            future = asyncio.get_running_loop().create_future()
            self._waiters[correlation_id] = future
            if metrics is not None:
                now = asyncio.get_running_loop().time()
                metrics.request_sent(len(data), now)
                key = request.API_KEY
                self._sent_at[correlation_id] = (
                    now,
                    -1 if key is None else key,
                    _api_name(request),
                )
        elif metrics is not None:
            metrics.request_sent(len(data), asyncio.get_running_loop().time())
        self._queue_write(data)
        self._touch()
        return future

    def _queue_write(self, data: bytes) -> None:
        """Small requests framed in the same loop iteration leave in one socket write; a
        large one is written at once so that the following drain() applies backpressure."""
        if len(data) >= _WRITE_AT_ONCE:
            self._flush()
            self._write_now([data])
            return
        self._outgoing.append(data)
        if len(self._outgoing) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if outgoing:
            self._write_now(outgoing)

    def _write_now(self, chunks: list[bytes]) -> None:
        if self._writer is not None and self._life.usable:
            self._writer.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    async def _drain(self) -> None:
        writer = self._writer
        if writer is None:
            raise self._closed_error()
        with _translated(f"write to {self.host}:{self.port}"):
            await writer.drain()

    # ---- the reader task ---------------------------------------------------------------
    async def _read_loop(self) -> None:
        reader = self._reader
        assert reader is not None
        data = b""
        try:
            with _translated(f"read from {self.host}:{self.port}"):
                while True:
                    data = await reader.readexactly(self._framing.bytes_needed())
                    self._framing.receive_data(data)
                    self._dispatch_all(len(data))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._abort(self._read_error(exc, data))

    def _read_error(self, exc: BaseException, data: bytes) -> BaseException:
        """A first "frame" whose size prefix is a TLS record header is not a broken Kafka
        broker but a TLS listener answering a plaintext client: say so."""
        if (
            isinstance(exc, FrameSizeError)
            and not self._answered
            and _diagnose.looks_like_tls(data)
        ):
            self._tls_reply = True
            return KafkaConnectionError(
                f"the reply is not a Kafka response: its first bytes ({data[:3].hex(' ')}) "
                "start a TLS record"
            )
        return exc

    def _dispatch_all(self, nbytes: int = 0) -> None:
        while isinstance(event := self._framing.next_event(), Response):
            self._answered += 1
            self._touch()
            self._slots.release()
            if self.metrics is not None:
                self._record_answer(event, nbytes + 4)  # the body read, and its size prefix
            future = self._waiters.pop(event.correlation_id, None)
            if future is not None and not future.done():
                future.set_result(event)

    def _record_answer(self, event: Response, nbytes: int) -> None:
        assert self.metrics is not None
        sent = self._sent_at.pop(event.correlation_id, None)
        if sent is None:
            return
        now = asyncio.get_running_loop().time()
        failed = getattr(event.message, "error_code", 0) != 0
        self.metrics.answered(sent[1], sent[2], nbytes, now - sent[0], failed, now)

    # ---- idle and close ----------------------------------------------------------------
    def _touch(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        if self._idle_timer is None and self.config.connections_max_idle_ms > 0:
            delay = self.config.connections_max_idle_ms / 1000.0
            self._idle_timer = loop.call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        self._idle_timer = None
        if self.state is ConnectionState.CLOSED:
            return
        limit = self.config.connections_max_idle_ms / 1000.0
        idle = asyncio.get_running_loop().time() - self._last_activity
        if self._waiters or idle < limit:
            self._idle_timer = asyncio.get_running_loop().call_later(
                max(limit - idle, 0.001), self._check_idle
            )
            return
        log.debug("closing idle connection %r", self, extra={"node_id": self.node_id})
        self._abort(KafkaConnectionError(f"idle for more than {limit:g} s"))

    def _closed_error(self) -> KafkaConnectionError:
        reason = ""
        if self.close_reason is not None:
            reason = f": {_diagnose.describe(self.close_reason)}"
        hint = f"; hint: {self._hint}" if self._hint else ""
        return KafkaConnectionError(
            f"connection to {self.host}:{self.port} is closed{reason}{hint}"
        )

    def _abort(self, reason: BaseException | None) -> None:
        """Synchronous close: fail waiters, stop the reader, close the transport."""
        if self.state is ConnectionState.CLOSED:
            return
        self.close_reason = reason
        if reason is not None and self._hint is None:
            self._hint = self._hint_for(reason, self._failure_phase())
        if self.metrics is not None:
            self._record_close()
        self._life.fire(ConnectionEvent.CLOSE)
        self._gate.set()  # wake senders so they see CLOSED
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._fail_waiters()
        task = self._read_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if self._writer is not None:
            if reason is None:  # a clean close: bytes already written still go out first
                self._writer.close()
            else:  # a broken connection: a peer that stopped reading would keep it open
                self._writer.transport.abort()

    def _record_close(self) -> None:
        assert self.metrics is not None
        now = asyncio.get_running_loop().time()
        if self.connected():
            self.metrics.closed.record(1.0, now)
        sent, self._sent_at = self._sent_at, {}
        for _, api_key, name in sent.values():  # every request still waiting fails
            self.metrics.failed(api_key, name, now)

    def _failure_phase(self) -> str | None:
        if self._phase is not None:  # still connecting
            return self._phase
        if self._waiters and self._answered == self._answered_when_ready:
            return _diagnose.FIRST_REQUEST
        return None

    def _fail_waiters(self) -> None:
        waiters, self._waiters = self._waiters, {}
        for future in waiters.values():
            if not future.done():
                future.set_exception(self._waiter_error())
                future.exception()  # a caller that went away must not log "never retrieved"
            self._slots.release()

    def _waiter_error(self) -> KafkaError:
        if isinstance(self.close_reason, KafkaProtocolError):
            return self.close_reason
        error = self._closed_error()
        error.__cause__ = self.close_reason
        return error

    async def _shutdown(self, reason: BaseException | None) -> None:
        self._abort(reason)
        await self._wait_closed()

    async def _wait_closed(self) -> None:
        tasks: list[Awaitable[object]] = []
        if self._read_task is not None and self._read_task is not asyncio.current_task():
            tasks.append(self._read_task)
        if self._writer is not None:
            tasks.append(self._writer.wait_closed())
        if tasks:
            gathered = asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(asyncio.shield(gathered), _CLOSE_GRACE)
        if self._writer is not None and not _socket_closed(self._writer):
            # still flushing after the grace (a peer that does not read): drop the rest,
            # or the socket stays open until the loop dies
            self._writer.transport.abort()

    async def close(self, reason: BaseException | None = None) -> None:
        """Close (idempotent); pending requests fail with KafkaConnectionError."""
        await self._shutdown(reason)
