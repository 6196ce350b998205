"""Micro-benchmark of the metrics record path (not a test; run it by hand).

    .venv/bin/python tests/metrics/bench_metrics_record.py

Prints nanoseconds per call of ``sensor.record(value, now)`` for a sensor exposing
avg + max + rate (statistics are computed at snapshot time; a sensor records into count, sum,
max and the last time, plus min and last value when it has those, plus a histogram bin when
it has percentiles),
next to the floors it is made of: an empty method call, and the per-record alternative the
hot path should use instead (a plain integer bump flushed by one record per batch).
"""

from __future__ import annotations

import time
import timeit

from aiokafka_gen.metrics import MetricConfig, Metrics
from aiokafka_gen.metrics.catalogue import Histogram, MetricSpec, SensorSpec

SPEC = SensorSpec(
    "bench.latency",
    ("producer",),
    "bench-metrics",
    (),
    "one request: its latency",
    (
        MetricSpec("x-avg", "avg", "avg"),
        MetricSpec("x-max", "max", "max"),
        MetricSpec("x-rate", "rate", "rate"),
    ),
)


HISTOGRAM = (
    MetricSpec("x-avg", "avg", "avg"),
    MetricSpec("x-p99", "percentile", "p99", percentile=99.0),
)


def _histogram_spec(linear: bool) -> SensorSpec:
    return SensorSpec(
        f"bench.histogram-{linear}",
        ("producer",),
        "bench-metrics",
        (),
        "one request: its latency",
        HISTOGRAM,
        Histogram(250, 0.0, 30000.0, linear),
    )


class _Empty:
    __slots__ = ()

    def record(self, value: float, now: float) -> None:
        pass


class _Counter:
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


def _best(stmt: str, env: dict[str, object], number: int = 200_000, repeat: int = 7) -> float:
    timer = timeit.Timer(stmt, globals=env)
    return min(timer.repeat(repeat, number)) / number * 1e9


def main() -> None:
    metrics = Metrics("bench", "producer", MetricConfig())
    sensor = metrics.sensor(SPEC)
    now = time.monotonic()
    env: dict[str, object] = {
        "sensor": sensor,
        "constant": metrics.sensor(_histogram_spec(False)),
        "linear": metrics.sensor(_histogram_spec(True)),
        "empty": _Empty(),
        "counter": _Counter(),
        "now": now,
        "monotonic": time.monotonic,
    }
    rows = [
        ("empty method call (floor)", "empty.record(1.5, now)"),
        ("sensor.record(value, now)", "sensor.record(1.5, now)"),
        ("sensor.record(int, now)", "sensor.record(100, now)"),
        ("percentile sensor, constant bins", "constant.record(12.5, now)"),
        ("percentile sensor, linear bins", "linear.record(12.5, now)"),
        ("per-record integer bump", "counter.n += 1"),
        ("time.monotonic() (avoided per record)", "monotonic()"),
    ]
    for label, stmt in rows:
        print(f"{label:40s} {_best(stmt, env):7.1f} ns")
    # A window roll-over every call (the worst case: a new window per record).
    roll = Metrics("bench", "producer", MetricConfig(sample_window=1e-12)).sensor(SPEC)
    clock = iter(range(10**9))
    env2: dict[str, object] = {"roll": roll, "clock": clock}
    print(f"{'record with a roll-over every call':40s} "
          f"{_best('roll.record(1.5, next(clock))', env2, number=100_000):7.1f} ns")  # fmt: skip
    t0 = time.perf_counter()
    for _ in range(1000):
        metrics.snapshot()
    per = (time.perf_counter() - t0) * 1e3
    print(f"{'snapshot (3 sensors, 7 metrics)':40s} {per:7.1f} us")


if __name__ == "__main__":
    main()
