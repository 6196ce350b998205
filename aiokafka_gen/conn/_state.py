"""The connection lifecycle as a transition table; illegal events raise.

``INIT -connect-> CONNECTING -connected-> HANDSHAKE -ready-> READY``; ``READY -reauth->
REAUTHENTICATING -ready-> READY``; ``close`` from anywhere to ``CLOSED`` (idempotent).
Must not do I/O or know sockets.
"""

from __future__ import annotations

import enum
from typing import Final

from aiokafka_gen.errors import IllegalStateError

__all__ = ["ConnectionEvent", "ConnectionState", "Lifecycle"]


class ConnectionState(enum.Enum):
    INIT = "init"
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    READY = "ready"
    REAUTHENTICATING = "reauthenticating"
    CLOSED = "closed"


class ConnectionEvent(enum.Enum):
    CONNECT = "connect"
    CONNECTED = "connected"
    READY = "ready"
    REAUTH = "reauth"
    CLOSE = "close"


_S, _E = ConnectionState, ConnectionEvent
TRANSITIONS: Final[dict[tuple[ConnectionState, ConnectionEvent], ConnectionState]] = {
    (_S.INIT, _E.CONNECT): _S.CONNECTING,
    (_S.CONNECTING, _E.CONNECTED): _S.HANDSHAKE,
    (_S.HANDSHAKE, _E.READY): _S.READY,
    (_S.READY, _E.REAUTH): _S.REAUTHENTICATING,
    (_S.REAUTHENTICATING, _E.READY): _S.READY,
} | {(state, _E.CLOSE): _S.CLOSED for state in ConnectionState}


class Lifecycle:
    """Current state plus the table; ``fire(event)`` moves or raises IllegalStateError."""

    def __init__(self) -> None:
        self.state = ConnectionState.INIT

    def fire(self, event: ConnectionEvent) -> ConnectionState:
        target = TRANSITIONS.get((self.state, event))
        if target is None:
            raise IllegalStateError(f"event {event.value!r} is illegal in state {self.state.name}")
        self.state = target
        return target

    @property
    def usable(self) -> bool:
        """Can the wire carry requests (the handshake's own ones included)?"""
        return self.state in (_S.HANDSHAKE, _S.READY, _S.REAUTHENTICATING)
