"""``topics list|describe|create|delete|add-partitions|alter-config`` over the admin client."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypedDict

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.output import done, emit, plain
from aiokafka_gen.cli.settings import Settings, parse_assignments

if TYPE_CHECKING:
    from aiokafka_gen.admin.results import TopicDescription

__all__ = ["register", "topic_json"]


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser("topics", help="list, describe, create, delete, alter topics",
                              description=plain(__doc__))  # fmt: skip
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    ls = sub.add_parser("list", parents=[common], help="topic names and partition counts")
    ls.add_argument("--internal", action="store_true", help="include internal topics")
    ls.set_defaults(run=list_topics)
    de = sub.add_parser("describe", parents=[common], help="partitions, leaders, replicas, ISR")
    de.add_argument("topics", nargs="*", metavar="TOPIC", help="default: every topic")
    de.set_defaults(run=describe)
    cr = sub.add_parser("create", parents=[common], help="create a topic")
    cr.add_argument("topic")
    cr.add_argument("-p", "--partitions", type=int, default=-1, help="default: broker's")
    cr.add_argument("-r", "--replication-factor", type=int, default=-1, help="default: broker's")
    cr.add_argument("--config-entry", "-c", dest="entries", action="append", default=[],
                    metavar="KEY=VALUE", help="a topic config (repeatable)")  # fmt: skip
    cr.add_argument("--if-not-exists", action="store_true")
    cr.set_defaults(run=create)
    rm = sub.add_parser("delete", parents=[common], help="delete topics")
    rm.add_argument("topics", nargs="+", metavar="TOPIC")
    rm.set_defaults(run=delete)
    ap = sub.add_parser("add-partitions", parents=[common], help="raise the partition count")
    ap.add_argument("topic")
    ap.add_argument("--total", type=int, required=True, help="the new partition count")
    ap.set_defaults(run=add_partitions)
    ac = sub.add_parser("alter-config", parents=[common], help="set or delete topic configs")
    ac.add_argument("topic")
    ac.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    ac.add_argument("--delete", dest="deletes", action="append", default=[], metavar="KEY")
    ac.set_defaults(run=alter_config)


class _PartitionJSON(TypedDict):
    partition: int
    leader: int
    leader_epoch: int
    replicas: list[int]
    isr: list[int]
    offline_replicas: list[int]


class _TopicJSON(TypedDict):
    name: str | None
    topic_id: str | None
    internal: bool
    partitions: list[_PartitionJSON]


def topic_json(desc: TopicDescription) -> _TopicJSON:
    """A TopicDescription as JSON."""
    return {
        "name": desc.name, "topic_id": str(desc.topic_id) if desc.topic_id else None,
        "internal": desc.is_internal,
        "partitions": [
            {"partition": p.partition, "leader": p.leader, "leader_epoch": p.leader_epoch,
             "replicas": list(p.replicas), "isr": list(p.isr),
             "offline_replicas": list(p.offline_replicas)}
            for p in sorted(desc.partitions, key=lambda p: p.partition)
        ],
    }  # fmt: skip


async def list_topics(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        names = await admin.list_topics(exclude_internal_topics=not args.internal)
        found = await admin.describe_topics(sorted(names), raise_on_error=False) if names else {}
    # a topic deleted between the two calls is left out
    described = {n: d for n, d in found.items() if getattr(d, "error", None) is None}
    rows = [(name, len(described[name].partitions)) for name in sorted(described)]
    data = [{"name": n, "partitions": c} for n, c in rows]
    emit(args.json, data, ("topic", "partitions"), rows)
    return 0


async def describe(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        described = await admin.describe_topics(args.topics or None)
    topics = [topic_json(d) for d in sorted(described.values(), key=lambda d: d.name or "")]
    rows = [
        (t["name"], p["partition"], p["leader"], p["replicas"], p["isr"])
        for t in topics
        for p in t["partitions"]
    ]
    emit(args.json, topics, ("topic", "partition", "leader", "replicas", "isr"), rows)
    return 0


async def create(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import NewTopic
    from aiokafka_gen.errors import TopicAlreadyExistsError

    configs = parse_assignments(args.entries, "--config-entry")
    # a count of -1 takes the broker's default; NewTopic wants (empty) assignments then
    defaults: dict[int, list[int]] | None = (
        {} if -1 in (args.partitions, args.replication_factor) else None
    )
    topic = NewTopic(args.topic, args.partitions, args.replication_factor, defaults, configs)
    async with admin_client(settings) as admin:
        results = await admin.create_topics([topic], raise_on_error=False)
    result = results[args.topic]
    error = result.error
    if isinstance(error, TopicAlreadyExistsError) and args.if_not_exists:
        error = None
    if error is not None:
        raise error
    data = {"name": args.topic, "topic_id": str(result.topic_id) if result.topic_id else None,
            "partitions": result.num_partitions,
            "replication_factor": result.replication_factor}  # fmt: skip
    done(args.json, data, f"created topic {args.topic}")
    return 0


async def delete(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        await admin.delete_topics(args.topics)
    done(args.json, {"deleted": args.topics}, f"deleted {', '.join(args.topics)}")
    return 0


async def add_partitions(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import NewPartitions

    async with admin_client(settings) as admin:
        await admin.create_partitions({args.topic: NewPartitions(args.total)})
    data = {"name": args.topic, "partitions": args.total}
    done(args.json, data, f"{args.topic} now has {args.total} partitions")
    return 0


async def alter_config(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.cli.configs import alter

    return await alter(args, settings, "TOPIC", args.topic)
