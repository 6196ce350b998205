"""What ``pip install`` gets: the wheel, and separately the sdist, installed into fresh
virtual environments (not this editable checkout, no source tree on the path). With a C
compiler the wheel holds the compiled modules and they are what runs; without one pip
still installs the sdist, as pure Python that works. Both must import every public module,
list the generated messages, run the command line and run the demo against a real broker
from Maven jars; the wheel carries the licence files and no tests or benchmarks, and twine
accepts both distributions. Slow (two builds); skipped in the pure-Python pass of make test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from aiokafka_gen.messages._index import APIS

from aiokafka_gen import __version__, _accel

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_accel.disabled(), reason="the pure-Python pass builds no wheel"),
]
PROBE = (
    "import json, aiokafka_gen, aiokafka_gen.consumer, aiokafka_gen.producer;"
    "from aiokafka_gen.records import BatchBuilder;"
    "b = BatchBuilder(max_batch_size=1024);"
    "b.append(0, b'k', b'v', []);"
    "print(json.dumps({'file': aiokafka_gen.__file__, 'compiled': aiokafka_gen.compiled(),"
    " 'batch': len(b.close())}))"
)


def _run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _build(tmp: Path, env: dict[str, str], source: Path = ROOT) -> list[Path]:
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp, source, env=env)
    return sorted(tmp.iterdir())


# Every public module of the installed package imports (``__main__`` modules run things).
IMPORT_ALL = (
    "import importlib, json, pkgutil, aiokafka_gen;"
    "names = [m.name for m in pkgutil.walk_packages(aiokafka_gen.__path__, 'aiokafka_gen.')"
    " if not any(p.startswith('_') for p in m.name.split('.')[1:])];"
    "[importlib.import_module(n) for n in names];"
    "[getattr(aiokafka_gen, n) for n in aiokafka_gen.__all__];"
    "print(json.dumps({'modules': names, 'version': aiokafka_gen.__version__}))"
)


def _site() -> str:
    """This environment's site-packages: the installed copy's dependencies (no index)."""
    return next(p for p in sys.path if p.endswith("site-packages"))


def _install(target: Path, tmp: Path, env: dict[str, str] | None = None) -> Path:
    """``pip install`` a wheel or an sdist into a fresh venv; its python."""
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    build_env = {**(env or os.environ), "PYTHONPATH": _site()}  # setuptools for an sdist
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--no-index", "--no-build-isolation", target, env=build_env)  # fmt: skip
    return python


def _installed_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": _site()}
    env.pop(_accel.ENV, None)
    return env


def _probe(python: Path, tmp: Path) -> dict[str, object]:
    return dict(json.loads(_run(python, "-c", PROBE, env=_installed_env(), cwd=tmp)))


def _use_like_a_user(python: Path, tmp: Path) -> None:
    """Import everything public, list the messages, run the CLI and the demo."""
    env = _installed_env()
    imported = json.loads(_run(python, "-c", IMPORT_ALL, env=env, cwd=tmp))
    assert imported["version"] == __version__
    modules = set(imported["modules"])
    assert {"aiokafka_gen.admin", "aiokafka_gen.cli.main", "aiokafka_gen.testing",
            "aiokafka_gen.messages.metadata_response"} <= modules, sorted(modules)[:20]  # fmt: skip
    listing = _run(python, "-m", "aiokafka_gen.messages", env=env, cwd=tmp).splitlines()
    assert len(listing) == len(APIS) and listing[0].split("\t")[1] == "Produce"
    assert "produce" in _run(python.parent / "aiokafka-gen", "--help", env=env, cwd=tmp)
    demo = _run(python, "-m", "aiokafka_gen.demo", env=env, cwd=tmp)
    assert "consumed all 10" in demo and "read all 10" in demo, demo[-2000:]


def _expect_compiled() -> bool:
    if os.environ.get("AIOKAFKA_GEN_EXPECT") == "compiled":
        return True
    return shutil.which(os.environ.get("CC", "cc")) is not None


def test_the_wheel_installs_and_runs_its_compiled_modules(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != _accel.ENV}
    built = _build(tmp_path / "dist", env)
    [sdist] = [p for p in built if p.name.endswith(".tar.gz")]
    [wheel] = [p for p in built if p.suffix == ".whl"]
    _run(sys.executable, "-m", "twine", "check", "--strict", *built)
    names = zipfile.ZipFile(wheel).namelist()
    assert "aiokafka_gen/messages/metadata_request.py" in names  # generated/ as messages
    assert "aiokafka_gen/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "codegen/"))]
    licences = {Path(n).name for n in names if ".dist-info/licenses/" in n}
    assert licences == {"LICENSE", "NOTICE"}
    with_so = [n for n in names if n.endswith(".so") or n.endswith(".pyd")]
    python = _install(wheel, tmp_path)
    probe = _probe(python, tmp_path)
    assert str(tmp_path / "venv") in str(probe["file"])  # the installed copy, not the checkout
    assert probe["batch"] > 61  # a record batch was built
    compiled = probe["compiled"]
    assert isinstance(compiled, dict)
    if _expect_compiled():
        assert all(compiled.values()), compiled
        assert len(with_so) >= len(_accel.COMPILED) + 1  # the modules + mypyc's shared lib
        assert "none-any" not in wheel.name
    _use_like_a_user(python, tmp_path)
    with tarfile.open(sdist) as archive:
        inside = {Path(n).relative_to(Path(n).parts[0]).as_posix() for n in archive.getnames()
                  if len(Path(n).parts) > 1}  # fmt: skip
    # the sdist installs without the generator: generated/ is in it, as are the C sources
    assert {"generated/metadata_request.py", "LICENSE", "NOTICE", "CHANGELOG.md",
            "aiokafka_gen/consumer/_cdecode.c"} <= inside  # fmt: skip


def test_the_sdist_installs_pure_python_without_a_compiler(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != _accel.ENV}
    sdist_dir = tmp_path / "sdist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--outdir", sdist_dir,
         ROOT, env=env)  # fmt: skip
    [sdist] = list(sdist_dir.iterdir())
    env["CC"] = str(tmp_path / "no-such-compiler")
    python = _install(sdist, tmp_path, env)  # pip builds it: no compiler, so pure Python
    site = next((python.parents[1] / "lib").glob("python*/site-packages"))
    assert not list(site.rglob("*.so"))
    probe = _probe(python, tmp_path)
    assert probe["batch"] > 61
    assert not any(dict(probe["compiled"]).values())  # type: ignore[call-overload]
    _use_like_a_user(python, tmp_path)
