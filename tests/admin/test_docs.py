"""docs/admin.md's Python examples run as written against real brokers.

The first block is a whole script (run in a subprocess); the others are snippets that run
in order inside ``async with AIOKafkaAdminClient(...) as admin:``, sharing one namespace
(a later example may use a topic or producer an earlier one made). Snippets marked "(on a
cluster with an authorizer)" run against the ACL cluster as its super user. The broker
address 127.0.0.1:9092 is swapped for the harness's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import aiokafka_gen.admin
from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition
from aiokafka_gen.testing import KafkaCluster

from .support import sasl_admin

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), flags=re.S | re.M)
NEEDS_ACLS = "(on a cluster with an authorizer)"
ADDRESS = "127.0.0.1:9092"

pytestmark = pytest.mark.integration


def _methods() -> set[str]:
    return {
        name
        for klass in AIOKafkaAdminClient.__mro__
        for name, value in vars(klass).items()
        if callable(value)
        and not name.startswith("_")
        and klass.__module__.startswith("aiokafka_gen.admin")
    }


def test_every_method_has_a_section_and_an_example() -> None:
    text = DOC.read_text()
    snippets = "\n".join(BLOCKS)
    for name in _methods() - {"start", "close"}:
        assert f"### {name}(" in text, name
        assert f"admin.{name}(" in snippets, name


def test_the_script_example(kafka_bootstrap: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKS[0].replace(ADDRESS, kafka_bootstrap)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "docs-quickstart" in done.stdout


async def _run(code: str, namespace: dict[str, Any], where: str) -> None:
    source = "async def __block__():\n" + textwrap.indent(code, "    ") + "    return locals()\n"
    exec(compile(source, where, "exec"), namespace)  # the documented examples, as written
    namespace.update(await namespace["__block__"]())


@pytest.mark.slow
async def test_the_snippets_in_order(
    kafka_bootstrap: str, acl_cluster: KafkaCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {
        name: getattr(aiokafka_gen.admin, name) for name in aiokafka_gen.admin.__all__
    }
    namespace |= {"TopicPartition": TopicPartition, "OffsetAndMetadata": OffsetAndMetadata}
    plain = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30000)
    async with plain, sasl_admin(acl_cluster, "admin") as secured:
        for index, block in enumerate(BLOCKS[1:], start=1):
            namespace["admin"] = secured if NEEDS_ACLS in block else plain
            first = block.strip().splitlines()[0]
            await _run(
                block.replace(ADDRESS, kafka_bootstrap),
                namespace,
                f"admin.md block {index}: {first}",
            )
    assert "Ongoing" in capsys.readouterr().out
