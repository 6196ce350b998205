"""Fixtures for the conformance tests: one Conformance checker on the session's Java JVM."""

from __future__ import annotations

import pytest
from support.javaref import JavaRef

from conformance.engine import Conformance, seed_from_env


@pytest.fixture(scope="session")
def checker(java_ref: JavaRef) -> Conformance:
    return Conformance(java_ref, seed_from_env())
