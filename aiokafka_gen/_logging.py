"""Log lines that name their client (issue #24): ``[client-id] message``, and the same as
structured fields on the ``LogRecord`` (``record.client_id``, ``record.client_kind``, and
``record.node_id`` where a line is about one broker).

Each module logs through ``client_logger(name)``, a ``LoggerAdapter`` that reads the client
from a context variable. A client sets it (``tagged``) around ``start()`` and its other
public coroutines that do more than one request; the background tasks it creates there
(sender, fetcher, coordinator, metadata refresh, connection readers) copy the context at
creation and keep the tag for their whole life. Nothing is computed for a log call below the
logger's level (``LoggerAdapter`` checks the level first).

Credentials are never passed to a logger: SASL and TLS code logs mechanism names and
outcomes only (a test reads every line of a DEBUG-level SASL_SSL run).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["ClientLogger", "ClientTag", "client_logger", "current", "tagged"]


@dataclasses.dataclass(frozen=True, slots=True)
class ClientTag:
    client_id: str
    kind: str  # producer, consumer, share-consumer, admin-client


_CLIENT: contextvars.ContextVar[ClientTag | None] = contextvars.ContextVar(
    "aiokafka_gen_client", default=None
)


def current() -> ClientTag | None:
    """The client the running code works for (None outside every client)."""
    return _CLIENT.get()


@contextlib.contextmanager
def tagged(client_id: str, kind: str) -> Iterator[None]:
    """Log lines (and tasks created) inside the block name this client."""
    token = _CLIENT.set(ClientTag(client_id, kind))
    try:
        yield
    finally:
        _CLIENT.reset(token)


class ClientLogger(logging.LoggerAdapter[logging.Logger]):
    """Prefixes ``[client-id]`` and adds ``client_id`` / ``client_kind`` to ``extra``; a
    caller's own ``extra`` (e.g. ``node_id``) is kept."""

    def process(
        self, msg: object, kwargs: MutableMapping[str, Any]
    ) -> tuple[object, MutableMapping[str, Any]]:
        tag = _CLIENT.get()
        extra = dict(kwargs.get("extra") or {})
        client_id = extra.get("client_id")
        if tag is not None:
            extra.setdefault("client_id", tag.client_id)
            extra.setdefault("client_kind", tag.kind)
            client_id = extra["client_id"]
        if client_id is not None:
            node = extra.get("node_id")
            where = f"{client_id} node={node}" if node is not None else str(client_id)
            msg = f"[{where}] {msg}"
        kwargs["extra"] = extra
        return msg, kwargs


def client_logger(name: str) -> ClientLogger:
    return ClientLogger(logging.getLogger(name), {})
