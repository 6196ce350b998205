"""Share sessions (KIP-932) with one partition leader, sans-IO.

Like a KIP-227 fetch session, but keyed by the member: epoch 0 opens a session (a "full"
ShareFetch naming every partition wanted), later requests are incremental (partitions added
since, partitions with acknowledgements, and the forgotten ones), and -1 closes it. Every
answered ShareFetch or ShareAcknowledge moves the epoch on (after INT32_MAX comes 1).
SHARE_SESSION_NOT_FOUND and INVALID_SHARE_SESSION_EPOCH reset the session to epoch 0 (the
next ShareFetch opens a new one; acknowledgements in the failed request are reported with
that error). A ShareAcknowledge cannot open a session: acknowledgements for a node without
one fail with SHARE_SESSION_NOT_FOUND (the broker releases those records when their lock
expires). This module also turns a ShareFetch answer's partitions into records: only the
offsets in ``AcquiredRecords`` are delivered, each with its delivery count; acquired
offsets without an application record (control records, compacted gaps) are acknowledged
as GAP. Must not do I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, cast

from aiokafka_gen.messages.codes import ErrorCode
from aiokafka_gen.messages.share_acknowledge_request import (
    AcknowledgementBatch as AckRequestBatch,
)
from aiokafka_gen.messages.share_acknowledge_request import (
    AcknowledgePartition,
    AcknowledgeTopic,
    ShareAcknowledgeRequest,
)
from aiokafka_gen.messages.share_fetch_request import (
    AcknowledgementBatch,
    FetchPartition,
    FetchTopic,
    ForgottenTopic,
    ShareFetchRequest,
)
from aiokafka_gen.messages.share_fetch_response import AcquiredRecords
from aiokafka_gen.records import LegacyBatch, RecordBatch, RecordsCorruptError, read_batches

from .acks import GAP, AckBatch, ShareConsumerRecord, ack_batches

__all__ = [
    "CLOSE_EPOCH",
    "SESSION_ERRORS",
    "AcquiredData",
    "ShareSession",
    "TopicIdPartition",
    "acquired_records",
    "next_epoch",
]

TopicIdPartition = tuple[uuid.UUID, int]
CLOSE_EPOCH = -1
_INT32_MAX = 2**31 - 1
# the broker lost or refused our share session (no flag says so): reset it, epoch 0 again
SESSION_ERRORS = frozenset(
    {ErrorCode.SHARE_SESSION_NOT_FOUND, ErrorCode.INVALID_SHARE_SESSION_EPOCH}
)
Deserializer = Callable[[bytes | None], object]  # a raw key or value to the user's object
Batch = RecordBatch | LegacyBatch


class ShareChunks(Protocol):
    """The consumer's ``RecordChunks`` once ``ShareConsumerRecord`` is registered as the
    decoders' record class (``_share_decoders``): what it takes are ShareConsumerRecords."""

    def __len__(self) -> int: ...
    def offsets(self) -> range: ...
    def take(self, limit: int) -> list[ShareConsumerRecord]: ...


# the records of a partition in offset order: decoded ones, or RecordChunks decoded later
RecordPart = list[ShareConsumerRecord] | ShareChunks


def next_epoch(epoch: int) -> int:
    if epoch < 0:
        return 0
    return 1 if epoch >= _INT32_MAX else epoch + 1


@dataclass
class ShareSession:
    """The member's share session with one broker."""

    node_id: int
    epoch: int = 0
    partitions: set[TopicIdPartition] = field(default_factory=set)
    _pending: set[TopicIdPartition] | None = None

    def fetch_request(
        self,
        group_id: str,
        member_id: str,
        wanted: Iterable[TopicIdPartition],
        acks: Mapping[TopicIdPartition, list[AckBatch]],
        *,
        max_wait_ms: int,
        min_bytes: int,
        max_bytes: int,
        max_records: int,
        batch_size: int,
    ) -> ShareFetchRequest:
        """A ShareFetch for ``wanted`` carrying ``acks`` (whose partitions must be among
        ``wanted``: a partition in a ShareFetch joins the session)."""
        want = set(wanted)
        stray = set(acks) - want
        if stray:
            raise ValueError(f"acknowledgements for partitions not fetched: {sorted(stray)}")
        if self.epoch == 0:
            send, forgotten = want, set()
        else:
            send = (want - self.partitions) | set(acks)
            forgotten = self.partitions - want
        self._pending = want
        topics: dict[uuid.UUID, list[FetchPartition]] = {}
        for tid, part in sorted(send):
            batches = [
                AcknowledgementBatch(
                    first_offset=b.first_offset,
                    last_offset=b.last_offset,
                    acknowledge_types=list(b.types),
                )
                for b in acks.get((tid, part), ())
            ]
            topics.setdefault(tid, []).append(
                FetchPartition(partition_index=part, acknowledgement_batches=batches)
            )
        gone: dict[uuid.UUID, list[int]] = {}
        for tid, part in sorted(forgotten):
            gone.setdefault(tid, []).append(part)
        return ShareFetchRequest(
            group_id=group_id,
            member_id=member_id,
            share_session_epoch=self.epoch,
            max_wait_ms=max_wait_ms,
            min_bytes=min_bytes,
            max_bytes=max_bytes,
            max_records=max_records,
            batch_size=batch_size,
            topics=[FetchTopic(topic_id=t, partitions=ps) for t, ps in topics.items()],
            forgotten_topics_data=[
                ForgottenTopic(topic_id=t, partitions=ps) for t, ps in gone.items()
            ],
        )

    def acknowledge_request(
        self,
        group_id: str,
        member_id: str,
        acks: Mapping[TopicIdPartition, list[AckBatch]],
        *,
        close: bool = False,
        renew: bool = False,
    ) -> ShareAcknowledgeRequest | None:
        """A ShareAcknowledge (epoch -1 when ``close``); None when there is no session to
        carry it (an open session is needed unless closing)."""
        if self.epoch == 0:
            return None
        topics: dict[uuid.UUID, list[AcknowledgePartition]] = {}
        for (tid, part), batches in sorted(acks.items()):
            topics.setdefault(tid, []).append(
                AcknowledgePartition(
                    partition_index=part,
                    acknowledgement_batches=[
                        AckRequestBatch(
                            first_offset=b.first_offset,
                            last_offset=b.last_offset,
                            acknowledge_types=list(b.types),
                        )
                        for b in batches
                    ],
                )
            )
        self._pending = None
        return ShareAcknowledgeRequest(
            group_id=group_id,
            member_id=member_id,
            share_session_epoch=CLOSE_EPOCH if close else self.epoch,
            is_renew_ack=renew,
            topics=[AcknowledgeTopic(topic_id=t, partitions=ps) for t, ps in topics.items()],
        )

    def answered(self, top_error: int) -> None:
        """Apply a (ShareFetch or ShareAcknowledge) answer's top-level error code."""
        if top_error in SESSION_ERRORS:
            self.reset()
            return
        if top_error:
            self._pending = None
            return
        if self._pending is not None:
            self.partitions = self._pending
            self._pending = None
        self.epoch = next_epoch(self.epoch)

    def lost(self) -> None:
        """The request's fate is unknown (connection lost, timeout): start again."""
        self.reset()

    def reset(self) -> None:
        self.epoch = 0
        self.partitions = set()
        self._pending = None

    def closed(self) -> None:
        self.reset()


@dataclass
class AcquiredData:
    """What one partition of a ShareFetch answer gave the member."""

    # the records in offset order: lists of records, and (``lazy=True``) the consumer's
    # RecordChunks of whole batches, decoded as polls take them
    parts: list[RecordPart]
    gaps: list[int]  # acquired offsets without an application record: acknowledge as GAP
    rejects: list[int] = field(default_factory=list)  # undecodable: acknowledge as REJECT
    # acquired but past the data the answer carried (truncated): acknowledge as RELEASE
    releases: list[int] = field(default_factory=list)
    error: BaseException | None = None  # why ``rejects`` were not delivered

    @property
    def records(self) -> list[ShareConsumerRecord]:
        """Every record (decoding what is lazy: once)."""
        out: list[ShareConsumerRecord] = []
        for part in self.parts:
            out.extend(part if isinstance(part, list) else part.take(len(part)))
        self.parts = [out] if out else []
        return out


def _acquired_map(acquired: Iterable[AcquiredRecords]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for a in acquired:
        for offset in range(a.first_offset, a.last_offset + 1):
            counts[offset] = a.delivery_count
    return counts


def _share_decoders() -> tuple[
    Callable[[Batch, str, int, int], list[ShareConsumerRecord]],
    Callable[[Batch], bool],
    Callable[[Batch, str, int, int], ShareChunks],
]:
    """The consumer's record decoders (``_records``): ``decode_batch``, ``dense_batch``
    and ``RecordChunks``, set up to build ``ShareConsumerRecord`` directly (imported on
    first use: it pulls them in)."""
    from aiokafka_gen.consumer import _records

    if _records._extra_class is not ShareConsumerRecord:
        _records.register_extra_class(ShareConsumerRecord, "delivery_count")
    # With ShareConsumerRecord registered (above), given an ``extra`` (the delivery count)
    # the decoders make ShareConsumerRecords: their annotations say ConsumerRecord.
    # RecordChunks takes any batch and raises ValueError for one that is not dense.
    return (
        cast("Callable[[Batch, str, int, int], list[ShareConsumerRecord]]", _records.decode_batch),
        _records.dense_batch,
        cast("Callable[[Batch, str, int, int], ShareChunks]", _records.RecordChunks),
    )


def acquired_records(
    topic: str,
    partition: int,
    records: bytes | memoryview | None,
    acquired: Iterable[AcquiredRecords],
    deserializers: tuple[Deserializer | None, Deserializer | None] = (None, None),
    *,
    check_crcs: bool = True,
    lazy: bool = False,
) -> AcquiredData:
    """The acquired records of one partition's answer, in offset order, deserialized.

    A record whose deserializer fails, and every acquired offset not delivered when the
    data is corrupt, goes to ``rejects`` (with the first such error in ``error``): the
    caller rejects them, so a poison record is archived instead of redelivered forever.
    ``lazy``: a dense batch acquired whole with one delivery count, and nothing to
    deserialize, is left to decode as the records are taken (a ``RecordChunks`` part)."""
    decode_batch, dense_batch, chunks = _share_decoders()
    acquired = list(acquired)
    ranges = sorted((a.first_offset, a.last_offset, a.delivery_count) for a in acquired)
    if not ranges:
        return AcquiredData([], [])
    total = sum(last - first + 1 for first, last, _ in ranges)
    low, high = ranges[0][0], max(last for _, last, _ in ranges)
    counts: dict[int, int] | None = None  # offset -> delivery count, built when needed
    out: list[ShareConsumerRecord] = []  # the decoded records
    parts: list[RecordPart] = []  # the records in offset order: lists and RecordChunks
    segment: list[ShareConsumerRecord] = []  # decoded records after the last RecordChunks
    later: list[range] = []  # the offsets of the RecordChunks parts
    failed: set[int] = set()
    error: BaseException | None = None
    corrupt = False  # some data could not be read: what was not delivered is rejected
    kdes, vdes = deserializers
    plain_values = kdes is None and vdes is None
    try:
        batches = list(
            read_batches(records or b"", check_crcs=check_crcs, topic=topic, partition=partition)
        )
    except RecordsCorruptError as exc:
        batches, error, corrupt = [], exc, True
    for batch in batches:
        if batch.is_control or batch.last_offset < low or batch.base_offset > high:
            continue
        # the usual case: one acquired range covers the whole batch
        whole = next(
            (c for f, last, c in ranges if f <= batch.base_offset and batch.last_offset <= last),
            None,
        )
        if lazy and whole is not None and plain_values and dense_batch(batch):
            if segment:
                parts.append(segment)
                segment = []
            part = chunks(batch, topic, partition, whole)
            parts.append(part)
            later.append(part.offsets())
            continue
        # records made as ShareConsumerRecord by the decoder, with the whole batch's
        # delivery count (or 1, replaced below per record)
        try:
            decoded = decode_batch(batch, topic, partition, whole or 1)
        except RecordsCorruptError as exc:  # its acquired offsets are rejected below
            error, corrupt = error or exc, True
            continue
        if whole is not None and plain_values:
            out.extend(decoded)
            segment.extend(decoded)
            continue
        if whole is None and counts is None:
            counts = _acquired_map(acquired)
        for record in decoded:
            if whole is None:
                assert counts is not None
                count = counts.get(record.offset)
                if count is None:
                    continue
                record.delivery_count = count
            try:
                if kdes is not None:
                    record.key = kdes(record.key)
                if vdes is not None:
                    record.value = vdes(record.value)
            except Exception as exc:
                error = error or exc
                failed.add(record.offset)
                continue  # not delivered: the caller rejects it
            out.append(record)
            segment.append(record)
    if segment:
        parts.append(segment)
    if len(out) + sum(len(r) for r in later) + len(failed) == total:
        return AcquiredData(parts, [], rejects=sorted(failed), error=error)
    if counts is None:
        counts = _acquired_map(acquired)
    delivered = {record.offset for record in out}
    for offsets in later:
        delivered.update(offsets)
    missing = set(counts) - delivered - failed
    if corrupt:
        failed |= missing
        missing = set()
    end = max((b.last_offset for b in batches), default=-1)
    beyond = {o for o in missing if o > end}
    return AcquiredData(
        parts,
        sorted(missing - beyond),
        rejects=sorted(failed),
        releases=sorted(beyond),
        error=error,
    )


def gap_batches(gaps: Iterable[int]) -> list[AckBatch]:
    return ack_batches((o, GAP) for o in gaps)
