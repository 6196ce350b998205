"""The soak's measuring side: the schedule, the per-sample readings, "flat", the coverage
of a group's processed offsets and the verdict line.

Everything here holds O(samples + partitions) memory, never O(records): the harness must
not be what grows.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Coverage", "Flatness", "Sample", "Sampler", "Schedule", "client_sizes", "consumer_sizes",
    "flatness", "format_table", "judge", "producer_sizes", "registry_sizes", "rss_bytes",
    "soak_line",
]  # fmt: skip


@dataclass(frozen=True)
class Schedule:
    """When things happen, in seconds from the start of the workload.

    Long version (``SOAK_MINUTES`` set, the issue's schedule): a broker restart every 5
    minutes, a member restart every 2, a topic created (and the oldest deleted) every 30 s,
    a sample every minute, warm-up the first ``min(5, minutes / 6)`` minutes (5 for 30).
    CI version (``SOAK_MINUTES`` unset): 3 minutes, one broker restart at 1.5 min, member
    restarts every 50 s, topic churn every 20 s, samples every 15 s, warm-up 1 minute."""

    minutes: float
    long: bool
    broker_every: float
    member_every: float
    topic_every: float
    sample_every: float
    warmup: float
    rss_limit: float  # percent: RSS growth must stay below this
    rate: int  # records per second written to the source topic

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Schedule:
        raw = env.get("SOAK_MINUTES", "").strip()
        if not raw:
            return cls(
                minutes=3.0, long=False, broker_every=90.0, member_every=50.0,
                topic_every=20.0, sample_every=15.0, warmup=60.0, rss_limit=10.0, rate=150,
            )  # fmt: skip
        minutes = float(raw)
        return cls(
            minutes=minutes, long=True, broker_every=300.0, member_every=120.0,
            topic_every=30.0, sample_every=60.0, warmup=60.0 * min(5.0, minutes / 6),
            rss_limit=5.0, rate=150,
        )  # fmt: skip


def rss_bytes() -> int:
    """This process's resident set size (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _len(obj: Any, *path: str) -> int | None:
    """``len(obj.a.b...)``, or None when the runtime has no such attribute (any more)."""
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    try:
        return len(obj)
    except TypeError:
        return None


def _put(out: dict[str, int], name: str, value: int | None) -> None:
    if value is not None:
        out[name] = out.get(name, 0) + value


def registry_sizes(registry: Any, prefix: str) -> dict[str, int]:
    """Sensors and gauges of one metrics registry (``metrics_registry``)."""
    out: dict[str, int] = {}
    if registry is not None:
        _put(out, f"{prefix}.sensors", _len(registry, "_sensors"))
        _put(out, f"{prefix}.gauges", _len(registry, "_gauges"))
    return out


def client_sizes(client: Any, prefix: str) -> dict[str, int]:
    """An ``AIOKafkaClient``'s per-node and per-topic state."""
    out: dict[str, int] = {}
    _put(out, f"{prefix}.conns", _len(client, "_conns"))
    _put(out, f"{prefix}.conn_locks", _len(client, "_conn_locks"))
    _put(out, f"{prefix}.node_backoff", _len(client, "_next_attempt"))
    _put(out, f"{prefix}.node_errors", _len(client, "_last_error"))
    _put(out, f"{prefix}.md_topics", _len(client, "_topics"))
    _put(out, f"{prefix}.coordinators", _len(client, "_coordinator_lookup", "_known"))
    _put(out, f"{prefix}.coord_pending", _len(client, "_coordinator_lookup", "_pending"))
    cluster = getattr(client, "cluster", None)
    if cluster is not None:
        _put(out, f"{prefix}.cluster_topics", len(cluster.topics(exclude_internal_topics=False)))
    return out


def consumer_sizes(consumer: Any, prefix: str) -> dict[str, int]:
    """A consumer's per-partition state, its client and its metrics registry."""
    out: dict[str, int] = {}
    _put(out, f"{prefix}.assignment", _len(consumer, "_subscription", "_assignment"))
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None:
        _put(out, f"{prefix}.fetch_queues", _len(fetcher, "buffer", "_queues"))
        _put(out, f"{prefix}.fetch_inflight", _len(fetcher, "_inflight"))
        _put(out, f"{prefix}.fetch_backoff", _len(fetcher, "_backoff_until"))
        _put(out, f"{prefix}.fetch_preferred", _len(fetcher, "_preferred"))
        _put(out, f"{prefix}.fetch_helpers", _len(fetcher, "_helpers"))
        _put(out, f"{prefix}.fetch_sessions", _len(fetcher, "_sessions"))
        buffered = getattr(getattr(fetcher, "buffer", None), "bytes", None)
        _put(out, f"{prefix}.fetch_buffer_bytes", buffered)
    out.update(client_sizes(getattr(consumer, "_client", None), f"{prefix}.client"))
    out.update(registry_sizes(getattr(consumer, "metrics_registry", None), prefix))
    return out


def producer_sizes(producer: Any, prefix: str) -> dict[str, int]:
    """A producer's per-partition state (accumulator, sequences), client and registry."""
    out: dict[str, int] = {}
    acc = getattr(producer, "_accumulator", None)
    if acc is not None:
        queues = getattr(acc, "_batches", {})
        _put(out, f"{prefix}.acc_partitions", len(queues))
        _put(out, f"{prefix}.acc_batches", sum(len(q) for q in queues.values()))
        _put(out, f"{prefix}.acc_unfinished", _len(acc, "_unfinished"))
        _put(out, f"{prefix}.acc_memory_waiters", _len(acc, "_memory_waiters"))
    _put(out, f"{prefix}.topic_cache", _len(producer, "_topics"))
    identity = getattr(producer, "_identity", None)
    if identity is not None:
        _put(out, f"{prefix}.seq_partitions", _len(identity, "_next"))
        _put(out, f"{prefix}.seq_stamped", _len(identity, "_stamped"))
    out.update(client_sizes(getattr(producer, "client", None), f"{prefix}.client"))
    out.update(registry_sizes(getattr(producer, "metrics_registry", None), prefix))
    return out


# How each state reading is judged, by the last part of its name (see ``judge``).
# Not judged: byte counts move with the traffic and are bounded by configuration (the
# fetch buffer by max_buffer_bytes, the accumulator by buffer_memory); in-flight counts
# (requests, batches, stamped sequences, waiters, lookups) are instantaneous.
NOT_JUDGED = ("bytes", "inflight", "batches", "unfinished", "waiters", "pending", "helpers",
              "stamped")  # fmt: skip
# Keyed by node (bootstrap addresses and broker ids, times purposes): a broker restart
# adds the entries of the node it hit, so they are bounded by the node count rather than
# flat: at most 6 x nodes per client.
PER_NODE = ("conns", "conn_locks", "node_backoff", "node_errors", "coordinators",
            "fetch_sessions")  # fmt: skip
# Keyed by a partition the consumer reads: at most the subscribed partitions per client.
PER_PARTITION = ("assignment", "fetch_queues", "fetch_backoff", "fetch_preferred")
# A producer forgets a topic idle for metadata_max_idle_ms (the writer: 20 s), and the
# sequences of one it saw deleted; KNOWN LIMIT (docs/faults.md "Soak"): the sequences of
# a topic forgotten while it still existed stay (needed if it is written again). Judged
# as flat plus one entry per topic created meanwhile (per partition for the per-partition
# ones), and named in the verdict line as ``known=`` whenever that allowance was used.
KNOWN_PER_TOPIC = ("md_topics", "cluster_topics", "topic_cache")
# ``cluster_topics`` of a client that asks Metadata for every topic (``md_topics`` 0: the
# admin client, a producer that found its topics in such an answer) mirrors the cluster's
# topic list, which the workload itself changes: reported, not judged.
KNOWN_PER_PARTITION = ("acc_partitions", "seq_partitions")
# Sensors and gauges: per node too (a new connection's node metrics: one sensor per
# node-tagged spec, under the broker id and under the bootstrap address it was first
# reached at), so flat with a slack of clients x nodes x 2 x that count. A client started
# late in the window (a member restart) still holds its bootstrap nodes' sensors, the one
# it replaced no longer did: +7 and +8 per restart in one CI run.
METRICS = ("sensors", "gauges")


def _node_sensor_specs() -> int:
    from aiokafka_gen.metrics import catalogue

    specs = [v for v in vars(catalogue).values() if type(v).__name__ == "SensorSpec"]
    return sum(1 for spec in specs if "node-id" in spec.tags)


@dataclass
class Sample:
    at: float  # seconds since the workload started
    rss: int
    tasks: int
    fds: int
    traced: int  # tracemalloc: bytes alive that were allocated since warm-up ended
    sizes: dict[str, int]
    top: list[str] = field(default_factory=list)  # tracemalloc top growth since warm-up


class Sampler:
    """One reading of the process and of every live client's state per call."""

    def __init__(self, warmup: float) -> None:
        self.warmup = warmup
        self.samples: list[Sample] = []
        self._baseline: tracemalloc.Snapshot | None = None

    def take(
        self, at: float, clients: Iterable[tuple[str, str, Any]], workload: Mapping[str, int]
    ) -> Sample:
        """``clients``: (kind, role, object), kind "producer", "consumer" or "client";
        readings are summed per role (a restarted member replaces its predecessor) and
        ``<role>.clients`` counts them. ``workload``: the workload's own counters
        (``workload.<name>``, e.g. topics created so far)."""
        gc.collect()
        sizes: dict[str, int] = {f"workload.{k}": v for k, v in workload.items()}
        for kind, role, obj in clients:
            if obj is None:
                continue
            if kind == "producer":
                found = producer_sizes(obj, role)
            elif kind == "consumer":
                found = consumer_sizes(obj, role)
            else:
                found = client_sizes(obj, role)
            found[f"{role}.clients"] = 1
            for key, value in found.items():
                sizes[key] = sizes.get(key, 0) + value
        traced, top = 0, []
        if at >= self.warmup:
            if not tracemalloc.is_tracing():
                tracemalloc.start(1)
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(True, "*aiokafka_gen*")]
            )
            traced = tracemalloc.get_traced_memory()[0]
            if self._baseline is None:
                self._baseline = snapshot
            else:
                stats = snapshot.compare_to(self._baseline, "lineno")
                top = [
                    f"{s.traceback[0].filename.rsplit('aiokafka_gen/', 1)[-1]}:"
                    f"{s.traceback[0].lineno} {s.size_diff:+d} B ({s.count_diff:+d})"
                    for s in stats[:3]
                    if s.size_diff > 0
                ]
        sample = Sample(at, rss_bytes(), len(asyncio.all_tasks()), open_fds(), traced, sizes, top)
        self.samples.append(sample)
        return sample

    def stop(self) -> None:
        if tracemalloc.is_tracing():
            tracemalloc.stop()

    def measured(self) -> list[Sample]:
        """The samples after the warm-up."""
        return [s for s in self.samples if s.at >= self.warmup]


@dataclass
class Flatness:
    """One judged reading over the measured samples. ``first``/``last``: the max of the
    first / last third; ``allowed``: how much ``last`` may exceed ``first`` (the slack,
    plus the known allowance where there is one); ``bound``: an absolute ceiling instead
    (per-node and per-partition readings), checked against every measured sample."""

    name: str
    first: int
    last: int
    allowed: int = 0
    bound: int | None = None
    peak: int = 0  # the max of all measured samples
    known: bool = False  # growth inside the KNOWN allowance: reported, not failed

    @property
    def growth(self) -> int:
        return self.last - self.first

    @property
    def flat(self) -> bool:
        if self.bound is not None:
            return self.peak <= self.bound
        return self.growth <= self.allowed

    @property
    def used_known(self) -> bool:
        return self.known and self.flat and self.growth > 0


def _thirds(values: list[int]) -> tuple[list[int], list[int]]:
    third = max(1, len(values) // 3)
    return values[:third], values[-third:]


def flatness(name: str, values: list[int], allowed: int = 0, bound: int | None = None,
             known: bool = False) -> Flatness:  # fmt: skip
    first, last = _thirds(values)
    return Flatness(name, max(first), max(last), allowed, bound, max(values), known)


def rss_growth(samples: list[Sample]) -> float:
    """Percent: max RSS of the last third of the measured samples over the first third's."""
    first, last = _thirds([s.rss for s in samples])
    return 100.0 * (max(last) - max(first)) / max(first)


# Tasks and fds are judged net of the clients' broker connections (each holds a socket
# and a reader task; the connections are judged per node, bounded by the node count: a
# restarted broker that gets its partitions back at the next preferred-leader election
# brings every client back to it). Slack: tasks come and go with requests in flight (one
# per Produce, Fetch, lookup); a few sockets of short-lived helpers (read-back, ISR wait).
TASK_SLACK = 8
FD_SLACK = 4


def _role(name: str, roles: Iterable[str]) -> str:
    """The longest role that prefixes ``name``."""
    return max((r for r in roles if name.startswith(r + ".")), key=len, default="")


def judge(
    samples: list[Sample], nodes: int, partitions: int, topic_partitions: int
) -> tuple[float, list[Flatness]]:
    """RSS growth (percent) and the verdict of tasks, fds and every judged state reading.
    ``partitions``: what a consumer role subscribes to; ``topic_partitions``: the
    partitions of each topic created during the run (the KNOWN allowance)."""
    names = sorted({k for s in samples for k in s.sizes})
    conns = [sum(v for k, v in s.sizes.items() if k.endswith(".conns")) for s in samples]
    checks = [
        flatness("tasks", [s.tasks - c for s, c in zip(samples, conns, strict=True)], TASK_SLACK),
        flatness("fds", [s.fds - c for s, c in zip(samples, conns, strict=True)], FD_SLACK),
    ]
    roles = {n.removesuffix(".clients") for n in names if n.endswith(".clients")}
    made = [s.sizes.get("workload.topics_made", 0) for s in samples]
    made_first, made_last = _thirds(made)
    new_topics = max(made_last) - min(made_first)  # created between the two thirds
    for name in names:
        key = name.rsplit(".", 1)[-1]
        if name.startswith("workload.") or key == "clients":
            continue
        if any(word in key for word in NOT_JUDGED):
            continue
        values = [s.sizes.get(name, 0) for s in samples]
        role = _role(name, roles)
        clients = max(s.sizes.get(f"{role}.clients", 1) for s in samples)
        if key == "cluster_topics":
            asked = name.removesuffix("cluster_topics") + "md_topics"
            if not any(s.sizes.get(asked, 0) for s in samples):
                continue
        if key in PER_NODE:
            checks.append(flatness(name, values, bound=clients * 6 * nodes))
        elif key in PER_PARTITION:
            checks.append(flatness(name, values, bound=clients * partitions))
        elif key in KNOWN_PER_TOPIC:
            checks.append(flatness(name, values, new_topics, known=True))
        elif key in KNOWN_PER_PARTITION:
            checks.append(flatness(name, values, new_topics * topic_partitions, known=True))
        elif key in METRICS:
            checks.append(flatness(name, values, clients * nodes * 2 * _node_sensor_specs()))
        else:
            checks.append(flatness(name, values))
    return rss_growth(samples), checks


@dataclass
class Coverage:
    """The offsets a group processed, per partition, as disjoint runs (memory: the number
    of gaps, not of records); a repeat counts as ``repeats``."""

    runs: dict[int, list[list[int]]] = field(default_factory=dict)  # [first, last + 1)
    repeats: int = 0

    def add(self, partition: int, offset: int) -> None:
        runs = self.runs.setdefault(partition, [])
        if runs and runs[-1][1] == offset:  # the usual case: the next offset
            runs[-1][1] += 1
            return
        for run in runs:
            if run[0] <= offset < run[1]:
                self.repeats += 1
                return
        runs.append([offset, offset + 1])
        runs.sort()
        merged: list[list[int]] = []
        for run in runs:
            if merged and merged[-1][1] >= run[0]:
                merged[-1][1] = max(merged[-1][1], run[1])
            else:
                merged.append(run)
        self.runs[partition] = merged

    def missing(self, partition: int, end: int) -> int:
        """How many of offsets 0..end-1 were never processed."""
        covered = sum(min(b, end) - a for a, b in self.runs.get(partition, []) if a < end)
        return end - covered


def format_table(samples: list[Sample], warmup: float) -> str:
    """The samples as a table: process readings, then every state size that ever moved."""
    names = sorted({k for s in samples for k in s.sizes})
    moving = [n for n in names if len({s.sizes.get(n, 0) for s in samples}) > 1]
    still = [f"{n}={samples[0].sizes.get(n, 0)}" for n in names if n not in moving]
    head = ["t(s)", "rss(MiB)", "tasks", "fds", "traced(KiB)", *moving]
    rows = [
        [
            f"{s.at:.0f}{'' if s.at >= warmup else '*'}", f"{s.rss / 2**20:.1f}",
            str(s.tasks), str(s.fds), str(s.traced // 1024),
            *(str(s.sizes.get(n, 0)) for n in moving),
        ]
        for s in samples
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.append("(* = warm-up; constant throughout: " + (", ".join(still) or "none") + ")")
    for s in samples:
        if s.top:
            lines.append(f"tracemalloc growth at {s.at:.0f} s: " + "; ".join(s.top))
    return "\n".join(lines)


def soak_line(
    minutes: float, records: int, lost: int, growth: float, checks: list[Flatness], ok: bool
) -> str:
    """The one verdict line."""
    by_name = {c.name: c for c in checks}

    def word(name: str) -> str:
        check = by_name.get(name)
        return "n/a" if check is None else ("flat" if check.flat else f"+{check.growth}")

    state = [c for c in checks if c.name not in ("tasks", "fds")]
    grown = [c.name for c in state if not c.flat]
    known = [f"{c.name}+{c.growth}" for c in state if c.used_known]
    return (
        f"soak: minutes={minutes:g} records={records} lost={lost} rss_growth={growth:.1f}% "
        f"tasks={word('tasks')} fds={word('fds')} "
        f"state={'flat' if not grown else 'grew:' + ','.join(grown)}"
        f"{' known=' + ','.join(known) if known else ''} "
        f"verdict={'ok' if ok else 'FAIL'}"
    )
