"""Building the library's clients from ``Settings``, and small parsers shared by commands
(``TOPIC[:PARTITION...]`` targets, the partitions of topics, timestamps)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.admin import AIOKafkaAdminClient
    from aiokafka_gen.structs import TopicPartition

__all__ = [
    "CLIENT_ID",
    "admin_client",
    "client_kwargs",
    "parse_target",
    "parse_time_ms",
    "partitions_of",
]  # fmt: skip

CLIENT_ID = "aiokafka-gen-cli"
_MS_DIGITS = 11  # 10**10 ms is 1970-04-26: shorter digit strings are dates like 20240101


def client_kwargs(settings: Settings, **extra: Any) -> dict[str, Any]:
    """Keyword arguments every client takes (``client_id`` defaults to aiokafka-gen-cli),
    plus ``extra``."""
    kwargs = {"bootstrap_servers": settings.bootstrap, **settings.common, **extra}
    kwargs.setdefault("client_id", CLIENT_ID)
    return kwargs


@asynccontextmanager
async def admin_client(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on exit."""
    from aiokafka_gen.admin import AIOKafkaAdminClient

    client = AIOKafkaAdminClient(**client_kwargs(settings))
    try:
        await client.start()
        yield client
    finally:
        await client.close()


def parse_time_ms(text: str) -> int:
    """Milliseconds since the epoch from ``ms:DIGITS`` or 11+ digits, or an ISO-8601
    date/datetime (local time when no zone is given). Shorter digit strings are refused:
    ``20240101`` is a date, not 20 thousand seconds after 1970."""
    prefixed = text.startswith("ms:")
    digits = text[3:] if prefixed else text
    if digits.isdigit() and (prefixed or len(digits) >= _MS_DIGITS):
        return int(digits)
    if prefixed:
        raise UsageError(f"ms: takes digits (ms since the epoch), got {text[:40]!r}")
    if re.fullmatch(r"\d{8}", text):  # a basic-format date
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"not a time: {text[:40]!r} (ISO-8601 like 2024-01-31T12:00, or ms since the "
            "epoch as ms:DIGITS or 11+ digits)"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return int(when.timestamp() * 1000)


def parse_target(text: str, *, offset: bool = False) -> tuple[str, list[int] | None, str | None]:
    """``TOPIC[:P[,P...]]`` (with ``offset``: ``TOPIC[:P[:OFFSET]]``, one partition) ->
    (topic, partitions or None for every partition, offset text or None)."""
    topic, _, rest = text.partition(":")
    if not topic:
        raise UsageError(f"no topic in {text[:80]!r}")
    if not rest:
        return topic, None, None
    parts, where = rest, None
    if offset:
        parts, _, where = rest.partition(":")
    try:
        numbers = [int(p) for p in parts.split(",")]
    except ValueError:
        raise UsageError(f"partitions must be numbers in {text[:80]!r}") from None
    if offset and len(numbers) != 1:
        raise UsageError(f"one partition per TOPIC:PARTITION:OFFSET, got {text[:80]!r}")
    if any(n < 0 for n in numbers):
        raise UsageError(f"partitions are >= 0 in {text[:80]!r}")
    return topic, numbers, where or None


async def partitions_of(
    admin: AIOKafkaAdminClient, wanted: Iterable[tuple[str, list[int] | None]]
) -> list[TopicPartition]:
    """Every (topic, partitions) pair expanded to TopicPartitions: None means every
    partition of the topic. Each topic is described, so an unknown topic or partition
    raises UnknownTopicOrPartitionError now (not after a timeout)."""
    from aiokafka_gen.errors import UnknownTopicOrPartitionError
    from aiokafka_gen.structs import TopicPartition

    pairs = list(wanted)
    topics = sorted({topic for topic, _ in pairs})
    described = await admin.describe_topics(topics) if topics else {}
    result: list[TopicPartition] = []
    for topic, parts in pairs:
        have = sorted(p.partition for p in described[topic].partitions)
        for part in have if parts is None else parts:
            if part not in have:
                raise UnknownTopicOrPartitionError(
                    f"{topic} has no partition {part} (partitions 0-{len(have) - 1})"
                )
            result.append(TopicPartition(topic, part))
    return list(dict.fromkeys(result))
