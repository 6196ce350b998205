"""The README's Python examples run as written (the broker address swapped for the harness's)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from aiokafka_gen.testing import KafkaCluster

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README.read_text(), flags=re.S | re.M)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if "9092" not in b])
def test_example_without_a_broker_address(index: int) -> None:
    _run(BLOCKS[index])


@pytest.mark.integration
@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if "9092" in b])
def test_example_against_the_session_broker(
    index: int, kafka_cluster: KafkaCluster, kafka_bootstrap: str
) -> None:
    # The harness turns topic auto-creation off; the examples' topic is made here.
    if "demo-topic" not in kafka_cluster.list_topics():
        kafka_cluster.create_topic("demo-topic", partitions=1)
    out = _run(BLOCKS[index].replace("127.0.0.1:9092", kafka_bootstrap))
    assert out.strip()
