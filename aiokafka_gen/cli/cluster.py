"""``cluster``: cluster id, controller, brokers and racks, finalized features and the KRaft
metadata quorum (each part left out when the broker refuses to describe it); with
``--log-dirs`` each broker's log directories (replicas, bytes used and free)."""

from __future__ import annotations

import argparse
from typing import Any

from aiokafka_gen.cli.clients import admin_client
from aiokafka_gen.cli.errors import short
from aiokafka_gen.cli.output import plain, print_json, table
from aiokafka_gen.cli.settings import Settings

__all__ = ["register"]


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    text = "brokers, racks, controller, features, KRaft quorum"
    p = subparsers.add_parser("cluster", parents=[common], description=plain(__doc__), help=text)
    p.add_argument("--log-dirs", action="store_true", help="also each broker's log dirs")
    p.set_defaults(run=run)


def _brokers(desc: Any) -> list[dict[str, Any]]:
    return [
        {"id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack, "fenced": b.is_fenced}
        for b in sorted(desc.brokers, key=lambda b: b.node_id)
    ]


def _features(meta: Any) -> dict[str, Any]:
    return {
        "finalized": {k: v.max_version for k, v in sorted(meta.finalized.items())},
        "supported": {k: [v.min_version, v.max_version] for k, v in sorted(meta.supported.items())},
    }


def _quorum(q: Any) -> dict[str, Any]:
    def replica(r: Any) -> dict[str, Any]:
        return {"id": r.replica_id, "log_end_offset": r.log_end_offset,
                "lag": q.high_watermark - r.log_end_offset}  # fmt: skip

    return {"leader": q.leader_id, "epoch": q.leader_epoch, "high_watermark": q.high_watermark,
            "voters": [replica(r) for r in q.voters],
            "observers": [replica(r) for r in q.observers]}  # fmt: skip


def _log_dirs(found: dict[int, Any]) -> list[dict[str, Any]]:
    return [
        {"broker": broker, "path": d.path, "total_bytes": d.total_bytes,
         "usable_bytes": d.usable_bytes, "replicas": len(d.replicas),
         "size": sum(r.size for r in d.replicas.values()),
         "error": None if d.error is None else short(d.error)}
        for broker, dirs in sorted(found.items())
        for d in sorted(dirs.values(), key=lambda d: d.path)
    ]  # fmt: skip


async def _optional(coro: Any) -> Any:
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
    data: dict[str, Any] = {
        "cluster_id": desc.cluster_id, "controller": desc.controller_id,
        "brokers": _brokers(desc),
        "features": features if isinstance(features, dict) else _features(features),
        "quorum": quorum if isinstance(quorum, dict) else _quorum(quorum),
    }  # fmt: skip
    if dirs is not None:
        data["log_dirs"] = _log_dirs(dirs)
    if args.json:
        print_json(data)
        return 0
    print(f"cluster {data['cluster_id']}, controller {data['controller']}")
    rows = [(b["id"], b["host"], b["port"], b["rack"], b["fenced"]) for b in data["brokers"]]
    print(table(("broker", "host", "port", "rack", "fenced"), rows))
    if "error" in data["features"]:
        print(f"features: unavailable ({data['features']['error']})")
    else:
        finalized = data["features"]["finalized"]
        print("features: " + ", ".join(f"{k}={v}" for k, v in finalized.items()))
    q = data["quorum"]
    if "leader" in q:
        voters = ",".join(str(v["id"]) for v in q["voters"])
        print(f"quorum: leader {q['leader']} epoch {q['epoch']} high watermark "
              f"{q['high_watermark']}, voters {voters}")  # fmt: skip
    else:
        print(f"quorum: unavailable ({q['error']})")
    if dirs is not None:
        keys = ("broker", "path", "replicas", "size", "usable_bytes", "total_bytes")
        print(table(keys, ([d[k] for k in keys] for d in data["log_dirs"])))
    return 0
