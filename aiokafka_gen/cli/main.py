"""The ``aiokafka-gen`` entry point: the argument parser, the common options, dispatch and
exit codes (0 done, 1 a typed error reported on one line, 2 a usage error, 130 Ctrl-C).

Every subcommand module has ``register(subparsers, common)``; the parser it adds sets
``run`` (a coroutine function taking the parsed arguments and the resolved ``Settings``)
and, for commands that never talk to a broker, ``offline=True``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from aiokafka_gen.cli import (
    acls,
    apiversions,
    cluster,
    configs,
    consume,
    groups,
    produce,
    records,
    topics,
    wire,
)
from aiokafka_gen.cli.errors import EXIT_ERROR, EXIT_USAGE, UsageError, describe
from aiokafka_gen.cli.settings import load_settings

__all__ = ["build_parser", "main"]

_COMMANDS = (produce, consume, topics, groups, acls, configs, cluster, records, apiversions, wire)
_COMMON_DEFAULTS: dict[str, object] = {
    "bootstrap": None, "config": None, "overrides": [], "json": False, "timeout": 30.0,
    "verbose": 0, "debug": False,
}  # fmt: skip
_DESCRIPTION = """\
Produce, consume and administer Apache Kafka from the shell, and decode or encode raw
protocol frames with aiokafka_gen's generated message classes.

Connection settings come from -b (or KAFKA_BOOTSTRAP_SERVERS), a --config file with
librdkafka or Java client keys, and -X key=value overrides, in rising priority."""
_EPILOG = """\
examples:
  aiokafka-gen -b localhost:9092 topics create orders -p 6
  printf 'k1:v1\\nk2:v2\\n' | aiokafka-gen produce orders -K:
  aiokafka-gen consume orders -o beginning -f '%p/%o %k=%s\\n'
  aiokafka-gen groups describe billing --json
  aiokafka-gen decode 000000210003000c...   (hex, base64, --file or stdin)

exit codes: 0 success, 1 error (one line on stderr), 2 usage error, 130 interrupted"""


_TOP = "top_"  # dest prefix of the common options given before the subcommand


def common_options(prefix: str = "") -> argparse.ArgumentParser:
    """The options every subcommand takes (also accepted before the subcommand, where
    their dests get ``prefix``: argparse would let the subcommand's namespace overwrite
    them otherwise)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    add = group.add_argument
    add(
        "-b",
        "--bootstrap",
        dest=prefix + "bootstrap",
        metavar="HOST:PORT[,...]",
        default=argparse.SUPPRESS,
        help="bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)",
    )
    add(
        "--config",
        dest=prefix + "config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="client properties file (librdkafka or Java keys: security.protocol, "
        "sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ...)",
    )
    add(
        "-X",
        dest=prefix + "overrides",
        metavar="KEY=VALUE",
        action="append",
        default=argparse.SUPPRESS,
        help="set one client property (repeatable; overrides --config)",
    )
    add(
        "--json",
        dest=prefix + "json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable JSON output",
    )
    add(
        "--timeout",
        dest=prefix + "timeout",
        type=float,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="request timeout (default 30)",
    )
    add(
        "-v",
        "--verbose",
        dest=prefix + "verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log the client's activity to stderr (-vv: debug)",
    )
    add(
        "--debug",
        dest=prefix + "debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    return common  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="aiokafka-gen", description=_DESCRIPTION, epilog=_EPILOG,
        parents=[common_options(_TOP)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    from aiokafka_gen import __version__

    parser.add_argument("--version", action="version", version=f"aiokafka-gen {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(subparsers, common)
    return parser


def _finish_namespace(args: argparse.Namespace) -> argparse.Namespace:
    """Merge the common options given before the subcommand with those after it (lists
    concatenate, counts add up, otherwise the later one wins), then fill in defaults."""
    for name, default in _COMMON_DEFAULTS.items():
        before = getattr(args, _TOP + name, None)
        if hasattr(args, _TOP + name):
            delattr(args, _TOP + name)
        after = getattr(args, name, None)
        if isinstance(default, list):
            value: object = [*(before or []), *(after or [])]
        elif name == "verbose":
            value = (before or 0) + (after or 0)
        else:
            value = after if after is not None else before
        setattr(args, name, default if value is None else value)
    return args


def _setup_logging(verbose: int) -> None:
    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
        logging.basicConfig(level=level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip


async def _run(args: argparse.Namespace) -> int:
    settings = None
    if not getattr(args, "offline", False):
        settings = load_settings(args.bootstrap, args.config, args.overrides, args.timeout)
    result: int = await args.run(args, settings)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, return the exit code."""
    parser = build_parser()
    args = _finish_namespace(parser.parse_args(argv))
    _setup_logging(args.verbose)
    try:
        return asyncio.run(_run(args))
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"aiokafka-gen: error: {exc}\n")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): nothing left to say, and nothing to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(describe(exc) + "\n")
        return EXIT_ERROR
    return 0  # not reached: parser.exit raised


def run() -> None:
    """The console script."""
    sys.exit(main())
