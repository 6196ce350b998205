"""Logical settings (scenario axes + ``matrix.PINNED``) and their translation into one
client's option names. Every adapter lists EVERY logical name: an option name, or ``None``
when that client has no such setting (the report says so)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..matrix import Variant

PRODUCER_LOGICAL = (
    "acks",
    "linger_ms",
    "batch_bytes",
    "compression",
    "enable_idempotence",
    "max_in_flight",
    "request_timeout_ms",
    "max_request_size",
    "buffer_memory",
    "retries_backoff_ms",
)
CONSUMER_LOGICAL = (
    "fetch_max_wait_ms",
    "fetch_min_bytes",
    "fetch_max_bytes",
    "max_partition_fetch_bytes",
    "max_poll_records",
    "check_crcs",
    "auto_offset_reset",
    "enable_auto_commit",
    "isolation_level",
    "request_timeout_ms",
)

Table = Mapping[str, str | None]
Converters = Mapping[str, Callable[[Any], Any]]


def logical_values(variant: Variant, pinned: Mapping[str, Any]) -> dict[str, Any]:
    """Scenario axes merged with the pinned settings."""
    values = dict(pinned)
    values.update(
        acks=variant.acks,
        linger_ms=variant.linger_ms,
        batch_bytes=variant.batch_bytes,
        compression=variant.compression,
    )
    return values


def translate(
    table: Table, logical: tuple[str, ...], values: Mapping[str, Any], convert: Converters
) -> dict[str, Any]:
    """Client options for ``logical`` names; raises KeyError when the table misses one."""
    options: dict[str, Any] = {}
    for name in logical:
        option = table[name]
        if option is None:
            continue
        value = values[name]
        options[option] = convert[name](value) if name in convert else value
    return options


def unsupported(table: Table) -> list[str]:
    """Logical settings this client cannot set."""
    return sorted(name for name, option in table.items() if option is None)
