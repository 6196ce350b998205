"""The group membership state machine: one transition table for both group protocols.

States (``MemberState``) and events; ``Membership.event()`` raises IllegalStateError for a
transition the table does not have, so a bug in the coordinator's loop shows up as an
error, not as a member that silently thinks it is stable. The classic protocol goes
unjoined -> joining (JoinGroup) -> syncing (SyncGroup) -> reconciling (listener calls,
committed offsets) -> stable; the consumer protocol (KIP-848) goes unjoined -> joining
(heartbeat with epoch 0) -> reconciling -> stable, and stable -> reconciling on every new
target assignment. Any state may lose its membership (``lost``: back to unjoined) or hit
a fatal error (``fatal``: fenced). Pure data, no I/O.
"""

from __future__ import annotations

import enum

from aiokafka_gen.errors import IllegalStateError

__all__ = ["MemberState", "Membership"]


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


S = MemberState
_LIVE = (S.UNJOINED, S.JOINING, S.SYNCING, S.RECONCILING, S.STABLE, S.LEAVING)
_TRANSITIONS: dict[tuple[MemberState, str], MemberState] = {
    (S.UNJOINED, "join"): S.JOINING,
    (S.STABLE, "join"): S.JOINING,
    (S.RECONCILING, "join"): S.JOINING,
    (S.JOINING, "join"): S.JOINING,
    (S.JOINING, "joined"): S.SYNCING,
    (S.SYNCING, "synced"): S.RECONCILING,
    (S.JOINING, "assigned"): S.RECONCILING,
    (S.STABLE, "assigned"): S.RECONCILING,
    (S.RECONCILING, "assigned"): S.RECONCILING,
    (S.RECONCILING, "reconciled"): S.STABLE,
    (S.STABLE, "leave"): S.LEAVING,
    (S.RECONCILING, "leave"): S.LEAVING,
    (S.JOINING, "leave"): S.LEAVING,
    (S.SYNCING, "leave"): S.LEAVING,
    (S.UNJOINED, "leave"): S.LEAVING,
    (S.LEAVING, "left"): S.UNJOINED,
    (S.FENCED, "stop"): S.STOPPED,
    (S.STOPPED, "stop"): S.STOPPED,
    **{(state, "lost"): S.UNJOINED for state in _LIVE},
    **{(state, "fatal"): S.FENCED for state in _LIVE},
    **{(state, "stop"): S.STOPPED for state in _LIVE},
}


class Membership:
    """The current state plus the transition table."""

    __slots__ = ("state", "transitions")

    def __init__(self) -> None:
        self.state = MemberState.UNJOINED
        self.transitions = 0

    def event(self, name: str) -> MemberState:
        """Apply ``name``; IllegalStateError when the table has no such transition."""
        target = _TRANSITIONS.get((self.state, name))
        if target is None:
            raise IllegalStateError(f"membership: {name!r} is not allowed in {self.state.value}")
        self.state = target
        self.transitions += 1
        return target

    def allows(self, name: str) -> bool:
        """True when ``name`` is a legal event now."""
        return (self.state, name) in _TRANSITIONS

    @property
    def in_group(self) -> bool:
        """True while the member holds (or is getting) a group assignment."""
        return self.state in (S.SYNCING, S.RECONCILING, S.STABLE)
