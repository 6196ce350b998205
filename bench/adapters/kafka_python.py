"""Adapter for kafka-python 3.x (blocking API; its I/O runs in a background thread, whose
CPU time getrusage(RUSAGE_SELF) includes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..matrix import Run, Variant, payload
from ..meter import Meter
from ..stats import latency_summary
from ._settings import (
    CONSUMER_LOGICAL,
    PRODUCER_LOGICAL,
    logical_values,
    translate,
    unsupported,
)

PRODUCER_TABLE: dict[str, str | None] = {
    "acks": "acks",
    "linger_ms": "linger_ms",
    "batch_bytes": "batch_size",
    "compression": "compression_type",
    "enable_idempotence": "enable_idempotence",
    "max_in_flight": "max_in_flight_requests_per_connection",
    "request_timeout_ms": "request_timeout_ms",
    "max_request_size": "max_request_size",
    "buffer_memory": None,  # kafka-python 3 has no buffer_memory bound
    "retries_backoff_ms": "retry_backoff_ms",
}
CONSUMER_TABLE: dict[str, str | None] = {name: name for name in CONSUMER_LOGICAL}
CONVERT: dict[str, Callable[[Any], Any]] = {"acks": lambda a: "all" if a == "all" else int(a)}


def producer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    return translate(PRODUCER_TABLE, PRODUCER_LOGICAL, logical_values(variant, pinned), CONVERT)


def consumer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    return translate(CONSUMER_TABLE, CONSUMER_LOGICAL, logical_values(variant, pinned), CONVERT)


class _Session:
    def __init__(self, run: Run) -> None:
        self.run, self.v = run, run.variant
        self.value = payload(self.v.value_size)
        self.meter = Meter()

    def producer(self) -> Any:
        from kafka import KafkaProducer

        options = producer_config(self.v, self.run.pinned)
        producer = KafkaProducer(bootstrap_servers=self.run.bootstrap, client_id="bench", **options)
        producer.send(self.run.warmup_topic, self.value).get(timeout=30)
        producer.partitions_for(self.run.topic)
        return producer

    def consumer(self, assign: bool = True) -> Any:
        """A bootstrapped consumer (metadata fetched); ``assign`` also assigns from earliest."""
        from kafka import KafkaConsumer

        options = consumer_config(self.v, self.run.pinned)
        consumer = KafkaConsumer(
            bootstrap_servers=self.run.bootstrap, client_id="bench", group_id=None, **options
        )
        consumer.partitions_for_topic(self.run.topic)
        if assign:
            self.assign(consumer)
        return consumer

    def assign(self, consumer: Any) -> None:
        from kafka import TopicPartition

        parts = [TopicPartition(self.run.topic, p) for p in range(self.v.partitions)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)

    def send_all(self, producer: Any, between: Callable[[], None] | None = None) -> int:
        """Send every message (calling ``between`` every max_poll_records sends), flush,
        and return how many were acknowledged."""
        acked = [0]

        def on_ok(_: Any) -> None:
            acked[0] += 1

        send, topic, value = producer.send, self.run.topic, self.value
        every = int(self.run.pinned["max_poll_records"])
        for i in range(self.v.messages):
            send(topic, value).add_callback(on_ok)
            if between is not None and i % every == 0:
                between()
        producer.flush()
        return acked[0]

    def produce(self) -> dict[str, Any]:
        producer = self.producer()
        try:
            self.meter.start()
            acked = self.send_all(producer)
            self.meter.stop()
        finally:
            producer.close()
        return self.meter.result(acked, acked * len(self.value))

    def latency(self) -> dict[str, Any]:
        producer = self.producer()
        samples: list[float] = []
        try:
            self.meter.start()
            for _ in range(self.v.messages):
                begin = time.perf_counter()
                producer.send(self.run.topic, self.value).get(timeout=30)
                samples.append((time.perf_counter() - begin) * 1000.0)
            self.meter.stop()
        finally:
            producer.close()
        out = self.meter.result(len(samples), len(samples) * len(self.value))
        return out | latency_summary(samples)

    def consume(self) -> dict[str, Any]:
        consumer = self.consumer(assign=False)
        try:
            self.meter.start()  # assign + offset lookup are timed, as for every client
            self.assign(consumer)
            counts = [0, 0]
            if self.v.mode == "iter":
                self._iterate(consumer, counts)
            else:
                while counts[0] < self.v.messages:
                    self._poll(consumer, counts, None, 1000)
            self.meter.stop()
        finally:
            consumer.close()
        return self.meter.result(counts[0], counts[1])

    def _iterate(self, consumer: Any, counts: list[int]) -> None:
        for record in consumer:
            counts[0] += 1
            counts[1] += len(record.value)
            if counts[0] >= self.v.messages:
                return

    def _poll(self, consumer: Any, counts: list[int], lags: list[float] | None, wait: int) -> None:
        limit = int(self.run.pinned["max_poll_records"])
        batches = consumer.poll(timeout_ms=wait, max_records=limit)
        now = time.time() * 1000.0
        for records in batches.values():
            counts[0] += len(records)
            for record in records:
                counts[1] += len(record.value)
                if lags is not None:
                    lags.append(now - record.timestamp)

    def pipeline(self) -> dict[str, Any]:
        producer = self.producer()
        consumer = self.consumer()
        counts, lags = [0, 0], list[float]()
        try:
            # one record per partition end to end before timing: all fetches are live
            for partition in range(self.v.partitions):
                producer.send(self.run.topic, self.value, partition=partition).get(timeout=30)
            seen = 0
            while seen < self.v.partitions:
                seen += sum(len(r) for r in consumer.poll(timeout_ms=1000).values())
            self.meter.start()
            acked = self.send_all(producer, lambda: self._poll(consumer, counts, lags, 0))
            while counts[0] < self.v.messages:
                self._poll(consumer, counts, lags, 1000)
            self.meter.stop()
        finally:
            producer.close()
            consumer.close()
        if acked != self.v.messages:
            raise RuntimeError(f"only {acked} of {self.v.messages} sends acknowledged")
        return self.meter.result(counts[0], counts[1]) | latency_summary(lags)


def run(bench_run: Run) -> dict[str, Any]:
    session = _Session(bench_run)
    result: dict[str, Any] = getattr(session, bench_run.variant.kind)()
    result["path"] = "pure Python (threads)"
    result["config"] = {
        "producer": producer_config(bench_run.variant, bench_run.pinned),
        "consumer": consumer_config(bench_run.variant, bench_run.pinned),
        "not_settable": unsupported(PRODUCER_TABLE) + unsupported(CONSUMER_TABLE),
    }
    return result
