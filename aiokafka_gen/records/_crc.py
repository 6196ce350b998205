"""CRC-32C (Castagnoli) for v2 batches and CRC-32 (IEEE) for legacy message sets.

Uses the ``crc32c`` package (hardware instructions where available), imported on the first
call; callers must look the function up as ``_crc.crc32c`` each time. If it is missing, a
pure-Python table implementation is used and a ``RuntimeWarning`` says so the first time:
the fallback is two orders of magnitude slower and must never be silent.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable

__all__ = ["crc32", "crc32c", "crc32c_pure", "load_crc32c"]

_POLY = 0x82F63B78
Data = bytes | bytearray | memoryview
CrcFunc = Callable[[Data], int]


def _make_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE: list[int] | None = None


def crc32c_pure(data: Data) -> int:
    """Table-driven CRC-32C in pure Python (the loud fallback)."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _make_table()
    table = _TABLE
    crc = 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_warned = False


def _warning_fallback(data: Data) -> int:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "the 'crc32c' package is not installed: CRC-32C runs in pure Python "
            "(~100x slower); pip install crc32c",
            RuntimeWarning,
            stacklevel=3,
        )
    return crc32c_pure(data)


def load_crc32c() -> CrcFunc:
    """The fast CRC-32C function, or a fallback that warns on first use."""
    try:
        from crc32c import crc32c as fast
    except ImportError:
        return _warning_fallback
    func: CrcFunc = fast
    return func


def _first_call(data: Data) -> int:
    # The crc32c package imports importlib.metadata (~50 ms): load it on first use only.
    global crc32c
    crc32c = load_crc32c()
    return crc32c(data)


crc32c: CrcFunc = _first_call


def crc32(data: Data) -> int:
    """CRC-32 (IEEE, zlib) as legacy message sets use it."""
    return zlib.crc32(data) & 0xFFFFFFFF
