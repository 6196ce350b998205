"""The catalogue against issue #24's list, its own consistency, the generated reference,
and the package's import rules (stdlib only, not imported by ``import aiokafka_gen``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import aiokafka_gen.metrics as metrics_pkg
from aiokafka_gen.metrics import Metrics
from aiokafka_gen.metrics import catalogue as cat
from aiokafka_gen.metrics.__main__ import main
from aiokafka_gen.metrics.reference import SECTIONS, markdown, rows

# The metrics issue #24 names, per client (connection metrics exist for every client).
ISSUE_PRODUCER = [
    "record-send-rate", "record-send-total", "record-error-rate", "record-retry-rate",
    "request-latency-avg", "request-latency-max", "batch-size-avg", "batch-size-max",
    "records-per-request-avg", "compression-rate-avg", "buffer-available-bytes",
    "bufferpool-wait-ratio", "bufferpool-wait-time-ns-total", "produce-throttle-time-avg",
    "produce-throttle-time-max", "requests-in-flight",
]  # fmt: skip
ISSUE_CONSUMER = [
    "records-consumed-rate", "bytes-consumed-rate", "fetch-latency-avg", "fetch-latency-max",
    "fetch-size-avg", "records-lag", "records-lag-max", "records-lead-min",
    "commit-latency-avg", "commit-latency-max", "rebalance-latency-avg",
    "rebalance-latency-max", "rebalance-rate-per-hour", "heartbeat-response-time-max",
    "last-poll-seconds-ago",
]  # fmt: skip
ISSUE_CONNECTION = [
    "connection-count", "connection-creation-rate", "event-loop-lag-avg",
    "incoming-byte-rate", "outgoing-byte-rate", "incoming-byte-total", "outgoing-byte-total",
]  # fmt: skip


def _names(prefix: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(name, group) -> tag keys of every metric a ``prefix`` client has."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    metrics = Metrics("c", prefix)
    for spec in cat.ALL_SENSORS:
        if spec.applies_to(prefix):
            for metric in spec.metrics:
                key = (metric.name, metrics.group(spec.group))
                assert key not in found or found[key] != spec.tags, f"{key} declared twice"
                found[key] = spec.tags
    for gauge in cat.ALL_GAUGES:
        if gauge.applies_to(prefix):
            key = (gauge.name, metrics.group(gauge.group))
            assert key not in found or found[key] != gauge.tags, f"{key} declared twice"
            found[key] = gauge.tags
    return found


@pytest.mark.parametrize(
    ("prefix", "wanted"),
    [
        ("producer", ISSUE_PRODUCER + ISSUE_CONNECTION),
        ("consumer", ISSUE_CONSUMER + ISSUE_CONNECTION),
        ("admin-client", ISSUE_CONNECTION),
    ],
)
def test_every_metric_the_issue_lists_is_declared(prefix: str, wanted: list[str]) -> None:
    have = {name for name, _group in _names(prefix)}
    assert not [name for name in wanted if name not in have]


def test_per_partition_lag_and_per_api_and_per_node_metrics() -> None:
    consumer = _names("consumer")
    fetch = "consumer-fetch-manager-metrics"
    assert consumer[("records-lag", fetch)] == ("topic", "partition")
    assert consumer[("records-lag-max", fetch)] in {(), ("topic", "partition")}
    for prefix in cat.CLIENTS:
        names = _names(prefix)
        assert names[("request-rate", f"{prefix}-request-metrics")] == ("api",)
        assert names[("request-latency-avg", f"{prefix}-request-metrics")] == ("api",)
        assert names[("request-latency-avg", f"{prefix}-node-metrics")] == ("node-id",)
        assert names[("request-rate", f"{prefix}-metrics")] == ()


def test_java_groups_and_tag_keys() -> None:
    java_groups = {
        "producer-metrics", "producer-topic-metrics", "consumer-fetch-manager-metrics",
        "consumer-coordinator-metrics", "consumer-metrics", "{prefix}-metrics",
        "{prefix}-node-metrics",
    }  # fmt: skip
    for spec in (*cat.ALL_SENSORS, *cat.ALL_GAUGES):
        assert set(spec.tags) <= {"node-id", "topic", "partition", "api"}, spec
        java = [m.java for m in spec.metrics] if isinstance(spec, cat.SensorSpec) else [spec.java]
        if any(java):
            assert spec.group in java_groups, spec
        else:
            assert spec.group.startswith("{prefix}"), spec


def test_catalogue_entries_are_well_formed() -> None:
    keys = [spec.key for spec in cat.ALL_SENSORS]
    assert len(keys) == len(set(keys))
    for spec in cat.ALL_SENSORS:
        assert spec.clients and set(spec.clients) <= set(cat.CLIENTS)
        assert spec.records and spec.metrics
        for metric in spec.metrics:
            assert metric.description.endswith(".") and metric.unit, metric
            assert metric.java in ("", metric.name)
            assert metric.per > 0
            if metric.name.endswith("-per-hour"):
                assert metric.per == 3600.0
    for gauge in cat.ALL_GAUGES:
        assert gauge.description.endswith(".") and gauge.unit
    with pytest.raises(ValueError):
        cat.MetricSpec("x", "p99", "x")


def test_every_spec_registers() -> None:
    for prefix in cat.CLIENTS:
        metrics = Metrics("c", prefix)
        expected = 0
        for spec in cat.ALL_SENSORS:
            if spec.applies_to(prefix):
                tags = {key.replace("-", "_"): "1" for key in spec.tags}
                metrics.sensor(spec, **tags).record(1, 0.0)
                expected += len(spec.metrics)
        for gauge in cat.ALL_GAUGES:
            if gauge.applies_to(prefix):
                metrics.gauge(gauge, lambda: 1.0, **{k.replace("-", "_"): "1" for k in gauge.tags})
                expected += 1
        assert len(metrics.snapshot(1.0)) == expected == len(metrics)


def test_reference_covers_every_catalogue_entry() -> None:
    text = markdown()
    table = [line for line in text.splitlines() if line.startswith("| `")]
    expected = sum(len(s.metrics) for s in cat.ALL_SENSORS) + len(cat.ALL_GAUGES)
    assert len(table) == len(list(rows())) == expected
    for spec in cat.ALL_SENSORS:
        for metric in spec.metrics:
            assert f"| `{metric.name}` | `{spec.group}` |" in text
    for gauge in cat.ALL_GAUGES:
        assert f"| `{gauge.name}` | `{gauge.group}` |" in text
    for _key, title, _owners in SECTIONS:
        assert f"## {title}" in text


def test_cli_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown()
    assert main([]) == 2


def test_import_aiokafka_gen_does_not_import_metrics() -> None:
    code = "import sys, aiokafka_gen; print('aiokafka_gen.metrics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# The exporters' own optional dependencies, and the KIP-714 reporter, which talks to brokers
# (the client logger at import; messages, codecs and errors lazily; the client for typing
# only; the import-linter contract metrics-is-a-leaf keeps it off the clients). None of the
# three is imported by ``aiokafka_gen.metrics`` itself (checked below).
_OPTIONAL = {
    "otel.py": {"opentelemetry"},
    "prometheus.py": {"prometheus_client"},
    "telemetry.py": {"aiokafka_gen"},
}


def test_metrics_package_imports_only_the_stdlib() -> None:
    init = Path(metrics_pkg.__file__).read_text()
    assert not any(name in init for name in ("otel", "prometheus", "telemetry"))
    for path in Path(metrics_pkg.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            for root in roots:
                assert (
                    root in sys.stdlib_module_names
                    or root == "__future__"
                    or root in _OPTIONAL.get(path.name, set())
                ), (path, root)
