"""``python -m bench.scale`` (``make bench-scale``): cost curves at scale (issue #25 item 1).

One local broker from the harness (``bench.harness.broker``), every measurement in its own
worker process (``bench.scale.worker``), the clients' settings from the main bench's
adapters. Parts (``--parts``): ``curves`` (produce-100B / consume-100B over 1 .. 5000
partitions of one topic and over 1000 one-partition topics), ``idle`` (a consumer on 5000
mostly idle partitions: CPU while waiting, latency of the first record), ``metadata``
(a full refresh on a real broker padded to 10k partitions; for aiokafka_gen also
synthetic 10k / 50k-partition MetadataResponses) and ``memory`` (per partition held by
consumer and producer, per idle connection). See bench/README.md, "Scale".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..adapters import Client, availability, client
from ..harness import Broker, broker
from ..implementation import label, probe, worker_env
from ..report import machine, versions
from ..runner import ROOT, rotated
from .plan import (
    KINDS,
    Point,
    Profile,
    charts,
    curve_metrics,
    document,
    markdown,
    median_cell,
    out_dir,
    parse,
    profile_of,
)
from .worker import IDLE_DONE, Job

WARMUP_TOPIC = "scale-warmup"
CREATE_CHUNK = 200  # topics per CreateTopics call
CONSUME_UNITS = 2  # a consume run reads this many produce runs' worth (from the earliest)


def call(entry: Client, job: Job, timeout: float, on_line: Any = None) -> dict[str, Any]:
    """Run one job in a fresh worker process under the client's environment; ``on_line`` is
    called with every stdout line that is not the result (the idle handshake)."""
    argv = [sys.executable, "-m", "bench.scale.worker", job.to_json()]
    proc = subprocess.Popen(argv, cwd=ROOT, env=worker_env(entry.env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + timeout
    result: dict[str, Any] | None = None
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("{"):
                result = json.loads(line)
            elif on_line is not None:
                on_line(line.strip())
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(argv, timeout)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return {"error": f"timed out after {timeout:.0f} s"}
    stderr = proc.stderr.read() if proc.stderr else ""
    if result is None:
        return {"error": f"worker exited {proc.returncode}: {stderr[-1500:]}"}
    if "error" in result and stderr.strip():
        result["error"] += " | " + stderr.strip().splitlines()[-1]
    return result


class Scale:
    """One run of the scale benchmark against ``admin``'s broker."""

    def __init__(self, admin: Broker, prof: Profile, clients: list[Client]) -> None:
        self.admin, self.prof, self.clients = admin, prof, clients
        self.topics: dict[str, list[str]] = {}  # point name -> topic names
        self.implementations: dict[str, dict[str, str]] = {}
        self.notes: list[str] = []

    def job(self, entry: Client, kind: str, point: Point, **extra: Any) -> Job:
        return Job(entry.name, kind, self.admin.bootstrap, self.topics[point.name],
                   point.partitions, warmup_topic=WARMUP_TOPIC, **extra)  # fmt: skip

    def _record(self, entry: Client, result: dict[str, Any]) -> None:
        modules = result.pop("implementation", None)
        if modules is not None:
            self.implementations[entry.name] = modules

    # ---- topics ------------------------------------------------------------------------
    def ensure(self, point: Point) -> list[str]:
        if point.name in self.topics:
            return self.topics[point.name]
        began = time.monotonic()
        if point.topics == 1:
            names = [f"scale-{point.name}"]
        else:
            names = [f"scale-{point.name}-{i}" for i in range(point.topics)]
        for start in range(0, len(names), CREATE_CHUNK):
            self.admin.create({n: point.partitions for n in names[start : start + CREATE_CHUNK]})
        self.topics[point.name] = names
        print(f"  created {point.label} in {time.monotonic() - began:.1f} s", flush=True)
        return names

    def stored(self, point: Point) -> int:
        return sum(self.admin.count(t, point.partitions) for t in self.topics[point.name])

    # ---- parts -------------------------------------------------------------------------
    def curves(self) -> dict[str, Any]:
        runs: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for point in self.prof.points:
            self.ensure(point)
        for rep in range(self.prof.repetitions):
            for point in self.prof.points:
                order = rotated(self.clients, rep)
                for kind in KINDS:
                    messages = self.prof.messages
                    if kind == "consume":  # the same work in every repetition
                        messages = min(self.stored(point), CONSUME_UNITS * messages)
                    for entry in order:
                        job = self.job(entry, kind.partition("-")[0], point, messages=messages,
                                       keyless=kind == "produce-keyless")  # fmt: skip
                        began = time.monotonic()
                        raw = call(entry, job, timeout=120 + messages / 2000)
                        self._record(entry, raw)
                        metrics = raw if "error" in raw else curve_metrics(raw)
                        runs.setdefault((point.name, entry.name, kind), []).append(metrics)
                        print(f"  [rep {rep + 1}] {point.name} {kind} {entry.name}: "
                              f"{_short(metrics)} ({time.monotonic() - began:.1f} s)",
                              flush=True)  # fmt: skip
        out: dict[str, Any] = {}
        for point in self.prof.points:
            row = out.setdefault(point.name, {})
            for entry in self.clients:
                row[entry.name] = {
                    kind: median_cell(runs.get((point.name, entry.name, kind), []))
                    for kind in KINDS
                }
        return out

    def idle(self) -> dict[str, Any]:
        from confluent_kafka import Producer

        point = Point(1, self.prof.idle_partitions)
        topic = self.ensure(point)[0]
        producer = Producer({"bootstrap.servers": self.admin.bootstrap, "linger.ms": 0,
                             "acks": "1"})  # fmt: skip
        producer.list_topics(topic, timeout=30)
        out: dict[str, Any] = {}
        for entry in self.clients:
            produced: dict[str, float] = {}

            def on_line(line: str, sent: dict[str, float] = produced) -> None:
                if line == IDLE_DONE:
                    t0 = time.perf_counter()
                    producer.produce(topic, b"x" * 100, partition=point.partitions // 2)
                    producer.flush(30)
                    sent["ack_ms"] = (time.perf_counter() - t0) * 1000.0

            job = self.job(entry, "idle", point, idle_seconds=self.prof.idle_seconds,
                           idle_warmup_seconds=self.prof.idle_warmup_seconds)  # fmt: skip
            timeout = 180 + self.prof.idle_seconds + self.prof.idle_warmup_seconds
            raw = call(entry, job, timeout=timeout, on_line=on_line)
            self._record(entry, raw)
            raw |= {"producer_ack_ms": produced.get("ack_ms")}
            out[entry.name] = raw if "error" not in raw else {"errors": [raw["error"]]}
            print(f"  idle {entry.name}: {_idle_short(raw)}", flush=True)
        return out

    def metadata(self) -> dict[str, Any]:
        target = self.prof.metadata_target
        md = self.admin.admin.list_topics(timeout=60)
        have = sum(len(t.partitions) for t in md.topics.values())
        if target > have:
            pad = Point(1, target - have)
            self.ensure(pad)
            print(f"  padded the cluster from {have:,} to {target:,} partitions", flush=True)
        out: dict[str, Any] = {}
        for entry in self.clients:
            job = Job(entry.name, "metadata", self.admin.bootstrap,
                      synthetic=list(self.prof.synthetic))  # fmt: skip
            raw = call(entry, job, timeout=600)
            self._record(entry, raw)
            out[entry.name] = raw if "error" not in raw else {"errors": [raw["error"]]}
            print(f"  metadata {entry.name}: {json.dumps(raw)[:400]}", flush=True)
        return out

    def memory(self) -> dict[str, Any]:
        point = Point(1, self.prof.memory_partitions)
        self.ensure(point)
        out: dict[str, Any] = {}
        for entry in self.clients:
            connections = 0 if entry.module == "confluent" else self.prof.connections
            job = self.job(entry, "memory", point, connections=connections)
            raw = call(entry, job, timeout=600)
            self._record(entry, raw)
            out[entry.name] = raw if "error" not in raw else {"errors": [raw["error"]]}
            print(f"  memory {entry.name}: {json.dumps(raw)[:400]}", flush=True)
        return out

    def group(self) -> dict[str, Any]:
        """aiokafka_gen: classic (cooperative-sticky) and consumer (KIP-848); aiokafka:
        classic with its default assignor (round-robin, eager). One column each, the pure
        aiokafka_gen and confluent-kafka skipped (the coordinator is the same code / not
        ours)."""
        point = Point(1, self.prof.group_partitions)
        self.ensure(point)
        out: dict[str, Any] = {}
        for entry in self.clients:
            if entry.module == "confluent" or entry.env:
                continue
            protocols = ("classic", "consumer") if entry.is_aiokafka_gen else ("classic",)
            for protocol in protocols:
                job = self.job(entry, "group", point, members=self.prof.group_members,
                               protocol=protocol)  # fmt: skip
                raw = call(entry, job, timeout=900)
                self._record(entry, raw)
                key = f"{entry.name} {protocol}"
                out[key] = raw if "error" not in raw else {"errors": [raw["error"]]}
                print(f"  group {key}: {json.dumps(raw)[:400]}", flush=True)
        return out


def _short(metrics: dict[str, Any]) -> str:
    if "error" in metrics:
        return f"ERROR {str(metrics['error'])[:300]}"
    text = (f"{metrics['msgs_per_s']:,.0f} rec/s, {metrics['cpu_us_per_record']:.2f} us CPU/rec, "
            f"{metrics['messages']:,.0f} in {metrics['seconds']:.2f} s")  # fmt: skip
    if "steady_cpu_us_per_record" in metrics:
        text += (f"; steady {metrics['steady_msgs_per_s']:,.0f} rec/s, "
                 f"{metrics['steady_cpu_us_per_record']:.2f} us/rec, first batch after "
                 f"{metrics['first_batch_seconds']:.2f} s")  # fmt: skip
    return text


def _idle_short(raw: dict[str, Any]) -> str:
    if "error" in raw:
        return f"ERROR {str(raw['error'])[:300]}"
    return (f"{raw['idle_core_fraction']:.2%} of a core over {raw['idle_seconds']:.1f} s, "
            f"first record after {raw.get('first_record_latency_ms') or -1:.1f} ms")  # fmt: skip


def run(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    prof = profile_of(args)
    out = out_dir(args)
    out.mkdir(parents=True, exist_ok=True)
    clients, skipped = [], {}
    for name in args.clients:
        entry = client(name)
        reason = availability(entry)
        if reason is None:
            clients.append(entry)
        else:
            skipped[name] = reason
            print(f"  {name}: {reason}", flush=True)
    probed: dict[str, dict[str, str]] = {}
    for entry in clients:
        if entry.is_aiokafka_gen:
            modules = probe(entry.env)
            if "error" not in modules:
                probed[entry.name] = modules
                print(f"implementation: {label(entry.name, modules)}", flush=True)
    print(f"scale benchmark, {prof.name} profile (about {prof.minutes:g} min on 2 cores), "
          f"parts {', '.join(args.parts)}", flush=True)  # fmt: skip
    load_start = [round(x, 2) for x in os.getloadavg()]
    began = time.monotonic()
    results: dict[str, Any] = {}

    def save(scale: Scale, kafka: str, final: bool) -> str:
        """Write latest.json / latest.md / charts (after every part: a run cut short keeps
        what it measured)."""
        implementations = probed | scale.implementations
        labels = {e.name: label(e.name, implementations.get(e.name)) if e.is_aiokafka_gen
                  else e.name for e in clients}  # fmt: skip
        meta = {
            "machine": machine() | {"load_average_at_start": load_start},
            "versions": versions(kafka),
            "seconds": round(time.monotonic() - began),
            "complete": final,
            "parts": list(args.parts),
            "skipped": skipped,
            "other_jobs": os.environ.get("BENCH_SCALE_LOAD_NOTE", ""),
            "notes": scale.notes,
        }
        doc = document(prof, [e.name for e in clients], labels, results, meta)
        paths = charts(doc, out)
        doc["charts"] = [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)
                         for p in paths]  # fmt: skip
        (out / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
        text = markdown(doc)
        (out / "latest.md").write_text(text)
        return text

    with broker() as (cluster, admin):
        print(f"broker: Kafka {cluster.version} at {admin.bootstrap}", flush=True)
        admin.create({WARMUP_TOPIC: 1})
        scale = Scale(admin, prof, clients)
        for part in args.parts:
            part_began = time.monotonic()
            print(f"\n=== {part} ===", flush=True)
            results[part] = getattr(scale, part)()
            results.setdefault("part_seconds", {})[part] = round(time.monotonic() - part_began)
            save(scale, cluster.version, final=False)
        text = save(scale, cluster.version, final=True)
    print("\n" + text)
    print(f"wrote {out / 'latest.json'}, {out / 'latest.md'} and charts "
          f"in {time.monotonic() - began:.0f} s")  # fmt: skip
    return 0


def main() -> int:
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
