"""The time floor: unit multiples from a short run's rate, re-runs under the floor, the
multiple kept for later repetitions, and the cells that report it (no broker: the worker
runs are simulated)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from bench.adapters import client
from bench.matrix import Variant, matrix
from bench.runner import FLOOR_TARGET, MAX_RESIZES, MAX_UNITS, Runner, units_for
from bench.stats import derive


def test_units_for_aims_above_the_floor() -> None:
    # a 100k-message unit at 1M msgs/s lasts 0.1 s: FLOOR_TARGET x 2 s needs 20 x that
    units = units_for(1_000_000.0, 100_000, 2.0, 1)
    assert units == math.ceil(FLOOR_TARGET * 20) and FLOOR_TARGET > 1.0
    assert units * 0.1 >= FLOOR_TARGET * 2.0 > (units - 1) * 0.1
    assert units_for(1_000_000.0, 100_000, 2.0, 60) == 61  # always grows
    assert units_for(0.0, 100_000, 2.0, 3) == 6  # no rate: double
    assert units_for(1e12, 1, 2.0, 1) == MAX_UNITS


def test_default_matrix_has_a_two_second_floor_and_a_java_warmup() -> None:
    default, full, quick = matrix("default"), matrix("full"), matrix("quick")
    assert default.min_seconds >= 2.0 and full.min_seconds >= 2.0
    assert quick.min_seconds == 0.0
    assert default.jvm_warmup >= 500_000 and quick.jvm_warmup > 0


class FakeRunner(Runner):
    """A Runner whose worker runs are simulated: each client has a rate (msgs/s)."""

    def __init__(self, rates: dict[str, float], floor: float, reps: int = 2) -> None:
        m = replace(matrix("quick"), min_seconds=floor, repetitions=reps)
        m = replace(m, variants=(Variant("consume", 10_000),))
        super().__init__(broker=None, m=m, clients=[])  # type: ignore[arg-type]
        self.clients = [client(name) for name in rates]
        self.rates = rates
        self.calls: list[tuple[str, int]] = []

    def measure(self, entry: Any, variant: Variant) -> dict[str, Any]:
        self.calls.append((entry.name, variant.messages))
        seconds = variant.messages / self.rates[entry.name]
        raw = {"messages": variant.messages, "bytes": variant.messages * 100,
               "seconds": seconds, "cpu_seconds": seconds / 2, "peak_rss_kib": 1024}  # fmt: skip
        return derive(raw)

    def _warm_broker(self) -> None:
        pass


def test_fast_client_is_resized_and_keeps_its_multiple() -> None:
    runner = FakeRunner({"confluent-kafka": 1_000_000.0, "kafka-python": 2_000.0}, floor=2.0)
    runner.timed()
    # confluent: 0.01 s at one unit -> discarded, 200+ units wanted, capped at MAX_UNITS;
    # kafka-python: 5 s at one unit, kept at once
    fast = [n for name, n in runner.calls if name == "confluent-kafka"]
    slow = [n for name, n in runner.calls if name == "kafka-python"]
    assert slow == [10_000, 10_000]
    assert fast[0] == 10_000 and fast[1:] == [MAX_UNITS * 10_000] * 2
    cells = runner.out.results["consume-100B [batch]"]
    assert cells["kafka-python"]["units"] == 1 and "resized_runs" not in cells["kafka-python"]
    fast_cell = cells["confluent-kafka"]
    assert fast_cell["units"] == MAX_UNITS and fast_cell["resized_runs"] == 1
    assert fast_cell["messages_per_run"] == MAX_UNITS * 10_000
    assert fast_cell["repetitions"] == 2  # the discarded run is not a repetition
    assert fast_cell["seconds"] == pytest.approx(1.0)  # 1M messages at 1M/s: capped
    assert fast_cell["runs_under_floor"] == 2
    assert runner.out.notes == [
        f"consume-100B [batch] confluent-kafka: 2 run(s) under the 2 s floor even at "
        f"{MAX_UNITS} units"
    ]


def test_every_kept_run_meets_the_floor() -> None:
    runner = FakeRunner({"confluent-kafka": 300_000.0, "aiokafka": 20_000.0}, floor=2.0, reps=3)
    runner.timed()
    for name, cell in runner.out.results["consume-100B [batch]"].items():
        assert cell["seconds"] >= 2.0, name
        assert "runs_under_floor" not in cell
    # a unit lasts 1/30 s and 0.5 s: the multiples aim at FLOOR_TARGET x 2 s
    assert runner.units[("consume-100B [batch]", "confluent-kafka")] == math.ceil(
        FLOOR_TARGET * 2.0 * 30
    )
    assert runner.units[("consume-100B [batch]", "aiokafka")] == math.ceil(FLOOR_TARGET * 2.0 * 2)


def test_a_slower_later_repetition_is_rerun_with_more_units() -> None:
    runner = FakeRunner({"confluent-kafka": 100_000.0}, floor=2.0, reps=2)
    runner.timed()
    first = runner.units[("consume-100B [batch]", "confluent-kafka")]
    assert first == math.ceil(FLOOR_TARGET * 2.0 * 10)  # a unit lasts 0.1 s
    runner.rates["confluent-kafka"] = 200_000.0  # the machine got faster: under 2 s now
    runner.calls.clear()
    metrics = runner.sized(client("confluent-kafka"), Variant("consume", 10_000))
    assert metrics["seconds"] >= 2.0
    assert runner.calls[0] == ("confluent-kafka", first * 10_000)  # discarded
    assert runner.units[("consume-100B [batch]", "confluent-kafka")] == math.ceil(
        FLOOR_TARGET * 2.0 * 20
    )


def test_no_floor_runs_one_unit() -> None:
    runner = FakeRunner({"confluent-kafka": 1_000_000.0}, floor=0.0)
    runner.timed()
    assert runner.calls == [("confluent-kafka", 10_000)] * 2
    assert runner.out.results["consume-100B [batch]"]["confluent-kafka"]["units"] == 1


def test_resizing_gives_up_after_max_resizes() -> None:
    runner = FakeRunner({"confluent-kafka": 1e9}, floor=2.0, reps=1)
    runner.rates = {"confluent-kafka": 1e9}
    metrics = runner.sized(client("confluent-kafka"), Variant("consume", 10_000))
    assert metrics["short"] == 1.0
    assert len(runner.calls) <= MAX_RESIZES + 1
