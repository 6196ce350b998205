"""Fixtures of the compatibility tests: one ``Env`` per client module and run, on the
session's broker (``kafka_cluster`` from aiokafka_gen.testing.pytest_plugin)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.testing import KafkaCluster

from .support import Env


@pytest.fixture
def compat_env(kafka_cluster: KafkaCluster, kafka_bootstrap: str) -> Callable[[str], Env]:
    """A factory: ``compat_env(label)`` is a fresh environment whose names carry ``label``."""

    def make(label: str) -> Env:
        return Env(kafka_bootstrap, kafka_cluster, label)

    return make
