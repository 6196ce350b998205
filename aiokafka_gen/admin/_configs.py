"""Config administration: describe, alter (replace), incremental alter.

BROKER and BROKER_LOGGER resources must be asked of the broker they name (a numeric
name); an empty broker name (the cluster-wide default) and every other resource type go
to any broker. One request per target node, sent at once; results per resource.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    AlterConfigsResult,
    ConfigEntry,
    ConfigSynonym,
    DescribeConfigsResult,
    raise_for_errors,
)
from aiokafka_gen.admin.types import (
    AlterConfigOp,
    AlterConfigOpType,
    ConfigResource,
    ConfigResourceType,
    ConfigSource,
    ConfigType,
)
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages import incremental_alter_configs_request as incremental
from aiokafka_gen.messages.alter_configs_request import (
    AlterableConfig,
    AlterConfigsRequest,
    AlterConfigsResource,
)
from aiokafka_gen.messages.alter_configs_response import AlterConfigsResponse
from aiokafka_gen.messages.describe_configs_request import (
    DescribeConfigsRequest,
    DescribeConfigsResource,
)
from aiokafka_gen.messages.describe_configs_response import (
    DescribeConfigsResourceResult,
)
from aiokafka_gen.messages.describe_configs_response import (
    DescribeConfigsResult as DescribeConfigsAnswer,
)
from aiokafka_gen.messages.incremental_alter_configs_response import (
    IncrementalAlterConfigsResponse,
)
from aiokafka_gen.protocol._message import Request

_ANY = -1
E = TypeVar("E", bound=enum.IntEnum)
_AlterBuild = Callable[
    [list[ConfigResource]], Request[AlterConfigsResponse | IncrementalAlterConfigsResponse]
]


class _ResourceAnswer(Protocol):
    """A response item for one resource (every config API's answer is one)."""

    @property
    def resource_type(self) -> int: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def error_code(self) -> int: ...
    @property
    def error_message(self) -> str | None: ...


T = TypeVar("T", bound=_ResourceAnswer)
_PER_BROKER = (ConfigResourceType.BROKER, ConfigResourceType.BROKER_LOGGER)


def _node_for(resource: ConfigResource) -> int:
    if resource.resource_type in _PER_BROKER and resource.name:
        return int(resource.name)
    return _ANY


def _by_node(resources: Iterable[ConfigResource]) -> dict[int, list[ConfigResource]]:
    groups: dict[int, list[ConfigResource]] = {}
    for resource in resources:
        groups.setdefault(_node_for(resource), []).append(resource)
    return groups


def _entry(raw: DescribeConfigsResourceResult) -> ConfigEntry:
    synonyms = tuple(
        ConfigSynonym(s.name, s.value, _enum(ConfigSource, s.source)) for s in raw.synonyms
    )
    return ConfigEntry(
        raw.name, raw.value, _enum(ConfigSource, raw.config_source), raw.read_only,
        raw.is_sensitive, synonyms, _enum(ConfigType, raw.config_type), raw.documentation,
    )  # fmt: skip


def _enum(kind: type[E], value: int) -> E:
    try:
        return kind(value)
    except ValueError:
        return kind(0)


def _what(resource: ConfigResource) -> str:
    return f"{resource.resource_type.name.lower()} {resource.name!r}"


def _find(resources: list[ConfigResource], raw: Iterable[T]) -> dict[ConfigResource, T | None]:
    """The response item for each resource, matched on (type, name)."""
    found = {(r.resource_type, r.resource_name): r for r in raw}
    return {res: found.get((int(res.resource_type), res.name)) for res in resources}


class ConfigsMixin(AdminBase):
    """describe_configs, alter_configs, incremental_alter_configs."""

    async def describe_configs(
        self,
        config_resources: Iterable[ConfigResource],
        include_synonyms: bool = False,
        *,
        include_documentation: bool = False,
        raise_on_error: bool = True,
    ) -> dict[ConfigResource, DescribeConfigsResult]:
        """Configs of each resource (only the keys of ``resource.configs`` when given).

        ``include_synonyms`` adds where else each value is set, in precedence order;
        ``include_documentation`` adds the type and documentation of each config. A TOPIC
        resource with an illegal topic name raises InvalidTopicError before anything is sent.
        """
        config_resources = checks.resources(config_resources)

        async def send(
            node: int, resources: list[ConfigResource]
        ) -> dict[ConfigResource, DescribeConfigsResult]:
            items = [
                DescribeConfigsResource(
                    resource_type=int(r.resource_type), resource_name=r.name,
                    configuration_keys=None if r.configs is None else list(r.configs),
                )
                for r in resources
            ]  # fmt: skip
            request = DescribeConfigsRequest(
                resources=items, include_synonyms=include_synonyms,
                include_documentation=include_documentation,
            )  # fmt: skip
            response = await self._send(request, None if node == _ANY else node)
            found = _find(resources, response.results)
            return {r: _described(r, found[r]) for r in resources}

        def failed(resource: ConfigResource, error: KafkaError) -> DescribeConfigsResult:
            return DescribeConfigsResult(resource, error=error)

        async def attempt(
            resources: list[ConfigResource],
        ) -> dict[ConfigResource, DescribeConfigsResult]:
            return await self._fan_out(_by_node(resources), send, failed)

        results = await self._retrying(config_resources, attempt)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def alter_configs(
        self,
        config_resources: Iterable[ConfigResource],
        *,
        validate_only: bool = False,
        raise_on_error: bool = True,
    ) -> dict[ConfigResource, AlterConfigsResult]:
        """Replace each resource's dynamic configs with ``resource.configs`` (configs not
        named are reset to their defaults; see ``incremental_alter_configs``)."""
        config_resources = checks.resources(config_resources)

        def item(r: ConfigResource) -> AlterConfigsResource:
            configs = [
                AlterableConfig(name=k, value=None if v is None else str(v))
                for k, v in (r.configs or {}).items()
            ]
            return AlterConfigsResource(
                resource_type=int(r.resource_type), resource_name=r.name, configs=configs
            )

        def build(resources: list[ConfigResource]) -> AlterConfigsRequest:
            return AlterConfigsRequest(
                resources=[item(r) for r in resources], validate_only=validate_only
            )

        results = await self._alter(config_resources, build)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def incremental_alter_configs(
        self,
        alterations: Mapping[ConfigResource, Iterable[AlterConfigOp]] | Iterable[ConfigResource],
        *,
        validate_only: bool = False,
        raise_on_error: bool = True,
    ) -> dict[ConfigResource, AlterConfigsResult]:
        """Change single configs: {resource: [AlterConfigOp(name, value, op_type)]} with
        SET, DELETE, APPEND or SUBTRACT. A plain list of ConfigResources sets each of their
        ``configs`` (a None value deletes the config). Other configs are left alone."""
        ops = _as_ops(alterations)
        checks.resources(ops)

        def item(r: ConfigResource) -> incremental.AlterConfigsResource:
            configs = [
                incremental.AlterableConfig(
                    name=o.name, config_operation=int(o.op_type), value=o.value
                )
                for o in ops[r]
            ]
            return incremental.AlterConfigsResource(
                resource_type=int(r.resource_type), resource_name=r.name, configs=configs
            )

        def build(resources: list[ConfigResource]) -> incremental.IncrementalAlterConfigsRequest:
            return incremental.IncrementalAlterConfigsRequest(
                resources=[item(r) for r in resources], validate_only=validate_only
            )

        results = await self._alter(ops, build)
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def _alter(
        self, resources: Iterable[ConfigResource], build: _AlterBuild
    ) -> dict[ConfigResource, AlterConfigsResult]:
        async def send(
            node: int, items: list[ConfigResource]
        ) -> dict[ConfigResource, AlterConfigsResult]:
            response = await self._send(build(items), None if node == _ANY else node)
            found = _find(items, response.responses)
            return {r: _altered(r, found[r]) for r in items}

        def failed(resource: ConfigResource, error: KafkaError) -> AlterConfigsResult:
            return AlterConfigsResult(resource, error)

        async def attempt(items: list[ConfigResource]) -> dict[ConfigResource, AlterConfigsResult]:
            return await self._fan_out(_by_node(items), send, failed)

        return await self._retrying(resources, attempt)


def _as_ops(
    alterations: Mapping[ConfigResource, Iterable[AlterConfigOp]] | Iterable[ConfigResource],
) -> dict[ConfigResource, list[AlterConfigOp]]:
    if isinstance(alterations, Mapping):
        return {r: list(o) for r, o in alterations.items()}
    ops: dict[ConfigResource, list[AlterConfigOp]] = {}
    for r in alterations:
        ops[r] = [
            AlterConfigOp(k, None, AlterConfigOpType.DELETE)
            if v is None
            else AlterConfigOp(k, str(v), AlterConfigOpType.SET)
            for k, v in (r.configs or {}).items()
        ]
    return ops


def _described(
    resource: ConfigResource, raw: DescribeConfigsAnswer | None
) -> DescribeConfigsResult:
    if raw is None:
        return DescribeConfigsResult(resource, error=KafkaError(f"no answer for {_what(resource)}"))
    error = result_error(raw.error_code, raw.error_message, _what(resource))
    entries = {c.name: _entry(c) for c in raw.configs}
    return DescribeConfigsResult(resource, entries, error)


def _altered(resource: ConfigResource, raw: _ResourceAnswer | None) -> AlterConfigsResult:
    if raw is None:
        return AlterConfigsResult(resource, KafkaError(f"no answer for {_what(resource)}"))
    return AlterConfigsResult(
        resource, result_error(raw.error_code, raw.error_message, _what(resource))
    )
