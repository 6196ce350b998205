"""Adapters for confluent-kafka 2.x (librdkafka): the blocking Producer/Consumer
(``confluent-kafka``) and the asyncio AIOProducer/AIOConsumer (``confluent-kafka-aio``), which
run librdkafka calls in a thread pool. librdkafka's own threads count in RUSAGE_SELF."""

from __future__ import annotations

import asyncio
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
    "linger_ms": "linger.ms",
    "batch_bytes": "batch.size",
    "compression": "compression.type",
    "enable_idempotence": "enable.idempotence",
    "max_in_flight": "max.in.flight.requests.per.connection",
    "request_timeout_ms": "request.timeout.ms",
    "max_request_size": "message.max.bytes",
    # librdkafka FAILS a produce when its queue is full (Java blocks): its bound is raised in
    # PRODUCER_EXTRA so that no timed send fails.
    "buffer_memory": None,
    "retries_backoff_ms": "retry.backoff.ms",
}
# librdkafka-only knobs pinned so that batch.size (not a message count) closes batches.
PRODUCER_EXTRA: dict[str, Any] = {
    "batch.num.messages": 1_000_000,
    "queue.buffering.max.messages": 2_000_000,
    "queue.buffering.max.kbytes": 1_048_576,
}
CONSUMER_TABLE: dict[str, str | None] = {
    "fetch_max_wait_ms": "fetch.wait.max.ms",
    "fetch_min_bytes": "fetch.min.bytes",
    "fetch_max_bytes": "fetch.max.bytes",
    "max_partition_fetch_bytes": "max.partition.fetch.bytes",
    "max_poll_records": None,  # passed to consume(num_messages=...) instead
    "check_crcs": "check.crcs",
    "auto_offset_reset": "auto.offset.reset",
    "enable_auto_commit": "enable.auto.commit",
    "isolation_level": "isolation.level",
    "request_timeout_ms": None,  # producer-only in librdkafka
}
CONSUMER_EXTRA: dict[str, Any] = {
    "group.id": "bench-assign-only",  # required by the Consumer; assign() never joins it
    "queued.min.messages": 100_000,
    # librdkafka's default (1000 ms) stops fetching for a second whenever its local queue
    # is full, which a timed run of 2 s and more hits: 270k msg/s instead of 1.8M over 3.2M
    # records here. A user who tuned for throughput lowers it, so the bench does too.
    "fetch.queue.backoff.ms": 10,
    "enable.partition.eof": False,
}
CONVERT: dict[str, Callable[[Any], Any]] = {
    "compression": lambda c: c or "none",
    "acks": str,
}


def producer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(PRODUCER_TABLE, PRODUCER_LOGICAL, values, CONVERT) | PRODUCER_EXTRA


def consumer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(CONSUMER_TABLE, CONSUMER_LOGICAL, values, CONVERT) | CONSUMER_EXTRA


class _Base:
    """Configuration and counters shared by the sync and asyncio sessions."""

    def __init__(self, run: Run) -> None:
        self.run, self.v = run, run.variant
        self.value = payload(self.v.value_size)
        self.meter = Meter()
        self.limit = int(run.pinned["max_poll_records"])
        self.acked = 0
        self.count, self.nbytes = 0, 0
        self.lags: list[float] = []

    def pconf(self) -> dict[str, Any]:
        conf = producer_config(self.v, self.run.pinned)
        return conf | {"bootstrap.servers": self.run.bootstrap, "client.id": "bench"}

    def cconf(self) -> dict[str, Any]:
        conf = consumer_config(self.v, self.run.pinned)
        return conf | {"bootstrap.servers": self.run.bootstrap, "client.id": "bench"}

    def partitions(self) -> list[Any]:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        return [
            TopicPartition(self.run.topic, p, OFFSET_BEGINNING) for p in range(self.v.partitions)
        ]

    def on_delivery(self, err: Any, _msg: Any) -> None:
        if err is None:
            self.acked += 1

    def take(self, messages: list[Any], track: bool) -> None:
        """Count delivered records (errors skipped); with ``track`` record end-to-end lag."""
        now = time.time() * 1000.0
        for msg in messages:
            if msg is None or msg.error() is not None:
                continue
            self.count += 1
            self.nbytes += len(msg.value())
            if track:
                self.lags.append(now - msg.timestamp()[1])


class _Sync(_Base):
    def producer(self) -> Any:
        from confluent_kafka import Producer

        producer = Producer(self.pconf())
        producer.produce(self.run.warmup_topic, self.value)
        producer.flush(30)
        producer.list_topics(self.run.topic, timeout=30)
        return producer

    def consumer(self, assign: bool = True) -> Any:
        """A consumer with metadata fetched; ``assign`` also assigns from earliest."""
        from confluent_kafka import Consumer

        consumer = Consumer(self.cconf())
        consumer.list_topics(self.run.topic, timeout=30)
        if assign:
            consumer.assign(self.partitions())
        return consumer

    def send_all(self, producer: Any, between: Callable[[], None] | None = None) -> None:
        produce, poll, topic, value = producer.produce, producer.poll, self.run.topic, self.value
        callback = self.on_delivery
        for i in range(self.v.messages):
            while True:
                try:
                    produce(topic, value, on_delivery=callback)
                    break
                except BufferError:
                    poll(0.005)
            if i % self.limit == 0:
                poll(0)
                if between is not None:
                    between()
        producer.flush()

    def produce(self) -> dict[str, Any]:
        producer = self.producer()
        self.meter.start()
        self.send_all(producer)
        self.meter.stop()
        return self.meter.result(self.acked, self.acked * len(self.value))

    def latency(self) -> dict[str, Any]:
        producer = self.producer()
        samples: list[float] = []
        self.meter.start()
        for _ in range(self.v.messages):
            begin, target = time.perf_counter(), self.acked + 1
            producer.produce(self.run.topic, self.value, on_delivery=self.on_delivery)
            while self.acked < target:
                producer.poll(1.0)
            samples.append((time.perf_counter() - begin) * 1000.0)
        self.meter.stop()
        return self.meter.result(len(samples), len(samples) * len(self.value)) | latency_summary(
            samples
        )

    def consume(self) -> dict[str, Any]:
        consumer = self.consumer(assign=False)
        try:
            self.meter.start()  # assign + offset lookup are timed, as for every client
            consumer.assign(self.partitions())
            while self.count < self.v.messages:
                if self.v.mode == "iter":
                    self.take([consumer.poll(1.0)], False)
                else:
                    self.take(consumer.consume(num_messages=self.limit, timeout=1.0), False)
            self.meter.stop()
        finally:
            consumer.close()
        return self.meter.result(self.count, self.nbytes)

    def share(self) -> dict[str, Any]:
        """share-consume-100B with librdkafka's ShareConsumer (its timing as the
        aiokafka-API adapter's: from the first records delivered)."""
        from confluent_kafka import ShareConsumer

        consumer = ShareConsumer({
            "bootstrap.servers": self.run.bootstrap, "client.id": "bench",
            "group.id": self.run.group, "share.acknowledgement.mode": self.v.mode,
            "max.poll.records": self.limit,
        })  # fmt: skip
        consumer.subscribe([self.run.topic])
        explicit, timing = self.v.mode == "explicit", not self.run.timed
        if timing:  # the fairness check: every record counts
            self.meter.start()
        try:
            while self.count < self.v.messages:
                messages = consumer.poll(1.0)
                if explicit:
                    for msg in messages:
                        if msg.error() is None:
                            consumer.acknowledge(msg)
                if timing:
                    self.take(messages, False)
                elif len(messages):
                    timing = True
                    self.meter.start()
            self.meter.stop()
        finally:
            consumer.close()
        return self.meter.result(self.count, self.nbytes)

    def pipeline(self) -> dict[str, Any]:
        producer, consumer = self.producer(), self.consumer()
        try:
            # one record per partition end to end before timing: all fetches are live
            for partition in range(self.v.partitions):
                producer.produce(self.run.topic, self.value, partition=partition)
            producer.flush(30)
            seen = 0
            while seen < self.v.partitions:
                seen += sum(m.error() is None for m in consumer.consume(self.limit, 1.0))
            self.meter.start()
            self.send_all(producer, lambda: self.take(consumer.consume(self.limit, 0), True))
            while self.count < self.v.messages:
                self.take(consumer.consume(num_messages=self.limit, timeout=1.0), True)
            self.meter.stop()
        finally:
            consumer.close()
        return self.meter.result(self.count, self.nbytes) | latency_summary(self.lags)


class _Async(_Base):
    async def producer(self) -> Any:
        from confluent_kafka.aio import AIOProducer

        producer = AIOProducer(self.pconf())
        warm = await producer.produce(self.run.warmup_topic, self.value)
        await producer.flush()
        await warm
        await producer.list_topics(self.run.topic, timeout=30)
        return producer

    async def consumer(self, assign: bool = True) -> Any:
        """A consumer with metadata fetched; ``assign`` also assigns from earliest."""
        from confluent_kafka.aio import AIOConsumer

        consumer = AIOConsumer(self.cconf())
        await consumer.list_topics(self.run.topic, timeout=30)
        if assign:
            await consumer.assign(self.partitions())
        return consumer

    def _done(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.acked += 1

    async def send_all(self, producer: Any) -> None:
        produce, topic, value, done = producer.produce, self.run.topic, self.value, self._done
        for _ in range(self.v.messages):
            (await produce(topic, value)).add_done_callback(done)
        await producer.flush()
        while self.acked < self.v.messages:  # delivery callbacks arrive via call_soon
            await asyncio.sleep(0.001)

    async def produce(self) -> dict[str, Any]:
        producer = await self.producer()
        try:
            self.meter.start()
            await self.send_all(producer)
            self.meter.stop()
        finally:
            await producer.close()
        return self.meter.result(self.acked, self.acked * len(self.value))

    async def latency(self) -> dict[str, Any]:
        producer = await self.producer()
        samples: list[float] = []
        try:
            self.meter.start()
            for _ in range(self.v.messages):
                begin = time.perf_counter()
                future = await producer.produce(self.run.topic, self.value)
                await producer.flush()
                await future
                samples.append((time.perf_counter() - begin) * 1000.0)
            self.meter.stop()
        finally:
            await producer.close()
        out = self.meter.result(len(samples), len(samples) * len(self.value))
        return out | latency_summary(samples)

    async def _read(self, consumer: Any, track: bool) -> None:
        while self.count < self.v.messages:
            if self.v.mode == "iter":
                self.take([await consumer.poll(1.0)], track)
            else:
                self.take(await consumer.consume(num_messages=self.limit, timeout=1.0), track)

    async def consume(self) -> dict[str, Any]:
        consumer = await self.consumer(assign=False)
        try:
            self.meter.start()  # assign + offset lookup are timed, as for every client
            await consumer.assign(self.partitions())
            await self._read(consumer, False)
            self.meter.stop()
        finally:
            await consumer.close()
        return self.meter.result(self.count, self.nbytes)

    async def pipeline(self) -> dict[str, Any]:
        producer, consumer = await self.producer(), await self.consumer()
        try:
            # one record per partition end to end before timing: all fetches are live
            for partition in range(self.v.partitions):
                primer = await producer.produce(self.run.topic, self.value, partition=partition)
                await producer.flush()
                await primer
            seen = 0
            while seen < self.v.partitions:
                seen += sum(m.error() is None for m in await consumer.consume(self.limit, 1.0))
            self.meter.start()
            reader = asyncio.ensure_future(self._read(consumer, True))
            await self.send_all(producer)
            await reader
            self.meter.stop()
        finally:
            await producer.close()
            await consumer.close()
        return self.meter.result(self.count, self.nbytes) | latency_summary(self.lags)


def run(bench_run: Run) -> dict[str, Any]:
    import confluent_kafka

    kind = bench_run.variant.kind
    if bench_run.client.endswith("-aio"):
        result: dict[str, Any] = asyncio.run(getattr(_Async(bench_run), kind)())
        path = "librdkafka via asyncio thread pool"
    else:
        result = getattr(_Sync(bench_run), kind)()
        path = "librdkafka"
    result["path"] = f"{path} {confluent_kafka.libversion()[0]}"
    result["config"] = {
        "producer": producer_config(bench_run.variant, bench_run.pinned),
        "consumer": consumer_config(bench_run.variant, bench_run.pinned),
        "not_settable": unsupported(PRODUCER_TABLE) + unsupported(CONSUMER_TABLE),
    }
    return result
