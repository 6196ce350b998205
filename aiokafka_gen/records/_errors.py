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

    def with_context(
        self, topic: str | None, partition: int | None, offset: int | None = None
    ) -> RecordsCorruptError:
        """This error, or a copy of it with missing topic/partition/offset filled in."""
        topic = self.topic if self.topic is not None else topic
        partition = self.partition if self.partition is not None else partition
        offset = self.offset if self.offset is not None else offset
        if (topic, partition, offset) == (self.topic, self.partition, self.offset):
            return self
        error = type(self)(self.bare_message, topic=topic, partition=partition, offset=offset)
        error.__cause__ = self.__cause__
        return error

    @property
    def bare_message(self) -> str:
        """The message without the context suffix."""
        text = str(self.args[0])
        suffix = _context(self.topic, self.partition, self.offset)
        return text[: -len(suffix)] if suffix else text


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
