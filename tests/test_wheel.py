"""What ``pip install`` gets: the sdist and the wheel built from it, installed into a fresh
virtual environment (not this editable checkout). With a C compiler the wheel holds the
compiled modules and they are what runs; without one the same sdist still builds, as a pure
Python wheel that works. Slow (two builds); skipped in the pure-Python pass of make test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from aiokafka_gen import _accel

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


def _install_and_probe(wheel: Path, tmp: Path) -> dict[str, object]:
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    # the wheel's own dependencies come from this environment's site-packages (no index)
    site = next(p for p in sys.path if p.endswith("site-packages"))
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--no-index", wheel)  # fmt: skip
    env = {**os.environ, "PYTHONPATH": site}
    env.pop(_accel.ENV, None)
    return dict(json.loads(_run(python, "-c", PROBE, env=env, cwd=tmp)))


def _expect_compiled() -> bool:
    if os.environ.get("AIOKAFKA_GEN_EXPECT") == "compiled":
        return True
    return shutil.which(os.environ.get("CC", "cc")) is not None


def test_the_wheel_installs_and_runs_its_compiled_modules(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != _accel.ENV}
    built = _build(tmp_path / "dist", env)
    [sdist] = [p for p in built if p.name.endswith(".tar.gz")]
    [wheel] = [p for p in built if p.suffix == ".whl"]
    names = zipfile.ZipFile(wheel).namelist()
    assert "aiokafka_gen/messages/metadata_request.py" in names  # generated/ as messages
    assert "aiokafka_gen/py.typed" in names
    with_so = [n for n in names if n.endswith(".so") or n.endswith(".pyd")]
    probe = _install_and_probe(wheel, tmp_path)
    assert str(tmp_path / "venv") in str(probe["file"])  # the installed copy, not the checkout
    assert probe["batch"] > 61  # a record batch was built
    compiled = probe["compiled"]
    assert isinstance(compiled, dict)
    if _expect_compiled():
        assert all(compiled.values()), compiled
        assert len(with_so) >= len(_accel.COMPILED) + 1  # the modules + mypyc's shared lib
        assert "none-any" not in wheel.name
    assert sdist.stat().st_size > 0


def test_the_sdist_builds_a_pure_wheel_without_a_compiler(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != _accel.ENV}
    sdist_dir = tmp_path / "sdist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--outdir", sdist_dir,
         ROOT, env=env)  # fmt: skip
    [sdist] = list(sdist_dir.iterdir())
    env["CC"] = str(tmp_path / "no-such-compiler")
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", dist, sdist,
         env=env)  # fmt: skip
    [wheel] = list(dist.iterdir())
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".so")]
    probe = _install_and_probe(wheel, tmp_path)
    assert probe["batch"] > 61
    assert not any(dict(probe["compiled"]).values())  # type: ignore[call-overload]
