"""FindCoordinator, sans-IO: the requests for a list of keys and what each key's answer
means. One builder and one parser for the client's lookups (consumer and producer) and
the admin client's own.

Version 4+ (Kafka 2.8+) batches every key of one type into one request; older brokers get
one request per key. The answer per key is ``(node_id, host, port)`` or the typed error,
and every asked key gets one (a key the broker left out is a KafkaError).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiokafka_gen.errors import KafkaError, for_code
from aiokafka_gen.messages.find_coordinator_request import FindCoordinatorRequest
from aiokafka_gen.messages.find_coordinator_response import (
    Coordinator,
    FindCoordinatorResponse,
)

__all__ = ["BATCHED_SINCE", "Answer", "answers", "lookup", "requests"]

BATCHED_SINCE = 4  # KIP-699
Answer = tuple[int, str, int] | KafkaError


def requests(kind: int, keys: list[str], version: int) -> list[FindCoordinatorRequest]:
    """One batched request (v4+), or one per key on older brokers."""
    if version >= BATCHED_SINCE:
        return [FindCoordinatorRequest(key_type=int(kind), coordinator_keys=keys)]
    return [FindCoordinatorRequest(key=k, key_type=int(kind)) for k in keys]


def answers(
    keys: list[str], responses: Sequence[FindCoordinatorResponse], version: int
) -> dict[str, Answer]:
    """``{key: (node_id, host, port) or KafkaError}`` from the responses to ``requests``."""
    items: list[tuple[str, Coordinator | FindCoordinatorResponse]]
    if version >= BATCHED_SINCE:
        items = [(c.key, c) for r in responses for c in r.coordinators]
    else:
        items = list(zip(keys, responses, strict=True))
    found: dict[str, Answer] = {}
    for key, item in items:
        if item.error_code:
            what = f"coordinator of {key!r}"
            text = f"{what}: {item.error_message}" if item.error_message else what
            found[key] = for_code(item.error_code)(text)
        else:
            found[key] = (int(item.node_id), str(item.host), int(item.port))
    for key in keys:
        found.setdefault(key, KafkaError(f"FindCoordinator did not answer for {key!r}"))
    return found


async def lookup(
    send: Callable[[FindCoordinatorRequest], Awaitable[FindCoordinatorResponse]],
    kind: int,
    keys: list[str],
    version: int,
    found: Callable[[str, int, str, int], None],
) -> dict[str, int | KafkaError]:
    """Ask through ``send`` (one broker, one request at a time) for the coordinators of
    ``keys``; ``found(key, node_id, host, port)`` is told each one found. Returns
    ``{key: node_id or KafkaError}``. The I/O is the caller's: this only orders it."""
    responses = [await send(request) for request in requests(kind, keys, version)]
    result: dict[str, int | KafkaError] = {}
    for key, answer in answers(keys, responses, version).items():
        if isinstance(answer, KafkaError):
            result[key] = answer
        else:
            node_id, host, port = answer
            found(key, node_id, host, port)
            result[key] = node_id
    return result
