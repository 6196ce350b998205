"""Choosing a partition: Java-compatible murmur2 for keys, sticky partitions for null keys.

``murmur2`` reproduces Kafka's ``Utils.murmur2`` (seed 0x9747b28c, signed 32-bit result);
``DefaultPartitioner`` maps a key to ``toPositive(murmur2(key)) % len(all_partitions)``
exactly as the Java client does, so keyed records land where Java producers put them.
Null keys use ``StickyPartitioner`` (KIP-480 / KIP-794): one partition per topic until
about one batch worth of bytes went to it, then a random other available partition.
Custom partitioners are called as aiokafka calls them:
``partitioner(key_bytes, all_partitions, available_partitions)``.
This module must not do I/O nor know about batches beyond a byte count.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # a plain int when interpreted; a native 64-bit int when compiled (mypyc)
    from mypy_extensions import i64

__all__ = ["DefaultPartitioner", "StickyPartitioner", "key_partition", "murmur2"]

_SEED: Final = 0x9747B28C
_M: Final = 0x5BD1E995
_MASK: Final = 0xFFFFFFFF  # every product below stays under 2**63: int64 arithmetic is exact
_LE_U32 = struct.Struct("<I")  # Kafka reads the body as little-endian words


def murmur2(data: bytes | bytearray | memoryview) -> int:
    """Kafka's 32-bit murmur2 of ``data`` as a signed int (Java ``int``)."""
    raw = data if type(data) is bytes else bytes(data)
    length: i64 = len(raw)
    h: i64 = (_SEED ^ length) & _MASK
    tail: i64 = length & ~3
    k: i64
    for (k,) in _LE_U32.iter_unpack(raw[:tail]):
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    h = _mix_tail(h, raw, tail, length & 3)
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def _mix_tail(h: i64, raw: bytes, tail: i64, extra: i64) -> i64:
    if extra == 3:
        h ^= raw[tail + 2] << 16
    if extra >= 2:
        h ^= raw[tail + 1] << 8
    if extra >= 1:
        h ^= raw[tail]
        h = (h * _M) & _MASK
    return h


def key_partition(key: bytes, ordered: Sequence[int]) -> int:
    """The partition Java's default partitioner picks for ``key`` among ``ordered`` (the
    topic's partition ids, sorted): toPositive(murmur2(key)) % count."""
    return ordered[(murmur2(key) & 0x7FFFFFFF) % len(ordered)]


class DefaultPartitioner:
    """aiokafka's callable: keys hash like Java's; a null key picks a random available
    partition (the producer replaces that case with sticky partitioning)."""

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:
            return random.choice(list(available) or list(all_partitions))
        return key_partition(key, sorted(all_partitions))


class StickyPartitioner:
    """Per-topic sticky partition for null keys; moves on after ``batch_size`` bytes."""

    __slots__ = ("_batch_size", "_current", "_produced")

    def __init__(self, batch_size: int) -> None:
        self._batch_size = max(1, batch_size)
        self._current: dict[str, int] = {}
        self._produced: dict[str, int] = {}

    def partition(
        self, topic: str, all_partitions: Sequence[int], available: Sequence[int], size: int
    ) -> int:
        """The partition for a null-key record of ``size`` bytes to ``topic``.

        ``reset()`` must be called when the topic's partitions change (the producer does on
        every metadata update): the fast path does not re-check membership."""
        current = self._current.get(topic)
        if current is not None:
            produced = self._produced[topic]
            if produced < self._batch_size:
                self._produced[topic] = produced + size
                return current
        if current is not None and current not in all_partitions:
            current = None
        current = self._next(current, list(available) or list(all_partitions))
        self._current[topic] = current
        self._produced[topic] = size
        return current

    def reset(self) -> None:
        """Forget the sticky choices (partitions changed): each topic picks again."""
        self._current.clear()
        self._produced.clear()

    def batch_full(self, topic: str, partition: int) -> None:
        """The batch of the sticky partition filled up: switch on the next record (KIP-480)."""
        if self._current.get(topic) == partition:
            self._produced[topic] = self._batch_size

    @staticmethod
    def _next(previous: int | None, candidates: list[int]) -> int:
        if len(candidates) > 1 and previous in candidates:
            candidates = [p for p in candidates if p != previous]
        return random.choice(candidates)
