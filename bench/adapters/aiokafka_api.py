"""Adapter for every client with aiokafka's public API: aiokafka itself and aiokafka_gen
(``import aiokafka_gen as aiokafka``). The same code drives both; only the module differs."""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

from ..implementation import METRICS_OFF
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
    "batch_bytes": "max_batch_size",
    "compression": "compression_type",
    "enable_idempotence": "enable_idempotence",
    "max_in_flight": None,  # aiokafka: one produce request in flight per broker, fixed
    "request_timeout_ms": "request_timeout_ms",
    "max_request_size": "max_request_size",
    "buffer_memory": None,  # aiokafka has no buffer-memory bound
    "retries_backoff_ms": "retry_backoff_ms",
}
CONSUMER_TABLE: dict[str, str | None] = {name: name for name in CONSUMER_LOGICAL}
CONVERT: dict[str, Callable[[Any], Any]] = {"acks": lambda a: "all" if a == "all" else int(a)}
MODULES = {"aiokafka": "aiokafka", "aiokafka_gen": "aiokafka_gen"}


def producer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(PRODUCER_TABLE, PRODUCER_LOGICAL, values, CONVERT)


def consumer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(CONSUMER_TABLE, CONSUMER_LOGICAL, values, CONVERT)


def record_path(module: ModuleType) -> str:
    """Which implementation ran: aiokafka's Cython extension or pure Python; aiokafka_gen
    compiled or pure (``bench.implementation``; the worker also records the module map)."""
    if module.__name__ != "aiokafka":
        from ..implementation import implementation, summary

        state = summary(implementation())
        return f"{'pure Python' if state == 'pure' else state} (generated protocol)"
    from aiokafka.record import default_records

    builder = default_records.DefaultRecordBatchBuilder
    return "C extension" if "_crecords" in builder.__module__ else "pure Python"


class _Session:
    """One run's clients and measurements, for one aiokafka-API module."""

    def __init__(self, module: ModuleType, run: Run) -> None:
        self.mod, self.run, self.v = module, run, run.variant
        self.value = payload(self.v.value_size)
        self.meter = Meter()

    def _metrics_off(self, options: dict[str, Any]) -> dict[str, Any]:
        """The aiokafka_gen-nometrics column: the same client with metrics_enabled=False."""
        if self.mod.__name__ == "aiokafka_gen" and os.environ.get(METRICS_OFF):
            return options | {"metrics_enabled": False}
        return options

    def producer(self) -> Any:
        options = self._metrics_off(producer_config(self.v, self.run.pinned))
        return self.mod.AIOKafkaProducer(
            bootstrap_servers=self.run.bootstrap, client_id="bench", **options
        )

    async def consumer(self, assign: bool = True) -> Any:
        """A started consumer (bootstrap done); ``assign`` also assigns from earliest."""
        options = self._metrics_off(consumer_config(self.v, self.run.pinned))
        consumer = self.mod.AIOKafkaConsumer(
            bootstrap_servers=self.run.bootstrap, client_id="bench", group_id=None, **options
        )
        await consumer.start()
        if assign:
            await self.assign(consumer)
        return consumer

    async def assign(self, consumer: Any) -> None:
        parts = [self.mod.TopicPartition(self.run.topic, p) for p in range(self.v.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)

    async def warm(self, producer: Any) -> None:
        await producer.start()
        await producer.send_and_wait(self.run.warmup_topic, self.value)
        await producer.partitions_for(self.run.topic)

    async def send_all(self, producer: Any) -> int:
        """Send every message; returns how many were acknowledged."""
        total, acked, failed = self.v.messages, 0, 0
        finished = asyncio.Event()

        def on_done(future: asyncio.Future[Any]) -> None:
            nonlocal acked, failed
            if future.cancelled() or future.exception() is not None:
                failed += 1
            else:
                acked += 1
            if acked + failed == total:
                finished.set()

        send, topic, value = producer.send, self.run.topic, self.value
        for _ in range(total):
            (await send(topic, value)).add_done_callback(on_done)
        await producer.flush()
        await finished.wait()
        return acked

    async def produce(self) -> dict[str, Any]:
        producer = self.producer()
        await self.warm(producer)
        try:
            self.meter.start()
            acked = await self.send_all(producer)
            self.meter.stop()
        finally:
            await producer.stop()
        return self.meter.result(acked, acked * len(self.value))

    async def latency(self) -> dict[str, Any]:
        producer = self.producer()
        await self.warm(producer)
        samples: list[float] = []
        try:
            self.meter.start()
            for _ in range(self.v.messages):
                begin = time.perf_counter()
                await producer.send_and_wait(self.run.topic, self.value)
                samples.append((time.perf_counter() - begin) * 1000.0)
            self.meter.stop()
        finally:
            await producer.stop()
        out = self.meter.result(len(samples), len(samples) * len(self.value))
        return out | latency_summary(samples)

    async def consume(self) -> dict[str, Any]:
        consumer = await self.consumer(assign=False)
        try:
            self.meter.start()  # assign + offset lookup are timed, as for every client
            await self.assign(consumer)
            count, nbytes = await self._read(consumer, None)
            self.meter.stop()
        finally:
            await consumer.stop()
        return self.meter.result(count, nbytes)

    async def _read(self, consumer: Any, lags: list[float] | None) -> tuple[int, int]:
        """Read ``messages`` records (batch API or iterator); with ``lags`` also record
        end-to-end latency from each record's CreateTime."""
        total, count, nbytes = self.v.messages, 0, 0
        limit = int(self.run.pinned["max_poll_records"])
        if self.v.mode == "iter":
            async for record in consumer:
                count += 1
                nbytes += len(record.value)
                if lags is not None:
                    lags.append(time.time() * 1000.0 - record.timestamp)
                if count >= total:
                    break
            return count, nbytes
        while count < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=limit)
            now = time.time() * 1000.0
            for records in batches.values():
                count += len(records)
                for record in records:
                    nbytes += len(record.value)
                    if lags is not None:
                        lags.append(now - record.timestamp)
        return count, nbytes

    async def share(self) -> dict[str, Any]:
        """share-consume-100B: one member of the run's new share group reads ``messages``
        records (explicit mode: each acknowledged ACCEPT). The window opens when the first
        records arrive (joining the group and the first fetch are not timed, for any
        client) and holds the records delivered after them. An untimed run (the fairness
        check) counts every record."""
        limit = int(self.run.pinned["max_poll_records"])
        consumer = self.mod.AIOKafkaShareConsumer(
            self.run.topic, bootstrap_servers=self.run.bootstrap, client_id="bench",
            group_id=self.run.group, share_acknowledgement_mode=self.v.mode,
            max_poll_records=limit,
        )  # fmt: skip
        await consumer.start()
        explicit = self.v.mode == "explicit"
        ack = consumer.acknowledge
        total, count, nbytes, timing = self.v.messages, 0, 0, not self.run.timed
        if timing:
            self.meter.start()
        try:
            while count < total:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    if explicit:
                        for record in records:
                            ack(record)
                    if timing:
                        count += len(records)
                        for record in records:
                            nbytes += len(record.value)
                if batches and not timing:
                    timing = True
                    self.meter.start()
            self.meter.stop()
        finally:
            await consumer.stop()
        return self.meter.result(count, nbytes)

    async def prime(self, producer: Any, consumer: Any) -> None:
        """One record per partition end to end before timing: every partition's offset and
        fetch are live."""
        for partition in range(self.v.partitions):
            await producer.send_and_wait(self.run.topic, self.value, partition=partition)
        seen = 0
        while seen < self.v.partitions:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(records) for records in batches.values())

    async def pipeline(self) -> dict[str, Any]:
        producer = self.producer()
        await self.warm(producer)
        consumer = await self.consumer()
        lags: list[float] = []
        try:
            await self.prime(producer, consumer)
            self.meter.start()
            reader = asyncio.ensure_future(self._read(consumer, lags))
            acked = await self.send_all(producer)
            count, nbytes = await reader
            self.meter.stop()
        finally:
            await producer.stop()
            await consumer.stop()
        if acked != self.v.messages:
            raise RuntimeError(f"only {acked} of {self.v.messages} sends acknowledged")
        return self.meter.result(count, nbytes) | latency_summary(lags)


def run(bench_run: Run) -> dict[str, Any]:
    """Execute ``bench_run`` and return the raw result (see stats.derive)."""
    name = bench_run.client.removesuffix("-pure").removesuffix("-nometrics")
    module = importlib.import_module(MODULES[name])
    session = _Session(module, bench_run)
    kinds: dict[str, Callable[[], Coroutine[Any, Any, dict[str, Any]]]] = {
        "produce": session.produce,
        "latency": session.latency,
        "consume": session.consume,
        "pipeline": session.pipeline,
        "share": session.share,
    }
    result: dict[str, Any] = asyncio.run(kinds[bench_run.variant.kind]())
    result["path"] = record_path(module)
    result["config"] = {
        "producer": producer_config(bench_run.variant, bench_run.pinned),
        "consumer": consumer_config(bench_run.variant, bench_run.pinned),
        "not_settable": unsupported(PRODUCER_TABLE) + unsupported(CONSUMER_TABLE),
    }
    return result
