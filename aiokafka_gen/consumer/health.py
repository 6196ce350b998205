"""The consumer's public health surface: per-partition positions, offsets and lag as plain
values (``AIOKafkaConsumer.partition_health()``), instead of private attributes.
Must not hold references to live state: every value is a snapshot."""

from __future__ import annotations

import dataclasses

from .subscription_state import PartitionState

__all__ = ["PartitionHealth", "lag_of", "snapshot"]


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionHealth:
    """One assigned partition, as of the call.

    ``position`` is the next offset the application gets (None while an offset is being
    looked up); ``highwater``/``last_stable_offset``/``log_start_offset`` are the values the
    last Fetch response reported (None before the first); ``lag`` is records not yet
    returned to the application: highwater (or the LSO with read_committed) minus position.
    ``last_fetch`` is ``time.monotonic()`` of the last successful fetch of this partition;
    ``error`` names an error waiting to be raised by the next poll.
    """

    position: int | None
    highwater: int | None
    last_stable_offset: int | None
    log_start_offset: int | None
    lag: int | None
    paused: bool
    resetting: bool
    last_fetch: float | None
    error: str | None


def lag_of(state: PartitionState, read_committed: bool) -> int | None:
    """Records between the position and the end the consumer can read (never negative)."""
    end = state.lso if read_committed else state.highwater
    if end is None or state.position is None:
        return None
    return max(0, end - state.position)


def snapshot(state: PartitionState, read_committed: bool) -> PartitionHealth:
    return PartitionHealth(
        position=state.position,
        highwater=state.highwater,
        last_stable_offset=state.lso,
        log_start_offset=state.log_start,
        lag=lag_of(state, read_committed),
        paused=state.paused,
        resetting=state.reset is not None,
        last_fetch=state.last_fetch,
        error=None if state.error is None else repr(state.error),
    )
