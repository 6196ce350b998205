"""``acls list|create|delete``: ACL bindings through the admin client.

A binding is given with options: ``--principal User:alice``, ``--operation READ``
(repeatable), ``--topic``/``--group``/``--cluster``/``--transactional-id`` for the resource,
``--prefixed`` for a prefix pattern, ``--deny`` for a DENY rule, ``--host``. For ``list``
every option left out matches anything. ``delete`` matches as Kafka's kafka-acls.sh does:
only LITERAL ALLOW bindings unless ``--prefixed``, ``--deny``, ``--pattern any|match`` or
``--permission any`` say otherwise; other options left out match anything.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.output import done, emit, plain
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        PatternType,
        ResourceType,
    )

__all__ = ["register"]

_RESOURCES = (("topic", "TOPIC"), ("group", "GROUP"), ("transactional_id", "TRANSACTIONAL_ID"),
              ("user", "USER"))  # fmt: skip


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
    pattern = p.add_mutually_exclusive_group()
    pattern.add_argument("--prefixed", action="store_true", help="the name is a prefix")
    pattern.add_argument(
        "--pattern",
        choices=("literal", "prefixed", "any", "match"),
        help="the pattern type (list: any, create and delete: literal)",
    )
    permission = p.add_mutually_exclusive_group()
    permission.add_argument("--deny", action="store_true", help="a DENY rule")
    permission.add_argument(
        "--permission",
        choices=("allow", "deny", "any"),
        help="the permission (list: any, create and delete: allow)",
    )  # fmt: skip


def _resource(args: argparse.Namespace) -> tuple[ResourceType, str | None]:
    from aiokafka_gen.admin import ResourceType

    if args.cluster:
        return ResourceType.CLUSTER, "kafka-cluster"
    for attr, kind in _RESOURCES:
        value = getattr(args, attr)
        if value is not None:
            return ResourceType[kind], value
    return ResourceType.ANY, None


def _operations(args: argparse.Namespace) -> list[AclOperation]:
    from aiokafka_gen.admin import AclOperation

    try:
        return [AclOperation[op.upper().replace("-", "_")] for op in args.operations or ()]
    except KeyError as exc:
        names = ", ".join(op.name for op in AclOperation if op.value > 1)
        raise UsageError(f"unknown operation {exc.args[0]} (one of {names})") from None


def _pattern(args: argparse.Namespace, default: str) -> PatternType:
    from aiokafka_gen.admin import PatternType

    return PatternType[("prefixed" if args.prefixed else args.pattern or default).upper()]


def _permission(args: argparse.Namespace, default: str) -> AclPermissionType:
    from aiokafka_gen.admin import AclPermissionType

    return AclPermissionType[("deny" if args.deny else args.permission or default).upper()]


def _filters(args: argparse.Namespace, default: str = "any") -> list[AclBindingFilter]:
    """Binding filters from the options; ``default`` (any, or literal/allow for delete) is
    the pattern and permission matched when not given."""
    from aiokafka_gen.admin import AclBindingFilter, AclOperation

    kind, name = _resource(args)
    pattern = _pattern(args, "literal" if default != "any" else "any")
    permission = _permission(args, "allow" if default != "any" else "any")
    ops = _operations(args) or [AclOperation.ANY]  # ANY: the filter's default
    return [
        AclBindingFilter(
            resource_type=kind, resource_name=name, principal=args.principal, operation=op,
            permission_type=permission, pattern_type=pattern, host=args.host,
        )
        for op in ops
    ]  # fmt: skip


def binding_json(acl: AclBinding) -> dict[str, str]:
    return {
        "resource_type": acl.resource_type.name, "resource_name": acl.resource_name,
        "pattern_type": acl.pattern_type.name, "principal": acl.principal, "host": acl.host,
        "operation": acl.operation.name, "permission": acl.permission_type.name,
    }  # fmt: skip


def _show(as_json: bool, acls: list[AclBinding]) -> None:
    data = [binding_json(a) for a in acls]
    keys = ("resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
            "permission")  # fmt: skip
    rows = sorted(tuple(d[k] for k in keys) for d in data)
    emit(as_json, data, ("resource", "name", "pattern", "principal", "host", "operation",
                         "permission"), rows)  # fmt: skip


async def list_acls(args: argparse.Namespace, settings: Settings) -> int:
    found: list[AclBinding] = []
    filters = _filters(args)
    async with admin_client(settings) as admin:
        for flt in filters:
            found += [a for a in await admin.describe_acls(flt) if a not in found]
    _show(args.json, found)
    return 0


async def create(args: argparse.Namespace, settings: Settings) -> int:
    from aiokafka_gen.admin import AclBinding, ResourceType

    kind, name = _resource(args)
    ops = _operations(args)
    if kind == ResourceType.ANY or not args.principal or not ops:
        raise UsageError("create needs --principal, --operation and a resource option")
    if args.pattern in ("any", "match") or args.permission == "any":
        raise UsageError("create takes --pattern literal|prefixed and --permission allow|deny")
    pattern, permission = _pattern(args, "literal"), _permission(args, "allow")
    acls = [
        AclBinding(kind, name or "", args.principal, op, permission, pattern, args.host or "*")
        for op in ops
    ]  # fmt: skip
    async with admin_client(settings) as admin:
        await admin.create_acls(acls)
    _show(args.json, acls)
    return 0


async def delete(args: argparse.Namespace, settings: Settings) -> int:
    filters = _filters(args, default="literal")
    if all(f.resource_type.name == "ANY" and f.principal is None for f in filters):
        raise UsageError("delete needs at least a resource option or --principal")
    async with admin_client(settings) as admin:
        results = await admin.delete_acls(filters)
    deleted = [acl for r in results.values() for acl in r.deleted]
    done(args.json, {"deleted": [binding_json(a) for a in deleted]}, f"deleted {len(deleted)} ACLs")
    return 0
