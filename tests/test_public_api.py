"""The top-level names are aiokafka's and are loaded lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aiokafka_gen


@pytest.mark.parametrize("name", [n for n in aiokafka_gen.__all__ if n != "__version__"])
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(aiokafka_gen, name)
    assert getattr(value, "__name__", name) == name


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        aiokafka_gen.NoSuchThing  # noqa: B018


def test_client_is_not_imported_until_used() -> None:
    code = (
        "import sys, aiokafka_gen; a = 'aiokafka_gen.client' in sys.modules;"
        " aiokafka_gen.AIOKafkaClient; print(a, 'aiokafka_gen.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_all_matches_the_lazy_table() -> None:
    assert set(aiokafka_gen.__all__) - {"__version__", "compiled"} == set(aiokafka_gen._HOME)
