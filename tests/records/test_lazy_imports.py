"""Codec and CRC libraries load on first use, not when the package is imported."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["lz4", "zstandard", "cramjam", "crc32c", "importlib.metadata"]


def test_importing_records_loads_no_codec_library() -> None:
    code = (
        "import sys, aiokafka_gen.records\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_first_use_loads_the_library() -> None:
    code = (
        "import sys\n"
        "from aiokafka_gen.records import BatchBuilder\n"
        "b = BatchBuilder(compression='zstd'); b.append(0, None, b'v'); b.close()\n"
        "print('zstandard' in sys.modules, 'crc32c' in sys.modules, 'lz4' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"]
