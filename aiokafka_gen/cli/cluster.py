"""``cluster``: cluster id, controller, brokers and racks, finalized features and the KRaft
metadata quorum (each part left out when the broker refuses to describe it); with
``--log-dirs`` each broker's log directories (replicas, bytes used and free)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, TypeVar

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.errors import short
from aiokafka_gen.cli.output import plain, print_json, table
from aiokafka_gen.cli.settings import Settings

if TYPE_CHECKING:
    from aiokafka_gen.admin.results import (
        ClusterDescription,
        FeatureMetadata,
        LogDirDescription,
        QuorumInfo,
        ReplicaState,
    )

__all__ = ["register"]

T = TypeVar("T")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    text = "brokers, racks, controller, features, KRaft quorum"
    p = subparsers.add_parser("cluster", parents=[common], description=plain(__doc__), help=text)
    p.add_argument("--log-dirs", action="store_true", help="also each broker's log dirs")
    p.set_defaults(run=run)


def _brokers(desc: ClusterDescription) -> list[dict[str, object]]:
    return [
        {"id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack, "fenced": b.is_fenced}
        for b in sorted(desc.brokers, key=lambda b: b.node_id)
    ]


def _features(meta: FeatureMetadata) -> dict[str, dict[str, object]]:
    return {
        "finalized": {k: v.max_version for k, v in sorted(meta.finalized.items())},
        "supported": {k: [v.min_version, v.max_version] for k, v in sorted(meta.supported.items())},
    }


def _quorum(q: QuorumInfo) -> dict[str, object]:
    def replica(r: ReplicaState) -> dict[str, int]:
        return {"id": r.replica_id, "log_end_offset": r.log_end_offset,
                "lag": q.high_watermark - r.log_end_offset}  # fmt: skip

    return {"leader": q.leader_id, "epoch": q.leader_epoch, "high_watermark": q.high_watermark,
            "voters": [replica(r) for r in q.voters],
            "observers": [replica(r) for r in q.observers]}  # fmt: skip


def _log_dirs(found: Mapping[int, Mapping[str, LogDirDescription]]) -> list[dict[str, object]]:
    return [
        {"broker": broker, "path": d.path, "total_bytes": d.total_bytes,
         "usable_bytes": d.usable_bytes, "replicas": len(d.replicas),
         "size": sum(r.size for r in d.replicas.values()),
         "error": None if d.error is None else short(d.error)}
        for broker, dirs in sorted(found.items())
        for d in sorted(dirs.values(), key=lambda d: d.path)
    ]  # fmt: skip


async def _optional(coro: Awaitable[T]) -> T | dict[str, str]:
    from aiokafka_gen.errors import KafkaError

    try:
        return await coro
    except KafkaError as exc:  # e.g. no DESCRIBE on the cluster, or an old broker
        return {"error": short(exc)}


async def run(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_client(settings) as admin:
        desc = await admin.describe_cluster()
        features = await _optional(admin.describe_features())
        quorum = await _optional(admin.describe_metadata_quorum())
        dirs = await admin.describe_log_dirs() if args.log_dirs else None
    brokers = _brokers(desc)
    data: dict[str, object] = {
        "cluster_id": desc.cluster_id, "controller": desc.controller_id,
        "brokers": brokers,
        "features": features if isinstance(features, dict) else _features(features),
        "quorum": quorum if isinstance(quorum, dict) else _quorum(quorum),
    }  # fmt: skip
    log_dirs = None if dirs is None else _log_dirs(dirs)
    if log_dirs is not None:
        data["log_dirs"] = log_dirs
    if args.json:
        print_json(data)
        return 0
    print(f"cluster {desc.cluster_id}, controller {desc.controller_id}")
    rows = [(b["id"], b["host"], b["port"], b["rack"], b["fenced"]) for b in brokers]
    print(table(("broker", "host", "port", "rack", "fenced"), rows))
    if isinstance(features, dict):
        print(f"features: unavailable ({features['error']})")
    else:
        finalized = sorted(features.finalized.items())
        print("features: " + ", ".join(f"{k}={v.max_version}" for k, v in finalized))
    if isinstance(quorum, dict):
        print(f"quorum: unavailable ({quorum['error']})")
    else:
        voters = ",".join(str(v.replica_id) for v in quorum.voters)
        print(f"quorum: leader {quorum.leader_id} epoch {quorum.leader_epoch} high watermark "
              f"{quorum.high_watermark}, voters {voters}")  # fmt: skip
    if log_dirs is not None:
        keys = ("broker", "path", "replicas", "size", "usable_bytes", "total_bytes")
        print(table(keys, ([d[k] for k in keys] for d in log_dirs)))
    return 0
