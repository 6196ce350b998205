"""Every scenario of scenarios.py, run against aiokafka 0.14 and then against aiokafka_gen
on the same broker: the observations must be equal, or, for a documented deliberate
difference, aiokafka must still show what the difference records and aiokafka_gen what it
promises instead. Both observations are printed (pytest shows them for a failed test, and
for every test with ``-s``)."""

from __future__ import annotations

import asyncio
import gc
import pprint
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import aiokafka
import pytest

import aiokafka_gen

from .scenarios import SCENARIOS, Scenario
from .support import TIMEOUT, Env

pytestmark = pytest.mark.integration


def leaves(value: Any) -> list[Any]:
    """Every scalar inside an observation."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


async def observe(scenario: Scenario, mod: ModuleType, env: Env) -> Any:
    """The scenario's observation with ``mod``. A run past its timeout is cancelled (with a
    bounded moment to stop its clients) and raises TimeoutError. Tasks a run leaves behind
    (a client whose stop() failed) are cancelled and its garbage collected here, so that
    their unclosed-resource warnings do not land on a later test."""
    before = asyncio.all_tasks()
    task = asyncio.ensure_future(scenario.run(mod, env))
    try:
        done, _ = await asyncio.wait({task}, timeout=scenario.timeout)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=20)
            raise TimeoutError(f"{scenario.name} with {mod.__name__} ran past {scenario.timeout} s")
        return task.result()
    finally:
        leftover = asyncio.all_tasks() - before - {asyncio.current_task()}
        for stray in leftover:
            stray.cancel()
        if leftover:
            await asyncio.wait(leftover, timeout=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_same_observation(name: str, compat_env: Callable[[str], Env]) -> None:
    scenario = SCENARIOS[name]
    reference = await observe(scenario, aiokafka, compat_env("ref"))
    print(f"aiokafka ({scenario.source}):\n{pprint.pformat(reference)}")
    assert TIMEOUT not in leaves(reference), "aiokafka itself timed out: the scenario is wrong"
    try:
        ours = await observe(scenario, aiokafka_gen, compat_env("gen"))
    except Exception as exc:
        raise AssertionError(
            f"aiokafka_gen raised {exc!r}; aiokafka observed {reference!r}"
        ) from exc
    print(f"aiokafka_gen:\n{pprint.pformat(ours)}")
    difference = scenario.difference
    if difference is None:
        assert ours == reference
    else:
        assert reference == difference.reference, (
            f"aiokafka no longer shows the documented behaviour ({difference.why})"
        )
        assert ours == difference.ours, difference.why
