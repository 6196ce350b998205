"""``python -m bench``: every benchmark in one run (``make bench``).

Suites: ``codec`` and ``records`` (no broker; bench.codec / bench.records, each in its own
process, each printing its own table) and ``clients`` (one local broker from the harness,
every scenario for every client, see bench.matrix). ``--quick`` runs the client suite with
few messages (smoke, < 3 min) and writes under bench/results/quick/ so that it never
replaces the committed full results; ``--full`` runs the issue's whole produce matrix at 1M
messages per run (well over 20 min on 2 cores). aiokafka_gen runs twice: as built
(``aiokafka_gen``: compiled when a compiled build is installed) and with
``AIOKAFKA_GEN_NO_EXTENSIONS=1`` (``aiokafka_gen-pure``); which one ran is printed first and
recorded with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from . import report
from .adapters import DEFAULT_CLIENTS, Client, availability, client
from .harness import broker
from .implementation import label, probe
from .matrix import PINNED, SCENARIO_OF_KIND, matrix, scaled
from .runner import ROOT, run_matrix

SUITES = ("codec", "records", "clients")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smoke run: few messages, 1 rep")
    size.add_argument("--full", action="store_true", help="the whole issue matrix, 1M messages")
    parser.add_argument("--only", action="append", choices=SUITES,
                        help="run only these suites (repeatable); default: all, or clients "
                             "with --quick")  # fmt: skip
    parser.add_argument("--clients", default=",".join(DEFAULT_CLIENTS),
                        help="comma-separated clients (default: %(default)s; also: "
                             "aiokafka-pure)")  # fmt: skip
    parser.add_argument("--scenarios", help="comma-separated scenarios of the client suite "
                        "(default: all; e.g. share-consume-100B)")  # fmt: skip
    parser.add_argument("--reps", type=int, help="repetitions per cell (median)")
    parser.add_argument("--scale", type=float, help="multiply every message count")
    parser.add_argument("--min-seconds", type=float,
                        help="time floor of a timed run (default: 2 for the default and full "
                             "matrices, none for --quick; 0 turns it off)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="results directory")
    return parser.parse_args(argv)


def run_suite(module: str, quick: bool) -> int:
    """bench.codec / bench.records in their own process (they print their own tables)."""
    args = [sys.executable, "-m", f"bench.{module}"]
    if quick:
        args += ["--quick"] if module == "codec" else ["--rounds", "1", "--repeat", "2"]
    print(f"\n=== {module} ===", flush=True)
    return subprocess.run(args, cwd=ROOT, check=False).returncode


def run_clients(args: argparse.Namespace) -> int:
    name = "quick" if args.quick else "full" if args.full else "default"
    m = matrix(name)
    if args.scale:
        m = scaled(m, args.scale)
    if args.scenarios:
        wanted = {name.strip() for name in args.scenarios.split(",") if name.strip()}
        unknown = wanted - set(SCENARIO_OF_KIND.values())
        if unknown:
            raise SystemExit(f"unknown scenario(s) {sorted(unknown)}; known: "
                             f"{', '.join(SCENARIO_OF_KIND.values())}")  # fmt: skip
        m = replace(m, variants=tuple(v for v in m.variants if v.scenario in wanted))
    if args.reps:
        m = replace(m, repetitions=args.reps)
    if args.min_seconds is not None:
        m = replace(m, min_seconds=args.min_seconds)
    out = args.out or (report.RESULTS / "quick" if args.quick else report.RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    clients = [client(n.strip()) for n in args.clients.split(",") if n.strip()]
    print(f"\n=== clients ({name} matrix) ===", flush=True)
    probed = print_implementations(clients)
    load = [round(x, 2) for x in os.getloadavg()]
    with broker() as (cluster, admin):
        print(f"broker: Kafka {cluster.version} at {admin.bootstrap} "
              f"(started in {cluster.startup_seconds:.1f} s)", flush=True)  # fmt: skip
        outcome = run_matrix(admin, m, clients)
        kafka = cluster.version
    meta = {
        "machine": report.machine() | {"load_average_at_start": load},
        "versions": report.versions(kafka),
        "settings": report.settings(m, outcome, PINNED),
        "fairness": outcome.fairness,
        "paths": outcome.paths,
        # what the workers reported; a column without a successful run: the start-up probe
        "implementations": probed | outcome.implementations,
        "notes": outcome.notes,
    }
    doc = report.document(outcome.results, meta)
    (out / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    text = report.markdown(doc)
    (out / "latest.md").write_text(text + "\n")
    charts = report.charts(doc, out)
    print("\n" + text)
    print(f"wrote {out / 'latest.json'}, {out / 'latest.md'}, {len(charts)} chart(s)")
    return 0 if all(row.get("ok") for row in outcome.fairness.values()) else 1


def print_implementations(clients: list[Client]) -> dict[str, dict[str, str]]:
    """Ask a fresh interpreter under each aiokafka_gen column's worker environment which
    implementation it loads, and say so before any run."""
    found: dict[str, dict[str, str]] = {}
    for entry in clients:
        if not entry.is_aiokafka_gen or availability(entry) is not None:
            continue
        modules = probe(entry.env)
        if "error" in modules:
            print(f"{entry.name}: aiokafka_gen does not import ({modules['error']})", flush=True)
            continue
        found[entry.name] = modules
        env = " ".join(f"{k}={v}" for k, v in entry.env.items())
        print(f"implementation: {label(entry.name, modules)} {modules}"
              + (f" [{env}]" if env else ""), flush=True)  # fmt: skip
    if len(found) > 1 and all(set(m.values()) == {"pure"} for m in found.values()):
        print("  (no compiled build: these columns run the same pure-Python code)", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    suites = args.only or (["clients"] if args.quick else list(SUITES))
    began, status = time.monotonic(), 0
    for suite in SUITES:
        if suite in suites:
            code = run_clients(args) if suite == "clients" else run_suite(suite, args.quick)
            status = status or code
    print(f"\nbench: done in {time.monotonic() - began:.0f} s (exit {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
