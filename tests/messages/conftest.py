"""Hypothesis profiles for the message tests: dev (default), ci (>= 50 examples), thorough.

CI sets HYPOTHESIS_PROFILE=ci; ``HYPOTHESIS_PROFILE=thorough make test-unit`` runs more.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile(
    "ci", max_examples=50, derandomize=True, database=None, print_blob=True, **_COMMON
)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
