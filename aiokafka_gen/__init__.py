"""aiokafka_gen: an asyncio Apache Kafka client generated from Kafka's own message specs.

The public API mirrors aiokafka's: ``import aiokafka_gen as aiokafka`` keeps working
(aiokafka's top-level names, plus ``AIOKafkaAdminClient`` and ``ConsumerGroupMetadata``).
Every name below is imported lazily on first access (PEP 562), so
``import aiokafka_gen`` stays fast and pulls in neither asyncio, ssl, the generated messages
nor any codec.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import _accel

__version__ = "0.1.0.dev0"
_accel.install()  # AIOKAFKA_GEN_NO_EXTENSIONS=1: the compiled modules load from their .py

if TYPE_CHECKING:
    from .abc import AbstractTokenProvider as AbstractTokenProvider
    from .abc import ConsumerRebalanceListener as ConsumerRebalanceListener
    from .admin import AIOKafkaAdminClient as AIOKafkaAdminClient
    from .client import AIOKafkaClient as AIOKafkaClient
    from .consumer import AIOKafkaConsumer as AIOKafkaConsumer
    from .errors import ConsumerStoppedError as ConsumerStoppedError
    from .errors import IllegalOperation as IllegalOperation
    from .helpers import create_ssl_context as create_ssl_context
    from .producer import AIOKafkaProducer as AIOKafkaProducer
    from .share import AcknowledgeType as AcknowledgeType
    from .share import AIOKafkaShareConsumer as AIOKafkaShareConsumer
    from .structs import ConsumerGroupMetadata as ConsumerGroupMetadata
    from .structs import ConsumerRecord as ConsumerRecord
    from .structs import OffsetAndMetadata as OffsetAndMetadata
    from .structs import OffsetAndTimestamp as OffsetAndTimestamp
    from .structs import RecordMetadata as RecordMetadata
    from .structs import TopicPartition as TopicPartition

_HOME: dict[str, str] = {
    "AIOKafkaAdminClient": ".admin",
    "AIOKafkaClient": ".client",
    "AIOKafkaConsumer": ".consumer",
    "AIOKafkaProducer": ".producer",
    "AIOKafkaShareConsumer": ".share",
    "AcknowledgeType": ".share",
    "AbstractTokenProvider": ".abc",
    "ConsumerGroupMetadata": ".structs",
    "ConsumerRebalanceListener": ".abc",
    "ConsumerRecord": ".structs",
    "ConsumerStoppedError": ".errors",
    "IllegalOperation": ".errors",
    "OffsetAndMetadata": ".structs",
    "OffsetAndTimestamp": ".structs",
    "RecordMetadata": ".structs",
    "TopicPartition": ".structs",
    "create_ssl_context": ".helpers",
}

__all__ = [
    "AIOKafkaAdminClient",
    "AIOKafkaClient",
    "AIOKafkaConsumer",
    "AIOKafkaProducer",
    "AIOKafkaShareConsumer",
    "AbstractTokenProvider",
    "AcknowledgeType",
    "ConsumerGroupMetadata",
    "ConsumerRebalanceListener",
    "ConsumerRecord",
    "ConsumerStoppedError",
    "IllegalOperation",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "RecordMetadata",
    "TopicPartition",
    "__version__",
    "compiled",
    "create_ssl_context",
]


def compiled() -> dict[str, bool]:
    """Which implementation each accelerated module runs: True where its compiled
    extension runs, False where its pure-Python source does (no compiler at install time,
    or ``AIOKAFKA_GEN_NO_EXTENSIONS=1``). Imports those modules."""
    return _accel.compiled()


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'aiokafka_gen' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
