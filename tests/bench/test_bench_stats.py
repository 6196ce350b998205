"""Median / percentile math and the derived per-run metrics of the benchmarks."""

from __future__ import annotations

import pytest

from bench.stats import derive, latency_summary, medians, percentile


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 99.9) == 100.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0


def test_percentile_unsorted_and_single() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99.9) == 7.0


def test_percentile_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_latency_summary_keys() -> None:
    summary = latency_summary([float(v) for v in range(1000)])
    assert list(summary) == ["p50_ms", "p99_ms", "p99_9_ms"]
    assert summary["p50_ms"] == 499.0
    assert summary["p99_9_ms"] == 998.0


def test_medians_per_metric_odd_and_even() -> None:
    runs = [{"msgs_per_s": 3.0, "p99_ms": 1.0}, {"msgs_per_s": 1.0}, {"msgs_per_s": 2.0}]
    assert medians(runs) == {"msgs_per_s": 2.0, "p99_ms": 1.0}
    assert medians([{"x": 1.0}, {"x": 4.0}]) == {"x": 2.5}


def test_derive_units() -> None:
    raw = {
        "messages": 200_000,
        "bytes": 20_000_000,
        "seconds": 2.0,
        "cpu_seconds": 3.0,
        "peak_rss_kib": 51_200,
        "p99_ms": 4.5,
    }
    out = derive(raw)
    assert out["msgs_per_s"] == 100_000.0
    assert out["mb_per_s"] == 10.0
    assert out["cpu_s_per_m"] == 15.0
    assert out["peak_rss_mib"] == 50.0
    assert out["p99_ms"] == 4.5
    assert "p50_ms" not in out
