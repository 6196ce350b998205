"""Shared value types and constants for record batches (no logic, no I/O)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CREATE_TIME",
    "LOG_APPEND_TIME",
    "NO_HEADERS",
    "NO_TIMESTAMP_TYPE",
    "Headers",
    "Record",
]

NO_TIMESTAMP_TYPE = -1
CREATE_TIME = 0
LOG_APPEND_TIME = 1

#: A record's headers: (key, value) pairs in written order; a null value is None.
Headers = tuple[tuple[str, bytes | None], ...]
#: The one empty ``Headers`` every record without headers shares.
NO_HEADERS: Headers = ()


class Record(NamedTuple):
    """One record as read from a fetch: absolute offset, timestamp (ms), key, value, headers.

    ``headers`` is a tuple of (key, value) tuples in written order, duplicates kept (the
    shared ``NO_HEADERS`` when there are none, always for legacy batches). ``checksum`` is
    the legacy per-message CRC-32 (None for v2 batches, which carry one CRC per batch).
    """

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    checksum: int | None = None
