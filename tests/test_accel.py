"""The optional compiled build: one switch for every accelerated module, and what
``aiokafka_gen.compiled()`` reports. ``AIOKAFKA_GEN_EXPECT=compiled|pure`` (set by
``make test``) says which implementation this run must be using, so a build that silently
fell back to pure Python fails here instead of passing everything slowly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import aiokafka_gen
from aiokafka_gen import _accel


def test_every_accelerated_module_runs_the_same_implementation() -> None:
    found = aiokafka_gen.compiled()
    assert set(found) == set(_accel.COMPILED) | {name for name, _ in _accel.NATIVE}
    mypyc = {found[name] for name in _accel.COMPILED}
    assert len(mypyc) == 1, f"compiled and pure modules of one build are mixed: {found}"


def test_the_expected_implementation_runs() -> None:
    expected = os.environ.get("AIOKAFKA_GEN_EXPECT", "")
    if expected not in ("compiled", "pure"):
        pytest.skip("AIOKAFKA_GEN_EXPECT is not set (make test sets it)")
    found = aiokafka_gen.compiled()
    assert all(v == (expected == "compiled") for v in found.values()), found


def _compiled_in_subprocess(env: dict[str, str]) -> dict[str, bool]:
    code = "import aiokafka_gen, json; print(json.dumps(aiokafka_gen.compiled()))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return dict(json.loads(done.stdout))


def test_no_extensions_forces_pure_python_everywhere() -> None:
    env = {**os.environ, _accel.ENV: "1"}
    assert not any(_compiled_in_subprocess(env).values())


def test_the_pure_finder_hides_native_extensions_and_serves_sources() -> None:
    finder = _accel.PureFinder(["aiokafka_gen.records._varint"], ["aiokafka_gen._native_x"])
    with pytest.raises(ModuleNotFoundError, match=_accel.ENV):
        finder.find_spec("aiokafka_gen._native_x", None)
    import aiokafka_gen.records as records

    spec = finder.find_spec("aiokafka_gen.records._varint", list(records.__path__))
    assert spec is not None and spec.origin is not None and spec.origin.endswith("_varint.py")
    assert finder.find_spec("aiokafka_gen.records.reader", list(records.__path__)) is None
