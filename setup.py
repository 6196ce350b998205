"""The optional compiled build; everything else about the package is in pyproject.toml.

The modules listed in ``aiokafka_gen/_accel.py`` (``COMPILED``) are compiled by mypyc from
their .py source, and the hand-written extensions (``NATIVE``) from their C source, when
mypy and a working C compiler are there at build time. Otherwise, or with
``AIOKAFKA_GEN_NO_EXTENSIONS=1`` at build time, the package installs as pure Python: a
failed compile never fails the install. The mypyc modules are dropped together when any of
them fails (one build's modules call each other natively, so a partial set cannot load);
a hand-written extension is dropped alone. ``AIOKAFKA_GEN_REQUIRE_EXTENSIONS=1`` turns every
such fallback into an error (release wheels must never be pure Python by accident).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
# Commands that build extensions; sdist, egg_info and dist_info never run mypy.
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _note(text: str) -> None:
    if os.environ.get("AIOKAFKA_GEN_REQUIRE_EXTENSIONS", "") not in ("", "0"):
        raise SystemExit(f"aiokafka_gen: {text} (AIOKAFKA_GEN_REQUIRE_EXTENSIONS is set)")
    sys.stderr.write(f"aiokafka_gen: {text}\n")


def _accel() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "_accel_for_setup"}
    path = ROOT / "aiokafka_gen" / "_accel.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _source_tree() -> Path:
    """build/mypyc-src: the package laid out as installed (generated/ as messages), so mypy
    names every module as it is imported (it cannot see setuptools' package-dir)."""
    tree = ROOT / "build" / "mypyc-src"
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "aiokafka_gen").mkdir(parents=True)
    for entry in (ROOT / "aiokafka_gen").iterdir():
        (tree / "aiokafka_gen" / entry.name).symlink_to(entry)
    (tree / "aiokafka_gen" / "messages").symlink_to(ROOT / "generated")
    return tree


def _mypyc_extensions(accel: dict[str, Any]) -> list[Extension]:
    try:
        from mypyc.build import mypycify
    except ImportError:
        _note("mypyc (mypy) is not importable: the mypyc modules stay pure Python")
        return []
    paths = [str(Path(*m.split(".")).with_suffix(".py")) for m in accel["COMPILED"]]
    tree = _source_tree()
    here = os.getcwd()
    os.chdir(tree)  # mypy derives module names from paths relative to the working dir
    try:
        extensions: list[Extension] = mypycify(
            paths,
            group_name=accel["GROUP"],
            opt_level="3",
            target_dir=str(ROOT / "build" / "mypyc"),
        )
    except BaseException as exc:  # mypy's type errors end in SystemExit
        _note(f"mypyc failed ({exc!r}): the mypyc modules stay pure Python")
        return []
    finally:
        os.chdir(here)
    for extension in extensions:
        extension._aiokafka_gen_group = True  # type: ignore[attr-defined]
    return extensions


def _extensions() -> list[Extension]:
    if not _BUILDS.intersection(sys.argv[1:]):
        return []
    accel = _accel()
    if os.environ.get(accel["ENV"], "") not in ("", "0"):
        _note(f"{accel['ENV']} is set: installing pure Python")
        return []
    if sys.implementation.name != "cpython":
        return []
    native = [
        Extension(name, [source], extra_compile_args=["-O2"] if os.name != "nt" else [])
        for name, source in accel["NATIVE"]
    ]
    return _mypyc_extensions(accel) + native


class OptionalBuildExt(build_ext):
    """Builds every extension it can; the mypyc group all together or not at all."""

    def run(self) -> None:
        inplace = self.inplace  # setuptools clears it while building
        compiler = self.compiler  # run() replaces the name with a compiler object
        group = [e for e in self.extensions if getattr(e, "_aiokafka_gen_group", False)]
        native = [e for e in self.extensions if e not in group]
        built: list[Extension] = []
        for chunk in ([group] if group else []) + [[e] for e in native]:
            self.extensions = chunk
            try:
                super().run()
            except Exception as exc:  # no compiler, headers missing, compile or link error
                self._drop(chunk, bool(inplace))
                names = ", ".join(e.name for e in chunk) if len(chunk) < 3 else "mypyc modules"
                _note(f"{names} not built ({exc}): pure Python instead")
            else:
                built.extend(chunk)
            self.inplace, self.compiler = inplace, compiler
        self.extensions = built

    def _drop(self, chunk: list[Extension], inplace: bool) -> None:
        for self.inplace in {False, inplace}:  # build/lib and the source tree
            for ext in chunk:
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)

    def get_outputs(self) -> list[str]:
        return [o for o in super().get_outputs() if Path(o).exists()]


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
