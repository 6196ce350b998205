"""``groups list|describe|delete|reset-offsets``: consumer groups (classic and KIP-848).

``describe`` joins the group description (state, members, assignment) with the committed
offsets and the partitions' log end offsets: one row per partition with its lag.
``reset-offsets`` computes new committed offsets (``--to-earliest``, ``--to-latest``,
``--to-datetime``, ``--to-offset``, ``--shift-by``) and only prints them unless
``--execute`` (the group must have no active members then).
"""

from __future__ import annotations

import argparse
from typing import Any

from aiokafka_gen.cli.clients import admin_client, parse_time_ms
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import emit, plain, print_json, table
from aiokafka_gen.cli.settings import Settings

__all__ = ["register"]


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("groups", help="consumer groups: lag, members, offsets",
                              description=plain(__doc__),
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    ls = sub.add_parser("list", parents=[common], help="every group, its type and state")
    ls.set_defaults(run=list_groups)
    de = sub.add_parser("describe", parents=[common], help="members, offsets and lag")
    de.add_argument("group")
    de.set_defaults(run=describe)
    rm = sub.add_parser("delete", parents=[common], help="delete empty groups")
    rm.add_argument("groups", nargs="+", metavar="GROUP")
    rm.set_defaults(run=delete)
    _register_reset(sub, common)


def _register_reset(sub: Any, common: argparse.ArgumentParser) -> None:
    rs = sub.add_parser("reset-offsets", parents=[common], help="move committed offsets")
    rs.add_argument("group")
    scope = rs.add_mutually_exclusive_group(required=True)
    scope.add_argument("--topic", dest="topics", action="append", metavar="TOPIC[:P,P...]")
    scope.add_argument("--all-topics", action="store_true", help="every committed topic")
    to = rs.add_mutually_exclusive_group(required=True)
    to.add_argument("--to-earliest", action="store_true")
    to.add_argument("--to-latest", action="store_true")
    to.add_argument("--to-datetime", metavar="TIME", help="ISO-8601 or ms since the epoch")
    to.add_argument("--to-offset", type=int, metavar="N")
    to.add_argument("--shift-by", type=int, metavar="N", help="from the committed offset")
    run = rs.add_mutually_exclusive_group()
    run.add_argument("--dry-run", action="store_true", help="only show (the default)")
    run.add_argument("--execute", action="store_true", help="commit the new offsets")
    rs.set_defaults(run=reset_offsets)


async def list_groups(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        listings = await admin.list_consumer_groups()
    rows = sorted((g.group_id, g.type, g.protocol_type, g.state) for g in listings)
    data = [{"group": r[0], "type": r[1], "protocol_type": r[2], "state": r[3]} for r in rows]
    emit(args.json, data, ("group", "type", "protocol", "state"), rows)
    return 0


async def _offsets(admin: Any, tps: list[Any], spec: Any) -> dict[Any, int]:
    if not tps:
        return {}
    found = await admin.list_offsets(dict.fromkeys(tps, spec))
    return {tp: r.offset for tp, r in found.items()}


def _owners(desc: Any) -> dict[Any, Any]:
    return {tp: m for m in desc.members for tp in m.assignment}


async def describe(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import OffsetSpec

    async with admin_client(settings) as admin:
        desc = (await admin.describe_consumer_groups([args.group]))[args.group]
        committed = await admin.list_consumer_group_offsets(args.group)
        owners = _owners(desc)
        tps = sorted(set(committed) | set(owners))
        ends = await _offsets(admin, tps, OffsetSpec.LATEST)
    partitions = []
    for tp in tps:
        done = committed.get(tp)
        offset = done.offset if done is not None and done.offset >= 0 else None
        member = owners.get(tp)
        partitions.append({
            "topic": tp.topic, "partition": tp.partition, "committed_offset": offset,
            "log_end_offset": ends.get(tp), "lag": None if offset is None else ends[tp] - offset,
            "member_id": member.member_id if member else None,
            "client_id": member.client_id if member else None,
            "host": member.client_host if member else None,
        })  # fmt: skip
    data = _group_json(desc, partitions)
    if args.json:
        print_json(data)
    else:
        _print_group(data)
    return 0


def _group_json(desc: Any, partitions: list[dict[str, Any]]) -> dict[str, Any]:
    members = [
        {"member_id": m.member_id, "group_instance_id": m.group_instance_id,
         "client_id": m.client_id, "host": m.client_host,
         "assignment": sorted(f"{tp.topic}:{tp.partition}" for tp in m.assignment)}
        for m in desc.members
    ]  # fmt: skip
    return {
        "group": desc.group_id, "type": desc.group_type, "state": desc.state,
        "protocol": desc.protocol, "coordinator": desc.coordinator, "members": members,
        "partitions": partitions,
        "total_lag": sum(p["lag"] for p in partitions if p["lag"] is not None),
    }  # fmt: skip


def _print_group(data: dict[str, Any]) -> None:
    print(f"group {data['group']} ({data['type']}, {data['state']}), "
          f"coordinator {data['coordinator']}, {len(data['members'])} members, "
          f"total lag {data['total_lag']}")  # fmt: skip
    keys = ("topic", "partition", "committed_offset", "log_end_offset", "lag", "client_id",
            "host")  # fmt: skip
    heads = ("topic", "partition", "committed", "log end", "lag", "client", "host")
    if data["partitions"]:
        print(table(heads, ([p[k] for k in keys] for p in data["partitions"])))


async def delete(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        await admin.delete_consumer_groups(args.groups)
    if args.json:
        print_json({"deleted": args.groups})
    else:
        print(f"deleted {', '.join(args.groups)}")
    return 0


async def _scope(admin: Any, args: argparse.Namespace, committed: dict[Any, Any]) -> list[Any]:
    from aiokafka_gen.structs import TopicPartition

    if args.all_topics:
        return sorted(committed)
    tps: list[Any] = []
    whole = []
    for text in args.topics:
        topic, _, parts = text.partition(":")
        if parts:
            try:
                tps += [TopicPartition(topic, int(p)) for p in parts.split(",")]
            except ValueError:
                raise UsageError(f"partitions must be numbers in {text!r}") from None
        else:
            whole.append(topic)
    if whole:
        described = await admin.describe_topics(whole)
        tps += [TopicPartition(t, p.partition) for t in whole for p in described[t].partitions]
    return sorted(set(tps))


async def _targets(admin: Any, args: argparse.Namespace, tps: list[Any], committed: Any) -> Any:
    from aiokafka_gen.admin import OffsetSpec

    first = await _offsets(admin, tps, OffsetSpec.EARLIEST)
    last = await _offsets(admin, tps, OffsetSpec.LATEST)
    if args.to_earliest:
        return first
    if args.to_latest:
        return last
    if args.to_datetime is not None:
        found = await _offsets(admin, tps, parse_time_ms(args.to_datetime))
        return {tp: last[tp] if off < 0 else off for tp, off in found.items()}
    result = {}
    for tp in tps:
        if args.to_offset is not None:
            wanted = args.to_offset
        else:
            done = committed.get(tp)
            base = done.offset if done is not None and done.offset >= 0 else last[tp]
            wanted = base + args.shift_by
        result[tp] = min(max(wanted, first[tp]), last[tp])
    return result


async def reset_offsets(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        committed = await admin.list_consumer_group_offsets(args.group)
        tps = await _scope(admin, args, committed)
        if not tps:
            raise UsageError(f"group {args.group} has no partitions to reset")
        targets = await _targets(admin, args, tps, committed)
        if args.execute:
            await admin.alter_consumer_group_offsets(args.group, targets)
    rows = []
    for tp in tps:
        old = committed.get(tp)
        rows.append((tp.topic, tp.partition, old.offset if old else None, targets[tp]))
    data = {"group": args.group, "executed": bool(args.execute), "partitions": [
        {"topic": t, "partition": p, "current_offset": c, "new_offset": n}
        for t, p, c, n in rows]}  # fmt: skip
    emit(args.json, data, ("topic", "partition", "current", "new"), rows)
    if not args.json and not args.execute:
        print("(dry run: nothing changed; add --execute to commit these offsets)")
    return 0
