"""``consume TOPIC[:PARTITION[:OFFSET]]...``: print records with ``AIOKafkaConsumer``.

Without ``-G`` the partitions are assigned (every partition of a topic given without one)
and start where ``-o`` says: ``beginning`` (the default), ``end``, an offset ``N``, ``-N``
(N before the end) or ``@TIME``/``s@TIME`` (ISO-8601, or ms since the epoch as
``ms:DIGITS`` or 11+ digits: the first record at or after it); an offset before the log
start starts at the log start. With ``-G GROUP`` the topics are subscribed in the group
and start from the committed offsets (``-o beginning|end`` choose where a partition
without one starts; default beginning); printed records are committed every few seconds
and on exit.

The command exits once every partition is read up to the end offset it had when it was
reached (a group member given no partitions exits too; ``--follow`` keeps waiting), after
``-c N`` records, or on Ctrl-C/SIGTERM, and always closes the consumer (committing in a
group) before it does. A second Ctrl-C, or one while still connecting or joining, stops
at once (exit code 130).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.cli.clients import (
    admin_client,
    client_kwargs,
    parse_target,
    parse_time_ms,
    partitions_of,
)
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.fmt import Formatter, compile_format, json_line, key_value, unescape
from aiokafka_gen.cli.output import plain
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.consumer import AIOKafkaConsumer
    from aiokafka_gen.structs import ConsumerRecord, TopicPartition

__all__ = ["register"]

_COMMIT_EVERY = 5.0
_POLL_MS = 200
_IDLE_GRACE = 5.0  # a stable member with no partitions for this long has nothing to read
_log = logging.getLogger("aiokafka_gen.cli.consume")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
        help="beginning (default), end, stored (with -G), N, -N, @TIME or s@TIME",
    )
    add("--from-time", metavar="TIME", help="same as -o @TIME (ISO-8601, or ms:DIGITS)")
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
    topic, parts, offset = parse_target(text, offset=True)
    return Spec(topic, None if parts is None else parts[0], offset)


@dataclass(frozen=True)
class Where:
    """A parsed start position: ``kind`` is beginning, end, stored, offset, relative (N
    before the end) or time (``value`` in ms)."""

    kind: str
    value: int = 0


def parse_where(text: str) -> Where:
    """``-o`` (or a spec's OFFSET) -> Where; every mistake is a UsageError."""
    if text in ("beginning", "end", "stored"):
        return Where(text)
    if text.startswith(("@", "s@")):
        return Where("time", parse_time_ms(text.partition("@")[2]))
    if text.startswith("e@"):
        raise UsageError("-o e@TIME (stop at a time) is not supported: use -c N, or s@TIME")
    try:
        number = int(text)
    except ValueError:
        raise UsageError(
            f"not an offset: {text[:40]!r} (beginning, end, stored, N, -N, @TIME or s@TIME)"
        ) from None
    return Where("relative", number) if number < 0 else Where("offset", number)


def _formatter(args: argparse.Namespace) -> Formatter:
    if args.format is not None:
        return compile_format(args.format)
    if args.json:
        return json_line
    key_sep = unescape(args.key_delimiter) if args.key_delimiter else None
    return key_value(key_sep, b"" if args.raw else unescape(args.delimiter))


@dataclass
class Plan:
    """The command line, checked before anything connects."""

    specs: list[Spec]
    default: Where
    starts: dict[int, Where]  # spec index -> its own OFFSET
    render: Formatter


def _plan(args: argparse.Namespace, grouped: bool) -> Plan:
    render = _formatter(args)
    specs = [parse_spec(s) for s in args.specs]
    if args.count is not None and args.count < 0:
        raise UsageError("-c/--count must be >= 0")
    if args.from_time is not None and args.offset is not None:
        raise UsageError("give -o or --from-time, not both")
    if args.from_time is not None:
        default = Where("time", parse_time_ms(args.from_time))
    else:
        default = parse_where(args.offset or "beginning")
    starts = {i: parse_where(s.offset) for i, s in enumerate(specs) if s.offset is not None}
    if grouped:  # -G, or group.id in --config/-X
        if any(s.partition is not None for s in specs):
            raise UsageError("with -G give topics only (the group assigns partitions)")
        if args.from_time is not None or default.kind not in ("stored", "beginning", "end"):
            raise UsageError(
                "with -G, -o is stored, beginning or end and --from-time is not taken "
                "(move the group with `groups reset-offsets --to-datetime`)"
            )
    elif default.kind == "stored":
        raise UsageError("-o stored needs a group (-G)")
    return Plan(specs, default, starts, render)


@dataclass
class Progress:
    """What was printed (and not yet committed), and which partitions reached their end."""

    printed: int = 0
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)  # (topic, partition)
    ends: dict[TopicPartition, int] = field(default_factory=dict)
    committed_at: float = field(default_factory=time.monotonic)
    idle_since: float | None = None


def _consumer_kwargs(args: argparse.Namespace, settings: Settings, plan: Plan) -> dict[str, Any]:
    kwargs = client_kwargs(settings, **settings.consumer)
    if args.group:
        kwargs["group_id"] = args.group
    if args.isolation:
        kwargs["isolation_level"] = args.isolation
    kwargs["enable_auto_commit"] = False
    if kwargs.get("group_id"):
        where = plan.default.kind
        if where != "stored" or "auto_offset_reset" not in kwargs:
            kwargs["auto_offset_reset"] = "latest" if where == "end" else "earliest"
    return kwargs


async def _seek(consumer: AIOKafkaConsumer, starts: list[tuple[TopicPartition, Where]]) -> None:
    tps = [tp for tp, _ in starts]
    ends = await consumer.end_offsets(tps)
    firsts = await consumer.beginning_offsets(tps)
    for tp, where in starts:
        consumer.seek(tp, await _resolve(consumer, tp, where, firsts[tp], ends[tp]))


async def _resolve(
    consumer: AIOKafkaConsumer, tp: TopicPartition, where: Where, first: int, end: int
) -> int:
    if where.kind == "beginning":
        return first
    if where.kind == "end":
        return end
    if where.kind == "time":
        found = (await consumer.offsets_for_times({tp: where.value}))[tp]
        return end if found is None else int(found.offset)
    if where.kind == "relative":
        return max(first, end + where.value)
    return max(first, where.value)  # before the log start: from the log start, like -N


class _Forget(ConsumerRebalanceListener):
    """A rebalance listener: offsets of partitions taken away are committed if possible
    (best effort) and forgotten, so a stale offset is never committed later."""

    def __init__(self, consumer: AIOKafkaConsumer, progress: Progress, commit: bool) -> None:
        self.consumer, self.progress, self.commit = consumer, progress, commit

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        from aiokafka_gen.errors import KafkaError

        keys = [(tp.topic, tp.partition) for tp in revoked]
        offsets = {tp: self.progress.next_offsets[k] for tp, k in zip(revoked, keys, strict=True)
                   if k in self.progress.next_offsets}  # fmt: skip
        if self.commit and offsets:
            try:
                await self.consumer.commit(offsets)
            except KafkaError as exc:
                _log.warning("could not commit revoked partitions: %s", exc)
        for tp, key in zip(revoked, keys, strict=True):
            self.progress.next_offsets.pop(key, None)
            self.progress.ends.pop(tp, None)

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


async def _start(
    args: argparse.Namespace, settings: Settings, plan: Plan
) -> tuple[AIOKafkaConsumer, bool]:
    """A started consumer, and whether it is in a group."""
    from aiokafka_gen.consumer import AIOKafkaConsumer

    kwargs = _consumer_kwargs(args, settings, plan)
    async with admin_client(settings) as admin:  # an unknown topic/partition fails now
        found = await partitions_of(
            admin, [(s.topic, None if s.partition is None else [s.partition]) for s in plan.specs]
        )
    grouped = bool(kwargs.get("group_id"))
    consumer = AIOKafkaConsumer(**kwargs)
    try:
        if grouped:
            listener = _Forget(consumer, args.progress, not args.no_commit)
            consumer.subscribe(sorted({s.topic for s in plan.specs}), listener=listener)
            await consumer.start()
            return consumer, True
        await consumer.start()
        consumer.assign(found)
        await _seek(consumer, _starts(plan, found))
    except BaseException:  # failed or interrupted: close what it opened
        await consumer.stop()
        raise
    return consumer, False


def _starts(plan: Plan, found: list[TopicPartition]) -> list[tuple[TopicPartition, Where]]:
    """Each assigned partition with where it starts (the last spec naming it wins)."""
    where: dict[TopicPartition, Where] = {}
    for index, spec in enumerate(plan.specs):
        start = plan.starts.get(index, plan.default)
        for tp in found:
            if tp.topic == spec.topic and spec.partition in (None, tp.partition):
                where[tp] = start
    return list(where.items())


async def _at_end(consumer: AIOKafkaConsumer, progress: Progress, grouped: bool) -> bool:
    assigned = consumer.assignment()
    if not assigned:
        return grouped and _idle(consumer, progress)
    progress.idle_since = None
    new = [tp for tp in assigned if tp not in progress.ends]
    if new:
        progress.ends.update(await consumer.end_offsets(new))
    for tp in assigned:
        if await consumer.position(tp) < progress.ends[tp]:
            return False
    return True


def _idle(consumer: AIOKafkaConsumer, progress: Progress) -> bool:
    """A group member the group gave nothing: done once it has been stable (no rebalance
    in progress) without partitions for a grace period."""
    health = consumer.group_health()
    if health is None or health.state != "stable" or health.assignment:
        progress.idle_since = None
        return False
    now = time.monotonic()
    if progress.idle_since is None:
        progress.idle_since = now
    return now - progress.idle_since >= _IDLE_GRACE


def _write(
    records: Iterator[ConsumerRecord[bytes, bytes]],
    render: Formatter,
    progress: Progress,
    limit: int | None,
) -> None:
    out = sys.stdout.buffer
    try:
        for record in records:
            if limit is not None and progress.printed >= limit:
                return
            out.write(render(record))
            progress.printed += 1
            progress.next_offsets[(record.topic, record.partition)] = record.offset + 1
    finally:
        out.flush()  # nothing is committed before it is out


async def _commit(consumer: AIOKafkaConsumer, progress: Progress, grouped: bool) -> None:
    from aiokafka_gen.structs import TopicPartition

    progress.committed_at = time.monotonic()
    if not grouped or not progress.next_offsets:
        return
    owned = consumer.assignment()  # a partition the group moved away is not ours to commit
    sent = dict(progress.next_offsets)
    offsets = {TopicPartition(*key): off for key, off in sent.items()}
    offsets = {tp: off for tp, off in offsets.items() if tp in owned}
    if offsets:
        await consumer.commit(offsets)
    for key, off in sent.items():  # committed (or no longer ours): forget what did not move
        if progress.next_offsets.get(key) == off:
            del progress.next_offsets[key]


async def _periodic_commit(consumer: AIOKafkaConsumer, progress: Progress, grouped: bool) -> None:
    """A commit while consuming: a rebalance under way is not an error (the offsets are
    kept and committed next time, or on revocation)."""
    from aiokafka_gen.errors import CommitFailedError, IllegalStateError, RebalanceInProgressError

    try:
        await _commit(consumer, progress, grouped)
    except (CommitFailedError, RebalanceInProgressError, IllegalStateError) as exc:
        _log.warning("commit failed, retrying later: %s", exc)


async def _loop(
    consumer: AIOKafkaConsumer, args: argparse.Namespace, stop: asyncio.Event, grouped: bool
) -> None:
    render = args.render
    progress = args.progress
    grouped = grouped and not args.no_commit
    try:
        while not stop.is_set():
            remaining = None if args.count is None else args.count - progress.printed
            if remaining is not None and remaining <= 0:
                break
            batches = await consumer.getmany(timeout_ms=_POLL_MS, max_records=remaining or None)
            _write(_in_order(batches), render, progress, args.count)
            if time.monotonic() - progress.committed_at > _COMMIT_EVERY:
                await _periodic_commit(consumer, progress, grouped)
            if not batches and not args.follow and await _at_end(consumer, progress, grouped):
                break
    except BaseException:
        with contextlib.suppress(Exception):  # keep the error that ended the loop
            await _commit(consumer, progress, grouped)
        raise
    await _commit(consumer, progress, grouped)


def _in_order(
    batches: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
) -> Iterator[ConsumerRecord[bytes, bytes]]:
    for tp in sorted(batches):
        yield from batches[tp]


async def run(args: argparse.Namespace, settings: Settings) -> int:
    # every usage error before any connection
    plan = _plan(args, bool(args.group or settings.consumer.get("group_id")))
    args.render = plan.render
    args.progress = Progress()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    started = False

    def interrupted() -> None:
        # the first Ctrl-C ends the loop cleanly; while connecting or joining, or a second
        # time (a final commit or the leave hanging), it stops at once
        if (not started or stop.is_set()) and main is not None:
            main.cancel()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupted)
    try:
        consumer, grouped = await _start(args, settings, plan)
        started = True
        try:
            await _loop(consumer, args, stop, grouped)
        finally:
            await consumer.stop()
    except asyncio.CancelledError:
        if not stop.is_set():
            raise  # not ours
        sys.stderr.write("interrupted\n")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0
