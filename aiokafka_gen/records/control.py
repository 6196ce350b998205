"""Control records (transaction markers) and the read_committed filter.

Control batches (attribute bit 5) carry markers, never application records: iterating one
yields nothing; ``control_markers(batch)`` decodes its markers. A control record's key is
int16 version + int16 type (0 ABORT, 1 COMMIT, others for KRaft); a transaction marker's
value is int16 version + int32 coordinator epoch. ``AbortedTransactionFilter`` applies a
FetchResponse's aborted-transactions list the way Kafka's consumer does for
read_committed. No I/O; state lives only in the filter object, one per fetched partition.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from aiokafka_gen.records._errors import RecordsCorruptError
from aiokafka_gen.records._types import Record

__all__ = [
    "ABORT",
    "COMMIT",
    "AbortedTransactionFilter",
    "BatchLike",
    "ControlMarker",
    "control_marker",
    "control_markers",
    "visible_batches",
]

ABORT = 0
COMMIT = 1
_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")


class BatchLike(Protocol):
    """What the filter needs from a batch (RecordBatch and LegacyBatch both fit)."""

    @property
    def producer_id(self) -> int: ...
    @property
    def is_transactional(self) -> bool: ...
    @property
    def is_control(self) -> bool: ...
    @property
    def last_offset(self) -> int: ...
    def control_records(self) -> Iterator[Record]: ...


B = TypeVar("B", bound=BatchLike)


class ControlMarker:
    """A decoded control record: its type and (for transaction markers) coordinator epoch."""

    __slots__ = ("coordinator_epoch", "offset", "type", "version")

    def __init__(self, offset: int, version: int, type_: int, coordinator_epoch: int | None):
        self.offset = offset
        self.version = version
        self.type = type_
        self.coordinator_epoch = coordinator_epoch

    def __repr__(self) -> str:
        return f"ControlMarker(offset={self.offset}, type={self.type})"


def control_marker(record: Record) -> ControlMarker:
    """Decode a record of a control batch."""
    if record.key is None or len(record.key) < _KEY.size:
        raise RecordsCorruptError("control record key is too short", offset=record.offset)
    version, type_ = _KEY.unpack_from(record.key, 0)
    epoch = None
    if type_ in (ABORT, COMMIT) and record.value is not None and len(record.value) >= 6:
        epoch = _VALUE.unpack_from(record.value, 0)[1]
    return ControlMarker(record.offset, version, type_, epoch)


def control_markers(batch: BatchLike) -> list[ControlMarker]:
    """The decoded markers of a control batch (empty for data batches)."""
    return [control_marker(record) for record in batch.control_records()]


def _is_abort_marker(batch: BatchLike) -> bool:
    markers = control_markers(batch)
    return bool(markers) and markers[0].type == ABORT


class AbortedTransactionFilter:
    """Drops batches of aborted transactions (read_committed) and all control batches.

    ``aborted`` is the FetchResponse list of (producer_id, first_offset) for one partition.
    Feed the partition's batches in offset order through ``filter``.
    """

    def __init__(self, aborted: Iterable[tuple[int, int]] = ()) -> None:
        self._pending = [(first, pid) for pid, first in aborted]
        heapq.heapify(self._pending)
        self._aborted_pids: set[int] = set()

    def _open_up_to(self, offset: int) -> None:
        while self._pending and self._pending[0][0] <= offset:
            self._aborted_pids.add(heapq.heappop(self._pending)[1])

    def keep(self, batch: BatchLike) -> bool:
        """Whether the batch holds records the application should see."""
        if batch.producer_id >= 0:
            self._open_up_to(batch.last_offset)
            if batch.is_control:
                if _is_abort_marker(batch):
                    self._aborted_pids.discard(batch.producer_id)
                return False
            if batch.is_transactional and batch.producer_id in self._aborted_pids:
                return False
        return not batch.is_control

    def filter(self, batches: Iterable[B]) -> Iterator[B]:
        return (batch for batch in batches if self.keep(batch))


def visible_batches(
    batches: Iterable[B], aborted_transactions: Iterable[tuple[int, int]] | None = None
) -> Iterator[B]:
    """Batches with application records: control batches always dropped; with an
    aborted-transactions list (read_committed), aborted transactional batches too."""
    if aborted_transactions is None:
        return (batch for batch in batches if not batch.is_control)
    return AbortedTransactionFilter(aborted_transactions).filter(batches)
