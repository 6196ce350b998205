"""Differential test: our range and roundrobin assignors against Kafka's Java RangeAssignor
and RoundRobinAssignor (exact assignments), and the sticky ones against Java's sticky
assignors (same balance), over seeded random groups. Needs the JDK and Maven."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.javac import compiled_java

from aiokafka_gen.coordinator.assignors import (
    CooperativeStickyAssignor,
    RangePartitionAssignor,
    RoundRobinPartitionAssignor,
    StickyPartitionAssignor,
)
from aiokafka_gen.coordinator.protocol import ConsumerProtocolMemberMetadata
from aiokafka_gen.structs import TopicPartition

pytestmark = pytest.mark.java

SOURCE = Path(__file__).resolve().parent / "java" / "AssignorRef.java"
OURS: dict[str, Any] = {
    "range": RangePartitionAssignor,
    "roundrobin": RoundRobinPartitionAssignor,
    "sticky": StickyPartitionAssignor,
    "cooperative-sticky": CooperativeStickyAssignor,
}


@pytest.fixture(scope="module")
def java_assign() -> Any:
    command = compiled_java(SOURCE)

    def run(cases: list[dict[str, Any]]) -> list[dict[str, set[TopicPartition]]]:
        proc = subprocess.run(
            command,
            input=json.dumps(cases), capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        answers = json.loads(proc.stdout.strip().splitlines()[-1])
        return [
            {m: {TopicPartition(t, p) for t, p in parts} for m, parts in answer.items()}
            for answer in answers
        ]

    return run


def random_case(rng: random.Random, assignor: str, identical: bool) -> dict[str, Any]:
    topics = {f"t{i}": rng.randint(0, 8) for i in range(rng.randint(1, 3))}
    names = sorted(topics)
    members = []
    everything = names if identical else None
    for i in range(rng.randint(1, 6)):
        chosen = everything or sorted(rng.sample(names, rng.randint(1, len(names))))
        member: dict[str, Any] = {"id": f"member-{rng.randint(0, 10**6):07d}-{i}",
                                  "topics": chosen, "owned": [], "generation": -1}  # fmt: skip
        if rng.random() < 0.3:
            member["instance"] = f"instance-{rng.randint(0, 99):02d}-{i}"
        members.append(member)
    return {"assignor": assignor, "topics": topics, "members": members}


def ours(case: dict[str, Any]) -> dict[str, set[TopicPartition]]:
    cls = OURS[case["assignor"]]
    assignor = cls() if case["assignor"] in ("sticky", "cooperative-sticky") else cls

    class Cluster:
        def partitions_for_topic(self, topic: str) -> set[int] | None:
            n = case["topics"].get(topic)
            return None if n is None else set(range(n))

    members = {
        m["id"]: ConsumerProtocolMemberMetadata(
            0, m["topics"], b"", group_instance_id=m.get("instance")
        )
        for m in case["members"]
    }
    return {m: set(a.partitions()) for m, a in assignor.assign(Cluster(), members).items()}


def test_range_and_roundrobin_match_kafka_exactly(java_assign: Any) -> None:
    rng = random.Random(848)
    cases = [
        random_case(rng, name, identical=rng.random() < 0.5)
        for name in ("range", "roundrobin")
        for _ in range(150)
    ]
    for case, java in zip(cases, java_assign(cases), strict=True):
        mine = ours(case)
        java = {m: java.get(m, set()) for m in mine}
        assert mine == java, json.dumps(case)


def test_sticky_balance_matches_kafka(java_assign: Any) -> None:
    rng = random.Random(429)
    cases = [
        random_case(rng, name, identical=True)
        for name in ("sticky", "cooperative-sticky")
        for _ in range(60)
    ]
    for case, java in zip(cases, java_assign(cases), strict=True):
        mine = ours(case)
        sizes = sorted(len(p) for p in mine.values())
        java_sizes = sorted(len(java.get(m, set())) for m in mine)
        assert sizes == java_sizes, json.dumps(case)
        assert set().union(*mine.values()) == set().union(*java.values())
