"""``acls list|create|delete``: ACL bindings through the admin client.

A binding is given with options: ``--principal User:alice``, ``--operation READ``
(repeatable), ``--topic``/``--group``/``--cluster``/``--transactional-id`` for the resource,
``--prefixed`` for a prefix pattern, ``--deny`` for a DENY rule, ``--host``. For ``list``
and ``delete`` every option left out matches anything.
"""

from __future__ import annotations

import argparse
from typing import Any

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import emit, plain, print_json

__all__ = ["register"]

_RESOURCES = (("topic", "TOPIC"), ("group", "GROUP"), ("transactional_id", "TRANSACTIONAL_ID"),
              ("user", "USER"))  # fmt: skip


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("acls", help="list, create, delete ACLs", description=plain(__doc__),
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, run, text in (
        ("list", list_acls, "ACLs matching the options"),
        ("create", create, "add one ACL per operation"),
        ("delete", delete, "delete the ACLs matching the options"),
    ):
        action = sub.add_parser(
            name,
            parents=[common],
            help=text,
            description=plain(__doc__),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _binding_options(action)
        action.set_defaults(run=run)  # fmt: skip


def _binding_options(p: argparse.ArgumentParser) -> None:
    add = p.add_argument
    add("--principal", help="e.g. User:alice")
    add("--host", help="default: * (any host)")
    add(
        "--operation",
        dest="operations",
        action="append",
        metavar="OP",
        help="READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, ALL, ... (repeatable)",
    )
    res = p.add_mutually_exclusive_group()
    res.add_argument("--topic")
    res.add_argument("--group")
    res.add_argument("--transactional-id")
    res.add_argument("--user", help="a user resource (delegation tokens)")
    res.add_argument("--cluster", action="store_true", help="the cluster resource")
    add("--prefixed", action="store_true", help="the name is a prefix")
    add("--deny", action="store_true", help="a DENY rule (default ALLOW)")  # fmt: skip


def _resource(args: argparse.Namespace) -> tuple[Any, str | None]:
    from aiokafka_gen.admin import ResourceType

    if args.cluster:
        return ResourceType.CLUSTER, "kafka-cluster"
    for attr, kind in _RESOURCES:
        value = getattr(args, attr)
        if value is not None:
            return ResourceType[kind], value
    return ResourceType.ANY, None


def _operations(args: argparse.Namespace) -> list[Any]:
    from aiokafka_gen.admin import AclOperation

    try:
        return [AclOperation[op.upper().replace("-", "_")] for op in args.operations or ()]
    except KeyError as exc:
        names = ", ".join(op.name for op in AclOperation if op.value > 1)
        raise UsageError(f"unknown operation {exc.args[0]} (one of {names})") from None


def _filters(args: argparse.Namespace) -> list[Any]:
    from aiokafka_gen.admin import AclBindingFilter, AclPermissionType, PatternType

    kind, name = _resource(args)
    pattern = PatternType.PREFIXED if args.prefixed else PatternType.ANY
    permission = AclPermissionType.DENY if args.deny else AclPermissionType.ANY
    common = {
        "resource_type": kind,
        "resource_name": name,
        "principal": args.principal,
        "permission_type": permission,
        "pattern_type": pattern,
        "host": args.host,
    }
    ops = _operations(args)
    if not ops:
        return [AclBindingFilter(**common)]
    return [AclBindingFilter(operation=op, **common) for op in ops]  # fmt: skip


def binding_json(acl: Any) -> dict[str, Any]:
    return {
        "resource_type": acl.resource_type.name, "resource_name": acl.resource_name,
        "pattern_type": acl.pattern_type.name, "principal": acl.principal, "host": acl.host,
        "operation": acl.operation.name, "permission": acl.permission_type.name,
    }  # fmt: skip


def _show(as_json: bool, acls: list[Any]) -> None:
    data = [binding_json(a) for a in acls]
    keys = ("resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
            "permission")  # fmt: skip
    rows = sorted(tuple(d[k] for k in keys) for d in data)
    emit(as_json, data, ("resource", "name", "pattern", "principal", "host", "operation",
                         "permission"), rows)  # fmt: skip


async def list_acls(args: argparse.Namespace, settings: Any) -> int:
    found: list[Any] = []
    async with admin_client(settings) as admin:
        for flt in _filters(args):
            found += [a for a in await admin.describe_acls(flt) if a not in found]
    _show(args.json, found)
    return 0


async def create(args: argparse.Namespace, settings: Any) -> int:
    from aiokafka_gen.admin import AclBinding, AclPermissionType, PatternType, ResourceType

    kind, name = _resource(args)
    ops = _operations(args)
    if kind == ResourceType.ANY or not args.principal or not ops:
        raise UsageError("create needs --principal, --operation and a resource option")
    acls = [
        AclBinding(kind, name or "", args.principal, op,
                   AclPermissionType.DENY if args.deny else AclPermissionType.ALLOW,
                   PatternType.PREFIXED if args.prefixed else PatternType.LITERAL,
                   args.host or "*")
        for op in ops
    ]  # fmt: skip
    async with admin_client(settings) as admin:
        await admin.create_acls(acls)
    _show(args.json, acls)
    return 0


async def delete(args: argparse.Namespace, settings: Any) -> int:
    filters = _filters(args)
    if all(f.resource_type.name == "ANY" and f.principal is None for f in filters):
        raise UsageError("delete needs at least a resource option or --principal")
    async with admin_client(settings) as admin:
        results = await admin.delete_acls(filters)
    deleted = [acl for r in results.values() for acl in r.deleted]
    if args.json:
        print_json({"deleted": [binding_json(a) for a in deleted]})
    else:
        print(f"deleted {len(deleted)} ACLs")
    return 0
