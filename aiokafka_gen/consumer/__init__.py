"""The consumer: ``AIOKafkaConsumer`` (aiokafka's API), its fetcher and subscription state.

Modules: ``consumer`` (the public class), ``fetcher`` (Fetch requests per broker and the
prefetch buffer), ``fetch_session`` (KIP-227, sans-IO), ``offsets`` (ListOffsets and
OffsetForLeaderEpoch), ``subscription_state`` (the coordinator contract's
``SubscriptionStateProtocol``), ``_records`` (batches to ``ConsumerRecord``), ``health``
(the public health snapshots). Group membership lives in ``aiokafka_gen.coordinator``.
"""

from aiokafka_gen.consumer.consumer import AIOKafkaConsumer
from aiokafka_gen.consumer.fetcher import LogTruncationError
from aiokafka_gen.consumer.health import PartitionHealth
from aiokafka_gen.consumer.subscription_state import NoOffsetForPartitionError

__all__ = [
    "AIOKafkaConsumer",
    "LogTruncationError",
    "NoOffsetForPartitionError",
    "PartitionHealth",
]
