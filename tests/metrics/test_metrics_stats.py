"""Every statistic of a sensor against hand-computed values, on a fake clock.

Window 30 s, 2 samples (Java's defaults): the ring holds 3 samples, samples whose last
event is >= 60 s old are reset when measured, and a rate's divisor is padded to at least one
full window (num_samples - 1) while less has elapsed.
"""

from __future__ import annotations

import math

import pytest

from aiokafka_gen.metrics import MetricConfig, Metrics, Sensor
from aiokafka_gen.metrics.catalogue import Histogram, MetricSpec, SensorSpec

ALL_STATS = ("avg", "max", "min", "rate", "count-rate", "total", "count", "value")
SPEC = SensorSpec(
    "test.all",
    ("producer",),
    "test-metrics",
    (),
    "a test value",
    tuple(MetricSpec(f"x-{stat}", stat, stat) for stat in ALL_STATS),
)


def make(window: float = 30.0, samples: int = 2) -> Sensor:
    registry = Metrics("c", "producer", MetricConfig(window, samples), clock=lambda: 0.0)
    return registry.sensor(SPEC)


def values(sensor: Sensor, now: float, per: float = 1.0) -> dict[str, float]:
    return {stat: sensor.measure(stat, now, per) for stat in ALL_STATS}


def test_empty_sensor() -> None:
    sensor = make()
    got = values(sensor, 5.0)
    assert math.isnan(got["avg"]) and math.isnan(got["max"]) and math.isnan(got["min"])
    assert got["rate"] == 0.0 and got["count-rate"] == 0.0
    assert got["total"] == 0.0 and got["count"] == 0.0 and got["value"] == 0.0


def test_first_window_rate_is_padded_to_one_full_window() -> None:
    sensor = make()
    sensor.record(10, 0.0)
    assert sensor.measure("rate", 0.0) == pytest.approx(10 / 30)
    assert sensor.measure("rate", 10.0) == pytest.approx(10 / 40)
    assert sensor.measure("rate", 29.5) == pytest.approx(10 / 59.5)
    # One full window elapsed: no padding any more (Java's step from ~60 s to 30 s).
    assert sensor.measure("rate", 30.0) == pytest.approx(10 / 30)
    assert sensor.measure("rate", 45.0) == pytest.approx(10 / 45)
    assert sensor.measure("count-rate", 45.0) == pytest.approx(1 / 45)


def test_rate_with_three_samples_pads_to_two_windows() -> None:
    sensor = make(window=10.0, samples=3)
    sensor.record(6, 0.0)
    assert sensor.measure("rate", 5.0) == pytest.approx(6 / 25)
    assert sensor.measure("rate", 15.0) == pytest.approx(6 / 25)
    assert sensor.measure("rate", 20.0) == pytest.approx(6 / 20)


def test_rollover_reuses_the_oldest_sample_and_purges_obsolete_ones() -> None:
    sensor = make()
    sensor.record(10, 0.0)  # sample 0 starts at 0
    sensor.record(20, 30.0)  # complete: sample 1 starts at 30
    sensor.record(30, 60.0)  # sample 2 starts at 60
    sensor.record(40, 90.0)  # the ring of 3 wraps: sample 0 is reset and starts at 90
    got = values(sensor, 90.0)
    # At 90: sample 1's last event (30) is 60 s old -> reset; left: 40 (90) and 30 (60).
    assert got["avg"] == pytest.approx(35.0)
    assert got["max"] == 40.0 and got["min"] == 30.0
    # Oldest start 60 -> 30 s elapsed = one full window, no padding.
    assert got["rate"] == pytest.approx(70 / 30)
    assert got["count-rate"] == pytest.approx(2 / 30)
    assert got["total"] == 100.0 and got["count"] == 4.0 and got["value"] == 40.0


def test_window_holds_up_to_three_samples() -> None:
    sensor = make()
    sensor.record(1, 0.0)
    sensor.record(2, 29.0)
    sensor.record(4, 30.0)  # sample 1 at 30
    sensor.record(8, 60.0)  # sample 2 at 60
    # At 61: sample 0's last event (29) is 32 s old: kept. All three count.
    got = values(sensor, 61.0)
    assert got["avg"] == pytest.approx(15 / 4)
    assert got["rate"] == pytest.approx(15 / 61)
    assert got["max"] == 8.0 and got["min"] == 1.0


def test_idle_sensor_is_purged_but_keeps_its_totals() -> None:
    sensor = make()
    sensor.record(10, 0.0)
    sensor.record(5, 1.0)
    got = values(sensor, 61.0)
    assert math.isnan(got["avg"]) and math.isnan(got["max"]) and math.isnan(got["min"])
    assert got["rate"] == 0.0
    assert got["total"] == 15.0 and got["count"] == 2.0 and got["value"] == 5.0
    # The purge reset the live sample at 61; the next record lands in it.
    sensor.record(3, 70.0)
    assert sensor.measure("avg", 70.0) == 3.0
    assert sensor.measure("rate", 70.0) == pytest.approx(3 / (9 + 30))
    assert sensor.measure("total", 70.0) == 18.0


def test_purge_at_exactly_the_horizon() -> None:
    sensor = make()
    sensor.record(7, 0.0)
    assert sensor.measure("avg", 59.0) == 7.0
    assert math.isnan(sensor.measure("avg", 60.0))


def test_rate_measured_before_any_record_starts_the_window() -> None:
    # Java's Rate creates its first sample when measured, so the window starts there.
    early = make()
    assert early.measure("rate", 5.0) == 0.0
    early.record(6, 20.0)  # 15 s after the sample started: same sample
    assert early.measure("rate", 20.0) == pytest.approx(6 / 45)
    fresh = make()
    fresh.record(6, 20.0)
    assert fresh.measure("rate", 20.0) == pytest.approx(6 / 30)


def test_rate_units() -> None:
    sensor = make()
    sensor.record(1, 0.0)
    sensor.record(1, 1.0)
    assert sensor.measure("count-rate", 1.0, per=3600.0) == pytest.approx(2 / 31 * 3600)
    ns = make()
    ns.record(3e9, 0.0)  # 3 s waited, recorded in nanoseconds
    assert ns.measure("rate", 30.0, per=1e-9) == pytest.approx(0.1)


def test_negative_and_float_values() -> None:
    sensor = make()
    for value, at in ((-5, 0.0), (2.5, 1.0), (0, 2.0)):
        sensor.record(value, at)
    got = values(sensor, 2.0)
    assert got["min"] == -5 and got["max"] == 2.5
    assert got["avg"] == pytest.approx(-2.5 / 3)
    assert got["value"] == 0


def test_rate_never_divides_by_less_than_a_millisecond() -> None:
    sensor = make(window=0.0005, samples=1)
    sensor.record(1, 0.0)
    assert sensor.measure("rate", 0.0) == pytest.approx(1000.0)


def test_unknown_statistic() -> None:
    sensor = make()
    sensor.record(1, 0.0)
    with pytest.raises(ValueError):
        sensor.measure("p99", 0.0)


def test_last_record_time() -> None:
    sensor = make()
    assert sensor.last_record_time == 0.0  # creation (the registry's clock)
    sensor.measure("rate", 50.0)  # measuring is not recording
    assert sensor.last_record_time == 0.0
    sensor.record(1, 12.5)
    assert sensor.last_record_time == 12.5


def test_cheaper_sensor_classes_agree_with_the_full_one() -> None:
    import random

    from aiokafka_gen.metrics._core import _MaxSensor, _SumSensor, sensor_class

    assert sensor_class(["avg", "rate", "total"]) is _SumSensor
    assert sensor_class(["avg", "max", "count-rate"]) is _MaxSensor
    assert sensor_class(["max", "min"]) is Sensor
    assert sensor_class(["value"]) is Sensor
    rng = random.Random(24)
    config = MetricConfig(10.0, 2)
    for _ in range(50):
        full, cheap_max, cheap_sum = (
            cls(("k", ()), (), {}, config, 0.0) for cls in (Sensor, _MaxSensor, _SumSensor)
        )
        t = 0.0
        for _ in range(40):
            t += rng.choice((0.0, 0.5, 5.0, 10.0, 25.0))
            if rng.random() < 0.7:
                value = rng.uniform(-10, 100)
                for sensor in (full, cheap_max, cheap_sum):
                    sensor.record(value, t)
            else:
                for sensor in (cheap_max, cheap_sum):
                    for stat in sensor.TRACKS:
                        want, got = full.measure(stat, t), sensor.measure(stat, t)
                        assert got == want or (math.isnan(want) and math.isnan(got))
    with pytest.raises(ValueError):
        cheap_sum.measure("max", t)
    with pytest.raises(ValueError):
        cheap_max.measure("value", t)


def histogram_sensor(histogram: Histogram, window: float = 30.0) -> Sensor:
    spec = SensorSpec(
        "test.histogram",
        ("producer",),
        "test-metrics",
        (),
        "a test value",
        (
            MetricSpec("x-avg", "avg", "avg"),
            *(MetricSpec(f"p{q}", "percentile", "p", percentile=q) for q in (25, 50, 90, 99, 100)),
        ),
        histogram,
    )
    return Metrics("c", "producer", MetricConfig(window, 2), clock=lambda: 0.0).sensor(spec)


def test_percentiles_constant_bins() -> None:
    sensor = histogram_sensor(Histogram(10, 0.0, 100.0))
    assert math.isnan(sensor.measure("percentile", 0.0, percentile=50))
    for value in (5, 15, 25, 35, 45, 55, 65, 75, 85, 95):
        sensor.record(value, 0.0)
    got = {q: sensor.measure("percentile", 0.0, percentile=q) for q in (25, 50, 90, 99, 100)}
    # The lower edge of the first bin where the share of values up to it exceeds q; the
    # share is compared as a 32-bit float (0.9 of the values up to bin 8 does not exceed 0.9).
    assert got == {25: 20.0, 50: 50.0, 90: 90.0, 99: 90.0, 100: math.inf}
    assert sensor.measure("avg", 0.0) == 50.0
    snap = {name.name: value for name, value in sensor.values(0.0)}
    assert snap["p50"] == 50.0 and snap["p100"] == math.inf


def test_percentiles_pin_out_of_range_values() -> None:
    sensor = histogram_sensor(Histogram(10, 0.0, 100.0))
    sensor.record(1000, 0.0)  # pinned to 100 -> the last bin
    sensor.record(-5, 0.0)  # pinned to 0 -> the first bin
    assert sensor.measure("percentile", 0.0, percentile=25) == 0.0
    assert sensor.measure("percentile", 0.0, percentile=75) == 90.0
    assert sensor.measure("max", 0.0) == 1000  # the other statistics see the real value


def test_percentiles_linear_bins() -> None:
    # scale = 60 / (4 * 3 / 2) = 10: bins start at 0, 10, 30, 60
    sensor = histogram_sensor(Histogram(4, 0.0, 60.0, linear=True))
    for value in (5, 10, 29, 30, 59, 60):
        sensor.record(value, 0.0)
    # bins: 5 -> 0; 10, 29 -> 1; 30, 59 -> 2; 60 -> 3
    assert sensor.measure("percentile", 0.0, percentile=10) == 0.0
    assert sensor.measure("percentile", 0.0, percentile=25) == 10.0
    assert sensor.measure("percentile", 0.0, percentile=60) == 30.0
    assert sensor.measure("percentile", 0.0, percentile=90) == 60.0


def test_percentiles_follow_the_window() -> None:
    sensor = histogram_sensor(Histogram(10, 0.0, 100.0))
    sensor.record(95, 0.0)
    sensor.record(95, 30.0)  # a second window
    assert sensor.measure("percentile", 30.0, percentile=50) == 90.0
    sensor.record(5, 61.0)  # a third window; the first (last event at 0) is purged at 61
    sensor.record(5, 61.0)
    assert sensor.measure("percentile", 61.0, percentile=50) == 0.0
    assert sensor.measure("percentile", 61.0, percentile=70) == 90.0  # 95 (30), 5, 5
    assert math.isnan(sensor.measure("percentile", 200.0, percentile=50))


def test_histogram_checks() -> None:
    with pytest.raises(ValueError):
        histogram_sensor(Histogram(1, 0.0, 10.0))
    with pytest.raises(ValueError):
        histogram_sensor(Histogram(4, 10.0, 10.0))
    with pytest.raises(ValueError):
        histogram_sensor(Histogram(4, 1.0, 10.0, linear=True))
    with pytest.raises(ValueError):  # percentile metrics without a histogram
        SensorSpec(
            "k", ("producer",), "g", (), "r", (MetricSpec("p", "percentile", "p", percentile=50),)
        )
    with pytest.raises(ValueError):
        MetricSpec("p", "percentile", "p")
    with pytest.raises(ValueError):
        make().measure("percentile", 0.0)
