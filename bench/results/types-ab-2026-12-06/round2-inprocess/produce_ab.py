"""One timed produce run of the client bench's loop, in one process, against a broker that
is already up (the A/B of issue #20, round 2): ``python produce_ab.py BOOTSTRAP TOPIC N
PARTITIONS ACKS``, with PYTHONPATH naming the tree to measure. Prints one JSON line: msg/s,
CPU and GC microseconds per record, GC-tracked objects at the start, collections per
generation. The topics (TOPIC and TOPIC-warm) must exist."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

import aiokafka_gen


class GcClock:
    """Wall time spent in the cyclic GC while installed."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


async def run(bootstrap: str, topic: str, n: int, acks: str) -> dict[str, Any]:
    producer = aiokafka_gen.AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id="bench", acks="all" if acks == "all" else 1,
        linger_ms=5, max_batch_size=16384, enable_idempotence=False,
        request_timeout_ms=30000, max_request_size=1 << 20, retry_backoff_ms=100,
    )  # fmt: skip
    await producer.start()
    await producer.send_and_wait(topic + "-warm", b"x" * 100)
    await producer.partitions_for(topic)
    tracked, value, done, count = len(gc.get_objects()), b"v" * 100, asyncio.Event(), [0]

    def on_done(_: object) -> None:
        count[0] += 1
        if count[0] == n:
            done.set()

    clock, before = GcClock(), gc.get_stats()
    gc.callbacks.append(clock)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        (await producer.send(topic, value)).add_done_callback(on_done)
    await producer.flush()
    await done.wait()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.callbacks.remove(clock)
    after = gc.get_stats()
    await producer.stop()
    return {
        "tree": aiokafka_gen.__file__.split("/")[2], "rate": n / wall, "cpu_us": cpu / n * 1e6,
        "gc_us": clock.total / n * 1e6, "tracked": tracked,
        "colls": [b["collections"] - a["collections"] for a, b in zip(before, after, strict=True)],
    }  # fmt: skip


if __name__ == "__main__":
    bootstrap, topic, n, _partitions, acks = sys.argv[1:6]
    print(json.dumps(asyncio.run(run(bootstrap, topic, int(n), acks))))
