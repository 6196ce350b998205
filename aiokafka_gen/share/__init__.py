"""Share groups (KIP-932, queues for Kafka): ``AIOKafkaShareConsumer`` and its types.

``membership`` (ShareGroupHeartbeat) and ``session`` (share sessions, ShareFetch /
ShareAcknowledge building, acquired records) are sans-IO; ``consumer`` is the asyncio
layer. Names are imported lazily (PEP 562): importing this package is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .acks import AcknowledgeType as AcknowledgeType
    from .acks import ShareConsumerRecord as ShareConsumerRecord
    from .consumer import AIOKafkaShareConsumer as AIOKafkaShareConsumer
    from .errors import InvalidAcknowledgeTypeError as InvalidAcknowledgeTypeError
    from .errors import RecordAlreadyAcknowledgedError as RecordAlreadyAcknowledgedError
    from .errors import RecordNotAcquiredError as RecordNotAcquiredError
    from .errors import UnacknowledgedRecordsError as UnacknowledgedRecordsError

_HOME: dict[str, str] = {
    "AIOKafkaShareConsumer": ".consumer",
    "AcknowledgeType": ".acks",
    "InvalidAcknowledgeTypeError": ".errors",
    "RecordAlreadyAcknowledgedError": ".errors",
    "RecordNotAcquiredError": ".errors",
    "ShareConsumerRecord": ".acks",
    "UnacknowledgedRecordsError": ".errors",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'aiokafka_gen.share' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
