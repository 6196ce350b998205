"""What the producer records into its metrics registry (issue #24).

One ``ProducerMetrics`` per producer with metrics on; the sender calls it once per batch
and once per Produce request (never per record), ``send()`` only when it had to wait for
buffer memory. Java records the same events at the same points: batch size, compression
ratio, queue time, largest record and the per-topic figures when a batch is drained into a
request; request latency and throttle time when the answer arrives; retries, errors and
splits when the sender decides them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka_gen.cluster import ClusterMetadata
    from aiokafka_gen.metrics import Metrics, Sensor

    from .batch import ProducerBatch

__all__ = ["ProducerMetrics"]


class _Topic:
    __slots__ = ("bytes", "compression", "errors", "records", "retries")

    def __init__(self, registry: Metrics, topic: str) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self.records = registry.sensor(C.PRODUCER_TOPIC_RECORDS, topic=topic)
        self.bytes = registry.sensor(C.PRODUCER_TOPIC_BYTES, topic=topic)
        self.compression = registry.sensor(C.PRODUCER_TOPIC_COMPRESSION, topic=topic)
        self.retries = registry.sensor(C.PRODUCER_TOPIC_RETRIES, topic=topic)
        self.errors = registry.sensor(C.PRODUCER_TOPIC_ERRORS, topic=topic)


class ProducerMetrics:
    """The producer's sensors, created once; per-topic ones on a topic's first batch."""

    def __init__(self, registry: Metrics) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self.registry = registry
        sensor = registry.sensor
        self.per_request: Sensor = sensor(C.PRODUCER_RECORDS_PER_REQUEST)
        self.latency: Sensor = sensor(C.PRODUCER_REQUEST_LATENCY)
        self.batch_size: Sensor = sensor(C.PRODUCER_BATCH_SIZE)
        self.compression: Sensor = sensor(C.PRODUCER_COMPRESSION)
        self.queue_time: Sensor = sensor(C.PRODUCER_QUEUE_TIME)
        self.record_size: Sensor = sensor(C.PRODUCER_RECORD_SIZE)
        self.throttle: Sensor = sensor(C.PRODUCER_THROTTLE)
        self.split: Sensor = sensor(C.PRODUCER_BATCH_SPLIT)
        self.errors: Sensor = sensor(C.PRODUCER_ERRORS)
        self.retries: Sensor = sensor(C.PRODUCER_RETRIES)
        self.pool_wait: Sensor = sensor(C.PRODUCER_BUFFERPOOL_WAIT)
        self.exhausted: Sensor = sensor(C.PRODUCER_BUFFER_EXHAUSTED)
        self._topics: dict[str, _Topic] = {}

    def gauges(
        self,
        *,
        available: Callable[[], float],
        total: float,
        waiting: Callable[[], float],
        in_flight: Callable[[], float],
        metadata_age: Callable[[], float],
    ) -> None:
        from aiokafka_gen.metrics import catalogue as C

        gauge = self.registry.gauge
        gauge(C.PRODUCER_BUFFER_AVAILABLE, available)
        gauge(C.PRODUCER_BUFFER_TOTAL, lambda: total)
        gauge(C.PRODUCER_WAITING_SENDS, waiting)
        gauge(C.PRODUCER_REQUESTS_IN_FLIGHT, in_flight)
        gauge(C.PRODUCER_METADATA_AGE, metadata_age)

    def _topic(self, topic: str) -> _Topic:
        entry = self._topics.get(topic)
        if entry is None:
            entry = self._topics[topic] = _Topic(self.registry, topic)
        return entry

    def request_sent(self, batches: list[ProducerBatch], now: float) -> None:
        """A Produce request is about to leave with these (closed) batches."""
        records = 0
        for batch in batches:
            count = batch.record_count
            records += count
            data = batch.close()
            size = len(data)
            builder = batch.builder
            raw = builder.size()
            ratio = size / raw if raw > 0 else 1.0
            self.batch_size.record(size, now)
            self.compression.record(ratio, now)
            self.queue_time.record((now - batch.created) * 1000.0, now)
            self.record_size.record(builder.max_record_size, now)
            topic = self._topic(batch.tp.topic)
            topic.records.record(count, now)
            topic.bytes.record(size, now)
            topic.compression.record(ratio, now)
        self.per_request.record(records, now)

    def answered(self, sent_at: float, throttle_ms: float, now: float) -> None:
        self.latency.record((now - sent_at) * 1000.0, now)
        self.throttle.record(throttle_ms, now)

    def retried(self, batch: ProducerBatch, now: float) -> None:
        count = batch.record_count
        self.retries.record(count, now)
        self._topic(batch.tp.topic).retries.record(count, now)

    def failed(self, batch: ProducerBatch, now: float) -> None:
        count = batch.record_count
        self.errors.record(count, now)
        self._topic(batch.tp.topic).errors.record(count, now)

    def expire(self, cluster: ClusterMetadata) -> None:
        """After a metadata update: drop the sensors of topics the cluster no longer has, and
        of topics not sent to for the registry's idle expiry (600 s by default)."""
        limit = self.registry.config.idle_expiry
        now = self.registry.clock()
        for topic, entry in list(self._topics.items()):
            idle = limit is not None and now - entry.records.last_record_time > limit
            if idle or not cluster.partitions_for_topic(topic):
                self.forget_topic(topic)

    def forget_topic(self, topic: str) -> None:
        """The topic left the producer's metadata: drop its sensors."""
        if self._topics.pop(topic, None) is not None:
            self.registry.remove_tagged(topic=topic)
