"""``configs describe|alter TYPE NAME``: broker, topic, group (and other) configs.

Describe shows the configs set anywhere but in the defaults unless ``--all``; a sensitive
value is never shown. Alter is incremental (IncrementalAlterConfigs): ``--set``,
``--delete``, ``--append``, ``--subtract``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import done, emit, plain
from aiokafka_gen.cli.settings import Settings, is_secret, parse_assignments

if TYPE_CHECKING:
    from aiokafka_gen.admin import AlterConfigOp, ConfigResourceType
    from aiokafka_gen.admin.results import ConfigEntry

__all__ = ["alter", "register"]

_TYPES = ("topic", "broker", "group", "broker-logger", "client-metrics")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser(
        "configs", help="describe or alter configs", description=plain(__doc__)
    )
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    de = sub.add_parser("describe", parents=[common], help="show configs of a resource")
    de.add_argument("type", choices=_TYPES)
    de.add_argument("name", help="topic or group name, broker id ('' for the cluster default)")
    de.add_argument("--all", action="store_true", help="include default values")
    de.add_argument("--synonyms", action="store_true", help="show where each value comes from")
    de.set_defaults(run=describe)
    al = sub.add_parser("alter", parents=[common], help="change configs of a resource")
    al.add_argument("type", choices=_TYPES)
    al.add_argument("name")
    add = al.add_argument
    add("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    add("--delete", dest="deletes", action="append", default=[], metavar="KEY")
    add("--append", dest="appends", action="append", default=[], metavar="KEY=VALUE")
    add("--subtract", dest="subtracts", action="append", default=[], metavar="KEY=VALUE")
    add("--validate-only", action="store_true")
    al.set_defaults(run=lambda args, settings: alter(args, settings, args.type, args.name))


def _resource_type(text: str) -> ConfigResourceType:
    from aiokafka_gen.admin import ConfigResourceType

    return ConfigResourceType[text.upper().replace("-", "_")]


def _entry_json(entry: ConfigEntry) -> dict[str, object]:
    return {
        "name": entry.name, "value": None if entry.is_sensitive else entry.value,
        "source": entry.source.name, "read_only": entry.read_only,
        "sensitive": entry.is_sensitive,
        "synonyms": [{"name": s.name,
                      "value": None if entry.is_sensitive or is_secret(s.name) else s.value,
                      "source": s.source.name}
                     for s in entry.synonyms],
    }  # fmt: skip


async def describe(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import ConfigResource, ConfigSource

    resource = ConfigResource(_resource_type(args.type), args.name)
    async with admin_client(settings) as admin:
        results = await admin.describe_configs([resource], include_synonyms=args.synonyms)
    entries = sorted(results[resource].entries.values(), key=lambda e: e.name)
    if not args.all:
        entries = [e for e in entries if e.source != ConfigSource.DEFAULT_CONFIG]
    data = [_entry_json(e) for e in entries]
    rows = [(d["name"], "(sensitive)" if d["sensitive"] else d["value"], d["source"]) for d in data]
    emit(args.json, data, ("name", "value", "source"), rows)
    return 0


def _ops(args: argparse.Namespace) -> list[AlterConfigOp]:
    from aiokafka_gen.admin import AlterConfigOp, AlterConfigOpType

    ops = [AlterConfigOp(k, v) for k, v in parse_assignments(args.sets, "--set").items()]
    ops += [AlterConfigOp(k, None, AlterConfigOpType.DELETE) for k in args.deletes]
    for items, kind in (
        (getattr(args, "appends", []), AlterConfigOpType.APPEND),
        (getattr(args, "subtracts", []), AlterConfigOpType.SUBTRACT),
    ):
        ops += [AlterConfigOp(k, v, kind) for k, v in parse_assignments(items, kind.name).items()]
    if not ops:
        raise UsageError("nothing to change: give --set, --delete, --append or --subtract")
    return ops  # fmt: skip


async def alter(args: argparse.Namespace, settings: Settings, kind: str, name: str) -> int:
    """Apply the ``--set``/``--delete``/... options to one resource."""
    from aiokafka_gen.admin import ConfigResource

    resource = ConfigResource(_resource_type(kind), name)
    ops = _ops(args)
    async with admin_client(settings) as admin:
        await admin.incremental_alter_configs(
            {resource: ops}, validate_only=getattr(args, "validate_only", False)
        )
    changes = [
        {"name": op.name, "op": op.op_type.name,
         "value": "(sensitive)" if is_secret(op.name) and op.value is not None else op.value}
        for op in ops
    ]  # fmt: skip
    text = f"altered {kind.lower()} {name!r}: " + ", ".join(
        f"{op.op_type.name.lower()} {op.name}" for op in ops
    )
    done(args.json, {"type": kind.lower(), "name": name, "changes": changes}, text)
    return 0
