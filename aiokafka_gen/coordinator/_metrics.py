"""What the group coordinator records into the consumer's metrics registry (issue #24):
rebalances (latency, count, failures) and, as gauges, the seconds since the last rebalance
and heartbeat and the partitions assigned. The group requests' own latencies (OffsetCommit,
Heartbeat, ConsumerGroupHeartbeat, JoinGroup, SyncGroup) are recorded by the connection
layer into the Java-named sensors (see ``GROUP_API_SENSORS``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka_gen.metrics import Metrics, SensorSpec

__all__ = ["GroupMetrics", "group_api_sensors"]


def group_api_sensors() -> dict[int, SensorSpec]:
    """Api key -> the consumer-coordinator-metrics sensor its answers' latency feeds."""
    from aiokafka_gen.metrics import catalogue as C

    return {
        8: C.CONSUMER_COMMIT_LATENCY,  # OffsetCommit
        11: C.CONSUMER_JOIN,  # JoinGroup
        12: C.CONSUMER_HEARTBEAT,  # Heartbeat
        14: C.CONSUMER_SYNC,  # SyncGroup
        68: C.CONSUMER_HEARTBEAT,  # ConsumerGroupHeartbeat (KIP-848)
    }


class GroupMetrics:
    """Rebalance sensors; ``started`` when a rebalance begins (a JoinGroup sent, a new
    target assignment received), ``completed`` when the member's assignment is set,
    ``failed`` when a join round is abandoned."""

    __slots__ = ("_failed", "_latency", "_since")

    def __init__(self, registry: Metrics) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self._latency = registry.sensor(C.CONSUMER_REBALANCE)
        self._failed = registry.sensor(C.CONSUMER_FAILED_REBALANCE)
        self._since: float | None = None

    def started(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def completed(self) -> None:
        now = time.monotonic()
        since = self._since if self._since is not None else now
        self._since = None
        self._latency.record((now - since) * 1000.0, now)

    def failed(self) -> None:
        self._since = None
        self._failed.record(1.0, time.monotonic())

    @staticmethod
    def seconds_since(read: Callable[[], float | None]) -> Callable[[], float]:
        """A gauge: seconds since the time ``read()`` returns (NaN before there is one)."""

        def gauge() -> float:
            then = read()
            return float("nan") if then is None else time.monotonic() - then

        return gauge
