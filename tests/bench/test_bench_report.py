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
