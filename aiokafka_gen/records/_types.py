"""Shared value types and constants for record batches (no logic, no I/O)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CREATE_TIME",
    "LOG_APPEND_TIME",
    "NO_TIMESTAMP_TYPE",
    "Record",
]

NO_TIMESTAMP_TYPE = -1
CREATE_TIME = 0
LOG_APPEND_TIME = 1


class Record(NamedTuple):
    """One record as read from a fetch: absolute offset, timestamp (ms), key, value, headers.

    ``headers`` is an ordered list of (key, value) pairs, duplicates kept. ``checksum`` is
    the legacy per-message CRC-32 (None for v2 batches, which carry one CRC per batch).
    """

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    checksum: int | None = None
