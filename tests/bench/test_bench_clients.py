"""The client list and the aiokafka_gen implementation record: the -pure column runs its
worker with AIOKAFKA_GEN_NO_EXTENSIONS=1, the worker records compiled/pure, and the report
labels its columns with it (no broker)."""

from __future__ import annotations

import subprocess
import sys
import types
from typing import Any

import pytest

import bench.runner
import bench.worker
from bench.__main__ import parse
from bench.adapters import CLIENTS, DEFAULT_CLIENTS, EXTRA_CLIENTS, client
from bench.implementation import (
    NO_EXTENSIONS,
    implementation,
    label,
    probe,
    state_of,
    summary,
    worker_env,
)
from bench.matrix import Run, Variant


def test_pure_aiokafka_gen_is_a_default_client_next_to_aiokafka_gen() -> None:
    names = list(DEFAULT_CLIENTS)
    assert names.index("aiokafka_gen-pure") == names.index("aiokafka_gen") + 1
    pure = client("aiokafka_gen-pure")
    assert pure.env == {NO_EXTENSIONS: "1"} and NO_EXTENSIONS == "AIOKAFKA_GEN_NO_EXTENSIONS"
    assert pure.module == client("aiokafka_gen").module == "aiokafka_api"
    assert pure.is_aiokafka_gen and client("aiokafka_gen").is_aiokafka_gen
    assert client("aiokafka_gen").env == {}
    assert not any(
        c.is_aiokafka_gen for c in CLIENTS + EXTRA_CLIENTS if "aiokafka_gen" not in c.name
    )
    assert parse(["--clients", "aiokafka_gen,aiokafka_gen-pure"]).clients.split(",") == [
        "aiokafka_gen",
        "aiokafka_gen-pure",
    ]
    assert parse([]).clients == ",".join(DEFAULT_CLIENTS)


def test_worker_env_drops_inherited_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_EXTENSIONS, "1")
    monkeypatch.setenv("AIOKAFKA_NO_EXTENSIONS", "1")
    monkeypatch.setenv("BENCH_TEST_KEEP", "yes")
    plain = worker_env(client("aiokafka_gen").env)
    assert NO_EXTENSIONS not in plain and "AIOKAFKA_NO_EXTENSIONS" not in plain
    assert plain["BENCH_TEST_KEEP"] == "yes"
    assert worker_env(client("aiokafka_gen-pure").env)[NO_EXTENSIONS] == "1"
    assert worker_env(client("aiokafka-pure").env)["AIOKAFKA_NO_EXTENSIONS"] == "1"


@pytest.mark.parametrize(("name", "expected"), [("aiokafka_gen-pure", "1"), ("aiokafka_gen", None)])
def test_call_worker_passes_the_switch(
    monkeypatch: pytest.MonkeyPatch, name: str, expected: str | None
) -> None:
    monkeypatch.setenv(NO_EXTENSIONS, "inherited")
    seen: dict[str, Any] = {}

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(kwargs, argv=argv)
        return subprocess.CompletedProcess(argv, 0, stdout='noise\n{"messages": 1}\n', stderr="")

    monkeypatch.setattr(bench.runner.subprocess, "run", fake_run)
    run = Run(name, Variant("produce", 10), "127.0.0.1:1", "t", "w")
    assert bench.runner.call_worker(client(name), run) == {"messages": 1}
    assert seen["env"].get(NO_EXTENSIONS) == expected
    assert seen["argv"][1:3] == ["-m", "bench.worker"]
    assert Run.from_json(seen["argv"][3]).client == name


def test_the_switch_reaches_a_real_subprocess() -> None:
    code = "import os; print(os.environ.get('AIOKAFKA_GEN_NO_EXTENSIONS'))"
    env = worker_env(client("aiokafka_gen-pure").env)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "1"


def test_implementation_falls_back_to_pure(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiokafka_gen

    if hasattr(aiokafka_gen, "compiled"):
        monkeypatch.delattr(aiokafka_gen, "compiled")
    assert implementation() == {"*": "pure"}
    fake = {"aiokafka_gen.records._builder": "compiled", "aiokafka_gen.protocol": "pure"}
    monkeypatch.setattr(aiokafka_gen, "compiled", lambda: fake, raising=False)
    assert implementation() == fake
    # the same map spelled with booleans (True: its compiled extension runs)
    flags = {"aiokafka_gen.records._builder": True, "aiokafka_gen.protocol": False}
    monkeypatch.setattr(aiokafka_gen, "compiled", lambda: flags, raising=False)
    assert implementation() == fake
    assert state_of("something else") == "something else"
    assert summary({"a": "something else"}) == "pure"


def test_probe_runs_a_fresh_interpreter() -> None:
    modules = probe({NO_EXTENSIONS: "1"})
    assert "error" not in modules and modules
    assert summary(modules) == "pure"  # the switch asks for no compiled module
    as_built = probe({})
    assert set(as_built) == set(modules)  # the same modules, compiled where built


def test_summary_and_label() -> None:
    assert summary({"*": "pure"}) == "pure"
    assert summary({"a": "compiled", "b": "compiled"}) == "compiled"
    assert summary({"a": "compiled", "b": "pure"}) == "partly compiled (1 of 2 modules)"
    assert label("aiokafka_gen", {"a": "compiled"}) == "aiokafka_gen (compiled)"
    assert label("aiokafka_gen-pure", {"*": "pure"}) == "aiokafka_gen-pure (pure)"
    assert label("aiokafka", None) == "aiokafka"


class _Adapter:
    @staticmethod
    def run(_: Run) -> dict[str, Any]:
        return {"messages": 1}


@pytest.mark.parametrize("name", ["aiokafka_gen", "aiokafka_gen-pure", "aiokafka"])
def test_worker_records_the_implementation(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(bench.worker.importlib, "import_module", lambda _: _Adapter)
    monkeypatch.setattr(bench.worker, "implementation", lambda: {"m": "compiled"})
    result = bench.worker.execute(Run(name, Variant("produce", 1), "127.0.0.1:1", "t", "w"))
    if name.startswith("aiokafka_gen"):
        assert result == {"messages": 1, "implementation": {"m": "compiled"}}
    else:
        assert "implementation" not in result


def test_the_metrics_off_column_runs_aiokafka_gen_without_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.adapters import aiokafka_api
    from bench.implementation import METRICS_OFF

    off = client("aiokafka_gen-nometrics")
    assert off.is_aiokafka_gen and off.module == "aiokafka_api"
    assert off.env == {METRICS_OFF: "1"}
    assert off.kinds == ("produce", "consume")
    assert worker_env(off.env)[METRICS_OFF] == "1"
    monkeypatch.delenv(METRICS_OFF, raising=False)
    assert METRICS_OFF not in worker_env(client("aiokafka_gen").env)

    def session(name: str) -> Any:
        return types.SimpleNamespace(mod=types.SimpleNamespace(__name__=name))

    metrics_off = aiokafka_api._Session._metrics_off
    assert metrics_off(session("aiokafka_gen"), {"a": 1}) == {"a": 1}
    monkeypatch.setenv(METRICS_OFF, "1")
    assert metrics_off(session("aiokafka_gen"), {"a": 1}) == {"a": 1, "metrics_enabled": False}
    assert metrics_off(session("aiokafka"), {"a": 1}) == {"a": 1}
