"""The per-record middle of ``AIOKafkaProducer.send()``: serialize, check, partition, append.

``send()`` (producer.py) keeps what may suspend (waiting for a topic's metadata or for
buffer memory, yielding once a batch fills) and the checks of the producer's own state;
``RecordPath.append`` does the synchronous rest in one call, so the compiled build runs it
natively (``_accel.COMPILED``) while the coroutine stays an ordinary one. Parameters that
come from the application are typed ``Any``: compiled, a narrower annotation would refuse
a wrong type with mypyc's message before this module's own checks name the argument.
Must not suspend, do I/O or touch the producer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka_gen.errors import IllegalArgumentError, MessageSizeTooLargeError
from aiokafka_gen.records.builder import Header
from aiokafka_gen.structs import TopicPartition

from .accumulator import RecordAccumulator
from .partitioner import StickyPartitioner, key_partition

__all__ = ["RECORD_OVERHEAD", "RecordPath", "TopicInfo", "check_bytes", "check_timestamp"]

RECORD_OVERHEAD = 21  # worst-case varints and attributes of one record
_BYTES = (bytes, bytearray, memoryview)
Partitioner = Callable[[bytes | None, list[int], list[int]], int]
# What append leaves for send() when buffer memory is spent (see RecordPath.waiting).
Waiting = tuple[TopicPartition, "int | None", "bytes | None", "bytes | None",
                "list[Header] | None", "asyncio.Future[Any]"]  # fmt: skip


class TopicInfo:
    """A topic's partitions as send() needs them (rebuilt on every metadata update)."""

    __slots__ = ("available", "partitions", "tps")

    def __init__(self, topic: str, partitions: list[int], available: list[int]) -> None:
        self.partitions = partitions  # sorted
        self.available = available  # sorted
        self.tps = {p: TopicPartition(topic, p) for p in partitions}


def check_bytes(what: str, data: Any) -> bytes | None:
    if data is None or type(data) is bytes:
        return data
    if isinstance(data, _BYTES):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or None (or set a {what}_serializer), not {type(data)}")


def check_timestamp(timestamp: Any) -> int:
    """``timestamp_ms`` must be a non-negative int (Java refuses a negative one too)."""
    if type(timestamp) is not int:
        raise TypeError(
            f"timestamp_ms must be an int (milliseconds since the epoch) or None, not "
            f"{type(timestamp).__name__}"
        )
    if timestamp < 0:
        raise IllegalArgumentError(f"timestamp_ms must not be negative, not {timestamp}")
    return int(timestamp)


def _headers(headers: Iterable[Any]) -> list[Header]:
    out: list[Header] = []
    for item in headers:
        key, value = item
        if not isinstance(key, str):
            raise TypeError(f"header keys must be str, not {type(key)}")
        out.append((key, check_bytes("header value", value)))
    return out


class RecordPath:
    """One producer's settings for the per-record path, and the topics it knows.

    After ``append``: ``filled`` tells whether a batch filled up (send() then yields one
    loop turn), ``waiting`` holds the record when buffer memory is spent (send() awaits
    memory with it and clears it).
    """

    def __init__(
        self,
        accumulator: RecordAccumulator,
        *,
        partitioner: Partitioner,
        sticky: StickyPartitioner | None,
        key_serializer: Callable[[Any], Any] | None,
        value_serializer: Callable[[Any], Any] | None,
        max_record_size: int,
        size_limit: str,
    ) -> None:
        self.accumulator = accumulator
        self.partitioner = partitioner
        self.sticky = sticky  # set when the partitioner is the default (sticky or murmur2)
        self.key_serializer = key_serializer
        self.value_serializer = value_serializer
        self.max_record_size = max_record_size
        self.size_limit = size_limit  # names the setting that bounds a record's size
        self.topics: dict[str, TopicInfo] = {}
        self.new_future: Callable[[], asyncio.Future[Any]] = _not_started
        self.filled = False
        self.waiting: Waiting | None = None

    def append(
        self, known: TopicInfo, topic: str, value: Any, key: Any, partition: Any,
        timestamp: int | None, headers: Any,
    ) -> asyncio.Future[Any]:  # fmt: skip
        """Serialize, check, partition and append one record; its future."""
        if self.key_serializer is not None:
            key = self.key_serializer(key)
        if self.value_serializer is not None:
            value = self.value_serializer(value)
        if key is not None and type(key) is not bytes:
            key = check_bytes("key", key)
        if value is not None and type(value) is not bytes:
            value = check_bytes("value", value)
        header_list = _headers(headers) if headers else None
        size = self.record_size(key, value, header_list)
        sticky = self.sticky
        if partition is None and key is None and sticky is not None:
            tp = known.tps[sticky.partition(topic, known.partitions, known.available, size)]
        else:
            tp = known.tps[self.choose(topic, known, partition, key, size)]
        future = self.new_future()
        accumulator = self.accumulator
        filled = accumulator.filled
        if accumulator.append(tp, timestamp, key, value, header_list, future):
            self.filled = accumulator.filled != filled
        else:
            self.filled = False
            self.waiting = (tp, timestamp, key, value, header_list, future)
        return future

    def record_size(self, key: bytes | None, value: bytes | None, headers: list[Header] | None
                    ) -> int:  # fmt: skip
        """The record's size, bounded above; MessageSizeTooLargeError past the bound."""
        size = RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
        if headers:
            for name, data in headers:
                size += len(name) + (len(data) if data else 0) + 10
        if size > self.max_record_size:
            raise MessageSizeTooLargeError(
                f"the record is about {size} bytes serialized, too large for {self.size_limit}"
            )
        return size

    def choose(
        self, topic: str, known: TopicInfo, partition: Any, key: bytes | None, size: int
    ) -> int:
        """The partition: the caller's, else the partitioner's (validated)."""
        if partition is not None:
            if partition not in known.tps:
                raise ValueError(f"unknown partition {partition} of topic {topic!r}")
            return int(partition)
        sticky = self.sticky
        if sticky is not None:  # the default partitioner: sticky, or murmur2 of the key
            if key is None:
                return sticky.partition(topic, known.partitions, known.available, size)
            return key_partition(key, known.partitions)  # sorted already
        chosen = self.partitioner(key, list(known.partitions), list(known.available))
        if chosen not in known.tps:
            raise ValueError(f"the partitioner chose partition {chosen!r}, not one of {topic!r}")
        return int(chosen)


def _not_started() -> asyncio.Future[Any]:
    from aiokafka_gen.errors import IllegalOperation

    raise IllegalOperation("the producer is not started (call start())")
