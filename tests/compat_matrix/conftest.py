"""The broker compatibility suite: one Kafka release per run, one cell per feature.

The version comes from ``AIOKAFKA_GEN_COMPAT_VERSION`` or ``--kafka-version`` (default: the
pinned one). The suite is collected only when asked for: that env var is set, the
matrix runner's results file is (``aiokafka_gen.testing.compat``), or the command line
names this directory; a plain ``pytest`` (``make test``) leaves it out.

Each test takes ``compat_cell(feature)`` for the feature it checks and either leaves it
``ok`` or calls ``missing(error)`` after asserting the typed error the client raised on a
broker without the feature. The report hook turns a failed test into ``FAIL``; at the end
of the session the cells, notes, negotiated API versions and times are written as JSON to
``$AIOKAFKA_GEN_COMPAT_RESULTS`` when set.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing._admin import run_sync
from aiokafka_gen.testing.compat import RESULTS_ENV

VERSION_ENV = "AIOKAFKA_GEN_COMPAT_VERSION"
SHARE_FEATURE = "share.version"
_STATE = pytest.StashKey[dict[str, Any]]()
_CELLS = pytest.StashKey[list["Cell"]]()


def _enabled(config: pytest.Config) -> bool:
    if os.environ.get(VERSION_ENV) or os.environ.get(RESULTS_ENV):
        return True
    return any("compat_matrix" in str(arg) for arg in config.args)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_matrix_") and not _enabled(config):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = {"cells": {}, "notes": {}, "negotiated": {}, "floor": [],
                            "tests": {}}  # fmt: skip


class Cell:
    """The outcome of one feature check on this broker."""

    def __init__(self, feature: str, version: str) -> None:
        self.feature = feature
        self.version = version
        self.text = "ok"
        self.note: str | None = None

    def missing(self, error: BaseException) -> None:
        """The broker lacks the feature and the client raised ``error`` (already checked)."""
        self.text = f"not in this Kafka (typed error: {type(error).__name__})"
        self.note = str(error)


def _version(config: pytest.Config) -> str:
    from aiokafka_gen.testing._versions import pinned_version

    chosen = os.environ.get(VERSION_ENV) or config.getoption("--kafka-version")
    return str(chosen or pinned_version())


@pytest.fixture(scope="session")
def compat_version(request: pytest.FixtureRequest) -> str:
    return _version(request.config)


def release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


@pytest.fixture(scope="session")
def compat_cluster(
    request: pytest.FixtureRequest, compat_version: str
) -> Generator[KafkaCluster, None, None]:
    """One node of the chosen Kafka with PLAINTEXT and SASL_SSL listeners and an ACL
    authorizer (StandardAuthorizer in KRaft, AclAuthorizer / SimpleAclAuthorizer in
    ZooKeeper mode). The super users are ``User:ANONYMOUS`` (every PLAINTEXT client, so
    the other columns need no ACLs) and the SASL user ``admin``; ``alice`` has no rights
    unless an ACL grants them (the ``acls`` column). KRaft 3.7-3.9 get the KIP-848 preview
    off (their default), 4.x have it on by default. A broker that supports share groups
    without finalizing ``share.version`` (4.1, where they are a preview) gets it
    finalized here, as KIP-932 tells operators to (see ``_enable_share_groups``)."""
    cluster = KafkaCluster(kafka_version=compat_version, security="sasl_ssl", acls=True,
                           startup_timeout=120.0)  # fmt: skip
    with cluster:
        state = request.config.stash[_STATE]
        state["startup_seconds"] = round(cluster.startup_seconds or 0, 1)
        state["share_setup"] = run_sync(_enable_share_groups(cluster.bootstrap()))
        yield cluster


async def _enable_share_groups(bootstrap: str) -> str | None:
    """Finalize ``share.version`` at the broker's highest level when the broker supports
    it and has not finalized it; what was done, or None (nothing to do: the broker does
    not know the feature, or has it already). Decided from the broker's ApiVersions
    answer, not from a list of releases."""
    from aiokafka_gen.admin import AIOKafkaAdminClient
    from aiokafka_gen.admin.types import FeatureUpdate

    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        features = await admin.describe_features()
        supported = features.supported.get(SHARE_FEATURE)
        finalized = features.finalized.get(SHARE_FEATURE)
        if supported is None or supported.max_version < 1:
            return None
        if finalized is not None and finalized.max_version >= 1:
            return None
        await admin.update_features({SHARE_FEATURE: FeatureUpdate(supported.max_version)})
        return (
            f"{SHARE_FEATURE} finalized to {supported.max_version} by the suite "
            f"(UpdateFeatures): the broker supports {supported.min_version}-"
            f"{supported.max_version} but a fresh node finalizes none"
        )


@pytest.fixture
def compat_cell(request: pytest.FixtureRequest, compat_version: str) -> Callable[[str], Cell]:
    """``compat_cell(feature_key)``: the cell this test fills."""
    cells = request.node.stash.setdefault(_CELLS, [])

    def make(feature: str) -> Cell:
        cell = Cell(feature, compat_version)
        cells.append(cell)
        return cell

    return make


@pytest.fixture
def record_state(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The session's results dict (for the negotiated versions and the floor check)."""
    return request.config.stash[_STATE]


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """``unique(label)``: a topic/group name unique to this test."""
    base = request.node.name.replace("[", "-").replace("]", "")[:60]

    def make(label: str) -> str:
        return f"{base}-{label}-{os.urandom(3).hex()}"

    yield make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    state = item.config.stash.get(_STATE, None)
    if state is None or (report.when == "teardown" and not report.failed):
        return report
    if report.when == "call" or report.failed:
        state["tests"][item.nodeid] = {"outcome": report.outcome,
                                       "seconds": round(report.duration, 1)}  # fmt: skip
        for cell in item.stash.get(_CELLS, []):
            text = "FAIL" if report.failed else cell.text
            _merge(state, cell.feature, text, None if report.failed else cell.note)
            if report.failed:
                crash = getattr(report.longrepr, "reprcrash", None)
                why = str(getattr(crash, "message", "")).splitlines()[:1]
                state["notes"][cell.feature] = f"FAIL in {item.nodeid}" + (
                    f": {why[0][:300]}" if why else ""
                )
    return report


def _merge(state: dict[str, Any], feature: str, text: str, note: str | None) -> None:
    """Several tests may fill one cell: FAIL wins, then a missing feature, then ok."""
    old = state["cells"].get(feature)
    rank = {"FAIL": 2}.get(text, 1 if text.startswith("not in") else 0)
    old_rank = -1 if old is None else {"FAIL": 2}.get(old, 1 if old.startswith("not in") else 0)
    if rank >= old_rank:
        state["cells"][feature] = text
        if note:
            state["notes"][feature] = note


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(RESULTS_ENV)
    state = session.config.stash.get(_STATE, None)
    if not target or state is None:
        return
    state["version"] = _version(session.config)
    state["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    Path(target).write_text(json.dumps(state, indent=2, sort_keys=True))
