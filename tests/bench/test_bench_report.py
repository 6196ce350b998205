"""latest.json shape, markdown tables and charts, from a synthetic outcome (no broker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.adapters import CLIENTS
from bench.runner import rotated


def sample() -> dict[str, Any]:
    results = {
        "produce-100B [p1 acks=1 batch=16KiB]": {
            "aiokafka": {"msgs_per_s": 1000.0, "mb_per_s": 0.1, "cpu_s_per_m": 9.0,
                         "peak_rss_mib": 40.0, "repetitions": 3},
            "aiokafka_gen": {"n/a": "not built"},
        },
        "produce-latency [acks=1]": {
            "aiokafka": {"msgs_per_s": 100.0, "mb_per_s": 0.01, "cpu_s_per_m": 500.0,
                         "peak_rss_mib": 40.0, "p50_ms": 1.0, "p99_ms": 2.0, "p99_9_ms": 3.0},
            "java": {"n/a": "no such mode in this client's tools"},
        },
    }  # fmt: skip
    meta = {"machine": {"cpu": "test", "cores": 2}, "settings": {"matrix": "quick"}}
    return report.document(results, meta)


def test_document_shape() -> None:
    doc = sample()
    json.dumps(doc)  # serialisable
    for key in report.META_KEYS:
        assert key in doc
    rows = report.scenario_rows(doc)
    assert set(rows) == {"produce-100B [p1 acks=1 batch=16KiB]", "produce-latency [acks=1]"}
    for cells in rows.values():
        for metrics in cells.values():
            assert isinstance(metrics, dict)


def test_markdown_cells() -> None:
    text = report.markdown(sample())
    assert "| scenario | aiokafka | aiokafka_gen | java |" in text
    assert "not built" in text
    assert "| produce-100B [p1 acks=1 batch=16KiB] | 1,000 | not built | - |" in text
    assert "| produce-latency [acks=1] | 2.00 | - | n/a |" in text


def test_charts_one_png_per_scenario(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = report.charts(sample(), tmp_path)
    assert sorted(p.name for p in written) == ["produce-100B.png", "produce-latency.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)


def test_rotation_changes_who_goes_first() -> None:
    clients = list(CLIENTS)
    firsts = {rotated(clients, rep)[0].name for rep in range(len(clients))}
    assert len(firsts) == len(clients)
    assert sorted(c.name for c in rotated(clients, 4)) == sorted(c.name for c in clients)


def test_worker_reports_errors_as_json() -> None:
    from bench.matrix import Run, Variant
    from bench.runner import call_worker

    run = Run("java", Variant("latency", 1), "127.0.0.1:1", "t", "w")
    result = call_worker(client_named("java"), run)
    assert "error" in result and "latency" in result["error"]


def client_named(name: str) -> Any:
    from bench.adapters import client

    return client(name)


def test_columns_say_compiled_or_pure(tmp_path: Path) -> None:
    results = {
        "consume-100B [batch]": {
            name: {"msgs_per_s": 1000.0, "mb_per_s": 0.1, "cpu_s_per_m": 1.0,
                   "peak_rss_mib": 40.0, "seconds": 2.5, "messages": 2500.0, "units": 5}
            for name in ("aiokafka_gen", "aiokafka_gen-pure", "aiokafka")
        },
    }  # fmt: skip
    implementations = {
        "aiokafka_gen": {"aiokafka_gen.records": "compiled", "aiokafka_gen.protocol": "compiled"},
        "aiokafka_gen-pure": {"*": "pure"},
    }
    meta = {"settings": {"matrix": "default", "min_seconds": 2.0, "jvm_warmup_records": 1000},
            "implementations": implementations, "notes": ["a warning"]}  # fmt: skip
    doc = report.document(results, meta)
    assert json.loads(json.dumps(doc))["implementations"] == implementations
    assert report.scenario_rows(doc).keys() == {"consume-100B [batch]"}
    text = report.markdown(doc)
    assert "| scenario | aiokafka_gen (compiled) | aiokafka_gen-pure (pure) | aiokafka |" in text
    assert "every timed run lasts at least 2 s" in text
    assert "### Timed window per run, seconds" in text
    assert "| consume-100B [batch] | 2.5 | 2.5 | 2.5 |" in text
    assert "| consume-100B [batch] | 2,500 | 2,500 | 2,500 |" in text  # messages per run
    assert "WARNING: a warning" in text
    assert "warm-up records" in text
    pytest.importorskip("matplotlib")
    assert [p.name for p in report.charts(doc, tmp_path)] == ["consume-100B.png"]


def test_the_metrics_cost_table_compares_on_and_off() -> None:
    cell = {"mb_per_s": 0.1, "peak_rss_mib": 40.0, "seconds": 2.5, "messages": 2500.0}
    results = {
        "produce-100B [p1]": {
            "aiokafka_gen": cell | {"msgs_per_s": 970.0, "cpu_s_per_m": 1.03},
            "aiokafka_gen-nometrics": cell | {"msgs_per_s": 1000.0, "cpu_s_per_m": 1.0},
        },
        "pipeline [lz4]": {"aiokafka_gen": cell | {"msgs_per_s": 5.0, "cpu_s_per_m": 1.0}},
    }
    doc = report.document(results, {"settings": {"matrix": "default"}})
    table = report.metrics_cost(doc)
    assert (
        table.splitlines()[2] == "| produce-100B [p1] | 970 | 1,000 | +3.0% | 1.03 | 1.00 | +3.0% |"
    )
    assert "pipeline" not in table  # no metrics-off cell: not compared
    assert "### Cost of the metrics" in report.markdown(doc)
    no_off = report.document({"pipeline [lz4]": results["pipeline [lz4]"]}, {})
    assert report.metrics_cost(no_off) == "" and "Cost of the metrics" not in report.markdown(
        no_off
    )
