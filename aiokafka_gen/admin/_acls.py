"""ACL administration: create, describe, delete (with filters).

All three go to any broker (KRaft forwards writes to the controller). CreateAcls and
DeleteAcls answer positionally: result i belongs to creation / filter i.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import AclCreateResult, AclDeleteResult, raise_for_errors
from aiokafka_gen.admin.types import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourceType,
)
from aiokafka_gen.errors import InvalidRequestError, KafkaError


def _binding(raw: Any, resource: Any = None) -> AclBinding:
    source = resource or raw
    pattern = getattr(source, "pattern_type", PatternType.LITERAL)
    return AclBinding(
        ResourceType(source.resource_type), source.resource_name, raw.principal,
        AclOperation(raw.operation), AclPermissionType(raw.permission_type),
        PatternType(pattern), raw.host,
    )  # fmt: skip


def _filter_fields(f: AclBindingFilter) -> dict[str, Any]:
    return {
        "resource_type_filter": int(f.resource_type),
        "resource_name_filter": f.resource_name,
        "pattern_type_filter": int(f.pattern_type),
        "principal_filter": f.principal,
        "host_filter": f.host,
        "operation": int(f.operation),
        "permission_type": int(f.permission_type),
    }


class AclsMixin(AdminBase):
    """create_acls, describe_acls, delete_acls."""

    async def create_acls(
        self, acls: Iterable[AclBinding], *, raise_on_error: bool = True
    ) -> dict[AclBinding, AclCreateResult]:
        """Create ACL bindings; an invalid one (e.g. an ANY field) fails alone with
        InvalidRequestError, a caller without ALTER on the cluster with
        ClusterAuthorizationFailedError."""
        from aiokafka_gen.messages.create_acls_request import AclCreation, CreateAclsRequest

        async def attempt(items: list[AclBinding]) -> dict[AclBinding, AclCreateResult]:
            creations = [
                AclCreation(
                    resource_type=int(a.resource_type), resource_name=a.resource_name,
                    resource_pattern_type=int(a.pattern_type), principal=a.principal,
                    host=a.host, operation=int(a.operation),
                    permission_type=int(a.permission_type),
                )
                for a in items
            ]  # fmt: skip
            response = await self._send(CreateAclsRequest(creations=creations))
            return _positional(items, response.results, _created)

        wanted = list(dict.fromkeys(acls))
        refused = {a: AclCreateResult(a, error) for a in wanted if (error := _indefinite(a))}
        sent = await self._retrying([a for a in wanted if a not in refused], attempt)
        results = {a: refused.get(a) or sent[a] for a in wanted}
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def describe_acls(self, acl_filter: AclBindingFilter | None = None) -> list[AclBinding]:
        """ACL bindings matching ``acl_filter`` (default: every ACL). Raises
        SecurityDisabled when the cluster has no authorizer."""
        from aiokafka_gen.messages.describe_acls_request import DescribeAclsRequest

        request = DescribeAclsRequest(**_filter_fields(acl_filter or AclBindingFilter()))
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "describe acls"):
            raise error
        return [_binding(acl, r) for r in response.resources for acl in r.acls]

    async def delete_acls(
        self, filters: Iterable[AclBindingFilter], *, raise_on_error: bool = True
    ) -> dict[AclBindingFilter, AclDeleteResult]:
        """Delete every ACL matching each filter; each result lists what it deleted."""
        from aiokafka_gen.messages.delete_acls_request import DeleteAclsFilter, DeleteAclsRequest

        async def attempt(items: list[AclBindingFilter]) -> dict[AclBindingFilter, AclDeleteResult]:
            request = DeleteAclsRequest(
                filters=[DeleteAclsFilter(**_filter_fields(f)) for f in items]
            )
            response = await self._send(request)
            return _positional(items, response.filter_results, _deleted)

        results = await self._retrying(filters, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results


def _indefinite(acl: AclBinding) -> KafkaError | None:
    """An ACL with a filter-only value (ANY, MATCH, UNKNOWN) is refused here, as Kafka's
    Admin does: the controller fails the whole CreateAcls request on one of them."""
    vague = (
        acl.resource_type in (ResourceType.ANY, ResourceType.UNKNOWN)
        or acl.operation in (AclOperation.ANY, AclOperation.UNKNOWN)
        or acl.permission_type in (AclPermissionType.ANY, AclPermissionType.UNKNOWN)
        or acl.pattern_type not in (PatternType.LITERAL, PatternType.PREFIXED)
    )
    return InvalidRequestError(f"acl {acl} has an indefinite field") if vague else None


def _created(acl: AclBinding, raw: Any) -> AclCreateResult:
    return AclCreateResult(acl, result_error(raw.error_code, raw.error_message, f"acl {acl}"))


def _deleted(acl_filter: AclBindingFilter, raw: Any) -> AclDeleteResult:
    error = result_error(raw.error_code, raw.error_message, f"acl filter {acl_filter}")
    deleted = tuple(_binding(m) for m in raw.matching_acls if not m.error_code)
    for match in raw.matching_acls:
        error = error or result_error(
            match.error_code, match.error_message, f"acl {_binding(match)}"
        )
    return AclDeleteResult(acl_filter, deleted, error)


def _positional(items: list[Any], raw: list[Any], make: Any) -> dict[Any, Any]:
    if len(raw) != len(items):
        error = KafkaError(f"{len(items)} ACL items sent, {len(raw)} results received")
        raise error
    return {item: make(item, answer) for item, answer in zip(items, raw, strict=True)}
