"""Typed errors for record batches, carrying topic/partition/offset context when known.

Only error classes live here; raising them is the readers' job. They subclass the
library-wide classes in ``aiokafka_gen.errors`` so callers can catch ``CorruptRecordError``.
"""

from __future__ import annotations

from aiokafka_gen.errors import CorruptRecordError

__all__ = ["CrcMismatchError", "DecompressionLimitError", "RecordsCorruptError"]


class RecordsCorruptError(CorruptRecordError):
    """Malformed record data; ``topic``/``partition``/``offset`` are set when known."""

    def __init__(
        self,
        message: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        super().__init__(message + _context(topic, partition, offset))

    def with_context(self, topic: str | None, partition: int | None) -> RecordsCorruptError:
        """A copy of this error naming the topic and partition (used at reader boundaries)."""
        if self.topic is not None or (topic is None and partition is None):
            return self
        bare = str(self.args[0]).split(" (", 1)[0]
        return type(self)(bare, topic=topic, partition=partition, offset=self.offset)


class CrcMismatchError(RecordsCorruptError):
    """A batch's stored CRC does not match its bytes."""


class DecompressionLimitError(RecordsCorruptError):
    """Decompressed output would exceed the configured bound (a decompression bomb)."""


def _context(topic: str | None, partition: int | None, offset: int | None) -> str:
    parts = []
    if topic is not None:
        parts.append(f"topic {topic!r}")
    if partition is not None:
        parts.append(f"partition {partition}")
    if offset is not None:
        parts.append(f"offset {offset}")
    return f" ({', '.join(parts)})" if parts else ""
