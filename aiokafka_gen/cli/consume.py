"""``consume TOPIC[:PARTITION[:OFFSET]]...``: print records with ``AIOKafkaConsumer``.

Without ``-G`` the partitions are assigned (every partition of a topic given without one)
and start where ``-o`` says: ``beginning`` (the default), ``end``, an offset ``N``, ``-N``
(N before the end) or ``@TIME`` (ms or ISO-8601: the first record at or after it). With
``-G GROUP`` the topics are subscribed in the group and start from the committed offsets
(``-o beginning|end`` choose where a partition without one starts; default beginning);
printed records are committed every few seconds and on exit.

The command exits once every partition is read up to the end offset it had when it was
reached (``--follow`` keeps waiting), after ``-c N`` records, or on Ctrl-C/SIGTERM, and
always closes the consumer (committing in a group) before it does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka_gen.cli.clients import admin_client, client_kwargs, parse_time_ms
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.fmt import Formatter, compile_format, json_line, key_value
from aiokafka_gen.cli.output import plain
from aiokafka_gen.cli.produce import unescape
from aiokafka_gen.cli.settings import Settings

__all__ = ["register"]

_COMMIT_EVERY = 5.0
_POLL_MS = 200


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "consume", parents=[common], help="print records of topics or partitions",
        description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add = p.add_argument
    add("specs", nargs="+", metavar="TOPIC[:PARTITION[:OFFSET]]")
    add("-G", "--group", help="consume in this consumer group (subscribe, commit)")
    add(
        "-o",
        "--offset",
        default=None,
        metavar="WHERE",
        help="beginning (default), end, stored (with -G), N, -N or @TIME",
    )
    add("--from-time", metavar="TIME", help="same as -o @TIME (ms or ISO-8601 datetime)")
    add("-c", "--count", type=int, metavar="N", help="exit after N records")
    end = p.add_mutually_exclusive_group()
    end.add_argument("-F", "--follow", action="store_true", help="wait for new records at the end")
    end.add_argument(
        "-e",
        "--exit-at-end",
        action="store_false",
        dest="follow",
        help="exit at the end of the log (the default; kcat's -e)",
    )
    add("--isolation", choices=("read_uncommitted", "read_committed"), default=None)
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "-f",
        "--format",
        metavar="FMT",
        help="kcat-style format, e.g. '%%t [%%p] at %%o: %%k=%%s\\n'",
    )
    out.add_argument("--raw", action="store_true", help="values only, nothing in between")
    add("-K", "--key-delimiter", metavar="SEP", help="print KEY<SEP>VALUE")
    add("-D", "--delimiter", metavar="SEP", default="\\n", help="after each record (newline)")
    add("--no-commit", action="store_true", help="with -G: do not commit offsets")
    p.set_defaults(run=run)  # fmt: skip


@dataclass
class Spec:
    """One positional argument."""

    topic: str
    partition: int | None = None
    offset: str | None = None


def parse_spec(text: str) -> Spec:
    topic, _, rest = text.partition(":")
    if not topic:
        raise UsageError(f"no topic in {text!r}")
    if not rest:
        return Spec(topic)
    part, _, offset = rest.partition(":")
    try:
        partition = int(part)
    except ValueError:
        raise UsageError(f"partition must be a number in {text!r}") from None
    return Spec(topic, partition, offset or None)


def _formatter(args: argparse.Namespace) -> Formatter:
    if args.format is not None:
        return compile_format(args.format)
    if args.json:
        return json_line
    key_sep = unescape(args.key_delimiter) if args.key_delimiter else None
    return key_value(key_sep, b"" if args.raw else unescape(args.delimiter))


@dataclass
class Progress:
    """What was printed, and which partitions reached their end."""

    printed: int = 0
    next_offsets: dict[Any, int] = field(default_factory=dict)
    ends: dict[Any, int] = field(default_factory=dict)
    committed_at: float = field(default_factory=time.monotonic)


def _consumer_kwargs(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    kwargs = client_kwargs(settings, **settings.consumer)
    kwargs.setdefault("client_id", "aiokafka-gen-cli")
    if args.group:
        kwargs["group_id"] = args.group
    if args.isolation:
        kwargs["isolation_level"] = args.isolation
    kwargs["enable_auto_commit"] = False
    if kwargs.get("group_id"):
        where = args.offset or "stored"
        if where not in ("stored", "beginning", "end"):
            raise UsageError("with -G, -o is stored, beginning or end (see groups reset-offsets)")
        if where != "stored" or "auto_offset_reset" not in kwargs:
            kwargs["auto_offset_reset"] = "latest" if where == "end" else "earliest"
    return kwargs


async def _partitions(settings: Settings, specs: list[Spec]) -> list[tuple[Any, str | None]]:
    from aiokafka_gen.structs import TopicPartition

    wanted = sorted({s.topic for s in specs if s.partition is None})
    described: dict[Any, Any] = {}
    if wanted:
        async with admin_client(settings) as admin:
            described = await admin.describe_topics(wanted)
    result: list[tuple[Any, str | None]] = []
    for spec in specs:
        if spec.partition is not None:
            result.append((TopicPartition(spec.topic, spec.partition), spec.offset))
            continue
        for part in sorted(p.partition for p in described[spec.topic].partitions):
            result.append((TopicPartition(spec.topic, part), spec.offset))
    return result


async def _seek(consumer: Any, starts: list[tuple[Any, str | None]], default: str) -> None:
    tps = [tp for tp, _ in starts]
    ends = await consumer.end_offsets(tps)
    firsts = await consumer.beginning_offsets(tps)
    for tp, where in starts:
        offset = await _resolve(consumer, tp, where or default, firsts[tp], ends[tp])
        consumer.seek(tp, offset)


async def _resolve(consumer: Any, tp: Any, where: str, first: int, end: int) -> int:
    if where == "beginning":
        return first
    if where == "end":
        return end
    if where.startswith("@"):
        found = (await consumer.offsets_for_times({tp: parse_time_ms(where[1:])}))[tp]
        return end if found is None else int(found.offset)
    if where == "stored":
        raise UsageError("-o stored needs a group (-G)")
    try:
        number = int(where)
    except ValueError:
        raise UsageError(f"not an offset: {where!r}") from None
    return max(first, end + number) if number < 0 else number


async def _start(args: argparse.Namespace, settings: Settings) -> tuple[Any, bool]:
    """A started consumer, and whether it is in a group."""
    from aiokafka_gen.consumer import AIOKafkaConsumer

    specs = [parse_spec(s) for s in args.specs]
    default = f"@{args.from_time}" if args.from_time else (args.offset or "beginning")
    kwargs = _consumer_kwargs(args, settings)
    if kwargs.get("group_id"):
        if any(s.partition is not None for s in specs):
            raise UsageError("with -G give topics only (the group assigns partitions)")
        await _partitions(settings, specs)  # an unknown topic fails now, not never
        consumer = AIOKafkaConsumer(*sorted({s.topic for s in specs}), **kwargs)
        await consumer.start()
        return consumer, True
    starts = await _partitions(settings, specs)
    consumer = AIOKafkaConsumer(**kwargs)
    await consumer.start()
    try:
        consumer.assign([tp for tp, _ in starts])
        await _seek(consumer, starts, default)
    except BaseException:
        await consumer.stop()
        raise
    return consumer, False


async def _at_end(consumer: Any, progress: Progress) -> bool:
    assigned = consumer.assignment()
    if not assigned:
        return False
    new = [tp for tp in assigned if tp not in progress.ends]
    if new:
        progress.ends.update(await consumer.end_offsets(new))
    for tp in assigned:
        if await consumer.position(tp) < progress.ends[tp]:
            return False
    return True


def _write(
    records: Iterator[Any], render: Formatter, progress: Progress, limit: int | None
) -> None:
    out = sys.stdout.buffer
    for record in records:
        if limit is not None and progress.printed >= limit:
            return
        out.write(render(record))
        progress.printed += 1
        progress.next_offsets[(record.topic, record.partition)] = record.offset + 1
    out.flush()


async def _commit(consumer: Any, progress: Progress, grouped: bool) -> None:
    from aiokafka_gen.structs import TopicPartition

    progress.committed_at = time.monotonic()
    owned = consumer.assignment()  # a partition the group moved away is not ours to commit
    offsets = {TopicPartition(*key): off for key, off in progress.next_offsets.items()}
    offsets = {tp: off for tp, off in offsets.items() if tp in owned}
    if grouped and offsets:
        await consumer.commit(offsets)


async def _loop(
    consumer: Any, args: argparse.Namespace, stop: asyncio.Event, grouped: bool
) -> None:
    render = args.render
    progress = Progress()
    grouped = grouped and not args.no_commit
    try:
        while not stop.is_set():
            remaining = None if args.count is None else args.count - progress.printed
            if remaining is not None and remaining <= 0:
                break
            batches = await consumer.getmany(timeout_ms=_POLL_MS, max_records=remaining or None)
            _write(_in_order(batches), render, progress, args.count)
            if time.monotonic() - progress.committed_at > _COMMIT_EVERY:
                await _commit(consumer, progress, grouped)
            if not batches and not args.follow and await _at_end(consumer, progress):
                break
    except BaseException:
        with contextlib.suppress(Exception):  # keep the error that ended the loop
            await _commit(consumer, progress, grouped)
        raise
    await _commit(consumer, progress, grouped)


def _in_order(batches: dict[Any, list[Any]]) -> Iterator[Any]:
    for tp in sorted(batches):
        yield from batches[tp]


async def run(args: argparse.Namespace, settings: Settings) -> int:
    args.render = _formatter(args)  # a bad format is a usage error before any connection
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        consumer, grouped = await _start(args, settings)
        try:
            await _loop(consumer, args, stop, grouped)
        finally:
            await consumer.stop()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0
