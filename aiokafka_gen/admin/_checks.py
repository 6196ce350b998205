"""Argument checks every admin call runs before it sends anything.

Topic names follow Kafka's rule (``aiokafka_gen._validate.check_topic``: InvalidTopicError,
errno 17, naming the rule); topic ids (``uuid.UUID``) are not names and pass. Numbers are
checked against the width of the protocol field they travel in (KafkaConfigurationError).
Iterables are read once and returned as lists, so callers may pass generators.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TypeVar

from aiokafka_gen._validate import check_range, check_topic
from aiokafka_gen.admin.types import (
    INT16_MAX,
    INT32_MAX,
    INT64_MAX,
    ConfigResource,
    ConfigResourceType,
)
from aiokafka_gen.structs import TopicPartition

__all__ = ["INT16_MAX", "INT32_MAX", "INT64_MAX", "INT64_MIN", "partitions", "resources",
           "timeout_ms", "topics"]  # fmt: skip

INT64_MIN = -(2**63)

N = TypeVar("N", str, str | uuid.UUID)


def topics(names: Iterable[N]) -> list[N]:
    """``names`` as a list, each name (not topic id) checked."""
    found = list(names)
    for name in found:
        if not isinstance(name, uuid.UUID):
            check_topic(name)
    return found


def partitions(items: Iterable[tuple[str, int]]) -> list[TopicPartition]:
    """``items`` as TopicPartitions (any (topic, partition) pair), topic names checked."""
    found = [TopicPartition(*tp) for tp in items]
    for tp in found:
        check_topic(tp.topic)
    return found


def resources(items: Iterable[ConfigResource]) -> list[ConfigResource]:
    """``items`` as a list; the names of TOPIC resources checked."""
    found = list(items)
    for resource in found:
        if resource.resource_type == ConfigResourceType.TOPIC:
            check_topic(resource.name)
    return found


def timeout_ms(value: int | None, default: float) -> int:
    """A call's ``timeout_ms``: None or 0 take ``default`` (aiokafka's ``timeout_ms or
    request_timeout_ms``), else 0 < value < 2**31 (an int32 on the wire)."""
    if not value:
        return int(default)
    check_range("timeout_ms", value, at_least=0, at_most=INT32_MAX)
    return int(value)
