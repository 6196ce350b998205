"""bench.scale without a broker: argument parsing, profiles, the per-run metrics, the result
document, its goals and the markdown / chart rendering."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bench.scale import plan
from bench.scale.worker import Job, per_partition


def test_points_parse() -> None:
    assert plan.parse_points("1, p10,t1000") == (
        plan.Point(1, 1),
        plan.Point(1, 10),
        plan.Point(1000, 1),
    )
    assert [p.name for p in plan.parse_points("5000,t1000")] == ["p5000", "t1000"]
    assert plan.Point(1000, 1).label == "1000 topics x 1 partition"
    assert plan.Point(1, 1).label == "1 topic x 1 partition"
    for bad in ("x", "t", "0", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            plan.parse_points(bad)


def test_arguments_and_profiles() -> None:
    args = plan.parse([])
    assert args.parts == plan.PARTS
    assert args.clients == plan.DEFAULT_CLIENTS
    prof = plan.profile_of(args)
    assert prof.name == "default"
    assert [p.name for p in prof.points] == ["p1", "p10", "p100", "p1000", "p5000", "t1000"]
    assert prof.idle_partitions == 5000 and prof.synthetic == (10_000, 50_000)
    assert plan.out_dir(args) == plan.SCALE_RESULTS

    args = plan.parse(["--quick", "--parts", "memory,curves", "--points", "1,t5",
                       "--clients", "aiokafka_gen, aiokafka", "--messages", "7",
                       "--idle-partitions", "30"])  # fmt: skip
    assert args.parts == ("curves", "memory")  # canonical order
    assert args.clients == ("aiokafka_gen", "aiokafka")
    prof = plan.profile_of(args)
    assert prof.name == "quick" and prof.messages == 7
    assert prof.points == (plan.Point(1, 1), plan.Point(5, 1))
    assert prof.idle_partitions == prof.memory_partitions == 30
    assert plan.out_dir(args) == plan.QUICK_RESULTS
    with pytest.raises(SystemExit):
        plan.parse(["--parts", "curves,groups"])


def test_job_round_trip_and_pairs() -> None:
    job = Job("aiokafka_gen", "produce", "h:1", ["a", "b"], 2, messages=5, warmup_topic="w")
    assert Job.from_json(job.to_json()) == job
    # round-robin: consecutive records go to different topics / partitions
    assert job.pairs == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_per_partition() -> None:
    out = per_partition(1024, 2 * 2**20, 1024)
    assert out["rss_bytes_per_partition"] == 1024
    assert out["tracemalloc_bytes_per_partition"] == 2048
    assert "tracemalloc_delta_mib" not in per_partition(1, None, 1)


def test_curve_metrics_and_medians() -> None:
    raw = {"messages": 1000, "seconds": 0.5, "cpu_seconds": 0.002, "peak_rss_kib": 2048,
           "steady_messages": 500, "steady_seconds": 0.1, "steady_cpu_seconds": 0.0005,
           "first_batch_seconds": 0.3}  # fmt: skip
    m = plan.curve_metrics(raw)
    assert m["msgs_per_s"] == 2000
    assert m["cpu_us_per_record"] == pytest.approx(2.0)
    assert m["steady_cpu_us_per_record"] == pytest.approx(1.0)
    assert m["steady_msgs_per_s"] == pytest.approx(5000)
    assert plan.cpu_metric(m) == pytest.approx(1.0)  # the steady window wins
    assert plan.cpu_metric({"cpu_us_per_record": 3.0}) == 3.0
    assert plan.cpu_metric({}) is None
    cell = plan.median_cell([{"a": 1.0}, {"a": 3.0}, {"a": 2.0}, {"error": "boom"}])
    assert cell == {"a": 2.0, "repetitions": 3, "errors": ["boom"]}


def _cell(cpu: float, rate: float) -> dict[str, float]:
    return {"cpu_us_per_record": cpu, "msgs_per_s": rate}


def _doc() -> dict[str, Any]:
    curves = {
        "p1": {
            "aiokafka_gen": {"produce": _cell(2.0, 300e3), "consume": _cell(0.4, 2e6)},
            "aiokafka": {"produce": _cell(6.0, 100e3), "consume": _cell(1.0, 4e5)},
        },
        "p5000": {
            "aiokafka_gen": {"produce": _cell(2.8, 200e3), "consume": _cell(4.0, 5e4)},
            "aiokafka": {"produce": _cell(9.0, 50e3), "consume": _cell(1.5, 5e5)},
        },
    }
    results = {"curves": curves, "idle": {"aiokafka_gen": {"idle_core_fraction": 0.03}}}
    prof = plan.PROFILES["quick"]
    labels = {"aiokafka_gen": "aiokafka_gen (compiled)", "aiokafka": "aiokafka"}
    return plan.document(prof, ["aiokafka_gen", "aiokafka"], labels, results, {"seconds": 1})


def test_goals() -> None:
    found = {(g["goal"].split(" ")[0], g["client"]): g for g in _doc()["goals"]}
    produce = found[("produce", "aiokafka_gen")]
    assert produce["met"] is True and produce["figure"] == pytest.approx(1.4)
    consume = found[("consume", "aiokafka_gen")]
    assert consume["met"] is False and consume["figure"] == pytest.approx(10.0)
    idle = found[("idle", "aiokafka_gen")]
    assert idle["met"] is False and idle["figure"] == pytest.approx(0.03)
    ahead = found[("ahead", "aiokafka_gen")]
    assert ahead["met"] is False and ahead["figure"] == "6/8"
    assert "p5000 consume CPU/record: 4.00 vs 1.50" in ahead["detail"]
    assert not any(g["client"] == "aiokafka" for g in _doc()["goals"])  # ours only


def test_goals_not_measured() -> None:
    doc = plan.document(plan.PROFILES["quick"], ["aiokafka_gen"], {}, {"curves": {}}, {})
    assert doc["goals"] == []


def test_markdown_and_charts(tmp_path: Path) -> None:
    doc = _doc()
    doc["metadata"] = {
        "aiokafka_gen": {
            "real": {"topics": 3, "partitions": 10_000, "refresh_s": 0.05, "refresh_cpu_s": 0.04,
                     "held_tracemalloc_mib": 3.0, "rss_delta_mib": 4.0},
            "synthetic": {"50000": {"response_bytes": 2**20, "decode_s": 0.1, "apply_s": 0.2,
                                    "decoded_response_tracemalloc_mib": 10.0,
                                    "held_tracemalloc_mib": 9.0, "rss_delta_mib": 12.0}},
        },
        "aiokafka": {"errors": ["timed out"]},
    }  # fmt: skip
    consumer = {"rss_bytes_per_partition": 800.0, "tracemalloc_bytes_per_partition": 600.0}
    connection = {"sockets": 3, "rss_kib_per_connection": 4.0,
                  "tracemalloc_kib_per_connection": 60.0}  # fmt: skip
    doc["memory"] = {
        "aiokafka_gen": {"partitions_total": 5000, "consumer": consumer, "connection": connection}
    }
    text = plan.markdown(doc)
    assert "| 1 topic x 1 partition | 2.00 | 6.00 |" in text  # produce CPU table
    assert "aiokafka_gen (compiled)" in text
    assert "MISSED" in text and "| met |" in text
    assert "REAL broker" in text and "SYNTHETIC" in text and "| 50,000 |" in text
    assert "| aiokafka_gen (compiled) | consumer | 5,000 | 800.0 | 600.0 |" in text
    assert "3.00%" in text  # idle share of a core
    paths = plan.charts(doc, tmp_path)
    assert [p.name for p in paths] == ["curves-cpu.png", "curves-throughput.png"]
    assert all(p.stat().st_size > 0 for p in paths)
