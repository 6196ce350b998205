"""Producer ids and transactions: InitProducerId, AddPartitionsToTxn, offsets, EndTxn.

The transaction state is a transition table (``_TRANSITIONS``); an event not allowed in
the current state raises IllegalStateError, so misuse (commit without begin, send outside
a transaction) fails loudly and never reaches the broker. Requests go to the transaction
coordinator (FindCoordinator, cached by the client; dropped on NOT_COORDINATOR-like
errors and retried). The sender calls ``before_send`` with every drained batch: partitions
new to the transaction are added with one AddPartitionsToTxn for all of them before their
first Produce request. Fencing errors move to FATAL: every pending record fails with
ProducerFenced and the producer only accepts ``stop()``.
Uses the classic transaction protocol (AddPartitionsToTxn <= v3, EndTxn <= v4, Produce
<= v11); the KIP-890 part 2 protocol is not used yet. TxnOffsetCommit stays at v5 (topic
names; v6 wants topic ids the producer may not have in its metadata).
Must not build record batches nor choose partitions.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka_gen.errors import (
    IllegalOperation,
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFenced,
    for_code,
)
from aiokafka_gen.structs import OffsetAndMetadata, TopicPartition

from .idempotence import ProducerIdentity

if TYPE_CHECKING:
    from .accumulator import RecordAccumulator
    from .batch import ProducerBatch
    from .sender import Sender

__all__ = ["TransactionManager", "TxnState"]

log = logging.getLogger("aiokafka_gen.producer")
_INIT_PRODUCER_ID, _ADD_PARTITIONS, _ADD_OFFSETS, _END_TXN, _TXN_OFFSET_COMMIT = 22, 24, 25, 26, 28
_FENCED = frozenset({47, 90})  # INVALID_PRODUCER_EPOCH, PRODUCER_FENCED
_FATAL = frozenset({53, 48})  # TRANSACTIONAL_ID_AUTHORIZATION_FAILED, INVALID_TXN_STATE
_COORDINATOR = frozenset({14, 15, 16})
_RETRY = frozenset({51, 7})  # CONCURRENT_TRANSACTIONS, REQUEST_TIMED_OUT


class TxnState(enum.Enum):
    UNINITIALIZED = "uninitialized"
    INITIALIZING = "initializing"
    READY = "ready"
    IN_TRANSACTION = "in_transaction"
    COMMITTING = "committing"
    ABORTING = "aborting"
    ABORTABLE_ERROR = "abortable_error"
    FATAL_ERROR = "fatal_error"


S = TxnState
_TRANSITIONS: dict[tuple[TxnState, str], TxnState] = {
    (S.UNINITIALIZED, "init"): S.INITIALIZING,
    (S.READY, "init"): S.INITIALIZING,
    (S.INITIALIZING, "initialized"): S.READY,
    (S.INITIALIZING, "init_failed"): S.UNINITIALIZED,
    (S.READY, "begin"): S.IN_TRANSACTION,
    (S.IN_TRANSACTION, "commit"): S.COMMITTING,
    (S.IN_TRANSACTION, "abort"): S.ABORTING,
    (S.IN_TRANSACTION, "error"): S.ABORTABLE_ERROR,
    (S.COMMITTING, "error"): S.ABORTABLE_ERROR,
    (S.ABORTING, "error"): S.ABORTING,
    (S.ABORTABLE_ERROR, "error"): S.ABORTABLE_ERROR,
    (S.ABORTABLE_ERROR, "abort"): S.ABORTING,
    (S.COMMITTING, "ended"): S.READY,
    (S.ABORTING, "ended"): S.READY,
}


class TransactionManager:
    """Producer id for idempotence; for a transactional id, the transaction itself."""

    def __init__(
        self,
        client: AIOKafkaClient,
        identity: ProducerIdentity,
        transactional_id: str | None,
        transaction_timeout_ms: int,
        retry_backoff_ms: int,
    ) -> None:
        self._client = client
        self._identity = identity
        self.transactional_id = transactional_id
        self._timeout_ms = transaction_timeout_ms
        self._backoff = retry_backoff_ms / 1000.0
        self.state = TxnState.UNINITIALIZED
        self._partitions: set[TopicPartition] = set()
        self._offsets_added = False
        self._error: BaseException | None = None
        self._sender: Sender | None = None
        self._acc: RecordAccumulator | None = None
        self._init_lock = asyncio.Lock()

    @property
    def transactional(self) -> bool:
        return self.transactional_id is not None

    def attach(self, sender: Sender, accumulator: RecordAccumulator) -> None:
        self._sender = sender
        self._acc = accumulator
        sender.on_fail = self._batch_failed

    def _event(self, event: str) -> None:
        target = _TRANSITIONS.get((self.state, event))
        if target is None:
            raise IllegalStateError(f"transaction: {event!r} is not allowed in {self.state.name}")
        self.state = target

    # ---- producer id -------------------------------------------------------------------
    async def init_producer_id(self) -> None:
        """Get a producer id (or bump the epoch after a sequence error, KIP-360)."""
        async with self._init_lock:
            if self._identity.has_id:
                return
            bump = self._identity.producer_id >= 0
            if self.transactional:
                self._event("init")
            try:
                response = await self._init_request(bump)
            except BaseException:
                if self.transactional and self.state is TxnState.INITIALIZING:
                    self._event("init_failed")
                raise
            self._identity.set_id(response.producer_id, response.producer_epoch)
            if self.transactional:
                self._event("initialized")
            log.info("producer id %d epoch %d", response.producer_id, response.producer_epoch)

    async def _init_request(self, bump: bool) -> Any:
        from aiokafka_gen.messages.init_producer_id_request import InitProducerIdRequest

        request = InitProducerIdRequest(
            transactional_id=self.transactional_id, transaction_timeout_ms=self._timeout_ms,
            producer_id=self._identity.producer_id if bump else -1,
            producer_epoch=self._identity.epoch if bump else -1,
        )  # fmt: skip
        if not self.transactional:
            return await self._retrying(self._to_any_node, request, _INIT_PRODUCER_ID)
        return await self._retrying(self._to_coordinator, request, _INIT_PRODUCER_ID)

    # ---- request plumbing --------------------------------------------------------------
    async def _to_any_node(self, request: Any, api_key: int) -> Any:
        node = self._client.get_random_node()
        if node is None:
            raise KafkaError("no broker known")
        return await self._client.send(node, request)

    async def _to_coordinator(self, request: Any, api_key: int) -> Any:
        assert self.transactional_id is not None
        node = await self._client.coordinator_lookup(
            CoordinationType.TRANSACTION, self.transactional_id
        )
        return await self._send_pinned(node, request, api_key, ConnectionGroup.COORDINATION)

    async def _send_pinned(self, node: int, request: Any, api_key: int, group: Any) -> Any:
        highest = {_ADD_PARTITIONS: 3, _END_TXN: 4, _TXN_OFFSET_COMMIT: 5}.get(api_key)
        version = None
        if highest is not None:
            await self._client.ready(node, group=group)
            negotiated = self._client.api_version_for(node, api_key)
            version = None if negotiated is None else min(negotiated, highest)
        return await self._client.send(node, request, group=group, api_version=version)

    async def _retrying(
        self, send: Any, request: Any, api_key: int, group_id: str | None = None
    ) -> Any:
        """Send until a final answer: retriable and coordinator errors are retried until
        the transaction timeout passes (then KafkaTimeoutError)."""
        try:
            async with asyncio.timeout(self._timeout_ms / 1000.0):
                return await self._retry_loop(send, request, api_key, group_id)
        except TimeoutError:
            raise KafkaTimeoutError(f"{type(request).__name__} got no final answer") from None

    async def _retry_loop(self, send: Any, request: Any, api_key: int, group_id: str | None) -> Any:
        while True:
            try:
                response = await send(request, api_key)
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                log.debug("%s: %s; retrying", type(request).__name__, exc)
                self._forget_coordinator(group_id)  # it may have moved (failover)
                await asyncio.sleep(self._backoff)
                continue
            code = _top_error(response)
            if code == 0:
                return response
            log.debug("%s: error code %d", type(request).__name__, code)
            self._raise_unless_retriable(code, group_id)
            await asyncio.sleep(self._backoff)

    def _forget_coordinator(self, group_id: str | None) -> None:
        if group_id is not None:
            self._client.invalidate_coordinator(CoordinationType.GROUP, group_id)
        elif self.transactional_id is not None:
            self._client.invalidate_coordinator(CoordinationType.TRANSACTION, self.transactional_id)

    def _raise_unless_retriable(self, code: int, group_id: str | None) -> None:
        if code in _COORDINATOR:
            self._forget_coordinator(group_id)
            return
        if code in _RETRY or for_code(code).retriable:
            return
        if code in _FENCED:
            self._fence(for_code(code)())
        raise for_code(code)()

    def _fence(self, cause: BaseException) -> None:
        fenced = ProducerFenced("another producer with this transactional id took over")
        fenced.__cause__ = cause
        self.state = TxnState.FATAL_ERROR
        self._error = fenced
        if self._sender is not None:
            self._sender.fatal = fenced
            self._sender.fail_all(fenced)
        raise fenced

    # ---- the transaction ---------------------------------------------------------------
    def check_can_send(self) -> None:
        if not self.transactional:
            return
        if self.state is TxnState.FATAL_ERROR and self._error is not None:
            raise self._error
        if self.state is TxnState.ABORTABLE_ERROR and self._error is not None:
            raise self._error
        if self.state is not TxnState.IN_TRANSACTION:
            raise IllegalOperation("sending outside a transaction (call begin_transaction)")

    async def begin(self) -> None:
        self._raise_if_fatal()
        self._event("begin")
        self._partitions.clear()
        self._offsets_added = False
        self._error = None

    async def commit(self) -> None:
        self._raise_if_fatal()
        if self.state is TxnState.ABORTABLE_ERROR:
            raise self._error or IllegalStateError("the transaction must be aborted")
        self._event("commit")
        await self._flush()
        if self._failed():
            raise self._error or KafkaError("a record of the transaction failed")
        await self._end(True)

    async def abort(self) -> None:
        self._raise_if_fatal()
        self._event("abort")
        await self._flush()
        await self._end(False)

    def _failed(self) -> bool:
        return self.state is TxnState.ABORTABLE_ERROR

    def _raise_if_fatal(self) -> None:
        if self.state is TxnState.FATAL_ERROR:
            raise self._error or ProducerFenced()

    async def _flush(self) -> None:
        assert self._acc is not None
        await self._acc.flush()

    async def _end(self, committed: bool) -> None:
        from aiokafka_gen.messages.end_txn_request import EndTxnRequest

        if self._partitions or self._offsets_added:
            assert self.transactional_id is not None
            request = EndTxnRequest(
                transactional_id=self.transactional_id, producer_id=self._identity.producer_id,
                producer_epoch=self._identity.epoch, committed=committed,
            )  # fmt: skip
            await self._retrying(self._to_coordinator, request, _END_TXN)
        self._partitions.clear()
        self._event("ended")

    def _batch_failed(self, exc: BaseException) -> None:
        if not self.transactional or self.state is TxnState.FATAL_ERROR:
            return
        if isinstance(exc, ProducerFenced) or getattr(exc, "errno", None) in _FENCED:
            try:
                self._fence(exc)
            except ProducerFenced:
                return
        if (self.state, "error") in _TRANSITIONS:
            self._error = self._error or exc
            self._event("error")

    async def before_send(self, batches: list[ProducerBatch]) -> None:
        """Add the transaction's new partitions before their first Produce request."""
        new = {b.tp for b in batches} - self._partitions
        if not new:
            return
        await self._add_partitions(sorted(new))
        self._partitions |= new

    async def _add_partitions(self, partitions: list[TopicPartition]) -> None:
        from aiokafka_gen.messages.add_partitions_to_txn_request import (
            AddPartitionsToTxnRequest,
            AddPartitionsToTxnTopic,
        )

        by_topic: dict[str, list[int]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        topics = [AddPartitionsToTxnTopic(name=t, partitions=p) for t, p in by_topic.items()]
        assert self.transactional_id is not None
        request = AddPartitionsToTxnRequest(
            v3_and_below_transactional_id=self.transactional_id,
            v3_and_below_producer_id=self._identity.producer_id,
            v3_and_below_producer_epoch=self._identity.epoch,
            v3_and_below_topics=topics,
        )  # fmt: skip
        await self._retrying(self._to_coordinator, request, _ADD_PARTITIONS)

    async def send_offsets(self, offsets: Mapping[TopicPartition, Any], group: Any) -> None:
        """AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator."""
        from aiokafka_gen.messages.add_offsets_to_txn_request import AddOffsetsToTxnRequest

        if self.state is not TxnState.IN_TRANSACTION:
            raise IllegalOperation("not in a transaction")
        group_id, generation, member_id, instance_id = _group_metadata(group)
        assert self.transactional_id is not None
        request = AddOffsetsToTxnRequest(
            transactional_id=self.transactional_id, producer_id=self._identity.producer_id,
            producer_epoch=self._identity.epoch, group_id=group_id,
        )  # fmt: skip
        commit = self._offset_commit(offsets, group_id, generation, member_id, instance_id)
        try:
            await self._retrying(self._to_coordinator, request, _ADD_OFFSETS)
            self._offsets_added = True
            await self._retrying(self._to_group(group_id), commit, _TXN_OFFSET_COMMIT, group_id)
        except (ProducerFenced, asyncio.CancelledError):
            raise
        except KafkaError as exc:  # e.g. a stale generation (KIP-447): abort, then retry
            self._batch_failed(exc)
            raise

    def _to_group(self, group_id: str) -> Any:
        async def send(request: Any, api_key: int) -> Any:
            node = await self._client.coordinator_lookup(CoordinationType.GROUP, group_id)
            return await self._send_pinned(node, request, api_key, ConnectionGroup.COORDINATION)

        return send

    def _offset_commit(
        self, offsets: Mapping[TopicPartition, Any], group_id: str, generation: int,
        member_id: str, instance_id: str | None,
    ) -> Any:  # fmt: skip
        from aiokafka_gen.messages.txn_offset_commit_request import (
            TxnOffsetCommitRequest,
            TxnOffsetCommitRequestPartition,
            TxnOffsetCommitRequestTopic,
        )

        by_topic: dict[str, list[Any]] = {}
        for tp, value in offsets.items():
            offset, metadata = _offset(value)
            by_topic.setdefault(tp.topic, []).append(TxnOffsetCommitRequestPartition(
                partition_index=tp.partition, committed_offset=offset,
                committed_metadata=metadata,
            ))  # fmt: skip
        assert self.transactional_id is not None
        return TxnOffsetCommitRequest(
            transactional_id=self.transactional_id, group_id=group_id,
            producer_id=self._identity.producer_id, producer_epoch=self._identity.epoch,
            generation_id_or_member_epoch=generation, member_id=member_id,
            group_instance_id=instance_id,
            topics=[TxnOffsetCommitRequestTopic(name=t, partitions=p) for t, p in by_topic.items()],
        )  # fmt: skip


def _offset(value: Any) -> tuple[int, str]:
    if isinstance(value, OffsetAndMetadata):
        return value.offset, value.metadata
    if isinstance(value, int):
        return value, ""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
        return value[0], str(value[1] or "")
    raise ValueError(f"bad offset {value!r}: an int, (offset, metadata) or OffsetAndMetadata")


def _group_metadata(group: Any) -> tuple[str, int, str, str | None]:
    """A group id string, or consumer group metadata (KIP-447)."""
    if isinstance(group, str) and group:
        return group, -1, "", None
    group_id = getattr(group, "group_id", None)
    if not isinstance(group_id, str) or not group_id:
        raise ValueError(f"bad group: {group!r}")
    return (
        group_id, int(getattr(group, "generation_id", -1)),
        str(getattr(group, "member_id", "") or ""), getattr(group, "group_instance_id", None),
    )  # fmt: skip


def _top_error(response: Any) -> int:
    """The first error code of a transaction API response (top level or per partition)."""
    code = int(getattr(response, "error_code", 0) or 0)
    if code:
        return code
    for topic in _result_topics(response):
        parts: Any = getattr(topic, "results_by_partition", None) or getattr(
            topic, "partitions", []
        )
        for part in parts:
            found: Any = getattr(part, "partition_error_code", None)
            found = getattr(part, "error_code", 0) if found is None else found
            if found:
                return int(found)
    return 0


def _result_topics(response: Any) -> list[Any]:
    topics = getattr(response, "results_by_topic_v3_and_below", None)
    if topics is None:
        topics = getattr(response, "topics", None) or []
    return list(topics)
