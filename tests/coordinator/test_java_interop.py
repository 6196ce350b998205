"""Our member and Kafka's Java consumer (ConsoleConsumer) in one group: the subscription
and assignment bytes, cooperative hand-over and KIP-848 membership interoperate."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from aiokafka_gen.coordinator.assignors import CooperativeStickyAssignor, RangePartitionAssignor

from .support import Member, all_partitions, wait_for

pytestmark = pytest.mark.integration

JAVA_ASSIGNORS = {
    "range": "org.apache.kafka.clients.consumer.RangeAssignor",
    "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
}
OUR_ASSIGNORS: dict[str, Any] = {
    "range": RangePartitionAssignor,
    "cooperative-sticky": CooperativeStickyAssignor,
}


@pytest.mark.parametrize(
    ("protocol", "assignor"),
    # range shares the byte formats exercised here; the Java differential covers its result
    [("classic", "cooperative-sticky"), ("consumer", None)],
)
async def test_shares_a_group_with_the_java_consumer(
    kafka_cluster: Any, kafka_topic: Any, protocol: str, assignor: str | None
) -> None:
    topic = kafka_topic(2)
    gid = f"gjava-{uuid.uuid4().hex[:10]}"
    props = [f"group.protocol={protocol}"]
    config: dict[str, Any] = {"group_protocol": protocol}
    if assignor is not None:
        props += [f"partition.assignment.strategy={JAVA_ASSIGNORS[assignor]}",
                  "session.timeout.ms=10000", "heartbeat.interval.ms=500"]  # fmt: skip
        config["assignors"] = (OUR_ASSIGNORS[assignor],)
    args = ["--bootstrap-server", kafka_cluster.bootstrap(), "--topic", topic, "--group", gid,
            "--timeout-ms", "12000"]  # fmt: skip
    for prop in props:
        args += ["--consumer-property", prop]
    java = asyncio.ensure_future(
        asyncio.to_thread(kafka_cluster.run_tool, "ConsoleConsumer", *args, check=False)
    )
    member = await Member.start(kafka_cluster.bootstrap(), gid, [topic], **config)
    try:
        # while the Java consumer is in the group, we hold exactly one partition
        await wait_for(
            lambda: member.coordinator.state.value == "stable" and len(member.assigned) == 1,
            60,
            "a shared group",
        )
        await asyncio.sleep(1.0)
        assert len(member.assigned) == 1 and not java.done()
        done = await java  # idle timeout: the Java consumer leaves the group
        assert done.returncode == 0, done.stderr[-2000:]
        await wait_for(
            lambda: (
                member.coordinator.state.value == "stable"
                and member.assigned == all_partitions(topic, 2)
            ),
            60,
            "both partitions after the Java consumer left",
        )
    finally:
        await member.stop()
        if not java.done():
            await java
