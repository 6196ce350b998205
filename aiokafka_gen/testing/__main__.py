"""``python -m aiokafka_gen.testing up|down|status|compat``: a local Kafka from the shell.

``up`` starts a cluster, prints its addresses (and credentials / PEM paths when secured)
and its startup time, then keeps it up until Ctrl-C (clean stop) or, with ``--detach``,
writes a state file and returns; ``down`` stops a detached cluster; ``status`` shows it;
``compat`` runs the broker compatibility suite over Kafka versions and writes the report.
Must not hold logic the library lacks: it only calls KafkaCluster and the state helpers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence

from ._progress import QUIET_ENV
from ._state import ClusterState, load_state, pid_alive, save_state, stop_detached
from .cluster import BACKENDS, KafkaCluster

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aiokafka_gen.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a cluster")
    up.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    up.add_argument("--security", default="plaintext", help="plaintext|ssl|mtls|sasl_*|all")
    up.add_argument("--kafka-version", default=None, help="default: the pinned version")
    up.add_argument("--backend", choices=BACKENDS, default="jvm")
    up.add_argument("--acls", action="store_true", help="StandardAuthorizer, admin is super")
    up.add_argument("--feature", action="append", default=[], help="e.g. share.version=1")
    up.add_argument("--detach", action="store_true", help="write a state file and return")
    up.add_argument(
        "-q", "--quiet", action="store_true",
        help="no download/start progress on stderr (as AIOKAFKA_GEN_QUIET=1)",
    )  # fmt: skip
    sub.add_parser("down").add_argument("--name", default="default")
    status = sub.add_parser("status")
    status.add_argument("--name", default="default")
    status.add_argument("--json", action="store_true", help="print the raw state file")
    up.add_argument("--name", default="default", help="state file name (with --detach)")
    compat = sub.add_parser("compat", help="the broker compatibility matrix")
    compat.add_argument("--versions", nargs="+", default=None, help="default: the whole matrix")
    compat.add_argument("--out", default="docs", help="where compatibility.md/.json go")
    compat.add_argument("--no-report", action="store_true", help="run only, write nothing")
    return parser


def describe(state: ClusterState) -> str:
    """Human-readable lines for a cluster state."""
    lines = [f"Kafka {state['version']} ({state['backend']} backend)"]
    lines += [f"  bootstrap {name:<15} {addr}" for name, addr in state["bootstrap"].items()]
    for user, password in state.get("credentials", {}).items():
        lines.append(f"  SASL user {user} / {password}")
    for key, path in state.get("tls", {}).items():
        lines.append(f"  tls {key:<16} {path}")
    if state.get("zookeeper"):
        lines.append(f"  zookeeper       {state['zookeeper']['connect']}")
    if state.get("root"):
        lines.append(f"  data + logs     {state['root']}")
    return "\n".join(lines)


def _up(args: argparse.Namespace) -> int:
    if args.quiet:
        os.environ[QUIET_ENV] = "1"  # read where the progress is shown (jars, JVM start)
    if args.detach and load_state(args.name) is not None:
        print(f"a detached cluster {args.name!r} exists; run `down` first", file=sys.stderr)
        return 1
    cluster = KafkaCluster(
        version=args.kafka_version, nodes=args.nodes, security=args.security,
        acls=args.acls, features=args.feature, backend=args.backend,
    )  # fmt: skip
    try:
        cluster.start(detached=args.detach)
        print(describe(cluster.state()))
        print(f"started {args.nodes} node(s) in {cluster.startup_seconds:.1f} s", flush=True)
    except BaseException:
        cluster.stop()
        raise
    if args.detach:
        path = save_state(args.name, cluster.detach())
        print(f"detached; state in {path}; stop with `python -m aiokafka_gen.testing down`")
        return 0
    return _serve(cluster)


def _serve(cluster: KafkaCluster) -> int:
    """Block until SIGINT/SIGTERM, then stop the cluster (handlers are installed before
    "up" is announced, so no signal can slip past the cleanup)."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        print("up; Ctrl-C stops it", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        cluster.stop()
        print("stopped", flush=True)
    return 0


def _down(args: argparse.Namespace) -> int:
    if not stop_detached(args.name):
        print(f"no detached cluster {args.name!r}", file=sys.stderr)
        return 1
    print(f"stopped detached cluster {args.name!r}")
    return 0


def _status(args: argparse.Namespace) -> int:
    state = load_state(args.name)
    if state is None:
        print(f"no detached cluster {args.name!r}")
        return 1
    print(describe(state))
    for node in state["nodes"]:
        alive = "running" if pid_alive(node["pid"], node["dir"]) else "NOT running"
        print(f"  node {node['node_id']} pid {node['pid']}: {alive}")
    if args.json:
        print(json.dumps(state, indent=2))
    return 0


def _compat(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .compat import MATRIX, run_matrix

    out = None if args.no_report else Path(args.out)
    rows = run_matrix(args.versions or MATRIX, out_dir=out)
    failed = [row["version"] for row in rows if "FAIL" in row["cells"].values()]
    failed += [row["version"] for row in rows if row["exit_code"] not in (0, 5)]
    for row in rows:
        print(f"Kafka {row['version']}: exit {row['exit_code']}, {row['seconds']:.0f} s")
    if out is not None:
        print(f"report: {out / 'compatibility.md'}, {out / 'compatibility.json'}")
    if failed:
        print(f"FAILED: {', '.join(sorted(set(failed)))}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"up": _up, "down": _down, "status": _status, "compat": _compat}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
