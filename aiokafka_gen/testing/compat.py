"""The broker compatibility matrix: which Kafka releases, which features, and the report.

Theory of operation: ``run_matrix`` runs the compatibility suite (``tests/compat_matrix``)
once per Kafka version, each in its own pytest process with ``--kafka-version`` and a JSON
results file (``RESULTS_ENV``); the suite's conftest writes one cell per feature (``ok``,
``not in this Kafka (typed error: <Name>)`` or ``FAIL``), the negotiated version of every
API, and the times. ``write_report`` turns the collected results into
``docs/compatibility.md`` and ``docs/compatibility.json``. The feature table is data here so
the suite, the report and the docs agree on names. Must not import pytest or the client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from ._versions import parse_version

__all__ = [
    "FEATURES",
    "MATRIX",
    "RESULTS_ENV",
    "Feature",
    "FeatureJSON",
    "Report",
    "VersionResult",
    "render_markdown",
    "run_matrix",
    "run_version",
    "write_report",
]

RESULTS_ENV = "AIOKAFKA_GEN_COMPAT_RESULTS"
FLOOR_ENV = "AIOKAFKA_GEN_COMPAT_FLOOR"  # "1": also run the too-old-broker check (2.0.1)
SUITE = "tests/compat_matrix"

# The newest patch of each line that resolves on Maven Central (checked 2026-12-05).
MATRIX: tuple[str, ...] = (
    "2.1.1", "2.4.1", "2.8.2", "3.0.2", "3.3.2", "3.6.2", "3.9.1",
    "4.0.2", "4.1.2", "4.2.2", "4.3.2", "4.4.0",
)  # fmt: skip
TOO_OLD = "2.0.1"


@dataclass(frozen=True)
class Feature:
    """One column: ``key`` (the suite's marker argument), a header and, when the broker
    needs a minimum release, that release (``None``: every supported Kafka has it)."""

    key: str
    title: str
    since: str | None = None


FEATURES: tuple[Feature, ...] = (
    Feature("codec-none", "produce+consume, uncompressed"),
    Feature("codec-gzip", "gzip"),
    Feature("codec-snappy", "snappy"),
    Feature("codec-lz4", "lz4"),
    Feature("codec-zstd", "zstd", "2.1"),
    Feature("headers", "headers"),
    Feature("idempotence", "idempotent producer"),
    Feature("transactions", "transactions (commit, abort, read_committed)"),
    Feature("group-eager", "classic group, eager (range)"),
    Feature("group-cooperative", "classic group, cooperative-sticky"),
    Feature("static-membership", "static membership", "2.3"),
    Feature("group-consumer", "KIP-848 consumer group", "4.0"),
    Feature("share-groups", "share groups (KIP-932)", "4.1"),
    Feature("fetch-sessions", "fetch sessions"),
    Feature("admin", "admin: topics, configs, groups"),
    Feature("acls", "admin: ACLs (create, describe, enforced, delete)"),
    Feature("sasl-plain", "SASL_SSL PLAIN"),
    Feature("sasl-scram", "SASL_SSL SCRAM-SHA-256/512"),
    Feature("api-versions", "API versions negotiated"),
)


class VersionResult(TypedDict, total=False):
    """One Kafka version's results: what the suite's conftest writes (cells, notes,
    negotiated API versions, the floor check, times) plus ``exit_code`` and ``seconds``."""

    version: str
    cells: dict[str, str]  # feature key -> ok / not in this Kafka (...) / FAIL
    notes: dict[str, str]
    negotiated: dict[str, int]  # "Produce (key 0)" -> the version used
    floor: list[str]
    tests: dict[str, dict[str, object]]
    startup_seconds: float
    share_setup: object
    finished: str
    exit_code: int
    seconds: float


class FeatureJSON(TypedDict):
    key: str
    title: str
    since: str | None


class Report(TypedDict):
    """``compatibility.json``: when, the feature columns, and one result per version."""

    generated: str
    features: list[FeatureJSON]
    versions: list[VersionResult]


def run_version(
    version: str, *, python: str | None = None, floor: bool = False, extra: Sequence[str] = ()
) -> VersionResult:
    """Run the suite against Kafka ``version`` in a child pytest; its results dict (with
    ``exit_code`` and ``seconds``). A suite that wrote nothing yields every cell FAIL."""
    handle, name = tempfile.mkstemp(prefix="compat-", suffix=".json")
    os.close(handle)
    results = Path(name)
    env = dict(os.environ, **{RESULTS_ENV: str(results), FLOOR_ENV: "1" if floor else "0"})
    argv = [python or sys.executable, "-m", "pytest", SUITE, "-p", "no:cacheprovider",
            "-q", f"--kafka-version={version}", *extra]  # fmt: skip
    begin = time.monotonic()
    done = subprocess.run(argv, env=env, check=False)
    seconds = time.monotonic() - begin
    try:
        data: VersionResult = json.loads(results.read_text() or "{}")
    except (OSError, ValueError):
        data = {}
    finally:
        results.unlink(missing_ok=True)
    data.setdefault("version", version)
    cells = data.setdefault("cells", {})
    for feature in FEATURES:
        cells.setdefault(feature.key, "FAIL")
    data["exit_code"] = done.returncode
    data["seconds"] = round(seconds, 1)
    return data


def run_matrix(
    versions: Sequence[str] = MATRIX, *, out_dir: Path | None = None, extra: Sequence[str] = ()
) -> list[VersionResult]:
    """Run every version (oldest first), write the report when ``out_dir`` is given."""
    ordered = sorted(dict.fromkeys(versions), key=parse_version)
    rows = []
    for index, version in enumerate(ordered):
        print(f"== compat: Kafka {version} ({index + 1}/{len(ordered)})", flush=True)
        rows.append(run_version(version, floor=index == 0, extra=extra))
        print(f"== compat: Kafka {version}: {_summary(rows[-1])}", flush=True)
    if out_dir is not None:
        write_report(rows, out_dir)
    return rows


def _summary(row: VersionResult) -> str:
    cells = row["cells"].values()
    ok = sum(cell == "ok" for cell in cells)
    missing = sum(cell.startswith("not in this Kafka") for cell in cells)
    failed = sum(cell == "FAIL" for cell in cells)
    return f"{ok} ok, {missing} not in this Kafka, {failed} FAIL in {row['seconds']:.0f} s"


def write_report(rows: Sequence[VersionResult], out_dir: Path) -> tuple[Path, Path]:
    """``compatibility.md`` and ``compatibility.json`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document: Report = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "features": [{"key": f.key, "title": f.title, "since": f.since} for f in FEATURES],
        "versions": list(rows),
    }
    json_path = out_dir / "compatibility.json"
    json_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    md_path = out_dir / "compatibility.md"
    md_path.write_text(render_markdown(document))
    return md_path, json_path


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(document: Report) -> str:
    """The report: features per version, times, the floor check, negotiated versions."""
    rows = document["versions"]
    features = [Feature(**item) for item in document["features"]]
    lines = [
        "# Broker compatibility",
        "",
        "Written by `make test-compat` (`python -m aiokafka_gen.testing compat`) on "
        f"{document['generated']}; do not edit by hand. Each row is one Kafka release started "
        "from Maven Central jars by the test harness (ZooKeeper mode before 3.3, KRaft from "
        "3.3 on; one node with PLAINTEXT and SASL_SSL listeners and an ACL authorizer whose "
        "super users are the PLAINTEXT principal `ANONYMOUS` and the SASL user `admin`), "
        "each cell the outcome of "
        "the suite in `tests/compat_matrix/`: `ok`, `not in this Kafka (typed error: "
        "<Name>)` when the broker lacks the feature and the client said so with that error, "
        "or `FAIL`.",
        "",
        "Supported: Kafka 2.1 and newer. An older broker is refused when the client "
        "connects (see the end of this page).",
        "",
        "| Kafka | mode | " + " | ".join(f.title for f in features) + " | suite time |",
        "|---|---|" + "---|" * len(features) + "---:|",
    ]
    for row in rows:
        cells = [_cell(row["cells"].get(f.key, "FAIL")) for f in features]
        mode = "ZooKeeper" if parse_version(row["version"])[:2] < (3, 3) else "KRaft"
        lines.append(
            f"| {row['version']} | {mode} | " + " | ".join(cells) + f" | {row['seconds']:.0f} s |"
        )
    lines += ["", "Features that need a newer broker than 2.1:", ""]
    lines += [f"- {f.title}: Kafka {f.since}+" for f in features if f.since]
    lines += [
        "- SCRAM in KRaft mode: Kafka 3.5+ (KIP-900); KRaft 3.3 and 3.4 brokers offer PLAIN "
        "and OAUTHBEARER only, so the client's bootstrap fails with "
        "`UnsupportedSaslMechanismError` (the message names the mechanisms the listener "
        "offers).",
        "- Share groups: Kafka 4.1 supports `share.version` 1 (a preview) without "
        "finalizing it on a fresh node; the suite finalizes it (UpdateFeatures, what "
        "`kafka-features.sh upgrade --feature share.version=1` does) whenever the broker "
        "supports the feature and has not, so 4.1 is tested with share groups on; 4.2+ "
        "finalize it by default. A broker without the ShareGroupHeartbeat API refuses "
        "`AIOKafkaShareConsumer.start()` with `UnsupportedVersionError`.",
        "",
    ]
    lines += _details(rows)
    lines += _negotiated(rows)
    return "\n".join(lines) + "\n"


def _details(rows: Sequence[VersionResult]) -> list[str]:
    lines = ["## Typed errors and notes per version", ""]
    for row in rows:
        notes = row.get("notes", {})
        for key, text in sorted(notes.items()):
            lines.append(f"- {row['version']} `{key}`: {text}")
        for text in row.get("floor", []):
            lines.append(f"- too old: {text}")
    startup = ", ".join(
        f"{row['version']} {row['startup_seconds']:.0f} s"
        for row in rows
        if "startup_seconds" in row
    )
    if startup:
        lines += ["", f"Cluster start-up (ZooKeeper or formatting included): {startup}."]
    return [*lines, ""]


def _negotiated(rows: Sequence[VersionResult]) -> list[str]:
    """One row per API, one column per Kafka: the version the client chose."""
    apis = sorted({name for row in rows for name in row.get("negotiated", {})},
                  key=_api_sort_key)  # fmt: skip
    if not apis:
        return []
    lines = [
        "## Negotiated API versions",
        "",
        "The version the client uses per API (the highest both sides support); `-` when the "
        "broker does not offer the API or no version is common.",
        "",
        "| API | " + " | ".join(row["version"] for row in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    for api in apis:
        values = [str(row.get("negotiated", {}).get(api, "-")) for row in rows]
        lines.append(f"| {api} | " + " | ".join(values) + " |")
    return [*lines, ""]


def _api_sort_key(name: str) -> tuple[int, str]:
    # "Produce (key 0)" -> (0, name)
    try:
        return int(name.rsplit("key ", 1)[1].rstrip(")")), name
    except (IndexError, ValueError):
        return 1 << 16, name
