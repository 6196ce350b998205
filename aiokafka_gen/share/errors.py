"""Typed errors of the share consumer (KIP-932) that are not broker error codes.

Broker error codes keep their classes from ``aiokafka_gen.errors`` (``for_code``); these are
the client-side mistakes and states: acknowledging a record that is not ours (or twice), a
poll in explicit mode while records are still unacknowledged, a bad acknowledgement type.
Must not do I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka_gen.errors import IllegalStateError, KafkaError

__all__ = [
    "InvalidAcknowledgeTypeError",
    "RecordAlreadyAcknowledgedError",
    "RecordNotAcquiredError",
    "ShareGroupError",
    "UnacknowledgedRecordsError",
]


class ShareGroupError(KafkaError):
    """Base of the share consumer's own errors."""


class InvalidAcknowledgeTypeError(ShareGroupError, ValueError):
    """``acknowledge()`` was given something that is not an ``AcknowledgeType`` this
    broker accepts (RENEW needs ShareFetch/ShareAcknowledge v2)."""


class RecordNotAcquiredError(ShareGroupError, IllegalStateError):
    """The record was not delivered to this consumer by its latest polls (another member's
    record, a record from before a rebalance or a restart, or one already acknowledged and
    sent)."""


class RecordAlreadyAcknowledgedError(RecordNotAcquiredError):
    """The record was acknowledged already (acknowledging it again would be ambiguous)."""


class UnacknowledgedRecordsError(ShareGroupError, IllegalStateError):
    """Explicit acknowledgement mode: a poll was made while records the previous poll
    returned are still unacknowledged. ``records`` lists them (topic, partition, offset)."""

    def __init__(self, records: Sequence[tuple[str, int, int]], *args: object) -> None:
        self.records = tuple(records)
        shown = ", ".join(f"{t}-{p}@{o}" for t, p, o in self.records[:10])
        more = f" and {len(self.records) - 10} more" if len(self.records) > 10 else ""
        super().__init__(
            f"{len(self.records)} record(s) delivered by the previous poll are not "
            f"acknowledged ({shown}{more}): call acknowledge(record, type) for each before "
            "polling again (share_acknowledgement_mode='explicit')",
            *args,
        )
