"""ACL administration: create, describe, delete (with filters).

All three go to any broker (KRaft forwards writes to the controller). CreateAcls and
DeleteAcls answer positionally: result i belongs to creation / filter i.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypedDict, TypeVar

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
from aiokafka_gen.messages.create_acls_request import AclCreation, CreateAclsRequest
from aiokafka_gen.messages.create_acls_response import AclCreationResult
from aiokafka_gen.messages.delete_acls_request import DeleteAclsFilter, DeleteAclsRequest
from aiokafka_gen.messages.delete_acls_response import DeleteAclsFilterResult, DeleteAclsMatchingAcl
from aiokafka_gen.messages.describe_acls_request import DescribeAclsRequest
from aiokafka_gen.messages.describe_acls_response import AclDescription, DescribeAclsResource

K = TypeVar("K")  # an item sent
W = TypeVar("W")  # its answer on the wire
R = TypeVar("R")  # its result


class _FilterFields(TypedDict):
    """The filter fields DescribeAcls and DeleteAcls' filters share."""

    resource_type_filter: int
    resource_name_filter: str | None
    pattern_type_filter: int
    principal_filter: str | None
    host_filter: str | None
    operation: int
    permission_type: int


def _binding(
    raw: AclDescription | DeleteAclsMatchingAcl,
    resource: DescribeAclsResource | DeleteAclsMatchingAcl,
) -> AclBinding:
    """``raw``'s ACL on ``resource`` (a DeleteAcls match is both)."""
    return AclBinding(
        ResourceType(resource.resource_type), resource.resource_name, raw.principal,
        AclOperation(raw.operation), AclPermissionType(raw.permission_type),
        PatternType(resource.pattern_type), raw.host,
    )  # fmt: skip


def _filter_fields(f: AclBindingFilter) -> _FilterFields:
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
        request = DescribeAclsRequest(**_filter_fields(acl_filter or AclBindingFilter()))
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "describe acls"):
            raise error
        return [_binding(acl, r) for r in response.resources for acl in r.acls]

    async def delete_acls(
        self, filters: Iterable[AclBindingFilter], *, raise_on_error: bool = True
    ) -> dict[AclBindingFilter, AclDeleteResult]:
        """Delete every ACL matching each filter; each result lists what it deleted."""

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


def _created(acl: AclBinding, raw: AclCreationResult) -> AclCreateResult:
    return AclCreateResult(acl, result_error(raw.error_code, raw.error_message, f"acl {acl}"))


def _deleted(acl_filter: AclBindingFilter, raw: DeleteAclsFilterResult) -> AclDeleteResult:
    error = result_error(raw.error_code, raw.error_message, f"acl filter {acl_filter}")
    deleted = tuple(_binding(m, m) for m in raw.matching_acls if not m.error_code)
    for match in raw.matching_acls:
        error = error or result_error(
            match.error_code, match.error_message, f"acl {_binding(match, match)}"
        )
    return AclDeleteResult(acl_filter, deleted, error)


def _positional(items: list[K], raw: list[W], make: Callable[[K, W], R]) -> dict[K, R]:
    if len(raw) != len(items):
        error = KafkaError(f"{len(items)} ACL items sent, {len(raw)} results received")
        raise error
    return {item: make(item, answer) for item, answer in zip(items, raw, strict=True)}
