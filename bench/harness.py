"""The one broker of a benchmark run and the bookkeeping around it: topics (created before
timing, deleted after counting), record counts from the log end offsets, and the read-back
of produced records for the fairness check. Uses confluent-kafka's AdminClient/Consumer as a
tool in the parent process (clients under test run in their own worker processes)."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import Any

from aiokafka_gen.testing import KafkaCluster

BROKER_PROPERTIES = {
    "auto.create.topics.enable": "false",
    "message.max.bytes": str(1024 * 1024 + 1024),
    # Each timed run's topic is deleted after it; by default the broker removes the files a
    # minute later, in the middle of some other client's run. Remove them at once instead.
    "log.segment.delete.delay.ms": "0",
}


class Broker:
    """Topic administration and counting against a running cluster."""

    def __init__(self, bootstrap: str) -> None:
        from confluent_kafka.admin import AdminClient

        self.bootstrap = bootstrap
        self.admin: Any = AdminClient({"bootstrap.servers": bootstrap})
        self._groups = 0

    def close(self) -> None:
        """Drop the admin client before the broker stops (else librdkafka logs reconnects)."""
        self.admin = None
        gc.collect()

    def create(self, topics: dict[str, int]) -> None:
        """Create topics (name -> partitions, replication 1) and wait until they exist."""
        from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

        if not topics:
            return
        new = [NewTopic(name, num_partitions=n, replication_factor=1) for name, n in topics.items()]
        for future in self.admin.create_topics(new, operation_timeout=30).values():
            future.result()

    def delete(self, *names: str) -> None:
        for future in self.admin.delete_topics(list(names), operation_timeout=30).values():
            with contextlib.suppress(Exception):
                future.result()

    def share_group(self) -> str:
        """A new share group id whose ``share.auto.offset.reset`` is earliest (a share
        group starts at the end of the log otherwise)."""
        from confluent_kafka.admin import (  # type: ignore[attr-defined]
            AlterConfigOpType,
            ConfigEntry,
            ConfigResource,
            ResourceType,
        )

        self._groups += 1
        name = f"bench-share-{os.getpid()}-{self._groups}"
        entry = ConfigEntry(
            "share.auto.offset.reset", "earliest", incremental_operation=AlterConfigOpType.SET
        )
        resource = ConfigResource(ResourceType.GROUP, name, incremental_configs=[entry])
        for future in self.admin.incremental_alter_configs([resource]).values():
            future.result()
        return name

    def _consumer(self) -> Any:
        from confluent_kafka import Consumer

        return Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "bench-harness",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
            }
        )

    def count(self, topic: str, partitions: int) -> int:
        """Records stored in ``topic``: sum of (log end offset - log start offset)."""
        from confluent_kafka import TopicPartition

        consumer = self._consumer()
        try:
            total = 0
            for p in range(partitions):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                total += high - low
            return total
        finally:
            consumer.close()

    def read_back(self, topic: str, partitions: int, value: bytes) -> tuple[int, int]:
        """Read every record of ``topic``; returns (records, records whose value differs)."""
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        consumer = self._consumer()
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        count, wrong, at_end = 0, 0, set[int]()
        try:
            while len(at_end) < partitions:
                for msg in consumer.consume(num_messages=1000, timeout=5.0):
                    if msg.error() is not None:
                        at_end.add(msg.partition())
                        continue
                    count += 1
                    wrong += msg.value() != value
        finally:
            consumer.close()
        return count, wrong


@contextlib.contextmanager
def broker() -> Iterator[tuple[KafkaCluster, Broker]]:
    """One single-node KRaft broker from the harness (pinned Kafka version)."""
    with KafkaCluster(broker_properties=BROKER_PROPERTIES) as cluster:
        admin = Broker(cluster.bootstrap())
        try:
            yield cluster, admin
        finally:
            admin.close()
