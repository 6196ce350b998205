"""Runs the client matrix against one broker: topics first, then the fairness check, then
every (repetition, variant, client) in its own worker subprocess; medians at the end.

Per run the runner verifies counts: a produce run must leave exactly ``messages`` records in
its fresh topic (acknowledged = stored), a consume run must deliver at least ``messages``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import Client, availability
from .harness import Broker
from .matrix import MIB, Matrix, Run, Variant, payload
from .stats import derive, medians

ROOT = Path(__file__).resolve().parent.parent
WARMUP_TOPIC = "bench-warmup"


@dataclass
class Outcome:
    """Everything the report needs from one benchmark run."""

    results: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fairness: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    jvm_baseline_cpu_s: dict[str, float] = field(default_factory=dict)


def call_worker(entry: Client, run: Run) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; {"error": ...} when it failed."""
    env = {k: v for k, v in os.environ.items() if k != "AIOKAFKA_NO_EXTENSIONS"} | entry.env
    argv = [sys.executable, "-m", "bench.worker", run.to_json()]
    limit = run.variant.timeout_s
    try:
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=limit
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {limit:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"worker exited {done.returncode}: {done.stderr[-1500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    if "error" in result:
        result["error"] += " | " + done.stderr.strip().splitlines()[-1] if done.stderr else ""
    return result


class Runner:
    """Drives one matrix for a list of clients against ``broker``."""

    def __init__(self, broker: Broker, m: Matrix, clients: list[Client]) -> None:
        self.broker, self.m = broker, m
        self.clients: list[Client] = []
        self.out = Outcome()
        self._serial = 0
        for entry in clients:
            reason = availability(entry)
            if reason is None:
                self.clients.append(entry)
            else:
                self.out.skipped[entry.name] = reason
                print(f"  {entry.name}: {reason}", flush=True)

    # ---- topics ------------------------------------------------------------------------
    def _topic(self, prefix: str, partitions: int) -> str:
        self._serial += 1
        name = f"bench-{prefix}-{self._serial}"
        self.broker.create({name: partitions})
        return name

    def _run(self, entry: Client, variant: Variant, topic: str) -> Run:
        return Run(entry.name, variant, self.broker.bootstrap, topic, WARMUP_TOPIC)

    def _java(self) -> Client | None:
        return next((c for c in self.clients if c.name == "java"), None)

    def prepare(self) -> dict[int, str]:
        """Warm-up topic and one prefilled topic per consume size (filled once, by the Java
        producer when available, else by the first client that can produce). The smallest
        fill doubles as the filler's own fairness check (read back, counted, compared)."""
        self.broker.create({WARMUP_TOPIC: 1})
        filled: dict[int, str] = {}
        sizes = {v.messages for v in self.m.variants if v.kind == "consume"}
        sizes.add(self.m.check_messages)
        filler = self._java() or next(c for c in self.clients if c.supports(Variant("produce", 1)))
        for n in sorted(sizes):
            topic = self._topic(f"consume-{n}", 1)
            fill = Variant("produce", n, acks="all", batch_bytes=MIB)
            result = call_worker(filler, self._run(filler, fill, topic))
            if n == self.m.check_messages:
                self._check_produced(filler, result, topic, 1, fill)
            elif self.broker.count(topic, 1) != n:
                raise RuntimeError(f"prefill of {topic} did not store {n} records: {result}")
            filled[n] = topic
            print(f"  prefilled {topic} with {n} records ({filler.name})", flush=True)
        return filled

    def _check_produced(
        self, entry: Client, result: dict[str, Any], topic: str, partitions: int, v: Variant
    ) -> None:
        count, wrong = self.broker.read_back(topic, partitions, payload(v.value_size))
        self.out.fairness.setdefault(entry.name, {})["produced"] = {
            "acked": result.get("messages"), "read_back": count, "wrong_value": wrong,
            "ok": count == v.messages and wrong == 0, "error": result.get("error"),
        }  # fmt: skip
        if entry.name == "java":
            self.out.jvm_baseline_cpu_s["produce"] = float(result.get("cpu_seconds", 0.0))

    # ---- fairness --------------------------------------------------------------------------
    def fairness(self, filled: dict[int, str]) -> None:
        """Before timing: each client's produced records are read back, counted and compared
        with the payload; each client's consumer must deliver the prefilled count. The Java
        tools' CPU in these short runs (JVM start-up, little work) is their CPU baseline."""
        n = self.m.check_messages
        for entry in self.clients:
            row = self.out.fairness.setdefault(entry.name, {})
            produce = Variant("produce", n, partitions=6)
            if entry.supports(produce) and "produced" not in row:
                topic = self._topic("check", 6)
                result = call_worker(entry, self._run(entry, produce, topic))
                self._check_produced(entry, result, topic, 6, produce)
                self.broker.delete(topic)
            consume = Variant("consume", n)
            if entry.supports(consume):
                result = call_worker(entry, self._run(entry, consume, filled[n]))
                got = int(result.get("messages", 0))
                row["consumed"] = {"delivered": got, "ok": got >= n, "error": result.get("error")}
                if entry.name == "java":
                    self.out.jvm_baseline_cpu_s["consume"] = float(result.get("cpu_seconds", 0.0))
            row["ok"] = all(part["ok"] for part in row.values() if isinstance(part, dict))
            print(f"  fairness {entry.name}: {'ok' if row['ok'] else row}", flush=True)

    # ---- timed runs ------------------------------------------------------------------------
    def measure(self, entry: Client, variant: Variant, filled: dict[int, str]) -> dict[str, Any]:
        """One timed run with its count check; metrics (or an error) for the table."""
        fresh = variant.kind != "consume"
        topic = self._topic(variant.kind, variant.partitions) if fresh else filled[variant.messages]
        result = call_worker(entry, self._run(entry, variant, topic))
        if "error" not in result and fresh:
            stored = self.broker.count(topic, variant.partitions)
            # pipeline: + one untimed primer record per partition
            expected = variant.messages + (variant.partitions if variant.kind == "pipeline" else 0)
            if stored != expected:
                result = {"error": f"{stored} records stored, {expected} sent"}
        if fresh:
            self.broker.delete(topic)
        if "error" in result:
            return result
        if int(result["messages"]) < variant.messages:
            return {"error": f"only {result['messages']} of {variant.messages} counted"}
        if entry.name == "java":
            base = self.out.jvm_baseline_cpu_s.get(variant.kind, 0.0)
            result["cpu_seconds"] = max(0.0, float(result["cpu_seconds"]) - base)
        if entry.name not in self.out.paths:
            self.out.paths[entry.name] = path = str(result.get("path", ""))
            print(f"  {entry.name} ran: {path}", flush=True)
            if entry.name == "aiokafka" and path != "C extension":
                print("  WARNING: aiokafka's C extension did NOT load (pure Python)", flush=True)
        self.out.configs.setdefault(entry.name, {})[variant.key] = result.get("config")
        return derive(result)

    def timed(self, filled: dict[int, str]) -> None:
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        total = self.m.repetitions * sum(
            1 for v in self.m.variants for c in self.clients if c.supports(v)
        )
        done = 0
        self._warm_broker()
        for rep in range(self.m.repetitions):
            for variant in self.m.variants:
                order = rotated(self.clients, rep)
                for entry in order:
                    if not entry.supports(variant):
                        continue
                    done += 1
                    began = time.monotonic()
                    metrics = self.measure(entry, variant, filled)
                    runs.setdefault((variant.key, entry.name), []).append(metrics)
                    took = time.monotonic() - began
                    print(f"  [{done}/{total}] {variant.key} {entry.name}: "
                          f"{_short(metrics)} ({took:.1f} s)", flush=True)  # fmt: skip
        self._aggregate(runs)

    def _warm_broker(self) -> None:
        """One untimed latency run before the timed ones. Without it, whichever client ran
        produce-latency first paid a first-run penalty (measured: p50 +0.08 ms, p99 about
        doubled, in that run only), most likely the broker warming its path for thousands
        of one-record Produce requests, which the large batches before do not take."""
        latency = [v for v in self.m.variants if v.kind == "latency"]
        first = next((c for c in self.clients for v in latency if c.supports(v)), None)
        if first is None:
            return
        for variant in latency:
            result = self.measure(first, variant, {})
            print(f"  broker warm-up (untimed) {variant.key} {first.name}: {_short(result)}",
                  flush=True)  # fmt: skip

    def _aggregate(self, runs: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        for (key, name), reps in runs.items():
            good = [r for r in reps if "error" not in r]
            cell: dict[str, Any] = medians(good) if good else {}
            cell["repetitions"] = len(good)
            errors = [r["error"] for r in reps if "error" in r]
            if errors:
                cell["errors"] = errors
            self.out.results.setdefault(key, {})[name] = cell

    def mark_not_applicable(self) -> None:
        """Cells a client cannot run are recorded with the reason."""
        for variant in self.m.variants:
            row = self.out.results.setdefault(variant.key, {})
            for entry in self.clients:
                if not entry.supports(variant):
                    row[entry.name] = {"n/a": "no such mode in this client's tools"}
            for name, reason in self.out.skipped.items():
                row[name] = {"n/a": reason}


def rotated(items: list[Client], shift: int) -> list[Client]:
    """``items`` rotated left by ``shift``: each repetition starts with another client, so
    no client always runs first (cold broker) or last."""
    if not items:
        return []
    k = shift % len(items)
    return items[k:] + items[:k]


def _short(metrics: dict[str, Any]) -> str:
    if "error" in metrics:
        return f"ERROR {metrics['error'][:300]}"
    text = f"{metrics['msgs_per_s']:,.0f} msg/s, {metrics['cpu_s_per_m']:.1f} CPU-s/M"
    if "p99_ms" in metrics:
        text += f", p50 {metrics['p50_ms']:.2f} ms, p99 {metrics['p99_ms']:.2f} ms"
    return text


def run_matrix(broker: Broker, m: Matrix, clients: list[Client]) -> Outcome:
    """Prepare topics, check fairness, run every repetition; returns the outcome."""
    runner = Runner(broker, m, clients)
    print("preparing topics", flush=True)
    filled = runner.prepare()
    print("fairness check (records read back and counted)", flush=True)
    runner.fairness(filled)
    print(f"timed runs: {m.repetitions} repetition(s)", flush=True)
    runner.timed(filled)
    runner.mark_not_applicable()
    order = [entry.name for entry in clients]
    for key, row in runner.out.results.items():
        runner.out.results[key] = {name: row[name] for name in order if name in row}
    return runner.out
