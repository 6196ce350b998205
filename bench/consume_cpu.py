"""Consumer CPU micro-benchmark: getmany / ``async for`` CPU per record, ours vs aiokafka.

A focused companion of the client suite's consume-100B scenario for profiling work on
the consumer's hot path. Fills a topic once (100-byte values, no key, 1 MiB batches,
through aiokafka_gen's producer), then reads it back from earliest in one fresh
subprocess per (client, mode, repetition) with the same consumer settings as the client
suite (``bench.matrix.PINNED``), and prints wall time, msgs/s and CPU seconds per million
records (``getrusage`` of the subprocess around assign + read, as the suite meters it).
``--profile DIR`` writes a cProfile dump of each of our runs there. ``--decode`` needs no
broker: it times our batch decoder alone (ns per record, best of 25 rounds) on batches
shaped like the scenario's (100-byte values, no key), in 500-record chunks as getmany
takes them and whole, with ConsumerRecord construction next to a plain tuple's.

    python -m bench.consume_cpu --bootstrap HOST:PORT [--messages N] [--topic T]
    python -m bench.consume_cpu --clients aiokafka_gen,aiokafka_gen-pure,aiokafka
    python -m bench.consume_cpu --decode

Without ``--bootstrap`` a one-node harness cluster (``aiokafka_gen.testing``) is started
and stopped. Not a test: it measures, it asserts only that every record was read.

Which implementation of aiokafka_gen was measured (compiled or pure, per module) is printed
with every result: ``--decode`` runs in this process (set ``AIOKAFKA_GEN_NO_EXTENSIONS=1``
to time the pure decoder), the getmany/iterator workers run like the client suite's
(``aiokafka_gen`` as built, ``aiokafka_gen-pure`` with ``AIOKAFKA_GEN_NO_EXTENSIONS=1``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from .implementation import NO_EXTENSIONS, implementation, label, worker_env
from .matrix import PINNED, payload

CONSUMER_KEYS = (
    "fetch_max_wait_ms", "fetch_min_bytes", "fetch_max_bytes", "max_partition_fetch_bytes",
    "check_crcs", "auto_offset_reset", "enable_auto_commit", "isolation_level",
)  # fmt: skip


async def _fill(bootstrap: str, topic: str, messages: int, size: int) -> None:
    import aiokafka_gen
    from aiokafka_gen.testing import _admin

    await _admin.create_topic(bootstrap, topic, 1, 1, {})
    producer = aiokafka_gen.AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1 << 20
    )
    await producer.start()
    try:
        value = payload(size)
        for _ in range(messages):
            await producer.send(topic, value)
        await producer.flush()
    finally:
        await producer.stop()


async def _consume(
    module: Any, bootstrap: str, topic: str, total: int, mode: str
) -> dict[str, Any]:
    options = {k: PINNED[k] for k in CONSUMER_KEYS}
    consumer = module.AIOKafkaConsumer(
        bootstrap_servers=bootstrap, client_id="bench", group_id=None, **options
    )
    await consumer.start()
    limit = int(PINNED["max_poll_records"])
    try:
        cpu0, wall0 = _cpu(), time.perf_counter()
        tp = module.TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        count = nbytes = 0
        if mode == "iter":
            async for record in consumer:
                count += 1
                nbytes += len(record.value)
                if count >= total:
                    break
        else:
            while count < total:
                batches = await consumer.getmany(timeout_ms=1000, max_records=limit)
                for records in batches.values():
                    count += len(records)
                    for record in records:
                        nbytes += len(record.value)
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    finally:
        await consumer.stop()
    return {"count": count, "bytes": nbytes, "wall": wall, "cpu": cpu}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _module_name(client: str) -> str:
    """``aiokafka_gen-pure`` is aiokafka_gen in a worker without extensions."""
    return client.removesuffix("-pure") if client.startswith("aiokafka_gen") else client


def _worker(args: argparse.Namespace) -> None:
    import importlib

    module = importlib.import_module(_module_name(args.client))
    if args.no_gc:
        import gc

        gc.disable()
    work = _consume(module, args.bootstrap, args.topic, args.messages, args.mode)
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, work)
        profiler.dump_stats(args.profile_out)
    else:
        result = asyncio.run(work)
    import gc

    result["gc_collections"] = [g["collections"] for g in gc.get_stats()]
    if module.__name__ == "aiokafka_gen":
        result["implementation"] = implementation()
    print(json.dumps(result))


def _run_one(args: argparse.Namespace, client: str, mode: str, rep: int) -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "bench.consume_cpu", "--worker", "--client", client,
        "--mode", mode, "--bootstrap", args.bootstrap, "--topic", args.topic,
        "--messages", str(args.messages), *(["--no-gc"] if args.no_gc else []),
    ]  # fmt: skip
    if args.profile and client.startswith("aiokafka_gen"):
        cmd += ["--profile-out", f"{args.profile}/{client}-{mode}-{rep}.prof"]
    env = worker_env({NO_EXTENSIONS: "1"} if client == "aiokafka_gen-pure" else {})
    limit = 120 + args.messages / 10_000  # seconds: a worker whose topic holds too few
    try:  # records would otherwise wait for them forever
        out = subprocess.run(
            cmd, check=True, capture_output=True, text=True, timeout=limit, env=env
        ).stdout
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"{client} did not read {args.messages} records from {args.topic} in {limit:.0f} s"
            " (does the topic exist and hold that many?)"
        ) from None
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if result["count"] < args.messages:
        raise RuntimeError(f"{client} read {result['count']} of {args.messages}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.consume_cpu")
    parser.add_argument("--bootstrap")
    parser.add_argument("--topic")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--clients", default="aiokafka_gen,aiokafka", help="also: aiokafka_gen-pure"
    )
    parser.add_argument("--modes", default="batch,iter")
    parser.add_argument("--profile", help="directory for cProfile dumps of our runs")
    parser.add_argument("--no-gc", action="store_true", help="diagnostics: gc.disable()")
    parser.add_argument("--decode", action="store_true", help="time the decoder alone")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    if args.decode:
        _decode_report()
        return
    cluster = None
    if args.bootstrap is None:
        from aiokafka_gen.testing import KafkaCluster

        cluster = KafkaCluster().start()
        args.bootstrap = cluster.bootstrap()
    try:
        if args.topic is None:
            args.topic = f"consume-cpu-{uuid.uuid4().hex[:8]}"
            asyncio.run(_fill(args.bootstrap, args.topic, args.messages, args.size))
            print(f"filled {args.topic} with {args.messages} records", flush=True)
        _report(args)
    finally:
        if cluster is not None:
            cluster.stop()


def _decode_report() -> None:
    from aiokafka_gen.consumer._records import CompletedFetch, decode_batch
    from aiokafka_gen.consumer.subscription_state import SubscriptionState
    from aiokafka_gen.records import BatchBuilder, RecordBatch, read_batches
    from aiokafka_gen.structs import ConsumerRecord, TopicPartition

    modules = implementation()
    print(f"measuring {label('aiokafka_gen', modules)}: {modules}", flush=True)
    value, tp = payload(100), TopicPartition("t", 0)

    def batch(n: int) -> RecordBatch:
        builder = BatchBuilder(max_batch_size=1 << 23)
        for i in range(n):
            builder.append(1_764_000_000_000 + i // 200, None, value)
        found = next(iter(read_batches(builder.close(0))))
        assert isinstance(found, RecordBatch)
        return found

    def getmany_style(b: RecordBatch) -> None:
        subs = SubscriptionState()
        subs.assign_from_user([tp])
        state = subs.state(tp)
        state.seek(0)
        fetch = CompletedFetch(tp, state.seq, [b], None, 0, (None, None), state)
        while fetch.take(500, state):
            pass

    def construct(n: int) -> None:
        cr = ConsumerRecord
        for i in range(n):
            cr("t", 0, i, 0, 0, None, value, None, -1, 100, ())

    def tuples(n: int) -> None:
        for i in range(n):
            ("t", 0, i, 0, 0, None, value, None, -1, 100, ())  # noqa: B018

    def best(fn: Any, arg: Any, n: int) -> float:
        times = []
        for _ in range(25):
            begin = time.process_time()
            fn(arg)
            times.append(time.process_time() - begin)
        return min(times) / n * 1e9

    for n in (9000, 500):
        b = batch(n)
        print(
            f"{n}-record batch: getmany-style take(500) {best(getmany_style, b, n):.0f} ns/record,"
            f" decode_batch whole {best(lambda x: decode_batch(x, 't', 0), b, n):.0f} ns/record"
        )
    print(
        f"ConsumerRecord(11 args) {best(construct, 100_000, 100_000):.0f} ns,"
        f" 11-tuple {best(tuples, 100_000, 100_000):.0f} ns (loop included in both)"
    )


def _report(args: argparse.Namespace) -> None:
    print("| client | mode | msgs/s | CPU s per 1M | wall s (median of reps) |")
    print("|---|---|---:|---:|---:|")
    measured: dict[str, Any] = {}
    for mode in args.modes.split(","):
        for client in args.clients.split(","):
            runs = [_run_one(args, client, mode, rep) for rep in range(args.reps)]
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            per_m = cpu * 1e6 / args.messages
            modules = runs[0].get("implementation")
            if modules is not None:
                measured[client] = modules
            print(
                f"| {label(client, modules)} | {mode} | {args.messages / wall:,.0f} | "
                f"{per_m:.2f} | {wall:.2f} | gc {runs[0]['gc_collections']}",
                flush=True,
            )
    for client, modules in measured.items():
        print(f"{client} measured: {label(client, modules)} {modules}")


if __name__ == "__main__":
    main()
