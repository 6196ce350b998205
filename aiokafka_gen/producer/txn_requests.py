"""Builders and readers of the transaction APIs' messages (no I/O, no state).

The transaction manager decides what to send and when; this module only turns its
arguments into request objects (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
EndTxn) and reads the first error code out of their responses. Offsets are accepted as
aiokafka does: an int, an ``(offset, metadata)`` pair or ``OffsetAndMetadata``; the group
as a group id string or consumer group metadata (KIP-447: generation, member id, instance id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka_gen.messages.add_offsets_to_txn_request import AddOffsetsToTxnRequest
from aiokafka_gen.messages.add_offsets_to_txn_response import AddOffsetsToTxnResponse
from aiokafka_gen.messages.add_partitions_to_txn_request import (
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnTopic,
)
from aiokafka_gen.messages.add_partitions_to_txn_response import AddPartitionsToTxnResponse
from aiokafka_gen.messages.end_txn_request import EndTxnRequest
from aiokafka_gen.messages.end_txn_response import EndTxnResponse
from aiokafka_gen.messages.init_producer_id_response import InitProducerIdResponse
from aiokafka_gen.messages.txn_offset_commit_request import (
    TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition,
    TxnOffsetCommitRequestTopic,
)
from aiokafka_gen.messages.txn_offset_commit_response import TxnOffsetCommitResponse
from aiokafka_gen.structs import ConsumerGroupMetadata, OffsetAndMetadata, TopicPartition

__all__ = [
    "ProducerIds",
    "TxnResponse",
    "add_offsets_request",
    "add_partitions_request",
    "end_txn_request",
    "first_error",
    "group_metadata",
    "txn_offset_commit_request",
]

ProducerIds = tuple[str, int, int]  # transactional id, producer id, epoch
# every answer the transaction manager reads an error code from
TxnResponse = (
    InitProducerIdResponse
    | AddPartitionsToTxnResponse
    | AddOffsetsToTxnResponse
    | EndTxnResponse
    | TxnOffsetCommitResponse
)


def add_partitions_request(
    ids: ProducerIds, partitions: Iterable[TopicPartition]
) -> AddPartitionsToTxnRequest:
    """AddPartitionsToTxn (client form, v3 and below)."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return AddPartitionsToTxnRequest(
        v3_and_below_transactional_id=ids[0], v3_and_below_producer_id=ids[1],
        v3_and_below_producer_epoch=ids[2],
        v3_and_below_topics=[
            AddPartitionsToTxnTopic(name=t, partitions=p) for t, p in by_topic.items()
        ],
    )  # fmt: skip


def add_offsets_request(ids: ProducerIds, group_id: str) -> AddOffsetsToTxnRequest:
    return AddOffsetsToTxnRequest(
        transactional_id=ids[0], producer_id=ids[1], producer_epoch=ids[2], group_id=group_id
    )


def end_txn_request(ids: ProducerIds, committed: bool) -> EndTxnRequest:
    return EndTxnRequest(
        transactional_id=ids[0], producer_id=ids[1], producer_epoch=ids[2], committed=committed
    )


def txn_offset_commit_request(
    ids: ProducerIds, offsets: Mapping[TopicPartition, object], group: ConsumerGroupMetadata
) -> TxnOffsetCommitRequest:
    by_topic: dict[str, list[TxnOffsetCommitRequestPartition]] = {}
    for tp, value in offsets.items():
        offset, metadata = _offset(value)
        by_topic.setdefault(tp.topic, []).append(TxnOffsetCommitRequestPartition(
            partition_index=tp.partition, committed_offset=offset, committed_metadata=metadata,
        ))  # fmt: skip
    return TxnOffsetCommitRequest(
        transactional_id=ids[0], group_id=group.group_id, producer_id=ids[1],
        producer_epoch=ids[2], generation_id_or_member_epoch=group.generation_id,
        member_id=group.member_id, group_instance_id=group.group_instance_id,
        topics=[TxnOffsetCommitRequestTopic(name=t, partitions=p) for t, p in by_topic.items()],
    )  # fmt: skip


def _offset(value: object) -> tuple[int, str]:
    if isinstance(value, OffsetAndMetadata):
        return value.offset, value.metadata
    if isinstance(value, int) and not isinstance(value, bool):
        return value, ""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
        return value[0], str(value[1] or "")
    raise ValueError(f"bad offset {value!r}: an int, (offset, metadata) or OffsetAndMetadata")


def group_metadata(group: object) -> ConsumerGroupMetadata:
    """A group id string, ``ConsumerGroupMetadata``, or any object with its attributes."""
    if isinstance(group, ConsumerGroupMetadata):
        if not group.group_id:
            raise ValueError(f"bad group: {group!r}")
        return group
    if isinstance(group, str) and group:
        return ConsumerGroupMetadata(group)
    group_id = getattr(group, "group_id", None)
    if not isinstance(group_id, str) or not group_id:
        raise ValueError(f"bad group: {group!r}")
    return ConsumerGroupMetadata(
        group_id, int(getattr(group, "generation_id", -1)),
        str(getattr(group, "member_id", "") or ""), getattr(group, "group_instance_id", None),
    )  # fmt: skip


def first_error(response: TxnResponse) -> int:
    """The first error code of a transaction API response (top level or per partition)."""
    if isinstance(response, TxnOffsetCommitResponse):  # per partition only
        for topic in response.topics:
            for part in topic.partitions:
                if part.error_code:
                    return part.error_code
        return 0
    if response.error_code:
        return response.error_code
    if isinstance(response, AddPartitionsToTxnResponse):  # v3 and below: per partition
        for result in response.results_by_topic_v3_and_below:
            for found in result.results_by_partition:
                if found.partition_error_code:
                    return found.partition_error_code
    return 0
