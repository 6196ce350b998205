"""Transaction administration: describe, list, describe producers, abort, fence.

DescribeTransactions and fencing (InitProducerId for the transactional id, which bumps
its epoch) go to each transactional id's coordinator; ListTransactions to every broker;
DescribeProducers to partition leaders. Aborting a hanging transaction writes an abort
marker with WriteTxnMarkers to the partition's leader, as Kafka's Admin does (it needs
CLUSTER_ACTION on the cluster).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    FenceProducerResult,
    PartitionProducers,
    ProducerState,
    TransactionDescription,
    TransactionListing,
    raise_for_errors,
)
from aiokafka_gen.admin.types import AbortTransactionSpec, group_by_topic
from aiokafka_gen.client import CoordinationType
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages.describe_producers_request import (
    DescribeProducersRequest,
    TopicRequest,
)
from aiokafka_gen.messages.describe_producers_response import ProducerState as ActiveProducer
from aiokafka_gen.messages.describe_transactions_request import DescribeTransactionsRequest
from aiokafka_gen.messages.describe_transactions_response import TransactionState
from aiokafka_gen.messages.init_producer_id_request import InitProducerIdRequest
from aiokafka_gen.messages.list_transactions_request import ListTransactionsRequest
from aiokafka_gen.messages.write_txn_markers_request import (
    WritableTxnMarker,
    WritableTxnMarkerTopic,
    WriteTxnMarkersRequest,
)
from aiokafka_gen.structs import TopicPartition

TP = TopicPartition
TXN = CoordinationType.TRANSACTION


def _described(raw: TransactionState, node: int) -> TransactionDescription:
    start = raw.transaction_start_time_ms
    return TransactionDescription(
        raw.transactional_id, raw.transaction_state, node, raw.producer_id,
        raw.producer_epoch, raw.transaction_timeout_ms, None if start < 0 else start,
        frozenset(TP(t.topic, p) for t in raw.topics for p in t.partitions),
        result_error(raw.error_code, None, f"transactional id {raw.transactional_id!r}"),
    )  # fmt: skip


def _producer(raw: ActiveProducer) -> ProducerState:
    return ProducerState(
        raw.producer_id, raw.producer_epoch, raw.last_sequence, raw.last_timestamp,
        None if raw.coordinator_epoch < 0 else raw.coordinator_epoch,
        None if raw.current_txn_start_offset < 0 else raw.current_txn_start_offset,
    )  # fmt: skip


class TransactionsMixin(AdminBase):
    """describe_transactions, list_transactions, describe_producers, abort_transaction,
    fence_producers."""

    async def describe_transactions(
        self, transactional_ids: Iterable[str], *, raise_on_error: bool = True
    ) -> dict[str, TransactionDescription]:
        """State, producer id/epoch, timeout and partitions of each transactional id."""

        async def send(node: int, ids: list[str]) -> dict[str, TransactionDescription]:
            response = await self._send(DescribeTransactionsRequest(transactional_ids=ids), node)
            found = {t.transactional_id: _described(t, node) for t in response.transaction_states}
            for tid, result in found.items():
                self._coordinator_moved(TXN, tid, getattr(result.error, "errno", 0))
            missing = KafkaError("no answer for this transactional id")
            return {t: found.get(t) or TransactionDescription(t, error=missing) for t in ids}

        def failed(tid: str, error: KafkaError) -> TransactionDescription:
            return TransactionDescription(tid, error=error)

        results = await self._retrying(
            transactional_ids, self._coordinator_attempt(TXN, send, failed)
        )
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def list_transactions(
        self,
        *,
        states: Iterable[str] | None = None,
        producer_ids: Iterable[int] | None = None,
        duration_filter_ms: int | None = None,
        transactional_id_pattern: str | None = None,
        broker_ids: Iterable[int] | None = None,
    ) -> list[TransactionListing]:
        """Transactions known to every coordinator (or ``broker_ids``), filtered by state
        ("Ongoing", ...), producer id, minimum running time (v1+) or id regex (v2+)."""
        self._check_started()
        nodes = (
            list(broker_ids)
            if broker_ids is not None
            else sorted(b.nodeId for b in self._client.cluster.brokers())
        )
        request = ListTransactionsRequest(
            state_filters=list(states or ()), producer_id_filters=list(producer_ids or ()),
            duration_filter=-1 if duration_filter_ms is None else duration_filter_ms,
            transactional_id_pattern=transactional_id_pattern,
        )  # fmt: skip

        async def one(node: int) -> list[TransactionListing]:
            response = await self._send(request, node)
            if error := result_error(response.error_code, None, f"transactions of broker {node}"):
                raise error
            return [
                TransactionListing(t.transactional_id, t.producer_id, t.transaction_state)
                for t in response.transaction_states
            ]

        listings = await asyncio.gather(*(one(n) for n in nodes))
        return sorted((t for batch in listings for t in batch), key=lambda t: t.transactional_id)

    async def describe_producers(
        self, partitions: Iterable[TopicPartition], *, raise_on_error: bool = True
    ) -> dict[TopicPartition, PartitionProducers]:
        """Active producers of each partition, from its leader (with open transactions'
        first offsets: what ``abort_transaction`` needs)."""

        async def send(node: int, tps: list[TP]) -> dict[TP, PartitionProducers]:
            topics = [
                TopicRequest(name=t, partition_indexes=ps) for t, ps in group_by_topic(tps).items()
            ]
            response = await self._send(DescribeProducersRequest(topics=topics), node)
            found = {
                TP(t.name, p.partition_index): PartitionProducers(
                    t.name, p.partition_index, tuple(_producer(s) for s in p.active_producers),
                    result_error(p.error_code, p.error_message, f"{t.name}-{p.partition_index}"),
                )
                for t in response.topics for p in t.partitions
            }  # fmt: skip
            missing = KafkaError("no answer for this partition")
            return {tp: found.get(tp) or PartitionProducers(*tp, error=missing) for tp in tps}

        def failed(tp: TP, error: KafkaError) -> PartitionProducers:
            return PartitionProducers(tp.topic, tp.partition, error=error)

        wanted = checks.partitions(partitions)
        results = await self._retrying(wanted, self._leader_attempt(send, failed))
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def abort_transaction(self, spec: AbortTransactionSpec) -> None:
        """Abort a hanging transaction on one partition by writing the abort marker there
        (take producer id, epoch and coordinator epoch from ``describe_producers``)."""
        (tp,) = checks.partitions([(spec.topic, spec.partition)])
        marker = WritableTxnMarker(
            producer_id=spec.producer_id, producer_epoch=spec.producer_epoch,
            transaction_result=False, coordinator_epoch=spec.coordinator_epoch,
            topics=[WritableTxnMarkerTopic(name=spec.topic, partition_indexes=[spec.partition])],
        )  # fmt: skip

        async def send(node: int, tps: list[TP]) -> dict[TP, PartitionProducers]:
            response = await self._send(WriteTxnMarkersRequest(markers=[marker]), node)
            codes = [p.error_code for m in response.markers for t in m.topics for p in t.partitions]
            code = next((c for c in codes if c), 0)
            return {tp: PartitionProducers(*tp, error=result_error(code, None, f"abort on {tp}"))}

        def failed(key: TP, error: KafkaError) -> PartitionProducers:
            return PartitionProducers(key.topic, key.partition, error=error)

        result = (await self._retrying([tp], self._leader_attempt(send, failed)))[tp]
        if result.error is not None:
            raise result.error

    async def fence_producers(
        self,
        transactional_ids: Iterable[str],
        *,
        transaction_timeout_ms: int = 60000,
        raise_on_error: bool = True,
    ) -> dict[str, FenceProducerResult]:
        """Fence the producers of each transactional id: InitProducerId at the
        coordinator bumps the epoch, so the old producer gets ProducerFenced and its open
        transaction is aborted."""

        async def send(node: int, ids: list[str]) -> dict[str, FenceProducerResult]:
            return dict(await asyncio.gather(*(one(node, tid) for tid in ids)))

        async def one(node: int, tid: str) -> tuple[str, FenceProducerResult]:
            request = InitProducerIdRequest(
                transactional_id=tid, transaction_timeout_ms=transaction_timeout_ms,
                producer_id=-1, producer_epoch=-1,
            )  # fmt: skip
            response = await self._send(request, node)
            self._coordinator_moved(TXN, tid, response.error_code)
            error = result_error(response.error_code, None, f"transactional id {tid!r}")
            return tid, FenceProducerResult(
                tid, response.producer_id, response.producer_epoch, error
            )

        def failed(tid: str, error: KafkaError) -> FenceProducerResult:
            return FenceProducerResult(tid, error=error)

        results = await self._retrying(
            transactional_ids, self._coordinator_attempt(TXN, send, failed)
        )
        return dict(raise_for_errors(results)) if raise_on_error else results
