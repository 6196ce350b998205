"""The consumer's settings, checked once: ``ConsumerConfig.create`` takes
``AIOKafkaConsumer``'s keyword arguments and returns a frozen object, or raises
``KafkaConfigurationError`` (a ``ValueError``) naming the argument, or ``ValueError``.

Checks, in this order: the consumer's own numbers (``_AT_LEAST``, ``_AT_LEAST_OR_NONE``:
Java's ``ConsumerConfig`` ranges), the metrics options, ``group_protocol``,
``isolation_level``, the connection settings (``ClientConfig``, with ``AIOKafkaClient``'s
ranges) and ``tracing_span``. ``auto_offset_reset`` is checked by the subscription state
and the security settings by the connection layer, when the consumer builds them.

The group settings live here once: ``coordinator_config()`` derives the coordinator's
``CoordinatorConfig`` (the rebalance timeout's default resolved), handed with
``assignors`` to ``aiokafka_gen.coordinator.build_coordinator``. Plain dataclass, stdlib
only besides the package's own cheap modules. No I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Final

from aiokafka_gen._validate import check_range
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.conn._metrics import MetricsOptions
from aiokafka_gen.coordinator.base import GROUP_PROTOCOLS, CoordinatorConfig

from .offsets import isolation_code

__all__ = ["TRACING_SPANS", "ConsumerConfig"]

TRACING_SPANS: Final = ("record", "poll")
# The consumer's own numbers and their lowest legal value (Java's ConsumerConfig ranges;
# the connection settings are checked by ClientConfig). None may be given where noted.
_AT_LEAST: Final = {
    "fetch_max_wait_ms": 0, "fetch_max_bytes": 0, "fetch_min_bytes": 0,
    "max_partition_fetch_bytes": 0, "auto_commit_interval_ms": 0,
    "max_poll_interval_ms": 1, "session_timeout_ms": 1, "heartbeat_interval_ms": 1,
    "consumer_timeout_ms": 0,
}  # fmt: skip
_AT_LEAST_OR_NONE: Final = {"rebalance_timeout_ms": 0, "max_poll_records": 1,
                            "max_buffer_bytes": 1}  # fmt: skip
_INTEGRAL: Final = frozenset({"max_poll_records", "max_buffer_bytes"})
# set by create() from other arguments, not copied
_DERIVED: Final = frozenset({"client", "isolation", "metrics", "assignors"})


def _check_ranges(options: Mapping[str, object]) -> None:
    for name, low in _AT_LEAST.items():
        check_range(name, options[name], at_least=low)
    for name, low in _AT_LEAST_OR_NONE.items():
        check_range(name, options[name], at_least=low, integral=name in _INTEGRAL,
                    allow_none=True)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """Every constructor argument the consumer keeps, validated; the connection settings
    in ``client``, the isolation level as its code (0 or 1). ``consumer_timeout_ms`` is
    checked, not kept: the fetcher is event-driven (no separate fetch timer)."""

    client: ClientConfig
    group_id: str | None
    group_instance_id: str | None
    key_deserializer: Callable[[Any], Any] | None
    value_deserializer: Callable[[Any], Any] | None
    fetch_max_wait_ms: int
    fetch_max_bytes: int
    fetch_min_bytes: int
    max_partition_fetch_bytes: int
    auto_offset_reset: str
    enable_auto_commit: bool
    auto_commit_interval_ms: int
    check_crcs: bool
    assignors: tuple[object, ...]  # partition_assignment_strategy
    max_poll_interval_ms: int
    rebalance_timeout_ms: int | None
    session_timeout_ms: int
    heartbeat_interval_ms: int
    max_poll_records: int | None
    exclude_internal_topics: bool
    isolation: int
    client_rack: str | None
    group_protocol: str
    group_remote_assignor: str | None
    fetch_sessions: bool
    max_buffer_bytes: int | None
    metrics: MetricsOptions
    tracing_span: str

    @classmethod
    def create(cls, options: Mapping[str, Any]) -> ConsumerConfig:
        """Check the constructor's keyword arguments (all of them, by name)."""
        _check_ranges(options)
        metrics = MetricsOptions.create(options)
        group_protocol = options["group_protocol"]
        if group_protocol not in GROUP_PROTOCOLS:
            raise ValueError(f"invalid group_protocol: {group_protocol!r}")
        isolation = isolation_code(options["isolation_level"])
        client = ClientConfig.create(options)
        tracing_span = options["tracing_span"]
        if tracing_span not in TRACING_SPANS:
            raise ValueError(f"tracing_span must be 'record' or 'poll', not {tracing_span!r}")
        names = {f.name for f in dataclasses.fields(cls)} - _DERIVED
        plain = {name: value for name, value in options.items() if name in names}
        return cls(
            **plain, client=client, isolation=isolation, metrics=metrics,
            assignors=tuple(options["partition_assignment_strategy"]),
        )  # fmt: skip

    @property
    def request_timeout_ms(self) -> int:
        return self.client.request_timeout_ms

    @property
    def retry_backoff_ms(self) -> int:
        return self.client.retry_backoff_ms

    @property
    def read_committed(self) -> bool:
        return self.isolation == 1

    def coordinator_config(self) -> CoordinatorConfig:
        """The group settings the coordinator uses (``group_protocol`` was checked by
        ``create``). ValueError when there is no group_id (None or empty)."""
        return CoordinatorConfig.create(
            group_id=self.group_id or "",
            group_instance_id=self.group_instance_id,
            group_protocol=self.group_protocol,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
            rebalance_timeout_ms=self.rebalance_timeout_ms,
            max_poll_interval_ms=self.max_poll_interval_ms,
            retry_backoff_ms=self.client.retry_backoff_ms,
            request_timeout_ms=self.client.request_timeout_ms,
            enable_auto_commit=self.enable_auto_commit,
            auto_commit_interval_ms=self.auto_commit_interval_ms,
            exclude_internal_topics=self.exclude_internal_topics,
            group_remote_assignor=self.group_remote_assignor,
        )
