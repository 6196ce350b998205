"""Consumer group coordination: membership (classic JoinGroup/SyncGroup or KIP-848
ConsumerGroupHeartbeat), partition assignors, committed offsets and auto-commit.

The consumer builds one coordinator per consumer with ``build_coordinator`` (from the
``CoordinatorConfig`` its ``ConsumerConfig`` derives; ``create_coordinator`` takes the
settings as keyword arguments and checks them) and sees it only through
``contract.GroupCoordinatorProtocol``; the coordinator sees the consumer only through
``contract.SubscriptionStateProtocol``. Must not import ``aiokafka_gen.consumer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .base import GROUP_PROTOCOLS, BaseCoordinator, CoordinatorConfig
from .classic import ClassicCoordinator
from .consumer_group import ConsumerGroupCoordinator
from .contract import (
    CommittedOffset,
    CoordinatorFactory,
    GroupCoordinatorProtocol,
    GroupHealth,
    SubscriptionStateProtocol,
)
from .membership import MemberState

if TYPE_CHECKING:
    from aiokafka_gen.client import AIOKafkaClient

__all__ = [
    "BaseCoordinator",
    "ClassicCoordinator",
    "CommittedOffset",
    "ConsumerGroupCoordinator",
    "CoordinatorConfig",
    "CoordinatorFactory",
    "GroupCoordinatorProtocol",
    "GroupHealth",
    "MemberState",
    "SubscriptionStateProtocol",
    "build_coordinator",
    "create_coordinator",
]


def _instantiate(assignor: object) -> object:
    """Assignor classes that take no arguments become per-consumer instances (sticky
    assignors keep state); other classes (aiokafka-style classmethod assignors) are used
    as they are."""
    if isinstance(assignor, type):
        try:
            return assignor()
        except TypeError:
            return assignor
    return assignor


def build_coordinator(
    client: AIOKafkaClient,
    subscription: SubscriptionStateProtocol,
    config: CoordinatorConfig,
    assignors: Sequence[object] = (),
) -> GroupCoordinatorProtocol:
    """The coordinator for ``config.group_protocol`` ("consumer", else classic), whose
    settings were checked when ``config`` was made. ``assignors`` (classes or instances)
    apply to the classic protocol only."""
    if config.group_protocol == "consumer":
        return ConsumerGroupCoordinator(client, subscription, config)
    instances = [_instantiate(a) for a in assignors]
    return ClassicCoordinator(client, subscription, config, instances)


def create_coordinator(
    client: AIOKafkaClient,
    subscription: SubscriptionStateProtocol,
    *,
    group_id: str,
    group_instance_id: str | None,
    group_protocol: str,
    session_timeout_ms: int,
    heartbeat_interval_ms: int,
    rebalance_timeout_ms: int | None,
    max_poll_interval_ms: int,
    retry_backoff_ms: int,
    request_timeout_ms: int,
    assignors: Sequence[object],
    enable_auto_commit: bool,
    auto_commit_interval_ms: int,
    exclude_internal_topics: bool,
    group_remote_assignor: str | None,
) -> GroupCoordinatorProtocol:
    """The coordinator for ``group_protocol`` ("classic" or "consumer") from unchecked
    keyword arguments (the consumer checks its settings once in its ``ConsumerConfig`` and
    calls ``build_coordinator``).

    ``rebalance_timeout_ms`` None means session_timeout_ms for the classic protocol (as
    aiokafka does) and max_poll_interval_ms for the consumer protocol (as Java does).
    ``assignors`` (classes or instances) apply to the classic protocol only;
    ``group_remote_assignor`` to the consumer protocol only.
    """
    if group_protocol not in GROUP_PROTOCOLS:
        raise ValueError(f"group_protocol must be one of {GROUP_PROTOCOLS}, not {group_protocol!r}")
    config = CoordinatorConfig.create(
        group_id=group_id,
        group_instance_id=group_instance_id,
        group_protocol=group_protocol,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        rebalance_timeout_ms=rebalance_timeout_ms,
        max_poll_interval_ms=max_poll_interval_ms,
        retry_backoff_ms=retry_backoff_ms,
        request_timeout_ms=request_timeout_ms,
        enable_auto_commit=enable_auto_commit,
        auto_commit_interval_ms=auto_commit_interval_ms,
        exclude_internal_topics=exclude_internal_topics,
        group_remote_assignor=group_remote_assignor,
    )
    return build_coordinator(client, subscription, config, assignors)


_: CoordinatorFactory = create_coordinator
