"""One scale measurement in a fresh process: ``python -m bench.scale.worker '<Job JSON>'``
prints one JSON line with the raw result (last line starting with ``{``).

Job kinds: ``produce`` / ``consume`` (a curve point), ``idle`` (a consumer on many mostly
idle partitions; prints ``IDLE_DONE`` on stdout when its idle window closed and then waits
for the one record the parent produces), ``metadata`` (refresh of every topic on the real
broker, and for aiokafka_gen the synthetic MetadataResponse), ``memory`` (per partition
and per idle connection). aiokafka and aiokafka_gen share the aiokafka-API code path; the
other client is confluent-kafka (librdkafka). The settings come from the main bench's
adapters (``bench.adapters.aiokafka_api`` / ``bench.adapters.confluent``) and ``PINNED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any

from ..adapters import aiokafka_api, client, confluent
from ..implementation import implementation
from ..matrix import PINNED, Variant, payload
from ..meter import Meter, peak_rss_kib
from ..worker import serve

IDLE_DONE = "IDLE_DONE"


@dataclass(frozen=True)
class Job:
    """Everything one worker needs."""

    client: str
    kind: str  # produce | consume | idle | metadata | memory | group
    bootstrap: str
    topics: list[str] = field(default_factory=list)
    partitions: int = 1  # per topic
    messages: int = 0  # produce: records to send; consume: records to read (all stored)
    # produce: no partition given, the client's own partitioner for null keys picks
    # (aiokafka_gen and librdkafka: sticky; aiokafka: random per record); topics round-robin
    keyless: bool = False
    warmup_topic: str = ""
    idle_seconds: float = 10.0
    idle_warmup_seconds: float = 5.0
    synthetic: list[int] = field(default_factory=list)  # metadata: synthetic partition counts
    connections: int = 0  # memory: idle connections to open
    members: int = 0  # group: consumers in the group after the join
    protocol: str = "classic"  # group: classic (cooperative-sticky; aiokafka: round-robin)
    pinned: dict[str, Any] = field(default_factory=lambda: dict(PINNED))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    @property
    def pairs(self) -> list[tuple[str, int]]:
        """Every (topic, partition) of the job, partition-major: consecutive records go to
        different topics and partitions (round-robin)."""
        return [(t, p) for p in range(self.partitions) for t in self.topics]


def rss_kib() -> int:
    """Current RSS (VmRSS) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def sockets() -> int:
    import os

    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
    return count


# ---- aiokafka API (aiokafka, aiokafka_gen) ---------------------------------------------
class ApiJob:
    def __init__(self, job: Job) -> None:
        self.job = job
        name = job.client.removesuffix("-pure")
        self.mod = importlib.import_module(aiokafka_api.MODULES[name])
        self.value = payload(100)
        variant = Variant("produce", job.messages)
        self.pconf = aiokafka_api.producer_config(variant, job.pinned)
        self.cconf = aiokafka_api.consumer_config(Variant("consume", job.messages), job.pinned)

    def producer(self) -> Any:
        return self.mod.AIOKafkaProducer(
            bootstrap_servers=self.job.bootstrap, client_id="bench-scale", **self.pconf
        )

    async def consumer(self) -> Any:
        consumer = self.mod.AIOKafkaConsumer(
            bootstrap_servers=self.job.bootstrap, client_id="bench-scale", group_id=None,
            **self.cconf,
        )  # fmt: skip
        await consumer.start()
        return consumer

    def tps(self) -> list[Any]:
        return [self.mod.TopicPartition(t, p) for t, p in self.job.pairs]

    async def send(
        self, producer: Any, pairs: list[tuple[str, int]], total: int, keyless: bool = False
    ) -> int:
        acked = failed = 0
        finished = asyncio.Event()

        def on_done(future: asyncio.Future[Any]) -> None:
            nonlocal acked, failed
            if future.cancelled() or future.exception() is not None:
                failed += 1
            else:
                acked += 1
            if acked + failed == total:
                finished.set()

        send, value, n = producer.send, self.value, len(pairs)
        if keyless:
            names = self.job.topics
            for i in range(total):
                (await send(names[i % len(names)], value)).add_done_callback(on_done)
        else:
            for i in range(total):
                topic, partition = pairs[i % n]
                (await send(topic, value, partition=partition)).add_done_callback(on_done)
        await producer.flush()
        await finished.wait()
        return acked

    async def produce(self) -> dict[str, Any]:
        job, meter = self.job, Meter()
        producer = self.producer()
        await producer.start()
        try:
            await producer.send_and_wait(job.warmup_topic, self.value)
            await asyncio.gather(*(producer.partitions_for(t) for t in job.topics))
            pairs = job.pairs
            # untimed: one record per partition (per-partition state, connections)
            await self.send(producer, pairs, len(pairs))
            before = producer_counters(producer)
            meter.start()
            acked = await self.send(producer, pairs, job.messages, job.keyless)
            meter.stop()
            after, gauges = producer_counters(producer), producer_gauges(producer)
        finally:
            await producer.stop()
        out = meter.result(acked, acked * len(self.value)) | {"warm_records": len(job.pairs)}
        if after:  # aiokafka_gen: what the producer saw in the timed window (diagnosis)
            seen = {k: v - before.get(k, 0.0) for k, v in after.items()} | gauges
            out |= {f"diag.{k}": v for k, v in seen.items() if v == v}  # NaN: none
        return out

    async def consume(self) -> dict[str, Any]:
        job, meter = self.job, Meter()
        consumer = await self.consumer()
        limit = int(job.pinned["max_poll_records"])
        count = nbytes = 0
        first: tuple[float, float] | None = None
        after_first = 0
        try:
            meter.start()
            parts = self.tps()
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            while count < job.messages:
                batches = await consumer.getmany(timeout_ms=1000, max_records=limit)
                got = 0
                for records in batches.values():
                    got += len(records)
                    for record in records:
                        nbytes += len(record.value)
                count += got
                if got and first is None:
                    first = (time.perf_counter(), cpu_now())
                elif first is not None:
                    after_first += got
            meter.stop()
            end = (time.perf_counter(), cpu_now())
        finally:
            await consumer.stop()
        return meter.result(count, nbytes) | steady(meter, first, end, after_first)

    async def idle(self) -> dict[str, Any]:
        job = self.job
        consumer = await self.consumer()
        try:
            parts = self.tps()
            consumer.assign(parts)
            await consumer.seek_to_end(*parts)
            out = await idle_window(job, lambda: consumer.getmany(timeout_ms=1000))

            async def first_record() -> float:
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for records in batches.values():
                        if records:
                            return time.time() * 1000.0 - records[0].timestamp

            out["first_record_latency_ms"] = await asyncio.wait_for(first_record(), 60)
        finally:
            await consumer.stop()
        return out

    async def metadata(self) -> dict[str, Any]:
        job = self.job
        kafka_client = importlib.import_module(f"{self.mod.__name__}.client").AIOKafkaClient
        conn_client = kafka_client(bootstrap_servers=job.bootstrap, client_id="bench-scale")
        await conn_client.bootstrap()
        try:
            await conn_client.fetch_all_metadata()  # warm: connection, first decode
            times, cpus = [], []
            for _ in range(3):
                gc.collect()
                t0, c0 = time.perf_counter(), cpu_now()
                cluster = await conn_client.fetch_all_metadata()
                times.append(time.perf_counter() - t0)
                cpus.append(cpu_now() - c0)
                del cluster
            gc.collect()
            rss0 = rss_kib()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            cluster = await conn_client.fetch_all_metadata()
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
            rss = rss_kib() - rss0
            topics = cluster.topics()
            partitions = sum(len(cluster.partitions_for_topic(t) or ()) for t in topics)
        finally:
            await conn_client.close()
        out: dict[str, Any] = {
            "real": {
                "topics": len(topics), "partitions": partitions,
                "refresh_s": statistics.median(times), "refresh_cpu_s": statistics.median(cpus),
                "held_tracemalloc_mib": held / 2**20, "rss_delta_mib": rss / 1024,
            }
        }  # fmt: skip
        if self.mod.__name__ == "aiokafka_gen":
            out["synthetic"] = {str(n): synthetic_metadata(n) for n in job.synthetic}
        return out

    async def group(self) -> dict[str, Any]:
        return await group_scale(self.mod, self.job)

    async def memory(self) -> dict[str, Any]:
        """Consumer: RSS / tracemalloc growth from assigning every partition and fetching
        (positions resolved, fetch sessions open). Producer: growth from one record sent
        to every partition. Connections: extra clients bootstrapped and connected."""
        job = self.job
        out: dict[str, Any] = {"partitions_total": len(job.pairs)}
        tracemalloc.start()
        consumer = await self.consumer()
        producer = self.producer()
        await producer.start()
        try:
            await asyncio.gather(*(producer.partitions_for(t) for t in job.topics))
            gc.collect()
            r0, m0 = rss_kib(), tracemalloc.get_traced_memory()[0]
            parts = self.tps()
            consumer.assign(parts)
            await consumer.seek_to_end(*parts)
            for _ in range(5):
                await consumer.getmany(timeout_ms=300)
            gc.collect()
            r1, m1 = rss_kib(), tracemalloc.get_traced_memory()[0]
            out["consumer"] = per_partition(r1 - r0, m1 - m0, len(parts))
            # in chunks: 5000 open 16 KiB batches would exceed the 32 MiB buffer memory
            for start in range(0, len(job.pairs), 1000):
                chunk = job.pairs[start : start + 1000]
                await self.send(producer, chunk, len(chunk))
            gc.collect()
            r2, m2 = rss_kib(), tracemalloc.get_traced_memory()[0]
            out["producer"] = per_partition(r2 - r1, m2 - m1, len(parts))
        finally:
            await producer.stop()
            await consumer.stop()
        if job.connections:
            out["connection"] = await self.connections(job.connections)
        tracemalloc.stop()
        return out

    async def connections(self, count: int) -> dict[str, Any]:
        kafka_client = importlib.import_module(f"{self.mod.__name__}.client").AIOKafkaClient
        gc.collect()
        s0, r0, m0 = sockets(), rss_kib(), tracemalloc.get_traced_memory()[0]
        clients = []
        for _ in range(count):
            extra = kafka_client(bootstrap_servers=self.job.bootstrap, client_id="bench-idle")
            await extra.bootstrap()
            for broker in extra.cluster.brokers():
                await extra.ready(broker.nodeId if hasattr(broker, "nodeId") else broker.node_id)
            clients.append(extra)
        await asyncio.sleep(1.0)
        gc.collect()
        opened = sockets() - s0
        rss, traced = rss_kib() - r0, tracemalloc.get_traced_memory()[0] - m0
        for extra in clients:
            await extra.close()
        n = max(opened, 1)
        return {
            "clients": count, "sockets": opened,
            "rss_kib_per_connection": rss / n,
            "tracemalloc_kib_per_connection": traced / 1024 / n,
            "note": "per socket: each client's bootstrap and node connections, client "
            "objects included",
        }  # fmt: skip


async def group_scale(mod: Any, job: Job) -> dict[str, Any]:
    """``members - 1`` consumers of one group subscribed to the topic, each polling; then
    one more joins, then the first leaves (stop: LeaveGroup). Stable: every member holds a
    non-empty assignment and together they hold every partition exactly once. Times from
    the join's start() / the leave's stop() to stable."""
    import uuid

    total = job.partitions
    group = f"scale-group-{uuid.uuid4().hex[:8]}"
    options: dict[str, Any] = {
        "bootstrap_servers": job.bootstrap, "group_id": group,
        "enable_auto_commit": False, "auto_offset_reset": "latest",
    }  # fmt: skip
    if job.protocol == "consumer":
        options["group_protocol"] = "consumer"
    elif mod.__name__ == "aiokafka_gen":
        from aiokafka_gen.coordinator.assignors import CooperativeStickyAssignor

        options["partition_assignment_strategy"] = (CooperativeStickyAssignor,)
    members: list[tuple[Any, asyncio.Task[None]]] = []

    async def poll(consumer: Any) -> None:
        while True:
            await consumer.getmany(timeout_ms=200)

    async def join() -> None:
        consumer = mod.AIOKafkaConsumer(**options)
        await consumer.start()
        consumer.subscribe([job.topics[0]])
        members.append((consumer, asyncio.ensure_future(poll(consumer))))

    def stable() -> bool:
        held = [c.assignment() for c, _ in members]
        return all(held) and sum(map(len, held)) == total and len(set().union(*held)) == total

    async def until_stable(limit: float) -> float:
        t0 = time.perf_counter()
        while not stable():
            if time.perf_counter() - t0 > limit:
                raise TimeoutError(f"not stable within {limit:.0f} s")
            await asyncio.sleep(0.02)
        return time.perf_counter() - t0

    out: dict[str, Any] = {"members": job.members, "partitions": total, "protocol": job.protocol}
    try:
        c0 = cpu_now()
        await asyncio.gather(*(join() for _ in range(job.members - 1)))
        out["initial_s"] = await until_stable(300)
        out["initial_cpu_s"] = cpu_now() - c0
        t0 = time.perf_counter()
        await join()
        out["join_s"] = (time.perf_counter() - t0) + await until_stable(300)
        consumer, task = members.pop(0)
        t0 = time.perf_counter()
        task.cancel()
        await consumer.stop()
        out["leave_s"] = (time.perf_counter() - t0) + await until_stable(300)
    finally:
        for _, task in members:
            task.cancel()
        await asyncio.gather(*(c.stop() for c, _ in members), return_exceptions=True)
    return out


PRODUCER_COUNTERS = ("record-retry-total", "record-error-total", "buffer-exhausted-total",
                     "bufferpool-wait-time-ns-total", "batch-split-total")  # fmt: skip
PRODUCER_GAUGES = ("request-latency-avg", "request-latency-max", "records-per-request-avg",
                   "batch-size-avg", "record-queue-time-avg", "record-queue-time-max",
                   "event-loop-lag-max")  # fmt: skip


def _producer_metrics(producer: Any, names: tuple[str, ...]) -> dict[str, float]:
    """aiokafka_gen's producer-metrics group (empty for aiokafka, or on any failure)."""
    read = getattr(producer, "metrics", None)
    if read is None or not hasattr(producer, "metrics_registry"):
        return {}
    try:
        return {m.name: float(v) for m, v in read().items()
                if m.group == "producer-metrics" and m.name in names}  # fmt: skip
    except Exception:  # diagnosis only: never fail a run over it
        return {}


def producer_counters(producer: Any) -> dict[str, float]:
    return _producer_metrics(producer, PRODUCER_COUNTERS)


def producer_gauges(producer: Any) -> dict[str, float]:
    return _producer_metrics(producer, PRODUCER_GAUGES)


def per_partition(rss_kib_delta: int, traced: int | None, partitions: int) -> dict[str, float]:
    """Growth in MiB and per partition in bytes (``traced``: tracemalloc bytes, or None for
    a client whose memory is not Python's)."""
    out = {
        "rss_delta_mib": rss_kib_delta / 1024,
        "rss_bytes_per_partition": rss_kib_delta * 1024 / partitions,
    }
    if traced is not None:
        out |= {"tracemalloc_delta_mib": traced / 2**20,
                "tracemalloc_bytes_per_partition": traced / partitions}  # fmt: skip
    return out


def steady(
    meter: Meter, first: tuple[float, float] | None, end: tuple[float, float], after: int
) -> dict[str, Any]:
    """The window after the first delivered batch (assign, offset lookup and the first
    fetch excluded): its records, seconds and CPU."""
    if first is None or after <= 0:
        return {}
    return {
        "steady_messages": after,
        "steady_seconds": end[0] - first[0],
        "steady_cpu_seconds": end[1] - first[1],
        "first_batch_seconds": meter.seconds - (end[0] - first[0]),
    }


async def idle_window(job: Job, poll: Any) -> dict[str, Any]:
    """Poll for ``idle_warmup_seconds`` (untimed), then meter ``idle_seconds`` of polling
    with nothing to read; prints IDLE_DONE when the window closed."""
    deadline = time.monotonic() + job.idle_warmup_seconds
    delivered = 0
    while time.monotonic() < deadline:
        delivered += sum(len(r) for r in (await poll()).values())
    t0, c0 = time.perf_counter(), cpu_now()
    deadline = time.monotonic() + job.idle_seconds
    while time.monotonic() < deadline:
        delivered += sum(len(r) for r in (await poll()).values())
    seconds, cpu = time.perf_counter() - t0, cpu_now() - c0
    print(IDLE_DONE, flush=True)
    return {
        "idle_seconds": seconds, "idle_cpu_seconds": cpu,
        "idle_core_fraction": cpu / seconds if seconds else 0.0,
        "records_while_idle": delivered, "rss_kib": rss_kib(),
    }  # fmt: skip


def synthetic_metadata(partitions: int, per_topic: int = 1000) -> dict[str, Any]:
    """aiokafka_gen only: a MetadataResponse of ``partitions`` partitions (topics of
    ``per_topic`` partitions, one broker) built with the generated classes, encoded, then
    decoded and applied through ClusterMetadata.update_metadata; time and memory of each."""
    import uuid

    from aiokafka_gen.messages.metadata_response import (
        MetadataResponse,
        MetadataResponseBroker,
        MetadataResponsePartition,
        MetadataResponseTopic,
    )

    from aiokafka_gen.cluster import ClusterMetadata

    version = 12
    topics = []
    for t in range(max(1, partitions // per_topic)):
        count = min(per_topic, partitions - t * per_topic)
        parts = [
            MetadataResponsePartition(0, p, 1, 0, [1], [1], []) for p in range(count)
        ]  # fmt: skip
        topics.append(MetadataResponseTopic(0, f"synthetic-{t}", uuid.uuid4(), False, parts))
    response = MetadataResponse(0, [MetadataResponseBroker(1, "localhost", 9092, None)],
                                "synthetic", 1, topics)  # fmt: skip
    data = response.encode(version)
    del response, topics
    gc.collect()
    decode_s, apply_s = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        decoded = MetadataResponse.decode(data, version)
        t1 = time.perf_counter()
        ClusterMetadata().update_metadata(decoded)
        apply_s.append(time.perf_counter() - t1)
        decode_s.append(t1 - t0)
        del decoded
        gc.collect()
    rss0 = rss_kib()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    decoded = MetadataResponse.decode(data, version)
    after_decode = tracemalloc.get_traced_memory()[0] - base
    cluster = ClusterMetadata()
    cluster.update_metadata(decoded)
    del decoded
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    rss = rss_kib() - rss0
    del cluster
    return {
        "response_bytes": len(data), "version": version,
        "decode_s": statistics.median(decode_s), "apply_s": statistics.median(apply_s),
        "decoded_response_tracemalloc_mib": after_decode / 2**20,
        "held_tracemalloc_mib": held / 2**20, "rss_delta_mib": rss / 1024,
    }  # fmt: skip


# ---- confluent-kafka (librdkafka) -------------------------------------------------------
class ConfluentJob:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.value = payload(100)
        base = {"bootstrap.servers": job.bootstrap, "client.id": "bench-scale"}
        self.pconf = confluent.producer_config(Variant("produce", 1), job.pinned) | base
        self.cconf = confluent.consumer_config(Variant("consume", 1), job.pinned) | base
        self.acked = 0

    def on_delivery(self, err: Any, _msg: Any) -> None:
        if err is None:
            self.acked += 1

    def send(
        self, producer: Any, pairs: list[tuple[str, int]], total: int, keyless: bool = False
    ) -> None:
        produce, poll, value, n = producer.produce, producer.poll, self.value, len(pairs)
        callback, names = self.on_delivery, self.job.topics
        for i in range(total):
            while True:
                try:
                    if keyless:
                        produce(names[i % len(names)], value, on_delivery=callback)
                    else:
                        topic, partition = pairs[i % n]
                        produce(topic, value, partition=partition, on_delivery=callback)
                    break
                except BufferError:
                    poll(0.005)
            if i % 500 == 0:
                poll(0)
        producer.flush()

    def produce(self) -> dict[str, Any]:
        from confluent_kafka import Producer

        job, meter = self.job, Meter()
        producer = Producer(self.pconf)
        producer.produce(job.warmup_topic, self.value)
        producer.flush(30)
        producer.list_topics(timeout=30)
        self.send(producer, job.pairs, len(job.pairs))
        self.acked = 0
        meter.start()
        self.send(producer, job.pairs, job.messages, job.keyless)
        meter.stop()
        return meter.result(self.acked, self.acked * len(self.value)) | {
            "warm_records": len(job.pairs)
        }

    def assignment(self, offset: int) -> list[Any]:
        from confluent_kafka import TopicPartition

        return [TopicPartition(t, p, offset) for t, p in self.job.pairs]

    def consume(self) -> dict[str, Any]:
        from confluent_kafka import OFFSET_BEGINNING, Consumer

        job, meter = self.job, Meter()
        consumer = Consumer(self.cconf)
        consumer.list_topics(timeout=30)
        limit = int(job.pinned["max_poll_records"])
        count = nbytes = after_first = 0
        first: tuple[float, float] | None = None
        try:
            meter.start()
            consumer.assign(self.assignment(OFFSET_BEGINNING))
            while count < job.messages:
                got = 0
                # consume() waits for num_messages or the timeout: never ask for more
                # than are left, or the last call idles for its whole timeout
                wanted = min(limit, job.messages - count)
                for msg in consumer.consume(num_messages=wanted, timeout=1.0):
                    if msg.error() is None:
                        got += 1
                        nbytes += len(msg.value())
                count += got
                if got and first is None:
                    first = (time.perf_counter(), cpu_now())
                elif first is not None:
                    after_first += got
            meter.stop()
            end = (time.perf_counter(), cpu_now())
        finally:
            consumer.close()
        return meter.result(count, nbytes) | steady(meter, first, end, after_first)

    def idle(self) -> dict[str, Any]:
        from confluent_kafka import OFFSET_END, Consumer

        job = self.job
        consumer = Consumer(self.cconf)
        consumer.list_topics(timeout=30)
        try:
            consumer.assign(self.assignment(OFFSET_END))

            async def poll() -> dict[int, list[Any]]:
                # poll(): returns on the first record (consume(500) would wait for 500)
                msg = consumer.poll(1.0)
                return {0: [msg] if msg is not None and msg.error() is None else []}

            out = asyncio.run(idle_window(job, poll))
            deadline = time.monotonic() + 60
            latency = None
            while latency is None and time.monotonic() < deadline:
                msg = consumer.poll(1.0)
                if msg is not None and msg.error() is None:
                    latency = time.time() * 1000.0 - msg.timestamp()[1]
            out["first_record_latency_ms"] = latency
        finally:
            consumer.close()
        return out

    def metadata(self) -> dict[str, Any]:
        from confluent_kafka import Producer

        producer = Producer(self.pconf)
        producer.list_topics(timeout=30)
        times, cpus = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), cpu_now()
            md = producer.list_topics(timeout=60)
            times.append(time.perf_counter() - t0)
            cpus.append(cpu_now() - c0)
        partitions = sum(len(t.partitions) for t in md.topics.values())
        return {
            "real": {
                "topics": len(md.topics), "partitions": partitions,
                "refresh_s": statistics.median(times), "refresh_cpu_s": statistics.median(cpus),
                "note": "list_topics(): librdkafka's metadata request plus its Python objects",
            }
        }  # fmt: skip

    def memory(self) -> dict[str, Any]:
        from confluent_kafka import OFFSET_END, Consumer, Producer

        job = self.job
        out: dict[str, Any] = {"partitions_total": len(job.pairs)}
        consumer, producer = Consumer(self.cconf), Producer(self.pconf)
        consumer.list_topics(timeout=30)
        producer.list_topics(timeout=30)
        time.sleep(1.0)
        r0 = rss_kib()
        consumer.assign(self.assignment(OFFSET_END))
        for _ in range(5):
            consumer.consume(num_messages=500, timeout=0.3)
        r1 = rss_kib()
        out["consumer"] = per_partition(r1 - r0, None, len(job.pairs))
        self.send(producer, job.pairs, len(job.pairs))
        r2 = rss_kib()
        out["producer"] = per_partition(r2 - r1, None, len(job.pairs))
        consumer.close()
        return out


def execute(job: Job) -> dict[str, Any]:
    entry = client(job.client)
    if entry.module == "confluent":
        runner: Any = ConfluentJob(job)
        result: dict[str, Any] = getattr(runner, job.kind)()
    else:
        api = ApiJob(job)
        result = asyncio.run(getattr(api, job.kind)())
    result["peak_rss_kib"] = peak_rss_kib()
    if entry.is_aiokafka_gen:
        result["implementation"] = implementation()
    return result


def main(argv: list[str] | None = None) -> int:
    return serve(argv, lambda text: execute(Job.from_json(text)))


if __name__ == "__main__":
    sys.exit(main())
