"""``groups list|describe|delete|reset-offsets``: consumer groups (classic and KIP-848)
and share groups (KIP-932).

``describe`` joins the group description (state, members, assignment) with the committed
offsets and the partitions' log end offsets: one row per partition with its lag. For a
share group the offset is the group's start offset (records before it are acknowledged
or archived), so the lag is what is not yet acknowledged, and a partition may have
several members. ``list`` shows every type; ``delete`` and ``reset-offsets`` are for
consumer groups.
``reset-offsets`` computes new committed offsets (``--to-earliest``, ``--to-latest``,
``--to-datetime``, ``--to-offset``, ``--shift-by``) and only prints them unless
``--execute`` (the group must have no active members then: NonEmptyGroup otherwise).
``--shift-by`` needs a committed offset for every partition it moves.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TypedDict

from aiokafka_gen.cli.clients import admin_client, parse_target, parse_time_ms, partitions_of
from aiokafka_gen.cli.errors import NoCommittedOffset, UsageError
from aiokafka_gen.cli.output import done, emit, plain, print_json, table
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.admin import AIOKafkaAdminClient, OffsetSpec
    from aiokafka_gen.admin.results import (
        GroupDescription,
        MemberDescription,
        ShareGroupDescription,
        ShareMemberDescription,
    )
    from aiokafka_gen.structs import TopicPartition

__all__ = ["register"]


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser("groups", help="consumer and share groups: lag, members, offsets",
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


def _register_reset(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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


class _HasOffset(Protocol):
    """A committed offset (OffsetAndMetadata) or a share group's start offset."""

    @property
    def offset(self) -> int: ...


class _PartitionJSON(TypedDict):
    topic: str
    partition: int
    committed_offset: int | None
    log_end_offset: int | None
    lag: int | None
    member_id: str | None
    client_id: str | None
    host: str | None


class _MemberJSON(TypedDict):
    member_id: str
    group_instance_id: str | None
    client_id: str
    host: str
    assignment: list[str]


class _GroupJSON(TypedDict):
    group: str
    type: str
    state: str
    protocol: str
    coordinator: int
    members: list[_MemberJSON]
    partitions: list[_PartitionJSON]
    total_lag: int


async def _offsets(
    admin: AIOKafkaAdminClient, tps: list[TopicPartition], spec: OffsetSpec | int
) -> dict[TopicPartition, int | None]:
    """The offset per partition; None where it cannot be had (e.g. the topic was deleted
    since the group committed to it)."""
    if not tps:
        return {}
    found = await admin.list_offsets(dict.fromkeys(tps, spec), raise_on_error=False)
    result: dict[TopicPartition, int | None] = dict.fromkeys(tps)
    for tp, r in found.items():
        result[tp] = None if r.error is not None else r.offset
    return result


def _committed(committed: Mapping[TopicPartition, _HasOffset], tp: TopicPartition) -> int | None:
    """The group's committed offset of ``tp``, None when it has none."""
    done = committed.get(tp)
    return done.offset if done is not None and done.offset >= 0 else None


def _owners(desc: GroupDescription) -> dict[TopicPartition, MemberDescription]:
    return {tp: m for m in desc.members for tp in m.assignment}


async def _describe_share(
    admin: AIOKafkaAdminClient, group: str
) -> tuple[_ShareView, dict[TopicPartition, _Start], dict[TopicPartition, _ShareMemberView]]:
    """A share group's description, start offsets and members per partition."""
    desc = (await admin.describe_share_groups([group]))[group]
    starts = await admin.list_share_group_offsets(group)
    committed = {tp: _Start(offset) for tp, offset in starts.items() if offset is not None}
    view = _ShareView(desc)
    owners: dict[TopicPartition, _ShareMemberView] = {}
    for member in view.members:
        for tp in member.assignment:
            owners.setdefault(tp, member)  # the first of its members (each row shows one)
    return view, committed, owners


class _Start:
    """A share group's start offset, shaped like a committed offset."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


class _ShareView:
    """A ShareGroupDescription read as the consumer-group row printer expects."""

    group_type = "share"
    protocol = ""

    def __init__(self, desc: ShareGroupDescription) -> None:
        self.group_id, self.state, self.coordinator = desc.group_id, desc.state, desc.coordinator
        self.members = [_ShareMemberView(m) for m in desc.members]


class _ShareMemberView:
    group_instance_id: str | None = None

    def __init__(self, member: ShareMemberDescription) -> None:
        self.member_id, self.client_id = member.member_id, member.client_id
        self.client_host, self.assignment = member.client_host, member.assignment


async def _describe_any(
    admin: AIOKafkaAdminClient, group: str
) -> tuple[
    GroupDescription | _ShareView,
    Mapping[TopicPartition, _HasOffset],
    Mapping[TopicPartition, MemberDescription | _ShareMemberView],
]:
    """Consumer group first; a group the consumer-group calls do not know may be a share
    group (the listing says which)."""
    from aiokafka_gen.errors import GroupIdNotFound

    try:
        desc = (await admin.describe_consumer_groups([group]))[group]
    except GroupIdNotFound:
        listed = {g.group_id: g.type for g in await admin.list_consumer_groups(types=["share"])}
        if listed.get(group) != "share":
            raise
        return await _describe_share(admin, group)
    committed = await admin.list_consumer_group_offsets(group)
    return desc, committed, _owners(desc)


async def describe(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import OffsetSpec

    async with admin_client(settings) as admin:
        desc, committed, owners = await _describe_any(admin, args.group)
        tps = sorted(set(committed) | set(owners))
        ends = await _offsets(admin, tps, OffsetSpec.LATEST)
    partitions: list[_PartitionJSON] = []
    for tp in tps:
        offset, end = _committed(committed, tp), ends.get(tp)
        member = owners.get(tp)
        partitions.append({
            "topic": tp.topic, "partition": tp.partition, "committed_offset": offset,
            "log_end_offset": end, "lag": None if offset is None or end is None else end - offset,
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


def _group_json(
    desc: GroupDescription | _ShareView, partitions: list[_PartitionJSON]
) -> _GroupJSON:
    members: list[_MemberJSON] = [
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


def _print_group(data: _GroupJSON) -> None:
    print(f"group {data['group']} ({data['type']}, {data['state']}), "
          f"coordinator {data['coordinator']}, {len(data['members'])} members, "
          f"total lag {data['total_lag']}")  # fmt: skip
    heads = ("topic", "partition", "committed", "log end", "lag", "client", "host")
    if data["partitions"]:
        rows = (
            (p["topic"], p["partition"], p["committed_offset"], p["log_end_offset"], p["lag"],
             p["client_id"], p["host"])
            for p in data["partitions"]
        )  # fmt: skip
        print(table(heads, rows))


async def delete(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        await admin.delete_consumer_groups(args.groups)
    done(args.json, {"deleted": args.groups}, f"deleted {', '.join(args.groups)}")
    return 0


async def _scope(
    admin: AIOKafkaAdminClient,
    args: argparse.Namespace,
    committed: Mapping[TopicPartition, _HasOffset],
) -> list[TopicPartition]:
    if args.all_topics:
        return sorted(committed)
    return sorted(await partitions_of(admin, args.scope))


async def _targets(
    admin: AIOKafkaAdminClient,
    args: argparse.Namespace,
    tps: list[TopicPartition],
    committed: Mapping[TopicPartition, _HasOffset],
) -> dict[TopicPartition, int]:
    from aiokafka_gen.admin import OffsetSpec
    from aiokafka_gen.errors import UnknownTopicOrPartitionError

    earliest = await _offsets(admin, tps, OffsetSpec.EARLIEST)
    latest = await _offsets(admin, tps, OffsetSpec.LATEST)
    first: dict[TopicPartition, int] = {}
    last: dict[TopicPartition, int] = {}
    gone: list[TopicPartition] = []
    for tp in tps:
        lo, hi = earliest[tp], latest[tp]
        if lo is None or hi is None:
            gone.append(tp)
        else:
            first[tp], last[tp] = lo, hi
    if gone:
        names = ", ".join(f"{tp.topic}:{tp.partition}" for tp in gone)
        raise UnknownTopicOrPartitionError(f"no offsets for {names} (deleted?)")
    if args.to_earliest:
        return first
    if args.to_latest:
        return last
    if args.when is not None:
        found = await _offsets(admin, tps, args.when)
        return {tp: last[tp] if off is None or off < 0 else off for tp, off in found.items()}
    result: dict[TopicPartition, int] = {}
    for tp in tps:
        if args.to_offset is not None:
            wanted = args.to_offset
        else:
            base = _committed(committed, tp)
            if base is None:  # as Kafka's tool: there is nothing to shift from
                raise NoCommittedOffset(
                    f"cannot shift {tp.topic}:{tp.partition}: the group has no committed "
                    "offset for it (reset it with --to-earliest/--to-latest/--to-offset)"
                )
            wanted = base + args.shift_by
        result[tp] = min(max(wanted, first[tp]), last[tp])
    return result


async def _check_inactive(admin: AIOKafkaAdminClient, group: str) -> None:
    """NonEmptyGroup unless the group has no active members (or does not exist yet)."""
    from aiokafka_gen.errors import GroupIdNotFound, NonEmptyGroup

    desc = (await admin.describe_consumer_groups([group], raise_on_error=False))[group]
    if isinstance(desc.error, GroupIdNotFound):
        return
    if desc.error is not None:
        raise desc.error
    if desc.state not in ("Empty", "Dead") or desc.members:
        raise NonEmptyGroup(
            f"group {group} is {desc.state} with {len(desc.members)} active members: offsets "
            "can only be reset while it has none"
        )


async def reset_offsets(args: argparse.Namespace, settings: Settings) -> int:
    # usage errors first, before any connection
    args.when = None if args.to_datetime is None else parse_time_ms(args.to_datetime)
    args.scope = [parse_target(text)[:2] for text in args.topics or ()]
    async with admin_client(settings) as admin:
        if args.execute:
            await _check_inactive(admin, args.group)
        committed = await admin.list_consumer_group_offsets(args.group)
        tps = await _scope(admin, args, committed)
        if not tps:
            raise UsageError(f"group {args.group} has no partitions to reset")
        targets = await _targets(admin, args, tps, committed)
        if args.execute:
            await admin.alter_consumer_group_offsets(args.group, targets)
    rows = [(tp.topic, tp.partition, _committed(committed, tp), targets[tp]) for tp in tps]
    data = {"group": args.group, "executed": bool(args.execute), "partitions": [
        {"topic": t, "partition": p, "current_offset": c, "new_offset": n}
        for t, p, c, n in rows]}  # fmt: skip
    emit(args.json, data, ("topic", "partition", "current", "new"), rows)
    if not args.json and not args.execute:
        print("(dry run: nothing changed; add --execute to commit these offsets)")
    return 0
