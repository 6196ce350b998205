"""``python -m codegen [--check] [--out DIR]``: regenerate generated/ and .env, or check them.

--check renders in memory and exits 1 when any file differs, is missing or is stale
(present in generated/ but no longer produced); it writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen.generate import generate
from codegen.load import SpecError

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "kafka_messages_json"


def _existing(out: Path) -> set[str]:
    return {f"generated/{p.name}" for p in (out / "generated").glob("*.py")}


def differences(files: dict[str, str], out: Path) -> list[str]:
    """Paths whose content on disk differs from ``files`` (or that should not exist)."""
    changed = [
        path
        for path, text in sorted(files.items())
        if not (out / path).exists() or (out / path).read_text(encoding="utf-8") != text
    ]
    return changed + sorted(_existing(out) - files.keys())


def write(files: dict[str, str], out: Path) -> int:
    """Write changed files and delete stale ones; return how many paths changed."""
    changed = differences(files, out)
    for path in changed:
        target = out / path
        if path in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[path], encoding="utf-8")
        else:
            target.unlink()
    return len(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen")
    parser.add_argument("--check", action="store_true", help="exit 1 if generated/ is stale")
    parser.add_argument("--out", type=Path, default=ROOT, help="root to write generated/ under")
    parser.add_argument("--specs", type=Path, default=SPEC_DIR)
    args = parser.parse_args(argv)
    try:
        files = generate(args.specs)
    except SpecError as exc:
        print(f"spec error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = differences(files, args.out)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        return 1 if stale else 0
    count = write(files, args.out)
    print(f"generated {len(files)} files ({count} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
