"""A group member in its own process, for crash tests: joins, prints "ready" once it has
partitions, then consumes (without committing) until it is killed."""

from __future__ import annotations

import asyncio
import sys

from aiokafka_gen.consumer import AIOKafkaConsumer


async def main(bootstrap: str, topic: str, group: str, protocol: str) -> None:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, group_protocol=protocol,
        auto_offset_reset="earliest", enable_auto_commit=False,
        session_timeout_ms=6000, heartbeat_interval_ms=500,
    )  # fmt: skip
    await consumer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.1)
    print("ready", flush=True)
    while True:
        await consumer.getmany(timeout_ms=500)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
