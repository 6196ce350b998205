"""Make the repository's ``codegen`` package importable (tests/codegen would shadow it)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
for name in [m for m in sys.modules if m == "codegen" or m.startswith("codegen.")]:
    if getattr(sys.modules[name], "__file__", None) is None:
        del sys.modules[name]
