"""``records delete TOPIC:PARTITION:OFFSET...``: delete every record before an offset
(``-1`` or ``end``: up to the high watermark); prints the new low watermarks."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aiokafka_gen.cli.clients import admin_client, parse_target
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import emit, plain
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.structs import TopicPartition

__all__ = ["register"]


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser("records", help="delete records", description=plain(__doc__))
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    rm = sub.add_parser("delete", parents=[common], help="delete records before offsets")
    rm.add_argument("targets", nargs="+", metavar="TOPIC:PARTITION:OFFSET")
    rm.set_defaults(run=delete)


def _target(text: str) -> tuple[TopicPartition, int]:
    from aiokafka_gen.structs import TopicPartition

    topic, parts, where = parse_target(text, offset=True)
    if parts is None or where is None:
        raise UsageError(f"expected TOPIC:PARTITION:OFFSET, got {text[:80]!r}")
    try:
        offset = -1 if where in ("end", "-1") else int(where)
    except ValueError:
        offset = -2
    if offset < -1:
        raise UsageError(f"the offset is a number >= 0 or end in {text[:80]!r}")
    return TopicPartition(topic, parts[0]), offset


async def delete(args: argparse.Namespace, settings: Settings) -> int:
    wanted = dict(_target(t) for t in args.targets)
    async with admin_client(settings) as admin:
        results = await admin.delete_records(wanted)
    rows = sorted((tp.topic, tp.partition, int(low)) for tp, low in results.items())
    data = [{"topic": t, "partition": p, "low_watermark": w} for t, p, w in rows]
    emit(args.json, data, ("topic", "partition", "low watermark"), rows)
    return 0
