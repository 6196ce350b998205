"""Producer ids and transactions: InitProducerId, partitions, offsets, EndTxn.

The transaction state is a transition table (``_TRANSITIONS``); an event not allowed in
the current state raises IllegalStateError, so misuse (commit without begin, send outside
a transaction) fails loudly and never reaches the broker. Requests go to the transaction
coordinator (FindCoordinator, cached by the client; dropped on NOT_COORDINATOR-like
errors and retried). Each transaction picks its protocol at ``begin`` (txn_protocol.py):
classic, where the sender's ``before_send`` adds new partitions with one
AddPartitionsToTxn before their first Produce and offsets need AddOffsetsToTxn; or
version 2 (KIP-890), where Produce and TxnOffsetCommit add them implicitly and EndTxn
returns a bumped epoch that the next transaction uses (sequences restart at 0). Fencing
errors move to FATAL: every pending record fails with ProducerFenced and the producer only
accepts ``stop()``. A refused commit (TRANSACTION_ABORTABLE and the like) leaves the
transaction abortable; a commit or abort that timed out may be called again.
Must not build record batches nor choose partitions (requests come from txn_requests.py).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

from aiokafka_gen._codes import COORDINATOR_MOVED, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka_gen.errors import (
    IllegalOperation,
    IllegalStateError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFenced,
    for_code,
)
from aiokafka_gen.messages.end_txn_response import EndTxnResponse
from aiokafka_gen.messages.init_producer_id_request import InitProducerIdRequest
from aiokafka_gen.messages.init_producer_id_response import InitProducerIdResponse
from aiokafka_gen.protocol._message import Request
from aiokafka_gen.structs import TopicPartition

from . import txn_requests as req
from .idempotence import ProducerIdentity
from .txn_protocol import CLASSIC, FEATURES_MAX_AGE, TxnProtocol, read_transaction_version

if TYPE_CHECKING:
    from .accumulator import RecordAccumulator
    from .batch import ProducerBatch
    from .sender import Sender

__all__ = ["TransactionManager", "TxnEvent", "TxnState"]

log = client_logger("aiokafka_gen.producer")
# another producer took over this transactional id (no flag says so; both are fatal to this
# producer, where Kafka's flags only say "not retriable")
_FENCED = frozenset({ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED})
_MAX_EPOCH = 0x7FFF  # past it an idempotent producer needs a new producer id
R = TypeVar("R")
T = TypeVar("T", bound=req.TxnResponse)


class _Send(Protocol):
    """Sends one request (to a node, the transaction coordinator or a group's)."""

    def __call__(self, request: Request[R], api_key: int, /) -> Awaitable[R]: ...


class TxnState(enum.Enum):
    UNINITIALIZED = "uninitialized"
    INITIALIZING = "initializing"
    READY = "ready"
    IN_TRANSACTION = "in_transaction"
    COMMITTING = "committing"
    ABORTING = "aborting"
    ABORTABLE_ERROR = "abortable_error"
    FATAL_ERROR = "fatal_error"


class TxnEvent(enum.Enum):
    """What happens to a transaction; ``FATAL`` is legal in every state."""

    INIT = "init"
    INITIALIZED = "initialized"
    INIT_FAILED = "init_failed"
    BEGIN = "begin"
    COMMIT = "commit"
    ABORT = "abort"
    ERROR = "error"
    ENDED = "ended"
    FATAL = "fatal"


S, E = TxnState, TxnEvent
_TRANSITIONS: dict[tuple[TxnState, TxnEvent], TxnState] = {
    (S.UNINITIALIZED, E.INIT): S.INITIALIZING,
    (S.READY, E.INIT): S.INITIALIZING,
    (S.INITIALIZING, E.INITIALIZED): S.READY,
    (S.INITIALIZING, E.INIT_FAILED): S.UNINITIALIZED,
    (S.READY, E.BEGIN): S.IN_TRANSACTION,
    (S.IN_TRANSACTION, E.COMMIT): S.COMMITTING,
    (S.IN_TRANSACTION, E.ABORT): S.ABORTING,
    (S.IN_TRANSACTION, E.ERROR): S.ABORTABLE_ERROR,
    (S.COMMITTING, E.ERROR): S.ABORTABLE_ERROR,
    (S.ABORTING, E.ERROR): S.ABORTING,
    (S.ABORTABLE_ERROR, E.ERROR): S.ABORTABLE_ERROR,
    (S.ABORTABLE_ERROR, E.ABORT): S.ABORTING,
    (S.COMMITTING, E.COMMIT): S.COMMITTING,  # again, after a timeout
    (S.ABORTING, E.ABORT): S.ABORTING,
    (S.COMMITTING, E.ENDED): S.READY,
    (S.ABORTING, E.ENDED): S.READY,
    **{(state, E.FATAL): S.FATAL_ERROR for state in TxnState},  # fenced: from anywhere
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
        self._gap = False  # a batch of the transaction failed: its sequence range is missing
        self._error: BaseException | None = None
        self._sender: Sender | None = None
        self._acc: RecordAccumulator | None = None
        self._init_lock = asyncio.Lock()
        self.protocol: TxnProtocol = CLASSIC  # of the current transaction
        self._offered: TxnProtocol = CLASSIC  # what the cluster offered when last asked
        self._offered_at = float("-inf")

    @property
    def transactional(self) -> bool:
        return self.transactional_id is not None

    def attach(self, sender: Sender, accumulator: RecordAccumulator) -> None:
        """The sender to stop when fenced (``Sender.fail_fatally``) and the accumulator to
        flush. The sender calls back through ``TransactionHooks``: it is given this manager
        at construction."""
        self._sender = sender
        self._acc = accumulator

    # ---- TransactionHooks: what the sender asks ----------------------------------------
    def produce_version_cap(self) -> int | None:
        """Produce v12+ inside a transaction means transaction version 2 (KIP-890): the
        current transaction's protocol caps it (classic: 11 until a ``begin`` says more)."""
        return self.protocol.produce if self.transactional else None

    def batch_failed(self, exc: BaseException) -> None:
        """A batch failed: the transaction has a sequence gap and becomes abortable (or
        fatal when fenced)."""
        if self.transactional and self.state is not TxnState.FATAL_ERROR:
            self._gap = True
        self._abortable(exc)

    def _fire(self, event: TxnEvent) -> None:
        target = _TRANSITIONS.get((self.state, event))
        if target is None:
            raise IllegalStateError(
                f"transaction: {event.value!r} is not allowed in {self.state.name}"
            )
        self.state = target

    # ---- producer id -------------------------------------------------------------------
    async def init_producer_id(self) -> None:
        """Get a producer id, or bump the epoch after a sequence gap (KIP-360): an
        idempotent producer bumps it itself (the broker accepts a higher epoch starting at
        sequence 0), a transactional one asks its coordinator with its id and epoch."""
        async with self._init_lock:
            if self._identity.has_id:
                return
            bump = self._identity.producer_id >= 0
            if bump and not self.transactional and self._identity.epoch < _MAX_EPOCH:
                self._identity.set_id(self._identity.producer_id, self._identity.epoch + 1)
                log.info("producer id %d: epoch bumped to %d", self._identity.producer_id,
                         self._identity.epoch)  # fmt: skip
                return
            if self.transactional:
                self._fire(TxnEvent.INIT)
            try:
                response = await self._init_request(bump)
            except BaseException:
                if self.transactional and self.state is TxnState.INITIALIZING:
                    self._fire(TxnEvent.INIT_FAILED)
                raise
            self._identity.set_id(response.producer_id, response.producer_epoch)
            if self.transactional:
                self._fire(TxnEvent.INITIALIZED)
            log.info("producer id %d epoch %d", response.producer_id, response.producer_epoch)
        if self.transactional:
            await self._refresh_protocol(force=True)

    async def _refresh_protocol(self, force: bool = False) -> None:
        """Read the cluster's transaction version (cached ``FEATURES_MAX_AGE`` seconds)."""
        now = asyncio.get_running_loop().time()
        if not force and now - self._offered_at < FEATURES_MAX_AGE:
            return
        assert self.transactional_id is not None
        try:
            node = await self._client.coordinator_lookup(
                CoordinationType.TRANSACTION, self.transactional_id
            )
            self._offered = await read_transaction_version(self._client, node)
        except KafkaError as exc:  # the classic protocol works on every cluster
            log.info("transaction version unknown (%s): keeping version %d", exc,
                     self._offered.version)  # fmt: skip
            return
        self._offered_at = now

    async def _init_request(self, bump: bool) -> InitProducerIdResponse:
        request = InitProducerIdRequest(
            transactional_id=self.transactional_id, transaction_timeout_ms=self._timeout_ms,
            producer_id=self._identity.producer_id if bump else -1,
            producer_epoch=self._identity.epoch if bump else -1,
        )  # fmt: skip
        if not self.transactional:
            return await self._retrying(self._to_any_node, request, ApiKey.INIT_PRODUCER_ID)
        return await self._retrying(self._to_coordinator, request, ApiKey.INIT_PRODUCER_ID)

    # ---- request plumbing --------------------------------------------------------------
    async def _to_any_node(self, request: Request[R], api_key: int) -> R:
        node = self._client.get_random_node()
        if node is None:
            raise KafkaError("no broker known")
        return await self._client.send(node, request)

    async def _to_coordinator(self, request: Request[R], api_key: int) -> R:
        assert self.transactional_id is not None
        node = await self._client.coordinator_lookup(
            CoordinationType.TRANSACTION, self.transactional_id
        )
        return await self._send_pinned(node, request, api_key, ConnectionGroup.COORDINATION)

    async def _send_pinned(
        self, node: int, request: Request[R], api_key: int, group: ConnectionGroup
    ) -> R:
        protocol = self.protocol
        caps: dict[int, int] = {
            ApiKey.ADD_PARTITIONS_TO_TXN: 3, ApiKey.END_TXN: protocol.end_txn,
            ApiKey.TXN_OFFSET_COMMIT: protocol.txn_offset_commit,
        }  # fmt: skip
        highest = caps.get(api_key)
        version = None
        if highest is not None:
            await self._client.ready(node, group=group)
            negotiated = self._client.api_version_for(node, api_key)
            version = None if negotiated is None else min(negotiated, highest)
        return await self._client.send(node, request, group=group, api_version=version)

    async def _retrying(
        self, send: _Send, request: Request[T], api_key: int, group_id: str | None = None
    ) -> T:
        """Send until a final answer: retriable and coordinator errors are retried until
        the transaction timeout passes (then KafkaTimeoutError)."""
        try:
            async with asyncio.timeout(self._timeout_ms / 1000.0):
                return await self._retry_loop(send, request, api_key, group_id)
        except TimeoutError:
            raise KafkaTimeoutError(f"{type(request).__name__} got no final answer") from None

    async def _retry_loop(
        self, send: _Send, request: Request[T], api_key: int, group_id: str | None
    ) -> T:
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
            code = req.first_error(response)
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
        if code in COORDINATOR_MOVED:
            self._forget_coordinator(group_id)
            return
        if for_code(code).retriable:
            return
        if code in _FENCED:
            self._fence(for_code(code)())
        raise for_code(code)()

    def _fence(self, cause: BaseException) -> None:
        fenced = ProducerFenced("another producer with this transactional id took over")
        fenced.__cause__ = cause
        self._fire(TxnEvent.FATAL)
        self._error = fenced
        if self._sender is not None:
            self._sender.fail_fatally(fenced)
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
        if self.state is TxnState.UNINITIALIZED and self._identity.producer_id >= 0:
            await self._bump_after_gap()  # the last abort's epoch bump failed: again now
        if self.state is TxnState.READY:
            await self._refresh_protocol()
        self._fire(TxnEvent.BEGIN)
        self.protocol = self._offered  # the sender's Produce cap (produce_version_cap)
        self._partitions.clear()
        self._offsets_added = False
        self._error = None

    async def commit(self) -> None:
        self._raise_if_fatal()
        if self.state is TxnState.ABORTABLE_ERROR:
            raise self._error or IllegalStateError("the transaction must be aborted")
        self._fire(TxnEvent.COMMIT)
        await self._flush()
        if self._failed():
            raise self._error or KafkaError("a record of the transaction failed")
        await self._end(True)

    async def abort(self) -> None:
        """EndTxn(abort). After a failed batch the partition's sequence has a gap: unless
        EndTxn returned a new epoch (version 2), bump it with InitProducerId (KIP-360)."""
        self._raise_if_fatal()
        if self.state is TxnState.UNINITIALIZED and self._identity.producer_id >= 0:
            await self._bump_after_gap()  # ended already; only the epoch bump was missing
            return
        self._fire(TxnEvent.ABORT)
        await self._flush()
        bumped = await self._end(False)
        if self._gap and not bumped:
            await self._bump_after_gap()
        self._gap = False

    async def _bump_after_gap(self) -> None:
        """InitProducerId with the current id and epoch. When it fails the transaction is
        still over (state UNINITIALIZED): ``abort()`` or ``begin()`` tries the bump again,
        nothing is sent before it succeeds."""
        self._identity.request_bump()
        await self.init_producer_id()
        self._gap = False

    def _failed(self) -> bool:
        return self.state is TxnState.ABORTABLE_ERROR

    def _raise_if_fatal(self) -> None:
        if self.state is TxnState.FATAL_ERROR:
            raise self._error or ProducerFenced()

    async def _flush(self) -> None:
        assert self._acc is not None
        await self._acc.flush()

    def _ids(self) -> req.ProducerIds:
        assert self.transactional_id is not None
        return self.transactional_id, self._identity.producer_id, self._identity.epoch

    async def _end(self, committed: bool) -> bool:
        """EndTxn when anything was added; True when it returned a new epoch."""
        bumped = False
        if self._partitions or self._offsets_added:
            request = req.end_txn_request(self._ids(), committed)
            try:
                response = await self._retrying(self._to_coordinator, request, ApiKey.END_TXN)
            except KafkaError as exc:
                if committed and not exc.retriable and self.state is TxnState.COMMITTING:
                    self._error = exc
                    self._fire(TxnEvent.ERROR)  # e.g. TRANSACTION_ABORTABLE: abort, then go on
                raise
            bumped = self._adopt_epoch(response)
        self._partitions.clear()
        self._offsets_added = False
        self._fire(TxnEvent.ENDED)
        return bumped

    def _adopt_epoch(self, response: EndTxnResponse) -> bool:
        """EndTxn v5 (transaction version 2) returns the bumped epoch (or a new id)."""
        producer_id = response.producer_id  # -1 below v5
        epoch = response.producer_epoch
        if producer_id < 0 or epoch < 0:
            return False
        self._identity.set_id(producer_id, epoch)
        log.debug("transaction ended: producer id %d epoch %d", producer_id, epoch)
        return True

    def _abortable(self, exc: BaseException) -> None:
        """A batch or an offset commit failed: fenced -> fatal, else abortable."""
        if not self.transactional or self.state is TxnState.FATAL_ERROR:
            return
        if isinstance(exc, ProducerFenced) or getattr(exc, "errno", None) in _FENCED:
            try:
                self._fence(exc)
            except ProducerFenced:
                return
        if (self.state, TxnEvent.ERROR) in _TRANSITIONS:
            self._error = self._error or exc
            self._fire(TxnEvent.ERROR)

    async def before_send(self, batches: list[ProducerBatch]) -> None:
        """Add the transaction's new partitions before their first Produce request
        (under transaction version 2 the Produce request itself adds them)."""
        new = {b.tp for b in batches} - self._partitions
        if not new:
            return
        if self.protocol.explicit_partitions:
            request = req.add_partitions_request(self._ids(), sorted(new))
            await self._retrying(self._to_coordinator, request, ApiKey.ADD_PARTITIONS_TO_TXN)
        self._partitions |= new

    async def send_offsets(self, offsets: Mapping[TopicPartition, object], group: object) -> None:
        """Offsets into the transaction: AddOffsetsToTxn (classic only), then
        TxnOffsetCommit to the group coordinator."""
        if self.state is not TxnState.IN_TRANSACTION:
            raise IllegalOperation("not in a transaction")
        metadata = req.group_metadata(group)
        commit = req.txn_offset_commit_request(self._ids(), offsets, metadata)
        group_id = metadata.group_id
        try:
            if self.protocol.explicit_partitions:
                request = req.add_offsets_request(self._ids(), group_id)
                await self._retrying(self._to_coordinator, request, ApiKey.ADD_OFFSETS_TO_TXN)
            self._offsets_added = True  # under version 2 a failed commit may have added it
            await self._retrying(
                self._to_group(group_id), commit, ApiKey.TXN_OFFSET_COMMIT, group_id
            )
        except (ProducerFenced, asyncio.CancelledError):
            raise
        except KafkaError as exc:  # e.g. a stale generation (KIP-447): abort, then retry
            self._abortable(exc)
            raise

    def _to_group(self, group_id: str) -> _Send:
        async def send(request: Request[R], api_key: int) -> R:
            node = await self._client.coordinator_lookup(CoordinationType.GROUP, group_id)
            return await self._send_pinned(node, request, api_key, ConnectionGroup.COORDINATION)

        return send
