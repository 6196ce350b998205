"""The group membership state machine: one transition table for both group protocols.

States (``MemberState``) and events (``MemberEvent``); ``Membership.fire()`` raises
IllegalStateError for a transition the table does not have, so a bug in the coordinator's
loop shows up as an error, not as a member that silently thinks it is stable. The classic
protocol goes unjoined -> joining (JoinGroup) -> syncing (SyncGroup) -> reconciling
(listener calls, committed offsets) -> stable; the consumer protocol (KIP-848) goes
unjoined -> joining (heartbeat with epoch 0) -> reconciling -> stable, and stable ->
reconciling on every new target assignment. Any state may lose its membership (``lost``:
back to unjoined) or hit a fatal error (``fatal``: fenced). Pure data, no I/O.
"""

from __future__ import annotations

import enum

from aiokafka_gen.errors import IllegalStateError

__all__ = ["MemberEvent", "MemberState", "Membership"]


class MemberState(enum.Enum):
    """Where a member is in its group."""

    UNJOINED = "unjoined"
    JOINING = "joining"
    SYNCING = "syncing"
    RECONCILING = "reconciling"
    STABLE = "stable"
    LEAVING = "leaving"
    FENCED = "fenced"
    STOPPED = "stopped"


class MemberEvent(enum.Enum):
    """What happens to a member; the table says where each takes it from each state."""

    JOIN = "join"
    JOINED = "joined"
    SYNCED = "synced"
    ASSIGNED = "assigned"
    RECONCILED = "reconciled"
    LEAVE = "leave"
    LEFT = "left"
    STOP = "stop"
    LOST = "lost"
    FATAL = "fatal"


S, E = MemberState, MemberEvent
_LIVE = (S.UNJOINED, S.JOINING, S.SYNCING, S.RECONCILING, S.STABLE, S.LEAVING)
_TRANSITIONS: dict[tuple[MemberState, MemberEvent], MemberState] = {
    (S.UNJOINED, E.JOIN): S.JOINING,
    (S.STABLE, E.JOIN): S.JOINING,
    (S.RECONCILING, E.JOIN): S.JOINING,
    (S.JOINING, E.JOIN): S.JOINING,
    (S.JOINING, E.JOINED): S.SYNCING,
    (S.SYNCING, E.SYNCED): S.RECONCILING,
    (S.JOINING, E.ASSIGNED): S.RECONCILING,
    (S.STABLE, E.ASSIGNED): S.RECONCILING,
    (S.RECONCILING, E.ASSIGNED): S.RECONCILING,
    (S.RECONCILING, E.RECONCILED): S.STABLE,
    (S.STABLE, E.LEAVE): S.LEAVING,
    (S.RECONCILING, E.LEAVE): S.LEAVING,
    (S.JOINING, E.LEAVE): S.LEAVING,
    (S.SYNCING, E.LEAVE): S.LEAVING,
    (S.UNJOINED, E.LEAVE): S.LEAVING,
    (S.LEAVING, E.LEFT): S.UNJOINED,
    (S.FENCED, E.STOP): S.STOPPED,
    (S.STOPPED, E.STOP): S.STOPPED,
    **{(state, E.LOST): S.UNJOINED for state in _LIVE},
    **{(state, E.FATAL): S.FENCED for state in _LIVE},
    **{(state, E.STOP): S.STOPPED for state in _LIVE},
}


class Membership:
    """The current state plus the transition table."""

    __slots__ = ("state", "transitions")

    def __init__(self) -> None:
        self.state = MemberState.UNJOINED
        self.transitions = 0

    def fire(self, event: MemberEvent) -> MemberState:
        """Apply ``event``; IllegalStateError when the table has no such transition."""
        target = _TRANSITIONS.get((self.state, event))
        if target is None:
            raise IllegalStateError(
                f"membership: {event.value!r} is not allowed in {self.state.value}"
            )
        self.state = target
        self.transitions += 1
        return target

    def allows(self, event: MemberEvent) -> bool:
        """True when ``event`` is legal now."""
        return (self.state, event) in _TRANSITIONS

    @property
    def in_group(self) -> bool:
        """True while the member holds (or is getting) a group assignment."""
        return self.state in (S.SYNCING, S.RECONCILING, S.STABLE)
