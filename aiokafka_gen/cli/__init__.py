"""The ``aiokafka-gen`` command line (``python -m aiokafka_gen``): kcat-style produce and
consume, topic/group/ACL/config/cluster administration, API versions, and a protocol frame
decoder/encoder built on the generated message classes.

Never imported by ``aiokafka_gen`` itself: the library's import time does not grow. Every
subcommand lives in its own module with a ``register(subparsers, common)`` function;
``main`` assembles them (see docs/cli.md).
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    from aiokafka_gen.cli.main import main as _main

    return _main(argv)
