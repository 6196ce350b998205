"""How the codec A/B was run: bench.codec's cases against an old generated package (a copy of
generated/ from before the change, in OLD_DIR) or the installed one.

    PYTHONPATH=. python bench/results/codec-ab-2026-12-06/run_ab.py old 7 1
    PYTHONPATH=. python bench/results/codec-ab-2026-12-06/run_ab.py new 7 1
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

OLD_DIR = Path("/tmp/oldgenerated")


def _use_old_messages() -> None:
    spec = importlib.util.spec_from_file_location(
        "aiokafka_gen.messages", OLD_DIR / "__init__.py", submodule_search_locations=[str(OLD_DIR)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["aiokafka_gen.messages"] = module
    spec.loader.exec_module(module)
    importlib.import_module("aiokafka_gen").messages = module


def main() -> None:
    which, repeat, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if which == "old":
        _use_old_messages()
    messages = importlib.import_module("aiokafka_gen.messages")
    print(which, messages.__file__, file=sys.stderr)
    codec = importlib.import_module("bench.codec")
    result = codec.run(repeat)
    Path(f"codec_{which}_{label}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
