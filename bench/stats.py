"""Small statistics for the benchmarks: medians of repetitions, latency percentiles, and the
per-run metrics (msgs/s, MB/s, CPU seconds per million messages) derived from raw counts."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

METRICS = ("msgs_per_s", "mb_per_s", "cpu_s_per_m", "peak_rss_mib", "seconds", "messages")
LATENCY_POINTS = (("p50_ms", 50.0), ("p99_ms", 99.0), ("p99_9_ms", 99.9))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest value with at least ``pct`` % of values at or
    below it); ``values`` need not be sorted. Raises ValueError when empty."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= pct <= 100.0:
        raise ValueError(f"percentile {pct} outside 0..100")
    ordered = sorted(values)
    # pct * n / 100 without binary noise: 99.9 * 1000 / 100 must be 999, not 999.0000000001
    rank = max(1, math.ceil(round(pct * len(ordered) / 100.0, 9)))
    return float(ordered[rank - 1])


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p99 / p99.9 in milliseconds."""
    return {name: percentile(latencies_ms, pct) for name, pct in LATENCY_POINTS}


def derive(raw: Mapping[str, Any]) -> dict[str, float]:
    """Metrics of one run from a worker's raw counts (messages, bytes, seconds, cpu_seconds,
    peak_rss_kib, optional latency percentiles). ``seconds`` (the timed window) and
    ``messages`` (counted in it) are kept: they show the run's size next to its rate."""
    messages, seconds = float(raw["messages"]), float(raw["seconds"])
    out = {
        "msgs_per_s": messages / seconds if seconds > 0 else 0.0,
        "mb_per_s": float(raw["bytes"]) / seconds / 1e6 if seconds > 0 else 0.0,
        "cpu_s_per_m": float(raw["cpu_seconds"]) / messages * 1e6 if messages else 0.0,
        "peak_rss_mib": float(raw["peak_rss_kib"]) / 1024.0,
        "seconds": seconds,
        "messages": messages,
    }
    for name, _ in LATENCY_POINTS:
        if name in raw:
            out[name] = float(raw[name])
    return out


def medians(runs: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Per-metric median over repetitions (metrics missing from some runs use the others)."""
    collected: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run.items():
            collected.setdefault(name, []).append(float(value))
    return {name: statistics.median(values) for name, values in collected.items()}
