"""What the consumer records into its metrics registry (issue #24).

One ``ConsumerMetrics`` per consumer with metrics on. The fetcher calls ``fetch_answered``
once per Fetch answer (latency, throttle, bytes, per topic); the fetch buffer calls
``consumed`` once per partition fetch whose records were all handed to the application
(records consumed, per topic, and the partition's lag and lead at that position, as Java
records them after handing records out); ``getmany()`` calls ``poll_started`` /
``poll_ended`` (time between polls, poll idle ratio). ``getone()`` only stamps the last
poll time, and ``async for`` stamps it only when it falls back to ``getone()`` (no decoded
record ready): a sensor record or a clock read per record would cost more than the 3%
budget (issue #24) allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka_gen.metrics import Metrics, Sensor
    from aiokafka_gen.structs import TopicPartition

    from ._records import CompletedFetch
    from .subscription_state import SubscriptionState

__all__ = ["ConsumerMetrics"]


class _Partition:
    __slots__ = ("lag", "lead")

    def __init__(self, registry: Metrics, tp: TopicPartition) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self.lag = registry.sensor(C.CONSUMER_PARTITION_LAG, topic=tp.topic, partition=tp.partition)
        self.lead = registry.sensor(
            C.CONSUMER_PARTITION_LEAD, topic=tp.topic, partition=tp.partition
        )


class ConsumerMetrics:
    """The consumer's sensors; per-topic and per-partition ones created on first use and
    dropped when the partition is no longer assigned."""

    def __init__(self, registry: Metrics, *, read_committed: bool) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self.registry = registry
        self._committed = read_committed
        sensor = registry.sensor
        self.bytes: Sensor = sensor(C.CONSUMER_BYTES_FETCHED)
        self.records: Sensor = sensor(C.CONSUMER_RECORDS_FETCHED)
        self.latency: Sensor = sensor(C.CONSUMER_FETCH_LATENCY)
        self.throttle: Sensor = sensor(C.CONSUMER_FETCH_THROTTLE)
        self.lag_max: Sensor = sensor(C.CONSUMER_RECORDS_LAG)
        self.lead_min: Sensor = sensor(C.CONSUMER_RECORDS_LEAD)
        self.between_polls: Sensor = sensor(C.CONSUMER_TIME_BETWEEN_POLL)
        self.idle_ratio: Sensor = sensor(C.CONSUMER_POLL_IDLE)
        self.commit_time: Sensor = sensor(C.CONSUMER_COMMIT_SYNC_TIME)
        self.committed_time: Sensor = sensor(C.CONSUMER_COMMITTED_TIME)
        self._topic_bytes: dict[str, Sensor] = {}
        self._topic_records: dict[str, Sensor] = {}
        self._partitions: dict[TopicPartition, _Partition] = {}
        self.last_poll: float | None = None  # monotonic time a poll last started
        self._poll_started = 0.0
        self._poll_ended: float | None = None

    def gauges(
        self,
        *,
        last_rebalance: Callable[[], float | None],
        last_heartbeat: Callable[[], float | None],
        assigned: Callable[[], float],
    ) -> None:
        from aiokafka_gen.coordinator._metrics import GroupMetrics
        from aiokafka_gen.metrics import catalogue as C

        gauge = self.registry.gauge
        gauge(C.CONSUMER_LAST_POLL, GroupMetrics.seconds_since(lambda: self.last_poll))
        gauge(C.CONSUMER_LAST_REBALANCE, GroupMetrics.seconds_since(last_rebalance))
        gauge(C.CONSUMER_LAST_HEARTBEAT, GroupMetrics.seconds_since(last_heartbeat))
        gauge(C.CONSUMER_ASSIGNED_PARTITIONS, assigned)

    # -- the fetcher ---------------------------------------------------------------------------
    def fetch_answered(
        self, sent_at: float, throttle_ms: float, by_topic: dict[str, int], now: float
    ) -> None:
        """A Fetch answer arrived ``now`` (monotonic seconds) for a request sent at
        ``sent_at``; ``by_topic``: record bytes per topic in it."""
        self.latency.record((now - sent_at) * 1000.0, now)
        self.throttle.record(throttle_ms, now)
        total = 0
        for topic, nbytes in by_topic.items():
            total += nbytes
            sensor = self._topic_bytes.get(topic)
            if sensor is None:
                sensor = self._topic_sensor(self._topic_bytes, topic, records=False)
            sensor.record(nbytes, now)
        self.bytes.record(total, now)

    def _topic_sensor(self, cache: dict[str, Sensor], topic: str, *, records: bool) -> Sensor:
        from aiokafka_gen.metrics import catalogue as C

        spec = C.CONSUMER_TOPIC_RECORDS if records else C.CONSUMER_TOPIC_BYTES
        sensor = cache[topic] = self.registry.sensor(spec, topic=topic)
        return sensor

    # -- the fetch buffer ----------------------------------------------------------------------
    def consumed(self, completed: CompletedFetch) -> None:
        """Every record of one partition fetch was handed out."""
        now = time.monotonic()
        count = completed.delivered
        tp = completed.tp
        self.records.record(count, now)
        sensor = self._topic_records.get(tp.topic)
        if sensor is None:
            sensor = self._topic_sensor(self._topic_records, tp.topic, records=True)
        sensor.record(count, now)
        st = completed.state
        if st is None or st.position is None:
            return
        part = self._partitions.get(tp)
        if part is None:
            part = self._partitions[tp] = _Partition(self.registry, tp)
        end = st.lso if self._committed else st.highwater
        if end is not None and end >= 0:
            lag = max(end - st.position, 0)
            part.lag.record(lag, now)
            self.lag_max.record(lag, now)
        if st.log_start is not None:
            lead = st.position - st.log_start
            part.lead.record(lead, now)
            self.lead_min.record(lead, now)

    def prune(self, subscription: SubscriptionState) -> None:
        """Drop the per-partition sensors of partitions no longer assigned."""
        assigned = subscription.assigned_partitions()
        for tp in [tp for tp in self._partitions if tp not in assigned]:
            part = self._partitions.pop(tp)  # its own sensors: no scan of the registry
            self.registry.remove_sensor(part.lag)
            self.registry.remove_sensor(part.lead)
        topics = {tp.topic for tp in assigned}
        for cache in (self._topic_bytes, self._topic_records):
            for topic in [t for t in cache if t not in topics]:
                sensor = cache.pop(topic)
                self.registry.remove_sensor(sensor)

    # -- the application's polls ---------------------------------------------------------------
    def poll_started(self) -> None:
        now = time.monotonic()
        last = self.last_poll
        if last is not None:
            self.between_polls.record((now - last) * 1000.0, now)
        self.last_poll = self._poll_started = now

    def poll_ended(self) -> None:
        """Java's poll-idle-ratio: time inside this poll / (time inside it + the
        application's time between the previous poll's end and this one's start)."""
        now = time.monotonic()
        inside = now - self._poll_started
        ended = self._poll_ended
        outside = 0.0 if ended is None else max(self._poll_started - ended, 0.0)
        total = inside + outside
        self.idle_ratio.record(inside / total if total > 0 else 1.0, now)
        self._poll_ended = now
