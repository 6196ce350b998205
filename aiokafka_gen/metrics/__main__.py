"""``python -m aiokafka_gen.metrics --markdown``: print the metrics reference table."""

from __future__ import annotations

import argparse
import sys

from .reference import markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiokafka_gen.metrics")
    parser.add_argument(
        "--markdown", action="store_true", help="print the reference table as Markdown"
    )
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_help()
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
