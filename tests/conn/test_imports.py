"""The value types and interfaces users import everywhere stay light (no asyncio, no ssl)."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_structs_and_abc_are_light() -> None:
    loaded = loaded_after("import aiokafka_gen.structs, aiokafka_gen.abc")
    assert not {"asyncio", "ssl", "aiokafka_gen.messages", "aiokafka_gen.conn"} & loaded


def test_framing_needs_no_asyncio() -> None:
    loaded = loaded_after("import aiokafka_gen.protocol.framing, aiokafka_gen.protocol.sasl")
    assert "asyncio" not in loaded and "ssl" not in loaded
