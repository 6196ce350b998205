"""What ``python -m bench.scale`` measures and how the results are kept: profiles (quick /
default), curve points, command-line parsing, the result document, the goals and the
markdown / chart rendering. No broker here (unit-tested in tests/bench/test_bench_scale.py).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..report import RESULTS

SCALE_RESULTS = RESULTS / "scale"
QUICK_RESULTS = RESULTS / "quick" / "scale"
# memory before metadata: the metadata part pads the cluster to 10k partitions, and every
# client bootstrapped after that holds (or drops) their metadata inside the memory window
PARTS = ("curves", "idle", "memory", "metadata", "group")
DEFAULT_CLIENTS = ("aiokafka_gen", "aiokafka_gen-pure", "aiokafka", "confluent-kafka")
OURS = ("aiokafka_gen", "aiokafka_gen-pure")
# produce: round-robin over every partition (explicit partition); produce-keyless: the
# client's own partitioner for null keys; consume: every stored record
KINDS = ("produce", "produce-keyless", "consume")
TITLES = {
    "produce": "produce-100B, round-robin over partitions",
    "produce-keyless": "produce-100B, keyless (client's partitioner)",
    "consume": "consume-100B (steady window)",
}
# goals of issue #25 item 1
CURVE_RATIO_GOAL = 1.5  # per-record CPU at the largest single-topic point vs 1 partition
IDLE_CORE_GOAL = 0.02  # idle consumer: CPU seconds per wall second


@dataclass(frozen=True)
class Point:
    """One point of the produce/consume curves: ``topics`` topics of ``partitions`` each."""

    topics: int
    partitions: int

    @property
    def name(self) -> str:
        return f"t{self.topics}" if self.topics > 1 else f"p{self.partitions}"

    @property
    def total(self) -> int:
        return self.topics * self.partitions

    @property
    def label(self) -> str:
        if self.topics > 1:
            return f"{self.topics} topics x {self.partitions} partition"
        return f"1 topic x {self.partitions} partition{'s' if self.partitions > 1 else ''}"


def parse_point(text: str) -> Point:
    """``5000`` or ``p5000``: one topic of 5000 partitions; ``t1000``: 1000 topics of one
    partition each."""
    text = text.strip().lower()
    try:
        if text.startswith("t"):
            count = int(text[1:])
            point = Point(count, 1)
        else:
            point = Point(1, int(text.removeprefix("p")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad point {text!r}: use N, pN or tN") from None
    if point.total < 1:
        raise argparse.ArgumentTypeError(f"bad point {text!r}: at least one partition")
    return point


def parse_points(text: str) -> tuple[Point, ...]:
    points = tuple(parse_point(part) for part in text.split(",") if part.strip())
    if not points:
        raise argparse.ArgumentTypeError("no points")
    return points


@dataclass(frozen=True)
class Profile:
    """Sizes of one run."""

    name: str
    points: tuple[Point, ...]
    messages: int  # records each produce run sends (consume runs read all stored records)
    repetitions: int
    idle_partitions: int
    idle_seconds: float
    idle_warmup_seconds: float
    metadata_target: int  # real broker: pad the cluster to this many partitions (0: no pad)
    synthetic: tuple[int, ...]  # synthetic MetadataResponse sizes (partitions)
    memory_partitions: int
    connections: int
    group_members: int
    group_partitions: int
    minutes: float  # expected duration on the 2-core machine (stated, not enforced)


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        "quick", parse_points("1,10,100,t10"), messages=5_000, repetitions=1,
        idle_partitions=100, idle_seconds=2.0, idle_warmup_seconds=1.0, metadata_target=0,
        synthetic=(1_000, 5_000), memory_partitions=100, connections=3, group_members=4,
        group_partitions=20, minutes=3,
    ),
    "default": Profile(
        "default", parse_points("1,10,100,1000,5000,t1000"), messages=200_000, repetitions=2,
        idle_partitions=5_000, idle_seconds=20.0, idle_warmup_seconds=5.0,
        metadata_target=10_000, synthetic=(10_000, 50_000), memory_partitions=5_000,
        connections=20, group_members=50, group_partitions=2_000, minutes=25,
    ),
}  # fmt: skip


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description="cost curves at scale (issue #25 item 1) against one local broker",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smoke size; results under bench/results/quick/scale")  # fmt: skip
    parser.add_argument("--clients", default=",".join(DEFAULT_CLIENTS),
                        help="comma-separated clients (default: %(default)s)")  # fmt: skip
    parser.add_argument("--points", type=parse_points,
                        help="curve points, e.g. 1,10,100,1000,5000,t1000 (N or pN: one "
                             "topic of N partitions; tN: N topics of one partition)")  # fmt: skip
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated parts (default: %(default)s)")  # fmt: skip
    parser.add_argument("--messages", type=int, help="records per produce run")
    parser.add_argument("--reps", type=int, help="repetitions of the curves (median)")
    parser.add_argument("--idle-seconds", type=float, help="the idle consumer's window")
    parser.add_argument("--idle-partitions", type=int,
                        help="partitions of the idle consumer and of the memory part")  # fmt: skip
    parser.add_argument("--out", type=Path, help="results directory")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; known: {', '.join(PARTS)}")
    args.parts = tuple(p for p in PARTS if p in parts)
    args.clients = tuple(c.strip() for c in args.clients.split(",") if c.strip())
    return args


def profile_of(args: argparse.Namespace) -> Profile:
    """The profile with the command line's overrides."""
    prof = PROFILES["quick" if args.quick else "default"]
    if args.points:
        prof = replace(prof, points=args.points)
    if args.messages:
        prof = replace(prof, messages=args.messages)
    if args.reps:
        prof = replace(prof, repetitions=args.reps)
    if args.idle_seconds:
        prof = replace(prof, idle_seconds=args.idle_seconds)
    if args.idle_partitions:
        n = args.idle_partitions
        prof = replace(prof, idle_partitions=n, memory_partitions=n)
    return prof


def out_dir(args: argparse.Namespace) -> Path:
    return args.out or (QUICK_RESULTS if args.quick else SCALE_RESULTS)


# ---- per-run metrics ---------------------------------------------------------------------
def curve_metrics(raw: Mapping[str, Any]) -> dict[str, float]:
    """A produce/consume run's metrics: the whole window, and for consume the steady window
    (after the first delivered batch: assign, offset lookup and first fetch excluded)."""
    messages, seconds, cpu = (
        float(raw["messages"]),
        float(raw["seconds"]),
        float(raw["cpu_seconds"]),
    )
    out = {
        "messages": messages,
        "seconds": seconds,
        "msgs_per_s": messages / seconds if seconds > 0 else 0.0,
        "cpu_us_per_record": cpu / messages * 1e6 if messages else 0.0,
        "peak_rss_mib": float(raw.get("peak_rss_kib", 0)) / 1024.0,
    }
    out |= {k: float(v) for k, v in raw.items() if k.startswith("diag.")}
    if raw.get("steady_messages"):
        n, s = float(raw["steady_messages"]), float(raw["steady_seconds"])
        out["steady_msgs_per_s"] = n / s if s > 0 else 0.0
        out["steady_cpu_us_per_record"] = float(raw["steady_cpu_seconds"]) / n * 1e6
        out["first_batch_seconds"] = float(raw["first_batch_seconds"])
    return out


def median_cell(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Median of every metric over the successful runs; errors kept."""
    good = [r for r in runs if "error" not in r]
    cell: dict[str, Any] = {}
    for key in {k for r in good for k in r}:
        values = [float(r[key]) for r in good if isinstance(r.get(key), int | float)]
        if values:
            cell[key] = statistics.median(values)
    cell["repetitions"] = len(good)
    errors = [str(r["error"]) for r in runs if "error" in r]
    if errors:
        cell["errors"] = errors
    return cell


def cpu_metric(cell: Mapping[str, Any]) -> float | None:
    """The per-record CPU a goal reads: the steady window when there is one."""
    value = cell.get("steady_cpu_us_per_record", cell.get("cpu_us_per_record"))
    return None if value is None else float(value)


def rate_metric(cell: Mapping[str, Any]) -> float | None:
    value = cell.get("steady_msgs_per_s", cell.get("msgs_per_s"))
    return None if value is None else float(value)


# ---- goals -------------------------------------------------------------------------------
def goals(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each goal of the issue, per aiokafka_gen column: met (True/False/None = not
    measured), the figure and what it is compared with."""
    out: list[dict[str, Any]] = []
    curves: Mapping[str, Mapping[str, Any]] = doc.get("curves", {})
    singles = sorted(
        (p for p in curves if p.startswith("p")), key=lambda p: int(p.removeprefix("p"))
    )
    ours = [c for c in doc.get("clients", []) if c in OURS]
    for name in ours:
        for kind in KINDS:
            if len(singles) < 2:
                break
            low, high = singles[0], singles[-1]
            a = cpu_metric(curves[low].get(name, {}).get(kind, {}))
            b = cpu_metric(curves[high].get(name, {}).get(kind, {}))
            ratio = b / a if a and b is not None else None
            out.append({
                "goal": f"{kind} CPU/record at {high} <= {CURVE_RATIO_GOAL}x {low}",
                "client": name, "met": None if ratio is None else ratio <= CURVE_RATIO_GOAL,
                "figure": ratio, "detail": f"{_num(b)} vs {_num(a)} us/record",
            })  # fmt: skip
        idle = doc.get("idle", {}).get(name, {})
        if "idle_core_fraction" in idle:
            frac = float(idle["idle_core_fraction"])
            out.append({
                "goal": f"idle consumer of {doc.get('idle_partitions', '?')} partitions "
                        f"< {IDLE_CORE_GOAL:.0%} of a core",
                "client": name, "met": frac < IDLE_CORE_GOAL, "figure": frac,
                "detail": f"{frac:.2%} of a core",
            })  # fmt: skip
        misses, compared = [], 0
        for point, row in curves.items():
            mine, theirs = row.get(name, {}), row.get("aiokafka", {})
            for kind in KINDS:
                m, t = mine.get(kind, {}), theirs.get(kind, {})
                pairs = (("CPU/record", cpu_metric(m), cpu_metric(t), False),
                         ("records/s", rate_metric(m), rate_metric(t), True))  # fmt: skip
                for metric, mv, tv, higher in pairs:
                    if mv is None or tv is None:
                        continue
                    compared += 1
                    if (mv <= tv) if higher else (mv >= tv):
                        misses.append(f"{point} {kind} {metric}: {_num(mv)} vs {_num(tv)}")
        if compared:
            out.append({
                "goal": "ahead of aiokafka at every point of every curve", "client": name,
                "met": not misses, "figure": f"{compared - len(misses)}/{compared}",
                "detail": "; ".join(misses) or "every comparison ahead",
            })  # fmt: skip
    return out


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if size >= 1 else f"{value:.3g}"


# ---- document and markdown -------------------------------------------------------------
def document(
    profile: Profile,
    clients: Sequence[str],
    labels: Mapping[str, str],
    results: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "profile": profile.name,
        "clients": list(clients),
        "labels": dict(labels),
        "points": {p.name: p.label for p in profile.points},
        "messages_per_produce_run": profile.messages,
        "repetitions": profile.repetitions,
        "idle_partitions": profile.idle_partitions,
    }
    doc |= dict(results)
    doc["goals"] = goals(doc)
    doc["meta"] = dict(meta)
    return doc


CURVE_TABLES = (
    ("produce", "cpu_us_per_record", "Produce-100B: CPU microseconds per record (lower is better)"),
    ("produce", "msgs_per_s", "Produce-100B: records/s (higher is better)"),
    ("produce-keyless", "cpu_us_per_record",
     "Produce-100B keyless (the client's partitioner): CPU microseconds per record"),
    ("produce-keyless", "msgs_per_s", "Produce-100B keyless (the client's partitioner): records/s"),
    ("consume", "steady_cpu_us_per_record",
     "Consume-100B: CPU microseconds per record, steady window (lower is better)"),
    ("consume", "steady_msgs_per_s", "Consume-100B: records/s, steady window (higher is better)"),
    ("consume", "cpu_us_per_record",
     "Consume-100B: CPU microseconds per record, whole window incl. assign + offset lookup"),
    ("consume", "first_batch_seconds", "Consume-100B: seconds from assign to the first batch"),
)  # fmt: skip


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(doc: Mapping[str, Any]) -> str:
    clients: list[str] = list(doc.get("clients", []))
    labels: Mapping[str, str] = doc.get("labels", {})
    cols = [labels.get(c, c) for c in clients]
    lines = [f"# Scale benchmark ({doc.get('profile')} profile)", ""]
    meta = doc.get("meta", {})
    if meta:
        lines += [f"- {key}: {value}" for key, value in meta.items() if key != "notes"]
        lines += [f"- NOTE: {note}" for note in meta.get("notes", [])]
        lines.append("")
    curves: Mapping[str, Any] = doc.get("curves", {})
    if curves:
        points: Mapping[str, str] = doc.get("points", {})
        lines += [f"Curves: {doc.get('messages_per_produce_run', 0):,} records of 100 B per "
                  "produce run, round-robin over every partition (keyless: the client's "
                  "partitioner picks, topics round-robin); each consume run reads twice "
                  "a produce run's records from the earliest offsets of every partition; "
                  f"median of {doc.get('repetitions')} repetition(s).",
                  ""]  # fmt: skip
        for kind, metric, title in CURVE_TABLES:
            rows = []
            for point, row in curves.items():
                cells = [_num(row.get(c, {}).get(kind, {}).get(metric)) for c in clients]
                rows.append([points.get(point, point), *cells])
            lines += [f"### {title}", "", *_table(["point", *cols], rows), ""]
        lines += _diag_md(curves, points, labels)
    idle = doc.get("idle", {})
    if idle:
        rows = [[labels.get(c, c), _pct(v.get("idle_core_fraction")),
                 _num(v.get("first_record_latency_ms")), _num(v.get("rss_kib", 0) / 1024),
                 "; ".join(v.get("errors", []))[:200]]
                for c, v in idle.items()]  # fmt: skip
        lines += [f"### Idle consumer, {doc.get('idle_partitions')} partitions assigned", "",
                  *_table(["client", "CPU (share of a core)", "first record latency, ms",
                           "RSS MiB", "errors"], rows), ""]  # fmt: skip
    lines += _metadata_md(doc.get("metadata", {}), labels)
    lines += _memory_md(doc.get("memory", {}), labels)
    lines += _group_md(doc.get("group", {}), labels)
    found = doc.get("goals", [])
    if found:
        rows = [[g["goal"], labels.get(g["client"], g["client"]),
                 {True: "met", False: "MISSED", None: "not measured"}[g["met"]],
                 _num(g["figure"]) if isinstance(g["figure"], float) else str(g["figure"]),
                 str(g["detail"])] for g in found]  # fmt: skip
        lines += ["### Goals", "", *_table(["goal", "client", "status", "figure", "detail"],
                                           rows), ""]  # fmt: skip
    charts = doc.get("charts", [])
    if charts:
        lines += ["Charts: " + ", ".join(f"`{c}`" for c in charts), ""]
    return "\n".join(lines).rstrip() + "\n"


DIAG = (("diag.record-retry-total", "retries"), ("diag.bufferpool-wait-time-ns-total",
        "buffer wait s"), ("diag.request-latency-avg", "request latency avg ms"),
        ("diag.records-per-request-avg", "records/request"), ("diag.batch-size-avg",
        "batch bytes avg"), ("diag.event-loop-lag-max", "loop lag max ms"))  # fmt: skip


def _diag_md(
    curves: Mapping[str, Any], points: Mapping[str, str], labels: Mapping[str, str]
) -> list[str]:
    """aiokafka_gen's own producer metrics over its timed produce windows (diagnosis)."""
    rows = []
    for point, row in curves.items():
        for name, kinds in row.items():
            for kind in ("produce", "produce-keyless"):
                cell = kinds.get(kind, {})
                if not any(key in cell for key, _ in DIAG):
                    continue
                values = []
                for key, _ in DIAG:
                    value = cell.get(key)
                    if value is not None and key.endswith("-ns-total"):
                        value /= 1e9
                    values.append(_num(value))
                rows.append([points.get(point, point), labels.get(name, name), kind, *values])
    if not rows:
        return []
    return ["### aiokafka_gen producer metrics over the timed window (diagnosis)", "",
            *_table(["point", "client", "curve", *(title for _, title in DIAG)], rows),
            ""]  # fmt: skip


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _metadata_md(metadata: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    if not metadata:
        return []
    rows, synth = [], []
    for name, value in metadata.items():
        real = value.get("real", {})
        if real:
            rows.append([labels.get(name, name), f"{real.get('topics', 0):,}",
                         f"{real.get('partitions', 0):,}", _num(real.get("refresh_s", 0) * 1000),
                         _num(real.get("refresh_cpu_s", 0) * 1000),
                         _num(real.get("held_tracemalloc_mib")),
                         _num(real.get("rss_delta_mib"))])  # fmt: skip
        elif "errors" in value:
            rows.append([labels.get(name, name), "error", "; ".join(value["errors"])[:200],
                         "", "", "", ""])  # fmt: skip
        for size, s in value.get("synthetic", {}).items():
            synth.append([labels.get(name, name), f"{int(size):,}",
                          f"{s['response_bytes'] / 2**20:.2f}", _num(s["decode_s"] * 1000),
                          _num(s["apply_s"] * 1000), _num(s["decoded_response_tracemalloc_mib"]),
                          _num(s["held_tracemalloc_mib"]), _num(s["rss_delta_mib"])])  # fmt: skip
    out = ["### Metadata, REAL broker: a full refresh (every topic)", "",
           *_table(["client", "topics", "partitions", "refresh ms", "CPU ms",
                    "held (tracemalloc) MiB", "RSS growth MiB"], rows), ""]  # fmt: skip
    if synth:
        out += ["### Metadata, SYNTHETIC MetadataResponse (generated classes, v12, topics of "
                "1000 partitions, one broker): decode + ClusterMetadata.update_metadata", "",
                *_table(["client", "partitions", "response MiB", "decode ms", "apply ms",
                         "decoded response MiB", "held after apply MiB", "RSS growth MiB"],
                        synth), ""]  # fmt: skip
    return out


def _group_md(group: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    if not group:
        return []
    rows = []
    for key, value in group.items():
        name, _, protocol = key.partition(" ")
        if "errors" in value:
            rows.append([labels.get(name, name), protocol, "error",
                         "; ".join(value["errors"])[:200], "", ""])  # fmt: skip
            continue
        rows.append([labels.get(name, name), protocol, str(value.get("members")),
                     _num(value.get("initial_s")), _num(value.get("join_s")),
                     _num(value.get("leave_s"))])  # fmt: skip
    return ["### Group scale: one process, seconds until every member holds a disjoint, "
            "complete assignment", "",
            *_table(["client", "protocol", "members", "first stable (all but one)",
                     "after a join", "after a leave"], rows), ""]  # fmt: skip


def _memory_md(memory: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    if not memory:
        return []
    rows, conns = [], []
    for name, value in memory.items():
        for role in ("consumer", "producer"):
            cell = value.get(role)
            if cell:
                rows.append([labels.get(name, name), role, f"{value.get('partitions_total', 0):,}",
                             _num(cell.get("rss_bytes_per_partition")),
                             _num(cell.get("tracemalloc_bytes_per_partition"))])  # fmt: skip
        conn = value.get("connection")
        if conn:
            conns.append([labels.get(name, name), str(conn["sockets"]),
                          _num(conn["rss_kib_per_connection"]),
                          _num(conn["tracemalloc_kib_per_connection"])])  # fmt: skip
        if "errors" in value:
            rows.append([labels.get(name, name), "error", "; ".join(value["errors"])[:200], "", ""])
    out = ["### Memory per partition held", "",
           *_table(["client", "role", "partitions", "RSS bytes/partition",
                    "tracemalloc bytes/partition"], rows), ""]  # fmt: skip
    if conns:
        out += ["### Memory per idle connection", "",
                *_table(["client", "sockets opened", "RSS KiB/connection",
                         "tracemalloc KiB/connection"], conns), ""]  # fmt: skip
    return out


# ---- charts ------------------------------------------------------------------------------
def charts(doc: Mapping[str, Any], out: Path) -> list[Path]:
    """Two PNGs: CPU per record and records/s against partitions (log-log), produce and
    consume side by side; the many-topics points as hollow markers."""
    curves: Mapping[str, Any] = doc.get("curves", {})
    if not curves:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels: Mapping[str, str] = doc.get("labels", {})
    written: list[Path] = []
    specs = (("curves-cpu.png", cpu_metric, "CPU us / record"),
             ("curves-throughput.png", rate_metric, "records / s"))  # fmt: skip
    for filename, metric, ylabel in specs:
        fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
        for ax, kind in zip(axes, KINDS, strict=True):
            for index, name in enumerate(doc.get("clients", [])):
                color = f"C{index}"
                single = [(int(p[1:]), metric(row[name][kind])) for p, row in curves.items()
                          if p.startswith("p") and kind in row.get(name, {})]  # fmt: skip
                single = sorted((x, y) for x, y in single if y is not None)
                if single:
                    ax.plot(*zip(*single, strict=True), marker="o", color=color,
                            label=labels.get(name, name))  # fmt: skip
                many = [(int(p[1:]), metric(row[name][kind])) for p, row in curves.items()
                        if p.startswith("t") and kind in row.get(name, {})]  # fmt: skip
                for x, y in many:
                    if y is not None:
                        ax.plot([x], [y], marker="s", markerfacecolor="none", color=color)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("partitions (hollow squares: that many topics of 1 partition)")
            ax.set_ylabel(ylabel)
            ax.set_title(TITLES[kind])
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        path = out / filename
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
