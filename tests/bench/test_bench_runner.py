"""The runner's bookkeeping around a run (no broker, no worker: both simulated): the one
consume topic grown on demand, the Java tools' untimed records in the stored-count check,
and the implementation each aiokafka_gen column reports."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import bench.runner
from bench.adapters import client
from bench.implementation import label
from bench.matrix import Run, Variant, jvm_records, matrix
from bench.runner import SHARE_FIRST_POLL, Runner


class FakeBroker:
    """Topics as record counts; a produce worker run appends its records."""

    bootstrap = "127.0.0.1:1"

    def __init__(self) -> None:
        self.topics: dict[str, int] = {}

    def create(self, topics: dict[str, int]) -> None:
        self.topics |= dict.fromkeys(topics, 0)

    def delete(self, *names: str) -> None:
        for name in names:
            self.topics.pop(name, None)

    def count(self, topic: str, partitions: int) -> int:
        return self.topics[topic]

    def read_back(self, topic: str, partitions: int, value: bytes) -> tuple[int, int]:
        return self.topics[topic], 0

    def share_group(self) -> str:
        self.groups = getattr(self, "groups", 0) + 1
        return f"share-{self.groups}"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> tuple[Runner, list[Run]]:
    broker = FakeBroker()
    runs: list[Run] = []

    def fake_worker(entry: Any, run: Run) -> dict[str, Any]:
        runs.append(run)
        v = run.variant
        if v.kind == "produce":  # the Java tool writes its untimed records too
            java = entry.name == "java"
            broker.topics[run.topic] += jvm_records(v.messages, run.jvm_warmup if java else 0)
        result = {"messages": v.messages, "bytes": v.messages * 100, "seconds": 3.0,
                  "cpu_seconds": 1.0, "peak_rss_kib": 1024, "path": "fake"}  # fmt: skip
        if entry.is_aiokafka_gen:
            result["implementation"] = {"*": "compiled" if not entry.env else "pure"}
        return result

    monkeypatch.setattr(bench.runner, "call_worker", fake_worker)
    m = replace(matrix("default"), variants=(Variant("consume", 200_000),))
    r = Runner(broker, m, [])  # type: ignore[arg-type]
    r.clients = [client(n) for n in ("aiokafka_gen", "aiokafka_gen-pure", "java")]
    return r, runs


def test_consume_topic_grows_for_java_warmup_and_multiples(
    runner: tuple[Runner, list[Run]],
) -> None:
    r, runs = runner
    r.prepare()
    warmup = r.m.jvm_warmup
    assert r.consume_size == jvm_records(200_000, warmup)  # Java's first run fits
    assert all(run.jvm_warmup == 0 for run in runs)  # fills are not timed runs
    r.measure(client("aiokafka_gen"), Variant("consume", 600_000))  # fits: no fill
    assert r.consume_size == jvm_records(200_000, warmup)
    r.measure(client("java"), Variant("consume", 4_000_000))
    assert r.consume_size >= jvm_records(4_000_000, warmup)
    assert runs[-1].client == "java" and runs[-1].jvm_warmup == warmup
    assert runs[-1].topic == r.consume_topic


def test_java_produce_count_includes_its_warmup(runner: tuple[Runner, list[Run]]) -> None:
    r, runs = runner
    metrics = r.measure(client("java"), Variant("produce", 300_000))
    assert "error" not in metrics, metrics
    assert runs[-1].jvm_warmup == r.m.jvm_warmup
    metrics = r.measure(client("aiokafka_gen"), Variant("produce", 300_000))
    assert "error" not in metrics, metrics
    assert metrics["messages"] == 300_000 and metrics["seconds"] == 3.0


def test_implementations_are_recorded_per_column(runner: tuple[Runner, list[Run]]) -> None:
    r, _ = runner
    for name in ("aiokafka_gen", "aiokafka_gen-pure", "java"):
        r.measure(client(name), Variant("produce", 1000))
    assert r.out.implementations == {
        "aiokafka_gen": {"*": "compiled"},
        "aiokafka_gen-pure": {"*": "pure"},
    }
    assert r.out.notes == []


def test_a_pure_column_that_ran_compiled_is_flagged(
    runner: tuple[Runner, list[Run]], monkeypatch: pytest.MonkeyPatch
) -> None:
    r, _ = runner
    original = bench.runner.call_worker

    def compiled_anyway(entry: Any, run: Run) -> dict[str, Any]:
        return original(entry, run) | {"implementation": {"*": "compiled"}}

    monkeypatch.setattr(bench.runner, "call_worker", compiled_anyway)
    r.measure(client("aiokafka_gen-pure"), Variant("produce", 1000))
    assert any("aiokafka_gen-pure ran compiled" in note for note in r.out.notes)


def test_a_column_whose_build_changed_between_runs_is_varied(
    runner: tuple[Runner, list[Run]], monkeypatch: pytest.MonkeyPatch
) -> None:
    r, _ = runner
    original = bench.runner.call_worker
    builds = iter([{"a": "compiled", "b": "compiled"}, {"a": "compiled", "b": "pure"}])

    def rebuilt(entry: Any, run: Run) -> dict[str, Any]:
        return original(entry, run) | {"implementation": next(builds)}

    monkeypatch.setattr(bench.runner, "call_worker", rebuilt)
    r.measure(client("aiokafka_gen"), Variant("produce", 1000))
    r.measure(client("aiokafka_gen"), Variant("produce", 1000))
    assert r.out.implementations["aiokafka_gen"] == {"a": "compiled", "b": "varied"}
    assert label("aiokafka_gen", r.out.implementations["aiokafka_gen"]) == (
        "aiokafka_gen (varied between runs)"
    )
    assert any("{'b': 'pure'}" in note for note in r.out.notes)


def test_share_runs_read_the_consume_topic_each_in_a_new_group(
    runner: tuple[Runner, list[Run]],
) -> None:
    r, runs = runner
    r.m = replace(r.m, variants=(Variant("share", 50_000, mode="implicit"),
                                 Variant("share", 50_000, mode="explicit")))  # fmt: skip
    r.prepare()  # the consume topic holds Java's share run (warm-up included)
    assert r.consume_size == jvm_records(50_000, r.m.jvm_warmup)
    # without Java, the Python clients' untimed first poll still fits
    r.clients = [client("aiokafka_gen")]
    assert r._records_read(client("aiokafka_gen"), r.m.variants[0]) == 50_000 + SHARE_FIRST_POLL
    for mode in ("implicit", "explicit"):
        metrics = r.measure(client("aiokafka_gen"), Variant("share", 50_000, mode=mode))
        assert "error" not in metrics, metrics
    metrics = r.measure(client("java"), Variant("share", 50_000, mode="implicit"))
    assert "error" not in metrics, metrics
    shares = [run for run in runs if run.variant.kind == "share"]
    assert [run.topic for run in shares] == [r.consume_topic] * 3
    assert len({run.group for run in shares}) == 3 and all(run.group for run in shares)
    assert r.consume_topic in r.broker.topics  # read, never deleted
    # java's tool has no explicit mode; aiokafka (no share consumer) none at all
    assert not client("java").supports(Variant("share", 1, mode="explicit"))
    assert not client("aiokafka").supports(Variant("share", 1, mode="implicit"))
    assert client("confluent-kafka").supports(Variant("share", 1, mode="explicit"))
