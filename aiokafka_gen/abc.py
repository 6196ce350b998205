"""Abstract interfaces users implement: the OAUTHBEARER token provider and the consumer's
rebalance listener.

aiokafka-compatible: ``AbstractTokenProvider.token()`` is a coroutine returning the raw
token string; ``extensions()`` returns SASL extensions (KIP-342).
``ConsumerRebalanceListener`` methods may be plain functions or coroutines. Must not import
anything heavy: it is imported by users' modules.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .structs import TopicPartition

__all__ = ["AbstractTokenProvider", "ConsumerRebalanceListener"]


class AbstractTokenProvider(abc.ABC):
    """Supplies OAUTHBEARER tokens; called before every (re-)authentication."""

    @abc.abstractmethod
    async def token(self) -> str:
        """An ID/access token to send to the broker."""

    def extensions(self) -> dict[str, str]:
        """SASL extensions sent with the token (none by default)."""
        return {}


class ConsumerRebalanceListener(abc.ABC):
    """Called by a consumer in a group when its assignment changes.

    ``on_partitions_revoked`` runs before partitions are taken away (commit or flush state
    there); ``on_partitions_assigned`` after new partitions are assigned and before records
    from them are returned. Either may be a coroutine function; the consumer awaits it. With
    the eager protocol every rebalance revokes everything first; with cooperative
    rebalancing (KIP-429) and the consumer protocol (KIP-848) only moved partitions are
    revoked.
    """

    @abc.abstractmethod
    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> Awaitable[None] | None:
        """Partitions about to be taken from this consumer."""

    @abc.abstractmethod
    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> Awaitable[None] | None:
        """Partitions newly given to this consumer."""
