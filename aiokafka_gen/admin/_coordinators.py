"""The admin client's own coordinator lookup: one FindCoordinator (v4+ batched) per call.

The admin keeps its own cache instead of ``AIOKafkaClient.coordinator_lookup`` (which the
consumer and producer use) because it wants each key's error at once: the client's lookup
retries retriable errors until the request timeout, while an admin call reports a key's
FindCoordinator error in that key's result and leaves retrying to its own per-call policy
(``_retrying``), bounded by the call's ``timeout_ms``. Codes 14/15/16 on any group or
transaction API drop the cached entry; the retry looks it up again.
"""

from __future__ import annotations

from typing import Any

from aiokafka_gen.admin._base_errors import broker_error
from aiokafka_gen.errors import KafkaError

_FIND_COORDINATOR = 10
_MOVED = frozenset({14, 15, 16})  # LOAD_IN_PROGRESS, NOT_AVAILABLE, NOT_COORDINATOR


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
        if code in _MOVED:
            self.forget(kind, key)

    def forget(self, kind: int, key: str) -> None:
        self._nodes.pop((int(kind), key), None)


def requests(kind: int, keys: list[str], version: int) -> list[Any]:
    """One batched request (v4+), or one per key on older brokers."""
    from aiokafka_gen.messages.find_coordinator_request import FindCoordinatorRequest

    if version >= 4:
        return [FindCoordinatorRequest(key_type=int(kind), coordinator_keys=keys)]
    return [FindCoordinatorRequest(key=k, key_type=int(kind)) for k in keys]


def answers(keys: list[str], responses: list[Any], version: int) -> dict[str, Any]:
    """{key: (node_id, host, port) or KafkaError} from the responses."""
    found: dict[str, Any] = {}
    if version >= 4:
        items = [(c.key, c) for r in responses for c in r.coordinators]
    else:
        items = list(zip(keys, responses, strict=True))
    for key, item in items:
        error = broker_error(item.error_code, item.error_message, f"coordinator of {key!r}")
        found[key] = error or (item.node_id, item.host, item.port)
    for key in keys:
        found.setdefault(key, KafkaError(f"FindCoordinator did not answer for {key!r}"))
    return found
