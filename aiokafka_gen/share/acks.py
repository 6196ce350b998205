"""Acknowledgements of share-group records, sans-IO: the types, the per-partition
bookkeeping and their wire form (acknowledgement batches).

A batch on the wire is ``(first_offset, last_offset, acknowledge_types)`` over consecutive
offsets; ``acknowledge_types`` holds one type for the whole range when every offset has it,
else one type per offset. Offsets a fetch acquired but did not deliver (compacted away,
control records) are acknowledged as GAP (0). Must not do I/O.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Iterator
from typing import Any

from aiokafka_gen.structs import ConsumerRecord

__all__ = [
    "GAP",
    "AckBatch",
    "AcknowledgeType",
    "ShareConsumerRecord",
    "ack_batches",
]

GAP = 0


class AcknowledgeType(enum.IntEnum):
    """How a record is acknowledged (the wire values)."""

    ACCEPT = 1  # processed: never delivered again
    RELEASE = 2  # give it back: delivered again (delivery count + 1)
    REJECT = 3  # unprocessable: archived, never delivered again
    RENEW = 4  # keep it: extend the acquisition lock (ShareFetch/ShareAcknowledge v2+)


@dataclasses.dataclass(slots=True)
class ShareConsumerRecord(ConsumerRecord[Any, Any]):
    """A ``ConsumerRecord`` from a share group, with how many times it has been delivered
    (1 on the first delivery; it grows with every release or lock expiry)."""

    delivery_count: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class AckBatch:
    """One acknowledgement batch as the wire carries it."""

    first_offset: int
    last_offset: int
    types: tuple[int, ...]

    def expand(self) -> Iterator[tuple[int, int]]:
        """(offset, type) for every offset of the batch."""
        for i, offset in enumerate(range(self.first_offset, self.last_offset + 1)):
            yield offset, self.types[0] if len(self.types) == 1 else self.types[i]


def ack_batches(acks: dict[int, int] | Iterable[tuple[int, int]]) -> list[AckBatch]:
    """Offsets and types to batches: consecutive offsets share a batch; a batch whose
    offsets all have one type carries it once."""
    if isinstance(acks, dict):
        if not acks:
            return []
        # the usual case (a poll's records settled with one type): one range, one type
        low, high, kinds = min(acks), max(acks), set(acks.values())
        if high - low + 1 == len(acks) and len(kinds) == 1:
            return [AckBatch(low, high, (kinds.pop(),))]
    items = sorted(acks.items() if isinstance(acks, dict) else acks)
    out: list[AckBatch] = []
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i][0] != items[i - 1][0] + 1:
            run = items[start:i]
            types = tuple(t for _, t in run)
            if all(t == types[0] for t in types):
                types = types[:1]
            out.append(AckBatch(run[0][0], run[-1][0], types))
            start = i
    return out
