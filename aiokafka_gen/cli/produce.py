"""``produce TOPIC [FILE...]``: records from stdin or files through ``AIOKafkaProducer``.

Input is split on a delimiter (a newline by default); ``-K SEP`` splits key from value at
the first SEP, ``-H name=value`` adds headers to every record, ``--json-input`` reads one
JSON object per line (the shape ``consume --json`` writes). Files are one record each
unless ``-l``. Optional transactions (one per input: stdin or each FILE; or every N
records). A summary (records, bytes, per-partition offsets) is printed at the end; on a
terminal a progress bar (when the input size is known) with the rate is kept on stderr
meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import stat
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from aiokafka_gen.cli.clients import client_kwargs
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.fmt import unescape
from aiokafka_gen.cli.output import bytes_from_json, plain, print_json, table
from aiokafka_gen.cli.settings import Settings, convert, parse_pairs

if TYPE_CHECKING:
    from aiokafka_gen.producer import AIOKafkaProducer
    from aiokafka_gen.structs import RecordMetadata

__all__ = ["register"]

_CHUNK = 1 << 16


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser(
        "produce", parents=[common], help="produce records from stdin or files",
        description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add = p.add_argument
    add("topic")
    add("files", nargs="*", metavar="FILE", help="files to send (default: stdin)")
    add("-K", "--key-delimiter", metavar="SEP", help="split key and value at the first SEP")
    add(
        "-D",
        "--delimiter",
        metavar="SEP",
        default="\\n",
        help="record delimiter in the input (default: newline; escapes \\n \\t \\0 work)",
    )
    add("-l", "--split-files", action="store_true", help="split FILEs on the delimiter too")
    add(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a header on every record (repeatable)",
    )
    add("-p", "--partition", type=int, help="the partition (default: by key)")
    add(
        "--json-input",
        action="store_true",
        help="each line is a JSON object: key, value, headers, partition, timestamp",
    )
    add("-z", "--compression", choices=("none", "gzip", "snappy", "lz4", "zstd"))
    add("--acks", choices=("0", "1", "all", "-1"))
    idem = p.add_mutually_exclusive_group()
    idem.add_argument("--idempotence", dest="idempotence", action="store_true", default=None)
    idem.add_argument("--no-idempotence", dest="idempotence", action="store_false")
    add("--transactional-id", metavar="ID", help="produce in transactions")
    add(
        "--transaction-size",
        type=int,
        metavar="N",
        help="commit every N records (default: one transaction per input: stdin or FILE)",
    )
    add("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(run=run)  # fmt: skip


@dataclass
class Stats:
    """Delivery bookkeeping, fed by the record futures' callbacks."""

    sent: int = 0
    acked: int = 0
    bytes: int = 0
    offsets: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    error: BaseException | None = None

    def delivered(self, future: asyncio.Future[RecordMetadata]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self.error = self.error or exc
            return
        self.acked += 1
        meta: RecordMetadata | None = future.result()
        if meta is None:  # acks=0 (the producer's future then holds None)
            return
        span = self.offsets.setdefault((meta.topic, meta.partition), [meta.offset, meta.offset, 0])
        span[0] = min(span[0], meta.offset)
        span[1] = max(span[1], meta.offset)
        span[2] += 1


async def _chunks(stream: IO[bytes]) -> AsyncIterator[bytes]:
    """What the stream has, as soon as it has it (so typed lines go out at once).

    A daemon thread reads and hands each chunk over through a small queue: a read blocked
    on a terminal or an open pipe never holds up the exit on Ctrl-C (an executor thread
    would: ``asyncio.run`` waits for the default executor on the way out). The thread
    reads the file descriptor itself: a read through the buffered stream would hold its
    lock, and the interpreter aborts when it cannot take that lock to close stdin at exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue(maxsize=8)
    reader = _raw_reader(stream)

    def hand_over(item: bytes | BaseException) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    def pump() -> None:
        try:
            while True:
                chunk = reader(_CHUNK)
                hand_over(chunk)
                if not chunk:
                    return
        except RuntimeError:  # the loop is gone: nobody is reading any more
            return
        except BaseException as exc:  # a read error: raised in the reading coroutine
            with contextlib.suppress(RuntimeError):
                hand_over(exc)

    threading.Thread(target=pump, name="aiokafka-gen-input", daemon=True).start()
    while True:
        item = await queue.get()
        if isinstance(item, BaseException):
            raise item
        if not item:
            return
        yield item


def _raw_reader(stream: IO[bytes]) -> Callable[[int], bytes]:
    """``read(n)`` on the stream's file descriptor when it has one (else the stream's
    own ``read1``/``read``, e.g. for an in-memory stream)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        reader: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
        return reader
    return functools.partial(os.read, fd)


async def split_stream(stream: IO[bytes], delimiter: bytes) -> AsyncIterator[bytes]:
    """Records of a stream split on ``delimiter`` (a trailing delimiter ends the last).
    Linear in the input: each byte is searched once (plus a delimiter's length of
    overlap between chunks)."""
    buffer = bytearray()
    scanned = 0  # bytes of buffer already searched
    async for chunk in _chunks(stream):
        buffer += chunk
        begin = 0
        search = max(0, scanned - len(delimiter) + 1)
        while (end := buffer.find(delimiter, search)) >= 0:
            yield bytes(buffer[begin:end])
            begin = search = end + len(delimiter)
        del buffer[:begin]
        scanned = len(buffer)
    if buffer:
        yield bytes(buffer)


@dataclass
class Outgoing:
    """One record to send."""

    value: bytes | None
    key: bytes | None = None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    partition: int | None = None
    timestamp_ms: int | None = None


class Parser:
    """Input piece -> ``Outgoing``, per the command-line options."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.key_sep = unescape(args.key_delimiter) if args.key_delimiter else None
        self.headers = [(k, v.encode()) for k, v in parse_pairs(args.headers, "-H")]
        self.partition: int | None = args.partition
        self.json = args.json_input

    def __call__(self, piece: bytes) -> Outgoing | None:
        if self.json:
            return self._from_json(piece) if piece.strip() else None
        key = None
        if self.key_sep is not None:
            key, sep, value = piece.partition(self.key_sep)
            if not sep:
                key, value = None, piece
        else:
            value = piece
        return Outgoing(value, key, list(self.headers), self.partition)

    def _from_json(self, piece: bytes) -> Outgoing:
        try:
            node = json.loads(piece)
            headers = node.get("headers") or []
            if isinstance(headers, dict):
                headers = list(headers.items())
            return Outgoing(
                bytes_from_json(node.get("value")), bytes_from_json(node.get("key")),
                list(self.headers) + [(str(k), bytes_from_json(v)) for k, v in headers],
                node.get("partition", self.partition), node.get("timestamp"),
            )  # fmt: skip
        except (ValueError, AttributeError, TypeError) as exc:
            raise UsageError(f"--json-input: bad line {piece[:60]!r}: {exc}") from None


async def _pieces(args: argparse.Namespace, delimiter: bytes) -> AsyncIterator[bytes | None]:
    """The input's records; None after each input (stdin, or each FILE)."""
    if not args.files:
        async for piece in split_stream(sys.stdin.buffer, delimiter):
            yield piece
        yield None
        return
    for path in args.files:
        with open(path, "rb") as stream:
            if not args.split_files:
                yield stream.read()
            else:
                async for piece in split_stream(stream, delimiter):
                    yield piece
        yield None


def _producer_kwargs(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    kwargs = client_kwargs(settings, **settings.producer)
    if args.compression:
        kwargs["compression_type"] = convert("-z", args.compression, "codec")
    if args.acks:
        kwargs["acks"] = convert("--acks", args.acks, "acks")
    if args.idempotence is not None:
        kwargs["enable_idempotence"] = args.idempotence
    if args.transactional_id:
        kwargs["transactional_id"] = args.transactional_id
    if args.transaction_size is not None and not kwargs.get("transactional_id"):
        raise UsageError("--transaction-size needs --transactional-id")
    if not kwargs.get("enable_idempotence") and not kwargs.get("transactional_id"):
        # the input's order in each partition, even when a batch is retried: without
        # idempotence a retried batch could land after a later one with more in flight
        kwargs.setdefault("max_in_flight_requests_per_connection", 1)
    return kwargs


class Progress:
    """A progress line on stderr when it is a terminal: a bar with the percentage when the
    input's size is known (files, or stdin redirected from a file), then records, bytes
    and the rate."""

    WIDTH = 24

    def __init__(self, enabled: bool, total: int | None = None) -> None:
        self.enabled = enabled
        self.total = total if total else None  # bytes of input, when known
        self.start = self.shown = time.monotonic()

    def update(self, stats: Stats, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.shown < 0.25 and not force):
            return
        self.shown = now
        rate = stats.sent / max(now - self.start, 1e-6)
        sys.stderr.write(f"\r{self.bar(stats.bytes, force)}{stats.sent} records, "
                         f"{stats.bytes} bytes, {rate:,.0f} rec/s ")  # fmt: skip
        if force:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def bar(self, done: int, finished: bool) -> str:
        """``[#####-----]  42% `` (keys and values only are counted, so it ends a little
        short of the delimiters' share until the input is finished)."""
        if self.total is None:
            return ""
        fraction = 1.0 if finished else min(done / self.total, 1.0)
        filled = round(fraction * self.WIDTH)
        return f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {fraction:4.0%} "


def _input_size(files: list[str]) -> int | None:
    """Bytes of input, when known without reading it."""
    try:
        if files:
            return sum(os.path.getsize(name) for name in files)
        info = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class Transactions:
    """Begins a transaction before the first record, commits one every ``size`` records
    (or at the end of each input without a size); does nothing when not transactional."""

    def __init__(self, producer: AIOKafkaProducer, enabled: bool, size: int | None) -> None:
        self.producer, self.enabled, self.size = producer, enabled, size
        self.open = 0  # records in the open transaction
        self.committed = 0

    async def before_record(self) -> None:
        if self.enabled and self.open == 0:
            await self.producer.begin_transaction()

    async def after_record(self) -> None:
        self.open += 1
        if self.size and self.open >= self.size:
            await self.commit()

    async def end_of_input(self) -> None:
        if not self.size:
            await self.commit()

    async def commit(self) -> None:
        if self.enabled and self.open:
            await self.producer.commit_transaction()
            self.committed += 1
        self.open = 0


async def _send_all(
    producer: AIOKafkaProducer, args: argparse.Namespace, stats: Stats, transactional: bool
) -> int:
    parse = args.parse
    pending: set[asyncio.Future[RecordMetadata]] = set()
    enabled = sys.stderr.isatty() and not args.quiet
    progress = Progress(enabled, _input_size(args.files) if enabled else None)
    txns = Transactions(producer, transactional, args.transaction_size)
    async for piece in _pieces(args, args.split_on):
        record = None if piece is None else parse(piece)
        if record is None:
            if piece is None:
                await txns.end_of_input()
            continue
        await txns.before_record()
        future = await producer.send(
            args.topic, record.value, record.key, record.partition,
            record.timestamp_ms, record.headers or None,
        )  # fmt: skip
        future.add_done_callback(stats.delivered)
        pending.add(future)
        future.add_done_callback(pending.discard)
        stats.sent += 1
        stats.bytes += len(record.value or b"") + len(record.key or b"")
        await txns.after_record()
        _raise_failed(stats)
        progress.update(stats)
    await txns.commit()
    await producer.flush()
    # every delivery callback has run once these are done (whatever order they ran in)
    await asyncio.gather(*pending, return_exceptions=True)
    _raise_failed(stats)
    progress.update(stats, force=True)
    return txns.committed


async def _abort(producer: AIOKafkaProducer) -> None:
    """Abort the open transaction, if any, keeping the original error."""
    from aiokafka_gen.errors import KafkaError

    with contextlib.suppress(KafkaError):
        await producer.abort_transaction()


def _raise_failed(stats: Stats) -> None:
    if stats.error is not None:
        raise stats.error


def _validate(args: argparse.Namespace) -> None:
    """Every usage error before connecting: delimiters, headers, files."""
    args.split_on = unescape(args.delimiter)
    if not args.split_on:
        raise UsageError("-D/--delimiter must not be empty")
    args.parse = Parser(args)
    for path in args.files:
        if not os.access(path, os.R_OK) or os.path.isdir(path):
            raise UsageError(f"cannot read {path}")
    if args.transaction_size is not None and args.transaction_size < 1:
        raise UsageError("--transaction-size must be at least 1")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.producer import AIOKafkaProducer

    _validate(args)
    kwargs = _producer_kwargs(args, settings)
    producer = AIOKafkaProducer(**kwargs)
    stats = Stats()
    try:
        await producer.start()
    except BaseException:  # failed or interrupted: close what it opened
        await producer.stop()
        raise
    txn = bool(kwargs.get("transactional_id"))
    try:
        transactions = await _send_all(producer, args, stats, txn)
    except BaseException:
        if txn:
            await _abort(producer)
        raise
    finally:
        await producer.stop()
    if not args.quiet:
        _summary(args, stats, transactions, bool(kwargs.get("transactional_id")))
    return 0


def _summary(args: argparse.Namespace, stats: Stats, transactions: int, txn: bool) -> None:
    parts = {
        f"{topic}:{p}": {"first_offset": s[0], "last_offset": s[1], "records": s[2]}
        for (topic, p), s in sorted(stats.offsets.items())
    }
    data: dict[str, object] = {"topic": args.topic, "records": stats.sent, "bytes": stats.bytes,
                               "partitions": parts}  # fmt: skip
    if txn:
        data["transactions"] = transactions
    if args.json:
        print_json(data)
        return
    print(f"{stats.sent} records, {stats.bytes} bytes to {args.topic}", end="")
    print(f" in {transactions} transactions" if txn else "")
    if parts:
        print(table(("partition", "first offset", "last offset", "records"), _rows(stats)))


def _rows(stats: Stats) -> Iterator[tuple[int, int, int, int]]:
    for (_, p), (first, last, count) in sorted(stats.offsets.items()):
        yield p, first, last, count
