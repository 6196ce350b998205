"""Partition administration: delete records, list offsets, elect leaders, reassignments.

DeleteRecords and ListOffsets go to each partition's leader (one request per leader,
leaders asked at once, leaders looked up again on every retry); ElectLeaders and the
reassignment APIs go to any broker (forwarded to the controller).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka_gen._validate import check_range, check_topic
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    DeletedRecords,
    ListOffsetsResult,
    PartitionReassignment,
    PartitionResult,
    raise_for_errors,
)
from aiokafka_gen.admin.types import (
    ElectionType,
    IsolationLevel,
    OffsetSpec,
    RecordsToDelete,
    group_by_topic,
)
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages.alter_partition_reassignments_request import (
    AlterPartitionReassignmentsRequest,
    ReassignablePartition,
    ReassignableTopic,
)
from aiokafka_gen.messages.delete_records_request import (
    DeleteRecordsPartition,
    DeleteRecordsRequest,
    DeleteRecordsTopic,
)
from aiokafka_gen.messages.elect_leaders_request import ElectLeadersRequest, TopicPartitions
from aiokafka_gen.messages.list_offsets_request import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from aiokafka_gen.messages.list_partition_reassignments_request import (
    ListPartitionReassignmentsRequest,
    ListPartitionReassignmentsTopics,
)
from aiokafka_gen.structs import TopicPartition

TP = TopicPartition


def _missing(tp: TP) -> KafkaError:
    return KafkaError(f"no answer for {tp.topic}-{tp.partition}")


def _partition_results(
    answers: Iterable[tuple[str, int, int, str | None]],
) -> dict[TP, PartitionResult]:
    """Results from (topic, partition, error code, error message) per partition."""
    results: dict[TP, PartitionResult] = {}
    for name, index, code, message in answers:
        error = result_error(code, message, f"{name}-{index}")
        results[TP(name, index)] = PartitionResult(name, index, error)
    return results


class PartitionsMixin(AdminBase):
    """delete_records, list_offsets, elect_leaders, alter/list_partition_reassignments."""

    async def delete_records(
        self,
        records_to_delete: Mapping[TopicPartition, RecordsToDelete | int],
        timeout_ms: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, DeletedRecords]:
        """Delete records before an offset (RecordsToDelete or a plain int; -1 means the
        high watermark). Returns {partition: DeletedRecords}; each DeletedRecords is the
        new low watermark as an int, as in aiokafka's {partition: low watermark}."""
        wait = self._timeout_ms(timeout_ms)
        offsets = {
            _checked(tp): r.before_offset if isinstance(r, RecordsToDelete) else r
            for tp, r in records_to_delete.items()
        }
        for offset in offsets.values():
            check_range("before_offset", offset, at_least=-1, at_most=checks.INT64_MAX,
                        integral=True)  # fmt: skip

        async def send(node: int, tps: list[TP]) -> dict[TP, DeletedRecords]:
            topics = [
                DeleteRecordsTopic(name=t, partitions=[
                    DeleteRecordsPartition(partition_index=p, offset=offsets[TP(t, p)]) for p in ps
                ])
                for t, ps in group_by_topic(tps).items()
            ]  # fmt: skip
            response = await self._send(DeleteRecordsRequest(topics=topics, timeout_ms=wait), node)
            got = {
                TP(t.name, p.partition_index): DeletedRecords(
                    t.name, p.partition_index, p.low_watermark,
                    result_error(p.error_code, None, f"{t.name}-{p.partition_index}"),
                )
                for t in response.topics for p in t.partitions
            }  # fmt: skip
            return {tp: got.get(tp) or DeletedRecords(*tp, error=_missing(tp)) for tp in tps}

        def failed(tp: TP, error: KafkaError) -> DeletedRecords:
            return DeletedRecords(tp.topic, tp.partition, error=error)

        results = await self._retrying(offsets, self._leader_attempt(send, failed))
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def list_offsets(
        self,
        topic_partition_offsets: Mapping[TopicPartition, OffsetSpec | int],
        *,
        isolation_level: IsolationLevel = IsolationLevel.READ_UNCOMMITTED,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, ListOffsetsResult]:
        """Offsets by spec: OffsetSpec.EARLIEST / LATEST / MAX_TIMESTAMP (the record with
        the largest timestamp) or a timestamp in ms (the first offset at or after it;
        offset -1 when there is none)."""
        specs = {_checked(tp): int(spec) for tp, spec in topic_partition_offsets.items()}

        async def send(node: int, tps: list[TP]) -> dict[TP, ListOffsetsResult]:
            response = await self._send(_list_offsets_request(specs, tps, isolation_level), node)
            got = {
                TP(t.name, p.partition_index): ListOffsetsResult(
                    t.name, p.partition_index, p.offset, p.timestamp, p.leader_epoch,
                    result_error(p.error_code, None, f"{t.name}-{p.partition_index}"),
                )
                for t in response.topics for p in t.partitions
            }  # fmt: skip
            return {tp: got.get(tp) or ListOffsetsResult(*tp, error=_missing(tp)) for tp in tps}

        def failed(tp: TP, error: KafkaError) -> ListOffsetsResult:
            return ListOffsetsResult(tp.topic, tp.partition, error=error)

        results = await self._retrying(specs, self._leader_attempt(send, failed))
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def elect_leaders(
        self,
        election_type: ElectionType = ElectionType.PREFERRED,
        partitions: Iterable[TopicPartition] | None = None,
        timeout_ms: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, PartitionResult]:
        """Run a preferred or unclean leader election (None: every partition that needs
        one). A partition whose leader is already right fails with ElectionNotNeededError."""
        topic_partitions = None
        if partitions is not None:
            topic_partitions = [
                TopicPartitions(topic=t, partitions=ps)
                for t, ps in group_by_topic(checks.partitions(partitions)).items()
            ]
        request = ElectLeadersRequest(
            election_type=int(election_type), topic_partitions=topic_partitions,
            timeout_ms=self._timeout_ms(timeout_ms),
        )  # fmt: skip
        response = await self._send(request)
        if error := result_error(response.error_code, None, "elect leaders"):
            raise error
        results = _partition_results(
            (t.topic, p.partition_id, p.error_code, p.error_message)
            for t in response.replica_election_results
            for p in t.partition_result
        )
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def alter_partition_reassignments(
        self,
        reassignments: Mapping[TopicPartition, list[int] | None],
        timeout_ms: int | None = None,
        *,
        raise_on_error: bool = True,
    ) -> dict[TopicPartition, PartitionResult]:
        """Move partitions to new replica lists; None cancels a partition's ongoing
        reassignment (NoReassignmentInProgressError when there is none)."""
        targets = {_checked(tp): r for tp, r in reassignments.items()}
        topics = [
            ReassignableTopic(name=t, partitions=[
                ReassignablePartition(partition_index=p, replicas=_replicas(targets[TP(t, p)]))
                for p in ps
            ])
            for t, ps in group_by_topic(targets).items()
        ]  # fmt: skip
        request = AlterPartitionReassignmentsRequest(
            timeout_ms=self._timeout_ms(timeout_ms), topics=topics
        )
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "reassignment"):
            raise error
        results = _partition_results(
            (t.name, p.partition_index, p.error_code, p.error_message)
            for t in response.responses
            for p in t.partitions
        )
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def list_partition_reassignments(
        self,
        partitions: Iterable[TopicPartition] | None = None,
        timeout_ms: int | None = None,
    ) -> dict[TopicPartition, PartitionReassignment]:
        """Ongoing reassignments (of ``partitions``, or all); finished ones are absent."""
        topics = None
        if partitions is not None:
            topics = [
                ListPartitionReassignmentsTopics(name=t, partition_indexes=ps)
                for t, ps in group_by_topic(checks.partitions(partitions)).items()
            ]
        request = ListPartitionReassignmentsRequest(
            timeout_ms=self._timeout_ms(timeout_ms), topics=topics
        )
        response = await self._send(request)
        if error := result_error(response.error_code, response.error_message, "reassignments"):
            raise error
        return {
            TP(t.name, p.partition_index): PartitionReassignment(
                t.name, p.partition_index, tuple(p.replicas), tuple(p.adding_replicas),
                tuple(p.removing_replicas),
            )
            for t in response.topics for p in t.partitions
        }  # fmt: skip


def _checked(tp: tuple[str, int]) -> TP:
    """``tp`` as a TopicPartition whose topic name is legal (InvalidTopicError if not)."""
    found = TP(*tp)
    check_topic(found.topic)
    return found


def _replicas(replicas: list[int] | None) -> list[int] | None:
    return None if replicas is None else list(replicas)


def _list_offsets_request(
    specs: Mapping[TP, int], tps: list[TP], isolation: int
) -> ListOffsetsRequest:
    topics = [
        ListOffsetsTopic(name=t, partitions=[
            ListOffsetsPartition(partition_index=p, current_leader_epoch=-1,
                                 timestamp=specs[TP(t, p)])
            for p in ps
        ])
        for t, ps in group_by_topic(tps).items()
    ]  # fmt: skip
    return ListOffsetsRequest(replica_id=-1, isolation_level=int(isolation), topics=topics)
