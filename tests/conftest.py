"""Suite-wide pytest setup.

The real-Kafka fixtures come from the installed plugin ``aiokafka_gen.testing.pytest_plugin``;
test-only helpers (the Java reference process) are loaded from tests/support.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

pytest_plugins = ["support.javaref"]


def pytest_configure(config: object) -> None:
    """Refuse to test stale compiled modules: an extension built in place is imported
    instead of its .py, so an edit to the source would not be what runs."""
    from pathlib import Path

    from aiokafka_gen import _accel

    if _accel.disabled():
        return
    root = Path(__file__).resolve().parents[1]
    for name in _accel.COMPILED:
        source = root / (name.replace("aiokafka_gen.messages.", "generated.").replace(".", "/")
                         + ".py")  # fmt: skip
        for built in source.parent.glob(source.stem + ".*.so"):
            if built.stat().st_mtime < source.stat().st_mtime:
                raise SystemExit(
                    f"{built.name} is older than {source.name}: run `make build-ext` (or set "
                    "AIOKAFKA_GEN_NO_EXTENSIONS=1)"
                )


@pytest.fixture(autouse=True, scope="module")
def _unclosed_resources_show_in_their_module() -> Iterator[None]:
    """A full collection after each module: a socket, transport or client a module's tests
    left open is reported (ResourceWarning, an error here) at that module's last test,
    not at some later test or at the end of the session where nothing names its owner."""
    yield
    gc.collect()
