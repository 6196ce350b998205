"""Differential test: our sensor's statistics against Kafka's own stats classes (Avg, Max,
Min, Rate of a WindowedSum / WindowedCount, per second and per hour, CumulativeSum,
CumulativeCount, Value) over seeded random record/measure scripts. Needs the JDK and Maven.

Times are multiples of 125 ms so that seconds are exact binary floats and the window
arithmetic is exact on both sides. Every script starts with a record: a Java stat keeps its
own sample ring and a rate measured before any record opens only the rate's ring, while a
sensor here shares one ring between its statistics (``test_rate_measured_before_any_record``
covers the rate alone)."""

from __future__ import annotations

import math
import random
import subprocess
from pathlib import Path

import pytest
from support.javac import compiled_java

from aiokafka_gen.metrics import MetricConfig, Metrics, Sensor
from aiokafka_gen.metrics.catalogue import Histogram, MetricSpec, SensorSpec

pytestmark = pytest.mark.java

SOURCE = Path(__file__).resolve().parent / "java" / "StatsRef.java"
COLUMNS = (
    ("avg", 1.0), ("max", 1.0), ("min", 1.0), ("rate", 1.0), ("count-rate", 1.0),
    ("total", 1.0), ("count", 1.0), ("value", 1.0), ("count-rate", 3600.0),
)  # fmt: skip
SPEC = SensorSpec(
    "test.java",
    ("consumer",),
    "test-metrics",
    (),
    "a test value",
    tuple(MetricSpec(f"x-{i}", stat, stat, per=per) for i, (stat, per) in enumerate(COLUMNS)),
)
PERCENTILES = (25.0, 50.0, 90.0, 99.0)


def spec_with(histogram: Histogram) -> SensorSpec:
    pcts = tuple(MetricSpec(f"p{q}", "percentile", "p", percentile=q) for q in PERCENTILES)
    return SensorSpec(
        "test.java-histogram", SPEC.clients, SPEC.group, (), "a test value",
        SPEC.metrics + pcts, histogram,
    )  # fmt: skip


def script(rng: random.Random, window_ms: int) -> list[tuple[str, float, int]]:
    ops: list[tuple[str, float, int]] = []
    t = rng.randrange(0, 1000) * 125
    ops.append(("r", float(rng.randint(-50, 500)), t))
    for _ in range(rng.randint(5, 60)):
        # steps from nothing to several windows, so roll-overs, wraps and purges all happen
        step = rng.choice((0, 125, 1000, window_ms // 2, window_ms, window_ms * 2, window_ms * 3))
        t += rng.choice((0, step, rng.randrange(0, 4 * window_ms + 1, 125)))
        if rng.random() < 0.6:
            ops.append(("r", float(rng.randint(-50, 500)) / rng.choice((1, 4)), t))
        else:
            ops.append(("m", 0.0, t))
    ops.append(("m", 0.0, t))
    return ops


def ours(
    ops: list[tuple[str, float, int]], samples: int, window_ms: int, spec: SensorSpec = SPEC
) -> list[list[float]]:
    config = MetricConfig(window_ms / 1000, samples)
    sensor: Sensor = Metrics("c", "consumer", config, clock=lambda: 0.0).sensor(spec)
    rows = []
    for op, value, ms in ops:
        if op == "r":
            sensor.record(value, ms / 1000)
        else:
            rows.append(
                [sensor.measure(m.stat, ms / 1000, m.per, m.percentile) for m in spec.metrics]
            )
    return rows


def compare(java_rows: list[list[float]], our_rows: list[list[float]], spec: SensorSpec) -> None:
    assert len(java_rows) == len(our_rows) > 500
    for i, (want, got) in enumerate(zip(java_rows, our_rows, strict=True)):
        for metric, w, g in zip(spec.metrics, want, got, strict=True):
            if math.isnan(w):
                assert math.isnan(g), (i, metric.name, w, g)
            else:
                assert g == pytest.approx(w, rel=1e-9, abs=1e-12), (i, metric.name, w, g)


def run_java(scripts: list[list[tuple[str, float, int]]], args: list[str]) -> list[list[float]]:
    command = compiled_java(SOURCE)
    lines: list[str] = []
    for ops in scripts:
        lines.append("new")
        lines += [f"r {v!r} {ms}" if op == "r" else f"m {ms}" for op, v, ms in ops]
    proc = subprocess.run(
        [*command, *args],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return [[float(x) for x in line.split()] for line in proc.stdout.splitlines()]


@pytest.mark.parametrize(("samples", "window_ms"), [(2, 30000), (1, 1000), (3, 2000), (5, 500)])
def test_stats_match_java(samples: int, window_ms: int) -> None:
    rng = random.Random(f"metrics-{samples}-{window_ms}")
    scripts = [script(rng, window_ms) for _ in range(150)]
    java_rows = run_java(scripts, [str(samples), str(window_ms)])
    our_rows = [row for ops in scripts for row in ours(ops, samples, window_ms)]
    compare(java_rows, our_rows, SPEC)


@pytest.mark.parametrize(
    "histogram",
    [Histogram(20, 0.0, 400.0), Histogram(7, -20.0, 100.0), Histogram(50, 0.0, 500.0, linear=True)],
)
def test_percentiles_match_java(histogram: Histogram) -> None:
    spec = spec_with(histogram)
    rng = random.Random(f"percentiles-{histogram}")
    scripts = [script(rng, 2000) for _ in range(150)]
    sizing = "linear" if histogram.linear else "constant"
    args = ["2", "2000", str(histogram.buckets), repr(histogram.min), repr(histogram.max), sizing]
    java_rows = run_java(scripts, args)
    our_rows = [row for ops in scripts for row in ours(ops, 2, 2000, spec)]
    compare(java_rows, our_rows, spec)
