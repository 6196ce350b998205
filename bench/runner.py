"""Runs the client matrix against one broker: topics first, then the fairness check, then
every (repetition, variant, client) in its own worker subprocess; medians at the end.

Per run the runner verifies counts: a produce run must leave exactly ``messages`` records in
its fresh topic (acknowledged = stored), a consume run must deliver at least ``messages``.

Time floor (``Matrix.min_seconds``): a variant's ``messages`` is one unit of work. When a
client's timed window is shorter than the floor, that run is discarded and repeated at once
with a whole multiple of units sized from its rate (aiming at ``FLOOR_TARGET`` times the
floor); the multiple is kept for the client's later repetitions, so every repetition of a
cell does the same work, and the floor holds for every kept run. Slow clients keep one unit.
All consume runs read one topic, prefilled once and extended (never rewritten) when a
multiple needs more records than it holds; so do the share-group runs, each as a new share
group reading from the earliest offset."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .adapters import Client, availability
from .harness import Broker
from .implementation import VARIED, summary, worker_env
from .matrix import MIB, Matrix, Run, Variant, jvm_records, payload
from .stats import derive, medians

ROOT = Path(__file__).resolve().parent.parent
WARMUP_TOPIC = "bench-warmup"
READERS = ("consume", "share")  # kinds that read the shared consume topic
# a share run's first poll is not timed and can bring a whole fetch: up to ~10k 100 B
# records in one MiB (confluent-kafka's first poll ignores max.poll.records)
SHARE_FIRST_POLL = 50_000
FLOOR_TARGET = 1.3  # a resized run aims at 1.3 x the floor: load moves rates between runs
MAX_RESIZES = 3  # re-runs of one run that came in under the floor
MAX_UNITS = 100  # the largest multiple of a variant's unit (a run above it is flagged short)


@dataclass
class Outcome:
    """Everything the report needs from one benchmark run."""

    results: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fairness: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # aiokafka_gen clients: module -> "compiled"/"pure", as their workers reported it
    # ("varied" for a module whose implementation changed between runs)
    implementations: dict[str, dict[str, str]] = field(default_factory=dict)
    # time floor: per variant key and client, the unit multiple used and the re-runs it took
    sizing: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # warnings for the report


def units_for(rate: float, unit: int, floor: float, current: int) -> int:
    """The multiple of ``unit`` messages that makes a run at ``rate`` msgs/s last
    ``FLOOR_TARGET * floor`` seconds; always above ``current`` (the run that was too short),
    at most ``MAX_UNITS``."""
    wanted = math.ceil(FLOOR_TARGET * floor * rate / unit) if rate > 0 else 2 * current
    return max(current + 1, min(MAX_UNITS, wanted))


def call_worker(entry: Client, run: Run) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; {"error": ...} when it failed. The
    worker's environment is ours without the extension switches, plus the client's own
    (``AIOKAFKA_GEN_NO_EXTENSIONS=1`` for aiokafka_gen-pure)."""
    env = worker_env(entry.env)
    argv = [sys.executable, "-m", "bench.worker", run.to_json()]
    limit = run.timeout_s
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
        self.units: dict[tuple[str, str], int] = {}  # (variant key, client) -> unit multiple
        self.check_topic = ""  # check_messages records: the fairness check's consume topic
        self.consume_topic, self.consume_size = "", 0  # every timed consume run reads it
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

    def _run(self, entry: Client, variant: Variant, topic: str, timed: bool = True) -> Run:
        """A timed run gets the matrix's Java warm-up; fills and fairness runs none. A share
        run gets a new share group."""
        warmup = self.m.jvm_warmup if timed else 0
        group = self.broker.share_group() if variant.kind == "share" else ""
        return Run(entry.name, variant, self.broker.bootstrap, topic, WARMUP_TOPIC,
                   jvm_warmup=warmup, group=group, timed=timed)  # fmt: skip

    def _java(self) -> Client | None:
        return next((c for c in self.clients if c.name == "java"), None)

    def _filler(self) -> Client:
        return self._java() or next(c for c in self.clients if c.supports(Variant("produce", 1)))

    def prepare(self) -> None:
        """Warm-up topic; the fairness check's topic (``check_messages`` records written by
        the filler, the Java producer when available: its own produce check, read back and
        compared); the consume topic, filled for one unit of every consume variant."""
        self.broker.create({WARMUP_TOPIC: 1})
        filler, n = self._filler(), self.m.check_messages
        self.check_topic = self._topic(f"consume-check-{n}", 1)
        fill = Variant("produce", n, acks="all", batch_bytes=MIB)
        result = call_worker(filler, self._run(filler, fill, self.check_topic, timed=False))
        self._check_produced(filler, result, self.check_topic, 1, fill)
        print(f"  prefilled {self.check_topic} with {n} records ({filler.name})", flush=True)
        self.consume_topic = self._topic("consume", 1)
        units = [self._records_read(c, v) for v in self.m.variants for c in self.clients
                 if v.kind in READERS and c.supports(v)]  # fmt: skip
        self._grow(max(units, default=0), margin=1.0)

    def _records_read(self, entry: Client, variant: Variant) -> int:
        """Records a consume run of ``variant`` reads (Java: warm-up and slack around its
        timed window; a share run: its untimed first poll too, which can be a whole fetch)."""
        if entry.name == "java":
            return jvm_records(variant.messages, self.m.jvm_warmup)
        if variant.kind == "share":
            return variant.messages + SHARE_FIRST_POLL
        return variant.messages

    def _grow(self, need: int, margin: float = 1.1) -> None:
        """Extend the consume topic to hold at least ``need`` records (``margin`` more, so
        that the next larger multiple rarely needs another fill)."""
        if need <= self.consume_size:
            return
        filler, add = self._filler(), math.ceil(need * margin) - self.consume_size
        fill = Variant("produce", add, acks="all", batch_bytes=MIB)
        began = time.monotonic()
        result = call_worker(filler, self._run(filler, fill, self.consume_topic, timed=False))
        stored = self.broker.count(self.consume_topic, 1)
        if "error" in result or stored != self.consume_size + add:
            raise RuntimeError(f"filling {self.consume_topic} to {need}: {stored} stored, {result}")
        self.consume_size = stored
        print(f"  {self.consume_topic} now holds {stored:,} records (+{add:,} by {filler.name}"
              f" in {time.monotonic() - began:.1f} s)", flush=True)  # fmt: skip

    def _check_produced(
        self, entry: Client, result: dict[str, Any], topic: str, partitions: int, v: Variant
    ) -> None:
        count, wrong = self.broker.read_back(topic, partitions, payload(v.value_size))
        self.out.fairness.setdefault(entry.name, {})["produced"] = {
            "acked": result.get("messages"), "read_back": count, "wrong_value": wrong,
            "ok": count == v.messages and wrong == 0, "error": result.get("error"),
        }  # fmt: skip

    # ---- fairness --------------------------------------------------------------------------
    def fairness(self) -> None:
        """Before timing: each client's produced records are read back, counted and compared
        with the payload; each client's consumer must deliver the prefilled count."""
        n = self.m.check_messages
        for entry in self.clients:
            row = self.out.fairness.setdefault(entry.name, {})
            produce = Variant("produce", n, partitions=6)
            if entry.supports(produce) and "produced" not in row:
                topic = self._topic("check", 6)
                result = call_worker(entry, self._run(entry, produce, topic, timed=False))
                self._check_produced(entry, result, topic, 6, produce)
                self.broker.delete(topic)
            consume = Variant("consume", n)
            if entry.supports(consume):
                run = self._run(entry, consume, self.check_topic, timed=False)
                result = call_worker(entry, run)
                got = int(result.get("messages", 0))
                row["consumed"] = {"delivered": got, "ok": got >= n, "error": result.get("error")}
            share = Variant("share", n, mode="implicit")
            if entry.supports(share):
                result = call_worker(entry, self._run(entry, share, self.check_topic, timed=False))
                got = int(result.get("messages", 0))
                row["share_consumed"] = {"delivered": got, "ok": got >= n,
                                         "error": result.get("error")}  # fmt: skip
            row["ok"] = all(part["ok"] for part in row.values() if isinstance(part, dict))
            print(f"  fairness {entry.name}: {'ok' if row['ok'] else row}", flush=True)

    # ---- timed runs ------------------------------------------------------------------------
    def measure(self, entry: Client, variant: Variant) -> dict[str, Any]:
        """One timed run of exactly ``variant`` (its messages already multiplied) with its
        count check; metrics (or an error) for the table."""
        fresh = variant.kind not in READERS
        if fresh:
            topic = self._topic(variant.kind, variant.partitions)
        else:
            self._grow(self._records_read(entry, variant))
            topic = self.consume_topic
        run = self._run(entry, variant, topic)
        result = call_worker(entry, run)
        if "error" not in result and fresh:
            stored = self.broker.count(topic, variant.partitions)
            expected = variant.messages
            if entry.name == "java":  # + its untimed warm-up records
                expected = jvm_records(variant.messages, run.jvm_warmup)
            if variant.kind == "pipeline":  # + one untimed primer record per partition
                expected += variant.partitions
            if stored != expected:
                result = {"error": f"{stored} records stored, {expected} sent"}
        if fresh:
            self.broker.delete(topic)
        if "error" in result:
            return result
        if int(result["messages"]) < variant.messages:
            return {"error": f"only {result['messages']} of {variant.messages} counted"}
        self._record_path(entry, result)
        self.out.configs.setdefault(entry.name, {})[variant.key] = result.get("config")
        return derive(result)

    def _record_path(self, entry: Client, result: dict[str, Any]) -> None:
        """The code path (and for aiokafka_gen the compiled/pure module map) of a client,
        printed at its first run; a later run that differs is flagged."""
        modules = result.get("implementation")
        if modules is not None:
            seen = self.out.implementations.setdefault(entry.name, dict(modules))
            if any(seen.get(name, state) != state for name, state in modules.items()):
                changed = {n: s for n, s in modules.items() if seen.get(n, s) != s}
                self._warn(f"{entry.name}: a later run loaded {changed}, unlike its first")
                seen |= {name: VARIED for name in changed}
        if entry.name in self.out.paths:
            return
        self.out.paths[entry.name] = path = str(result.get("path", ""))
        note = f" [{summary(modules)}: {modules}]" if modules is not None else ""
        print(f"  {entry.name} ran: {path}{note}", flush=True)
        if entry.name == "aiokafka" and path != "C extension":
            self._warn("aiokafka's C extension did NOT load (pure Python)")
        if modules is not None and entry.env and summary(modules) != "pure":
            self._warn(f"{entry.name} ran {summary(modules)} under {entry.env}")

    def _warn(self, text: str) -> None:
        if text not in self.out.notes:
            self.out.notes.append(text)
            print(f"  WARNING: {text}", flush=True)

    def sized(self, entry: Client, variant: Variant) -> dict[str, Any]:
        """One kept timed run at the cell's unit multiple; under the floor, the run is
        discarded and repeated with a larger multiple (which the cell keeps)."""
        key, floor = (variant.key, entry.name), self.m.min_seconds
        for attempt in range(MAX_RESIZES + 1):
            units = self.units.get(key, 1)
            metrics = self.measure(entry, replace(variant, messages=units * variant.messages))
            if "error" in metrics or metrics["seconds"] >= floor:
                break
            if attempt == MAX_RESIZES or units >= MAX_UNITS:
                metrics["short"] = 1.0
                break
            self.units[key] = units_for(metrics["msgs_per_s"], variant.messages, floor, units)
            cell = self.out.sizing.setdefault(variant.key, {}).setdefault(entry.name, {})
            cell["resized_runs"] = cell.get("resized_runs", 0) + 1
            print(f"    {variant.key} {entry.name}: {metrics['seconds']:.2f} s under the "
                  f"{floor:g} s floor at {units} x {variant.messages:,}; now "
                  f"{self.units[key]} x {variant.messages:,}", flush=True)  # fmt: skip
        units = self.units.get(key, 1)
        cell = self.out.sizing.setdefault(variant.key, {}).setdefault(entry.name, {})
        cell |= {"units": units, "messages_per_run": units * variant.messages}
        return metrics

    def timed(self) -> None:
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
                    metrics = self.sized(entry, variant)
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
            result = self.measure(first, variant)
            print(f"  broker warm-up (untimed) {variant.key} {first.name}: {_short(result)}",
                  flush=True)  # fmt: skip

    def _aggregate(self, runs: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        for (key, name), reps in runs.items():
            good = [r for r in reps if "error" not in r]
            short = sum(1 for r in good if r.pop("short", None))
            cell: dict[str, Any] = medians(good) if good else {}
            cell["repetitions"] = len(good)
            cell |= self.out.sizing.get(key, {}).get(name, {})
            if short:
                cell["runs_under_floor"] = short
                self._warn(f"{key} {name}: {short} run(s) under the {self.m.min_seconds:g} s "
                           f"floor even at {cell.get('units')} units")  # fmt: skip
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
    text = (
        f"{metrics['msgs_per_s']:,.0f} msg/s, {metrics['cpu_s_per_m']:.1f} CPU-s/M, "
        f"{metrics['messages']:,.0f} msgs in {metrics['seconds']:.2f} s"
    )
    if "p99_ms" in metrics:
        text += f", p50 {metrics['p50_ms']:.2f} ms, p99 {metrics['p99_ms']:.2f} ms"
    return text


def run_matrix(broker: Broker, m: Matrix, clients: list[Client]) -> Outcome:
    """Prepare topics, check fairness, run every repetition; returns the outcome."""
    runner = Runner(broker, m, clients)
    print("preparing topics", flush=True)
    runner.prepare()
    print("fairness check (records read back and counted)", flush=True)
    runner.fairness()
    floor = f", time floor {m.min_seconds:g} s" if m.min_seconds > 0 else ""
    print(f"timed runs: {m.repetitions} repetition(s){floor}", flush=True)
    runner.timed()
    runner.mark_not_applicable()
    order = [entry.name for entry in clients]
    for key, row in runner.out.results.items():
        runner.out.results[key] = {name: row[name] for name in order if name in row}
    return runner.out
