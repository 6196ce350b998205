"""Reconnect backoff (KIP-601): exponential from a base to a cap, with +-20 % jitter.

Pure arithmetic plus a random source; must not sleep or know connections.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["ReconnectBackoff"]

_JITTER = 0.2


class ReconnectBackoff:
    """``delay(failures)`` in seconds: ``base * 2**(failures-1)``, capped, jittered."""

    def __init__(
        self,
        base_ms: float = 50.0,
        max_ms: float = 1000.0,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if base_ms < 0 or max_ms < base_ms:
            raise ValueError("need 0 <= base_ms <= max_ms")
        self.base_ms = base_ms
        self.max_ms = max_ms
        self._rand = rand

    def delay(self, failures: int) -> float:
        if failures <= 0 or self.base_ms == 0:
            return 0.0
        raw = min(self.max_ms, self.base_ms * 2.0 ** min(failures - 1, 32))
        jitter = 1.0 + _JITTER * (2.0 * self._rand() - 1.0)
        return min(self.max_ms, raw * jitter) / 1000.0
