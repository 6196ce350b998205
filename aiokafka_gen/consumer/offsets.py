"""Offset lookups: ListOffsets (resets, offsets_for_times, beginning/end offsets) and
OffsetForLeaderEpoch (KIP-320 position validation), batched into one request per leader.

``OffsetLookup.list_offsets`` groups partitions by leader, sends one request per leader
concurrently and retries what failed with a retriable or stale-metadata error (after a
metadata refresh and ``retry_backoff_ms``) until the deadline, then KafkaTimeoutError.
Non-retriable errors (authorization, ...) are raised. Must not touch positions: callers
apply the results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import NamedTuple, TypeVar

from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import KafkaError, KafkaTimeoutError, NodeNotReadyError, for_code
from aiokafka_gen.messages.list_offsets_request import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from aiokafka_gen.messages.offset_for_leader_epoch_request import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)
from aiokafka_gen.protocol._message import Request
from aiokafka_gen.structs import TopicPartition

__all__ = ["EpochEnd", "ListedOffset", "OffsetLookup"]

log = client_logger("aiokafka_gen.consumer")
_READ_COMMITTED = 1
R = TypeVar("R")
W = TypeVar("W")  # what is asked per partition
F = TypeVar("F")  # what is found per partition


class ListedOffset(NamedTuple):
    """One ListOffsets answer: offset (-1 when none), its timestamp and leader epoch."""

    offset: int
    timestamp: int
    leader_epoch: int


class EpochEnd(NamedTuple):
    """One OffsetForLeaderEpoch answer: the largest epoch <= the asked one, and its end."""

    leader_epoch: int
    end_offset: int


class _Retry(Exception):
    """Some partitions must be asked again after a metadata refresh."""


class OffsetLookup:
    """ListOffsets and OffsetForLeaderEpoch against partition leaders."""

    def __init__(self, client: AIOKafkaClient, *, isolation_level: int) -> None:
        self._client = client
        self._isolation_level = isolation_level

    # ---- ListOffsets -----------------------------------------------------------------
    async def list_offsets(
        self, timestamps: Mapping[TopicPartition, int], timeout_ms: float
    ) -> dict[TopicPartition, ListedOffset]:
        """Offsets for ``timestamps`` (-2 earliest, -1 latest, or a time in ms)."""
        return await self._until_done(self._list_round, dict(timestamps), timeout_ms)

    async def _until_done(
        self,
        round_: Callable[[dict[TopicPartition, W]], Awaitable[dict[TopicPartition, F]]],
        wanted: dict[TopicPartition, W],
        timeout_ms: float,
    ) -> dict[TopicPartition, F]:
        found: dict[TopicPartition, F] = {}
        for topic in {tp.topic for tp in wanted} - self._client.topics:
            self._client.add_topic(topic)
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                while wanted:
                    done = await round_(wanted)
                    found.update(done)
                    wanted = {tp: v for tp, v in wanted.items() if tp not in done}
                    if wanted:
                        await self._client.force_metadata_update()
                        self._raise_refused(wanted)
                        await asyncio.sleep(self._client.retry_backoff)
        except TimeoutError:
            raise KafkaTimeoutError(f"offsets of {sorted(wanted)} not found in time") from None
        return found

    def _raise_refused(self, wanted: Mapping[TopicPartition, object]) -> None:
        """A topic Metadata refused for good (illegal name, not authorized) fails the lookup
        at once instead of at the deadline."""
        for topic in sorted({tp.topic for tp in wanted}):
            error = self._client.cluster.topic_error(topic)
            if error is not None:
                raise error

    def _by_leader(self, tps: Iterable[TopicPartition]) -> dict[int, list[TopicPartition]]:
        groups: dict[int, list[TopicPartition]] = {}
        for tp in tps:
            leader = self._client.cluster.leader_for_partition(tp)
            if leader is not None and leader >= 0:
                groups.setdefault(leader, []).append(tp)
        return groups

    async def _list_round(
        self, wanted: dict[TopicPartition, int]
    ) -> dict[TopicPartition, ListedOffset]:
        groups = self._by_leader(wanted)
        results = await asyncio.gather(
            *(self._list_one(node, {tp: wanted[tp] for tp in tps}) for node, tps in groups.items())
        )
        return {tp: found for part in results for tp, found in part.items()}

    async def _list_one(
        self, node: int, wanted: dict[TopicPartition, int]
    ) -> dict[TopicPartition, ListedOffset]:
        topics: dict[str, list[ListOffsetsPartition]] = {}
        for tp, ts in wanted.items():
            epoch = self._client.cluster.leader_epoch(tp)
            topics.setdefault(tp.topic, []).append(ListOffsetsPartition(
                partition_index=tp.partition, timestamp=ts,
                current_leader_epoch=-1 if epoch is None else epoch,
            ))  # fmt: skip
        request = ListOffsetsRequest(
            replica_id=-1, isolation_level=self._isolation_level,
            topics=[ListOffsetsTopic(name=t, partitions=p) for t, p in topics.items()],
        )  # fmt: skip
        response = await self._send(node, request)
        out: dict[TopicPartition, ListedOffset] = {}
        for topic in response.topics if response is not None else ():
            for part in topic.partitions:
                tp = TopicPartition(topic.name, part.partition_index)
                if self._ok(tp, part.error_code):
                    out[tp] = ListedOffset(part.offset, part.timestamp, part.leader_epoch)
        return out

    async def _send(self, node: int, request: Request[R]) -> R | None:
        """The response, or None after a retriable failure (the round asks again)."""
        try:
            return await self._client.send(node, request)
        except (NodeNotReadyError, KafkaError) as exc:
            if not getattr(exc, "retriable", False):
                raise
            log.debug("offset request to node %d failed: %s", node, exc)
            return None

    def _ok(self, tp: TopicPartition, code: int) -> bool:
        if code == 0:
            return True
        error = for_code(code)
        if error.retriable or error.invalid_metadata:
            self._client.force_metadata_update()
            return False
        raise error(f"offset lookup for {tp}")

    # ---- OffsetForLeaderEpoch --------------------------------------------------------
    async def epoch_end_offsets(
        self, epochs: Mapping[TopicPartition, tuple[int, int]], timeout_ms: float
    ) -> dict[TopicPartition, EpochEnd]:
        """For each partition (current leader epoch, epoch to look up): the end offset of
        the largest leader epoch <= the asked one on the current leader."""
        return await self._until_done(self._epoch_round, dict(epochs), timeout_ms)

    async def _epoch_round(
        self, wanted: dict[TopicPartition, tuple[int, int]]
    ) -> dict[TopicPartition, EpochEnd]:
        groups = self._by_leader(wanted)
        results = await asyncio.gather(
            *(self._epoch_one(node, {tp: wanted[tp] for tp in tps}) for node, tps in groups.items())
        )
        return {tp: found for part in results for tp, found in part.items()}

    async def _epoch_one(
        self, node: int, wanted: dict[TopicPartition, tuple[int, int]]
    ) -> dict[TopicPartition, EpochEnd]:
        topics: dict[str, list[OffsetForLeaderPartition]] = {}
        for tp, (current, epoch) in wanted.items():
            asked = OffsetForLeaderPartition(
                partition=tp.partition, current_leader_epoch=current, leader_epoch=epoch
            )
            topics.setdefault(tp.topic, []).append(asked)
        request = OffsetForLeaderEpochRequest(
            replica_id=-1,
            topics=[OffsetForLeaderTopic(topic=t, partitions=p) for t, p in topics.items()],
        )
        response = await self._send(node, request)
        out: dict[TopicPartition, EpochEnd] = {}
        for topic in response.topics if response is not None else ():
            for part in topic.partitions:
                tp = TopicPartition(topic.topic, part.partition)
                if self._ok(tp, part.error_code):
                    out[tp] = EpochEnd(part.leader_epoch, part.end_offset)
        return out


def isolation_code(isolation_level: str) -> int:
    """0 for read_uncommitted, 1 for read_committed; ValueError otherwise."""
    codes = {"read_uncommitted": 0, "read_committed": _READ_COMMITTED}
    if isolation_level not in codes:
        raise ValueError(f"invalid isolation_level: {isolation_level!r}")
    return codes[isolation_level]
