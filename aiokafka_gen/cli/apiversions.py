"""``api-versions``: per API key, the versions a broker speaks next to the versions
aiokafka_gen knows and the one it would use; APIs only one side has are flagged."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypedDict

from aiokafka_gen.cli.clients import client_kwargs
from aiokafka_gen.cli.output import emit, plain
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:  # the messages are imported when a command runs (--help stays fast)
    from aiokafka_gen.messages.api_versions_response import ApiVersionsResponse

__all__ = ["register"]


class _ApiRow(TypedDict):
    api_key: int
    name: str | None
    broker: list[int] | None
    client: list[int] | None
    used: int | None
    note: str


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = subparsers.add_parser("api-versions", parents=[common], description=plain(__doc__),
                              help="API versions: broker, aiokafka_gen, negotiated")  # fmt: skip
    p.add_argument("--broker", type=int, metavar="ID", help="ask this broker (default: any)")
    p.set_defaults(run=run)


async def _ask(settings: Settings, broker: int | None) -> tuple[int, ApiVersionsResponse]:
    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.protocol.negotiation import API_VERSIONS_KEY, api_versions_request

    client = AIOKafkaClient(**client_kwargs(settings))
    await client.bootstrap()
    try:
        node = broker if broker is not None else client.get_random_node()
        if node is None or not await client.ready(node):
            from aiokafka_gen.errors import NodeNotReadyError

            raise NodeNotReadyError(f"broker {node} is not reachable")
        version = client.api_version_for(node, API_VERSIONS_KEY) or 0
        request = api_versions_request(version)
        return node, await client.send(node, request, api_version=version)
    finally:
        await client.close()


def rows_for(response: ApiVersionsResponse) -> list[_ApiRow]:
    """One entry per API key either side knows."""
    from aiokafka_gen.messages import APIS
    from aiokafka_gen.protocol.negotiation import BrokerVersions, client_range

    theirs = {a.api_key: (a.min_version, a.max_version) for a in response.api_keys}
    versions = BrokerVersions(theirs)
    rows: list[_ApiRow] = []
    for key in sorted(set(theirs) | set(APIS)):
        ours = client_range(key) if key in APIS else None
        used = versions.version_for(key) if ours and versions.supports(key) else None
        note = "" if ours and key in theirs else ("broker only" if ours is None else "client only")
        if ours and key in theirs and used is None:
            note = "no common version"
        rows.append({
            "api_key": key, "name": APIS[key].name if key in APIS else None,
            "broker": list(theirs[key]) if key in theirs else None,
            "client": list(ours) if ours else None, "used": used, "note": note,
        })  # fmt: skip
    return rows


def _span(pair: list[int] | None) -> str | None:
    return None if pair is None else f"{pair[0]}-{pair[1]}"


async def run(args: argparse.Namespace, settings: Settings) -> int:
    node, response = await _ask(settings, args.broker)
    rows = rows_for(response)
    data = {"broker": node, "apis": rows,
            "finalized_features": {f.name: [f.min_version_level, f.max_version_level]
                                   for f in response.finalized_features}}  # fmt: skip
    table_rows = [
        (r["api_key"], r["name"], _span(r["broker"]), _span(r["client"]), r["used"], r["note"])
        for r in rows
    ]
    emit(args.json, data, ("key", "api", "broker", "aiokafka_gen", "used", "note"), table_rows)
    return 0
