"""Interop: Java's KafkaShareConsumer and ours in one share group split a topic's records,
none delivered to both (tests/share/java/ShareMember.java, compiled against the Java
reference's kafka-clients; needs javac, java and mvn); Kafka's share-group tool describes
our member and its partition's lag."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from support.javac import compiled_java

from aiokafka_gen.producer import AIOKafkaProducer

from .share_support import consumer, earliest_group, poll_until, produce, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.java]

SOURCE = Path(__file__).resolve().parent / "java" / "ShareMember.java"


async def test_java_and_python_members_split_the_records(
    kafka_bootstrap: str, kafka_topic: Any
) -> None:
    command = compiled_java(SOURCE)
    topic = kafka_topic(1)
    count = 400
    group = await earliest_group(kafka_bootstrap)
    java_seen: list[str] = []
    ready, done = asyncio.Event(), asyncio.Event()
    proc = await asyncio.create_subprocess_exec(
        *command,
        kafka_bootstrap,
        group,
        topic,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stdin is not None

    async def read_java() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode().strip()
            if line == "READY":
                ready.set()
            elif line == "DONE":
                done.set()
            elif line.startswith("REC "):
                java_seen.append(line.split()[2])

    reader = asyncio.create_task(read_java())
    ours: list[str] = []
    try:
        async with consumer(kafka_bootstrap, group, topic, max_poll_records=20) as member:
            await asyncio.wait_for(ready.wait(), 60)

            async def run() -> None:
                while True:
                    for records in (await member.getmany(timeout_ms=200)).values():
                        ours.extend(r.value.decode() for r in records)
                        await asyncio.sleep(0.005 * len(records))

            worker = asyncio.create_task(run())
            values: list[str] = []
            try:
                # write small batches until both members have had records (Java joins on
                # its first poll, a little later than ours), and at least ``count``
                async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap) as producer:
                    while len(values) < count or not (ours and java_seen):
                        assert len(values) < 20 * count, "the Java member never got records"
                        batch = [f"v{len(values) + i}" for i in range(10)]
                        for v in batch:
                            await producer.send(topic, v.encode())
                        await producer.flush()
                        values.extend(batch)
                        await asyncio.sleep(0.02)
                await wait_for(
                    lambda: len(ours) + len(java_seen) >= len(values), 120, "every record"
                )
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await member.commit()
        proc.stdin.write(b"stop\n")
        await proc.stdin.drain()
        await asyncio.wait_for(done.wait(), 60)
        print(f"python member: {len(ours)} records, java member: {len(java_seen)}")
        everything = sorted(ours + java_seen)
        assert everything == sorted(values), "a record was lost or delivered twice"
        assert ours and java_seen, (len(ours), len(java_seen))
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


SHARE_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ShareGroupCommand"


async def test_kafkas_share_group_tool_describes_our_member(
    kafka_cluster: Any, kafka_bootstrap: str, kafka_topic: Any
) -> None:
    topic = kafka_topic(1)
    await produce(kafka_bootstrap, topic, 10)
    group = await earliest_group(kafka_bootstrap)
    async with consumer(kafka_bootstrap, group, topic) as member:
        await poll_until(member, lambda rs: len(rs) >= 10, 60)
        await member.commit()
        base = ["--bootstrap-server", kafka_bootstrap, "--describe", "--group", group]
        members = await asyncio.to_thread(
            kafka_cluster.run_tool, SHARE_GROUP_COMMAND, *base, "--members"
        )
        assert member.member_id in members.stdout, members.stdout
        assert topic in members.stdout

        async def lag_is_zero() -> bool:
            # completion shows as lag 0 (the start offset may lag behind on 4.4)
            done = await asyncio.to_thread(
                kafka_cluster.run_tool, SHARE_GROUP_COMMAND, *base, "--offsets"
            )
            rows = [line.split() for line in done.stdout.splitlines() if topic in line]
            return bool(rows) and rows[0][-1] == "0"

        await wait_for(lag_is_zero, 60, "lag 0 in the share-group tool's offsets")
