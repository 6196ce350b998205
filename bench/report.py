"""Results out: ``bench/results/latest.json`` ({scenario: {client: {metric: value}}} plus
machine, versions, settings and the fairness check), markdown tables (``latest.md``) and one
PNG bar chart per scenario (matplotlib, Agg backend)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .implementation import label, summary
from .matrix import SCENARIO_OF_KIND, Matrix
from .stats import LATENCY_POINTS

RESULTS = Path(__file__).resolve().parent / "results"
META_KEYS = ("machine", "versions", "settings", "fairness", "paths", "implementations", "notes")
TABLES = (
    ("msgs_per_s", "Throughput, messages/s (higher is better)", "{:,.0f}"),
    ("mb_per_s", "Throughput, MB/s of values (higher is better)", "{:.1f}"),
    ("cpu_s_per_m", "CPU seconds per million messages (lower is better)", "{:.1f}"),
    ("peak_rss_mib", "Peak RSS, MiB (lower is better)", "{:.0f}"),
    ("seconds", "Timed window per run, seconds", "{:.1f}"),
    ("messages", "Messages per timed run", "{:,.0f}"),
)


def machine() -> dict[str, Any]:
    """What produced the numbers."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": _java_version(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "note": "the broker runs on the same cores; load from other jobs moves absolute numbers",
    }


def _java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (done.stderr.splitlines() or ["unknown"])[0]


def versions(kafka: str) -> dict[str, str]:
    out = {"kafka_broker_and_java_client": kafka}
    for dist in ("aiokafka-gen", "aiokafka", "kafka-python", "confluent-kafka", "matplotlib"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        import confluent_kafka

        out["librdkafka"] = confluent_kafka.libversion()[0]
    except ImportError:
        pass
    return out


def settings(m: Matrix, outcome: Any, pinned: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "matrix": m.name,
        "repetitions": m.repetitions,
        "statistic": "median over repetitions",
        "check_messages": m.check_messages,
        "min_seconds": m.min_seconds,
        "time_floor": "a run under min_seconds is discarded and repeated with a whole "
        "multiple of the variant's messages (its unit); the cell keeps that multiple",
        "jvm_warmup_records": m.jvm_warmup,
        "java_cpu": "the JVM's CPU (all threads, /proc/<pid>/stat) over the tool's timed "
        "window, which excludes JVM start-up and the warm-up records",
        "variants": [{"key": v.key} | vars(v) for v in m.variants],
        "units": outcome.sizing,
        "pinned": dict(pinned),
        "per_client": outcome.configs,
        "skipped": outcome.skipped,
    }


def document(results: Mapping[str, Any], meta: Mapping[str, Any]) -> dict[str, Any]:
    """The latest.json document: scenario keys at the top level next to META_KEYS."""
    doc: dict[str, Any] = dict(results)
    for key in META_KEYS:
        doc[key] = meta.get(key, {})
    return doc


def scenario_rows(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {key: value for key, value in doc.items() if key not in META_KEYS}


def clients_of(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for cells in rows.values():
        names += [name for name in cells if name not in names]
    return names


def _cell(cell: Mapping[str, Any], metric: str, fmt: str) -> str:
    if "n/a" in cell:
        return str(cell["n/a"]) if cell["n/a"] in ("not built", "not installed") else "n/a"
    if metric in cell:
        return fmt.format(cell[metric])
    return "error" if cell.get("errors") else "-"


def column(doc: Mapping[str, Any], name: str) -> str:
    """A client's column title: aiokafka_gen clients say which implementation ran
    ("aiokafka_gen (compiled)", "aiokafka_gen-pure (pure)")."""
    return label(name, doc.get("implementations", {}).get(name))


def table(doc: Mapping[str, Any], metric: str, fmt: str, keys: Sequence[str] | None = None) -> str:
    rows = scenario_rows(doc)
    names = clients_of(rows)
    titles = [column(doc, name) for name in names]
    lines = ["| scenario | " + " | ".join(titles) + " |", "|---|" + "---:|" * len(names)]
    for key in keys if keys is not None else rows:
        cells = rows[key]
        values = [_cell(cells.get(name, {}), metric, fmt) for name in names]
        lines.append(f"| {key} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def markdown(doc: Mapping[str, Any]) -> str:
    """All tables of one run, with the machine line first."""
    mach, vers, sets = doc.get("machine", {}), doc.get("versions", {}), doc.get("settings", {})
    floor = sets.get("min_seconds", 0)
    out = [
        f"Machine: {mach.get('cpu', '?')}, {mach.get('cores', '?')} cores, "
        f"{mach.get('memory_gib', '?')} GiB, Python {mach.get('python', '?')}; "
        f"Kafka {vers.get('kafka_broker_and_java_client', '?')} (one local broker); "
        f"matrix `{sets.get('matrix', '?')}`, median of "
        f"{sets.get('repetitions', '?')} repetition(s)"
        + (f"; every timed run lasts at least {floor:g} s." if floor else "."),
        "",
    ]
    impl = doc.get("implementations", {})
    if impl:
        out += ["aiokafka_gen implementation per column (module: compiled/pure): " + "; ".join(
            f"{name}: {summary(modules)} {dict(modules)}" for name, modules in impl.items()
        ), ""]  # fmt: skip
    for metric, title, fmt in TABLES:
        out += [f"### {title}", "", table(doc, metric, fmt), ""]
    timed = [k for k, cells in scenario_rows(doc).items()
             if any("p99_ms" in c for c in cells.values())]  # fmt: skip
    for name, _ in LATENCY_POINTS:
        out += [f"### Latency {name.removesuffix('_ms').replace('_', '.')}, ms "
                "(produce-latency: send_and_wait; pipeline: end to end)", "",
                table(doc, name, "{:.2f}", timed), ""]  # fmt: skip
    cost = metrics_cost(doc)
    if cost:
        out += ["### Cost of the metrics (issue #24: at most 3% of throughput and CPU)", "",
                "aiokafka_gen as built with metrics on (the default) against the same client "
                "with `metrics_enabled=False`, same run:", "", cost, ""]  # fmt: skip
    paths = doc.get("paths", {})
    if paths:
        out += ["Code paths: " + "; ".join(f"{k}: {v}" for k, v in paths.items()), ""]
    if sets.get("jvm_warmup_records"):
        out += [f"Java: timed after at least {sets['jvm_warmup_records']:,} warm-up records; "
                "its CPU is the JVM's (all threads) over that window.", ""]  # fmt: skip
    for note in doc.get("notes", []):
        out += [f"WARNING: {note}", ""]
    return "\n".join(out)


METRICS_ON, METRICS_OFF = "aiokafka_gen", "aiokafka_gen-nometrics"


def metrics_cost(doc: Mapping[str, Any]) -> str:
    """Per scenario run by both columns: throughput lost and CPU per record added with
    metrics on, in percent (empty when the run has no metrics-off column)."""
    lines = []
    for key, cells in scenario_rows(doc).items():
        on, off = cells.get(METRICS_ON, {}), cells.get(METRICS_OFF, {})
        if not all(m in c for c in (on, off) for m in ("msgs_per_s", "cpu_s_per_m")):
            continue
        lost = (1 - on["msgs_per_s"] / off["msgs_per_s"]) * 100
        added = (on["cpu_s_per_m"] / off["cpu_s_per_m"] - 1) * 100
        lines.append(
            f"| {key} | {on['msgs_per_s']:,.0f} | {off['msgs_per_s']:,.0f} | {lost:+.1f}% "
            f"| {on['cpu_s_per_m']:.2f} | {off['cpu_s_per_m']:.2f} | {added:+.1f}% |"
        )
    if not lines:
        return ""
    head = ("| scenario | msg/s on | msg/s off | throughput lost | CPU s/M on | CPU s/M off "
            "| CPU added |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    return "\n".join([head, *lines])


def _bars(ax: Any, groups: list[str], series: dict[str, list[float]]) -> None:
    """Grouped bars: one group per label, one bar per series (client)."""
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar([j + i * width for j in range(len(groups))], values, width, label=name)
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(groups))])
    ax.set_xticklabels(groups, fontsize=8)
    ax.legend(fontsize=7)


def _series(
    rows: Mapping[str, Mapping[str, Any]], scenario: str
) -> tuple[list[str], dict[str, list[float]], str]:
    """(group labels, client -> values, y label) for one scenario's chart: throughput per
    variant, or for produce-latency the three percentiles."""
    keys = [k for k in rows if k.startswith(scenario + " [")]
    names = [n for n in clients_of({k: rows[k] for k in keys})
             if any("msgs_per_s" in rows[k].get(n, {}) for k in keys)]  # fmt: skip
    if scenario == "produce-latency":
        cell = rows[keys[0]]
        groups = [name.removesuffix("_ms").replace("_", ".") for name, _ in LATENCY_POINTS]
        series = {n: [float(cell[n].get(m, 0.0)) for m, _ in LATENCY_POINTS] for n in names}
        return groups, series, "send_and_wait latency, ms"
    groups = [k[len(scenario) + 2 : -1] for k in keys]
    series = {n: [float(rows[k].get(n, {}).get("msgs_per_s", 0.0)) for k in keys] for n in names}
    return groups, series, "messages/s"


def _footnote(doc: Mapping[str, Any], rows: Mapping[str, Any], scenario: str) -> str:
    """Machine line plus the clients that have no bars and why."""
    mach = doc.get("machine", {})
    text = (
        f"{mach.get('cpu', '?')}, {mach.get('cores', '?')} cores, Python {mach.get('python', '?')}"
    )
    missing: dict[str, str] = {}
    for key, cells in rows.items():
        if key.startswith(scenario + " ["):
            for name, cell in cells.items():
                if "n/a" in cell and name not in missing:
                    missing[name] = "n/a" if str(cell["n/a"]).startswith("no such") else cell["n/a"]
    if missing:
        text += "; no bars: " + ", ".join(f"{k} ({v})" for k, v in missing.items())
    return text


def charts(doc: Mapping[str, Any], directory: Path = RESULTS) -> list[Path]:
    """One PNG per scenario (grouped bars); clients without numbers are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = scenario_rows(doc)
    matrix_name = doc.get("settings", {}).get("matrix", "")
    written: list[Path] = []
    for scenario in SCENARIO_OF_KIND.values():
        if not any(k.startswith(scenario + " [") for k in rows):
            continue
        groups, series, unit = _series(rows, scenario)
        series = {column(doc, name): values for name, values in series.items()}
        fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(groups) + 3), 4.2))
        _bars(ax, groups, series)
        ax.set_ylabel(unit)
        ax.set_title(f"{scenario} ({matrix_name} matrix, median)", fontsize=10)
        fig.text(0.01, 0.01, _footnote(doc, rows, scenario), fontsize=6, color="0.35")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        path = directory / f"{scenario}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
