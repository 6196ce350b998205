"""The admin client's own coordinator lookup: one FindCoordinator (v4+ batched) per call.

The admin keeps its own cache instead of ``AIOKafkaClient.coordinator_lookup`` (which the
consumer and producer use) because it wants each key's error at once: the client's lookup
retries retriable errors until the request timeout, while an admin call reports a key's
FindCoordinator error in that key's result and leaves retrying to its own per-call policy
(``_retrying``), bounded by the call's ``timeout_ms``. A ``COORDINATOR_MOVED`` code on any
group or transaction API drops the cached entry; the retry looks it up again. Requests and answers
are ``protocol.find_coordinator``'s, as the client's.
"""

from __future__ import annotations

from aiokafka_gen._codes import COORDINATOR_MOVED


class CoordinatorCache:
    """(key type, key) -> coordinator node id."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, str], int] = {}

    def get(self, kind: int, key: str) -> int | None:
        return self._nodes.get((int(kind), key))

    def put(self, kind: int, key: str, node: int) -> None:
        self._nodes[(int(kind), key)] = node

    def moved(self, kind: int, key: str, code: int) -> None:
        """Forget the coordinator after an answer meaning it moved (or is not ready)."""
        if code in COORDINATOR_MOVED:
            self.forget(kind, key)

    def forget(self, kind: int, key: str) -> None:
        self._nodes.pop((int(kind), key), None)
