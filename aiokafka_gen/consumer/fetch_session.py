"""Fetch sessions (KIP-227), sans-IO: which partitions a Fetch request must carry.

One ``FetchSession`` per broker. The first request of a session is *full* (session id 0,
epoch 0, every partition); the broker answers with a session id and caches the partitions.
Later requests are *incremental*: they carry only partitions that are new or whose fetch
parameters changed, and list partitions to drop as forgotten; the broker answers only for
partitions with news. The epoch counts requests (1, 2, ... wrapping to 1). A session error
(FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH), any other top-level error or a
lost request resets it, and the next request is full again. Must not do I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

from aiokafka_gen.messages.codes import ErrorCode
from aiokafka_gen.structs import TopicPartition

__all__ = ["FetchPlan", "FetchSession", "FetchTarget"]

INITIAL_EPOCH = 0
FINAL_EPOCH = -1  # sessionless fetch (sessions disabled)
_MAX_EPOCH = 2**31 - 1
# the broker lost or refused our session (no flag says so): start a new one with a full fetch
SESSION_ERRORS = frozenset(
    {ErrorCode.FETCH_SESSION_ID_NOT_FOUND, ErrorCode.INVALID_FETCH_SESSION_EPOCH}
)


class FetchTarget(NamedTuple):
    """What is asked for one partition; a change re-sends it in an incremental request.
    (A tuple: built for every fetchable partition on every fetch round and compared with
    the session's copy, both at C speed.)"""

    fetch_offset: int
    current_leader_epoch: int
    last_fetched_epoch: int
    max_bytes: int


@dataclasses.dataclass(frozen=True, slots=True)
class FetchPlan:
    """One request's session fields and content."""

    session_id: int
    epoch: int
    send: dict[TopicPartition, FetchTarget]
    forgotten: list[TopicPartition]

    @property
    def full(self) -> bool:
        return self.epoch in (INITIAL_EPOCH, FINAL_EPOCH)


class FetchSession:
    """The client side of one broker's fetch session."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.session_id = 0
        self.epoch = INITIAL_EPOCH
        self.partitions: dict[TopicPartition, FetchTarget] = {}
        self.uses_ids: bool | None = None
        self._pending: dict[TopicPartition, FetchTarget] | None = None
        self.full_requests = 0
        self.incremental_requests = 0

    def build(self, wanted: Mapping[TopicPartition, FetchTarget], uses_ids: bool) -> FetchPlan:
        """The next request for ``wanted``; call ``handle_response`` or ``handle_failure``
        with its outcome before building another."""
        if uses_ids != self.uses_ids:
            self.reset()  # a session keyed by names cannot continue with topic ids
            self.uses_ids = uses_ids
        self._pending = dict(wanted)
        if not self.enabled:
            self.full_requests += 1
            return FetchPlan(0, FINAL_EPOCH, dict(wanted), [])
        if self.session_id == 0:
            self.full_requests += 1
            return FetchPlan(0, INITIAL_EPOCH, dict(wanted), [])
        known = self.partitions
        send = {tp: t for tp, t in wanted.items() if known.get(tp) != t}
        forgotten = [tp for tp in known if tp not in wanted]
        self.incremental_requests += 1
        return FetchPlan(self.session_id, self.epoch, send, forgotten)

    def handle_response(self, error_code: int, session_id: int) -> bool:
        """Apply a response's top-level fields; False when the session was reset (the
        response's partition data is still usable unless ``error_code`` is set)."""
        pending, self._pending = self._pending, None
        if error_code != 0 or pending is None:
            self.reset()
            return False
        if not self.enabled:
            return True
        if self.epoch == INITIAL_EPOCH:
            self.session_id = session_id  # 0: the broker did not create one; stay full
            self.epoch = 1 if session_id else INITIAL_EPOCH
        else:
            self.epoch = 1 if self.epoch >= _MAX_EPOCH else self.epoch + 1
        self.partitions = pending
        return True

    def handle_failure(self) -> None:
        """The request got no answer (disconnect, timeout): start over with a full one."""
        self._pending = None
        self.reset()

    def reset(self) -> None:
        self.session_id = 0
        self.epoch = INITIAL_EPOCH
        self.partitions = {}

    def __repr__(self) -> str:
        return (
            f"<FetchSession id={self.session_id} epoch={self.epoch}"
            f" partitions={len(self.partitions)}>"
        )
