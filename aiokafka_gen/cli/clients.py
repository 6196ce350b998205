"""Building the library's clients from ``Settings``, and small parsers shared by commands
(``TOPIC:PARTITION`` lists, datetimes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.admin import AIOKafkaAdminClient

__all__ = ["admin_client", "client_kwargs", "parse_time_ms"]


def client_kwargs(settings: Settings, **extra: Any) -> dict[str, Any]:
    """Keyword arguments every client takes, plus ``extra``."""
    return {"bootstrap_servers": settings.bootstrap, **settings.common, **extra}


@asynccontextmanager
async def admin_client(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on exit."""
    from aiokafka_gen.admin import AIOKafkaAdminClient

    kwargs = client_kwargs(settings)
    kwargs.setdefault("client_id", "aiokafka-gen-cli")
    client = AIOKafkaAdminClient(**kwargs)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


def parse_time_ms(text: str) -> int:
    """Milliseconds since the epoch from digits, or an ISO-8601 date/datetime (local time
    when no zone is given)."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a timestamp in ms nor an ISO-8601 datetime: {text!r}") from None
    if when.tzinfo is None:
        when = when.astimezone()
    return int(when.timestamp() * 1000)
