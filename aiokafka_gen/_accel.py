"""The optional compiled build: which modules it covers, and the switch back to pure Python.

``COMPILED`` is the one list of modules mypyc compiles from their unchanged .py source
(setup.py builds exactly these when mypy and a C compiler are there at build time).
``NATIVE`` lists the hand-written extensions, each a measured-faster twin of a pure-Python
function that stays the reference (see DESIGN.md): code that uses one imports it inside
``try``/``except ImportError`` and keeps its pure path.

``AIOKAFKA_GEN_NO_EXTENSIONS=1`` (read when ``aiokafka_gen`` is first imported; the same
meaning as aiokafka's ``AIOKAFKA_NO_EXTENSIONS``) puts ``PureFinder`` in front of
``sys.meta_path``: every ``COMPILED`` module is then loaded from its .py file even where
its extension sits next to it, and every ``NATIVE`` one is not found. It is all or nothing:
mypyc links the modules of one build into one shared library and they call each other
natively, so one build's modules are never mixed with their sources.

Standard library only, and no import of the package: setup.py reads this file as it is.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["COMPILED", "ENV", "GROUP", "NATIVE", "PureFinder", "compiled", "install"]

# Dotted names as installed (generated/x.py is aiokafka_gen.messages.x).
COMPILED: tuple[str, ...] = (
    "aiokafka_gen.records._varint",
    "aiokafka_gen.records.builder",
    "aiokafka_gen.consumer._records",
    "aiokafka_gen.producer.partitioner",
    "aiokafka_gen.producer.batch",
    "aiokafka_gen.producer._send",
    "aiokafka_gen.producer.accumulator",
    "aiokafka_gen.producer.sender",
    "aiokafka_gen.records._v2",
    "aiokafka_gen.records.reader",
    "aiokafka_gen.protocol._codec",
)
# Hand-written extensions: (dotted name, C source relative to the project root).
NATIVE: tuple[tuple[str, str], ...] = (
    ("aiokafka_gen.consumer._cdecode", "aiokafka_gen/consumer/_cdecode.c"),
)
GROUP = "aiokafka_gen._accel_lib"  # mypyc's shared library: aiokafka_gen/_accel_lib__mypyc*.so
ENV = "AIOKAFKA_GEN_NO_EXTENSIONS"


def disabled() -> bool:
    """True when the environment asks for pure Python."""
    return os.environ.get(ENV, "") not in ("", "0")


class PureFinder:
    """A meta path finder: ``COMPILED`` modules from their .py source, ``NATIVE`` ones
    not at all (their users fall back to pure Python)."""

    def __init__(self, compiled: Sequence[str], native: Sequence[str]) -> None:
        self._compiled = frozenset(compiled)
        self._native = frozenset(native)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self._native:
            raise ModuleNotFoundError(f"{ENV} is set: {fullname} is not loaded", name=fullname)
        if fullname not in self._compiled or path is None:
            return None
        source = (importlib.machinery.SourceFileLoader, [".py"])
        for entry in path:
            found = importlib.machinery.FileFinder(entry, source).find_spec(fullname)
            if found is not None:
                return found
        return None


def install() -> None:
    """Put ``PureFinder`` first when the environment asks for pure Python (idempotent)."""
    if disabled() and not any(isinstance(f, PureFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, PureFinder(COMPILED, [name for name, _ in NATIVE]))


def compiled() -> dict[str, bool]:
    """For each accelerated module: True when its compiled extension is what runs.

    Imports the listed modules (that is what tells)."""
    out = {}
    for name in COMPILED:
        module = importlib.import_module(name)
        out[name] = not (module.__file__ or "").endswith(".py")
    for name, _ in NATIVE:
        try:
            importlib.import_module(name)
        except ImportError:
            out[name] = False
        else:
            out[name] = True
    return out
