"""``AIOKafkaShareConsumer``: a share-group member (KIP-932, queues for Kafka) over asyncio.

Tasks: one heartbeat task (ShareGroupHeartbeat to the group coordinator, found with the
client's cached FindCoordinator lookup) and, while a poll wants records, one fetch round at a
time: one ShareFetch per partition leader, in parallel, each carrying the acknowledgements
owed to that leader (piggy-backed). Requests to one leader are serialized by a per-node
``asyncio.Lock`` because they share a session epoch; ``commit()`` and ``stop()`` send
ShareAcknowledge under the same lock. A fetch round runs on when the poll that started it
times out or is cancelled: its records wait in the buffer for the next poll, so the
session epoch never loses track of an answered request.

Acknowledgement modes: "implicit" accepts every record the previous poll returned at the
next poll, ``commit()`` or ``stop()``; "explicit" wants ``acknowledge(record, type)`` for
each, and a poll with records still unacknowledged raises ``UnacknowledgedRecordsError``.
``stop()`` acknowledges what implicit mode owes, releases the records it holds (delivered
and not acknowledged, or still buffered), closes the share sessions and leaves the group.
Must not speak the classic or KIP-848 group protocols and must not change the consumer's
fetcher: it only imports the client, the record decoder and the shared value types.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import ssl
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, NoReturn

from aiokafka_gen import __version__
from aiokafka_gen._codes import INVALID_METADATA, ApiKey, ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen._validate import check_range, check_topic
from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.coordinator.contract import GroupHealth
from aiokafka_gen.errors import (
    BrokerResponseError,
    ConsumerStoppedError,
    IllegalStateError,
    IncompatibleBrokerVersion,
    KafkaConfigurationError,
    KafkaError,
    UnsupportedVersionError,
    for_code,
)
from aiokafka_gen.messages.share_fetch_response import ShareFetchResponse
from aiokafka_gen.records import RecordsCorruptError
from aiokafka_gen.structs import TopicPartition

from .acks import AckBatch, AcknowledgeType, ShareConsumerRecord, ack_batches
from .errors import (
    InvalidAcknowledgeTypeError,
    RecordAlreadyAcknowledgedError,
    RecordNotAcquiredError,
    UnacknowledgedRecordsError,
)
from .membership import HEARTBEAT_API, Action, MemberState, ShareMembership, unsupported_error
from .session import (
    AcquiredData,
    RecordPart,
    ShareSession,
    TopicIdPartition,
    acquired_records,
)

__all__ = ["AIOKafkaShareConsumer", "AcknowledgementResults"]

log = client_logger("aiokafka_gen.share")

_MODES = ("implicit", "explicit")
_FLUSH_INTERVAL = 0.5  # s between acknowledgement flushes while polls drain the buffer
AcknowledgementResults = dict[TopicPartition, KafkaError | None]
CommitCallback = Callable[[AcknowledgementResults], object]  # None or an awaitable
RecordKey = tuple[str, int, int]


def _offsets(part: RecordPart) -> Iterable[int]:
    """The offsets of a buffered part: a list of records or a RecordChunks."""
    return [r.offset for r in part] if isinstance(part, list) else part.offsets()


def _ack_type(value: object) -> AcknowledgeType:
    """``value`` as an ``AcknowledgeType`` (an int with its value is accepted), else
    ``InvalidAcknowledgeTypeError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAcknowledgeTypeError(
            f"acknowledgement type must be an AcknowledgeType, not {value!r}"
        )
    try:
        return AcknowledgeType(value)
    except ValueError:
        raise InvalidAcknowledgeTypeError(
            f"unknown acknowledgement type {value!r}: use AcknowledgeType.ACCEPT, RELEASE or REJECT"
        ) from None


class AIOKafkaShareConsumer:
    """A member of a share group: records of the subscribed topics are handed out to the
    group's members one at a time, each acknowledged (accepted, released for redelivery,
    rejected) by the member that got it.

    Connection, security and deserializer options are ``AIOKafkaConsumer``'s. Share-group
    options: ``group_id`` (required), ``share_acknowledgement_mode`` ("implicit" or
    "explicit", Java's ``share.acknowledgement.mode``), ``acknowledgement_commit_callback``
    (called, sync or async, with ``{TopicPartition: None or error}`` whenever an
    acknowledgement answer arrives), ``max_poll_records`` (default 500, also the ShareFetch
    record limit). Records are ``ShareConsumerRecord`` (a ``ConsumerRecord`` with
    ``delivery_count``). ``acquisition_lock_timeout_ms`` is the broker's lock duration as
    its last ShareFetch answer stated it.
    """

    def __init__(
        self,
        *topics: str,
        group_id: str,
        loop: object = None,
        bootstrap_servers: str | Iterable[str] = "localhost",
        client_id: str = "aiokafka-" + __version__,
        key_deserializer: Callable[[Any], Any] | None = None,
        value_deserializer: Callable[[Any], Any] | None = None,
        fetch_max_wait_ms: int = 500,
        fetch_max_bytes: int = 52428800,
        fetch_min_bytes: int = 1,
        request_timeout_ms: int = 40 * 1000,
        retry_backoff_ms: int = 100,
        check_crcs: bool = True,
        metadata_max_age_ms: int = 5 * 60 * 1000,
        max_poll_interval_ms: int = 300000,
        max_poll_records: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        security_protocol: str = "PLAINTEXT",
        api_version: object = None,
        connections_max_idle_ms: int = 540000,
        sasl_mechanism: str = "PLAIN",
        sasl_plain_password: str | None = None,
        sasl_plain_username: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: AbstractTokenProvider | None = None,
        client_rack: str | None = None,
        share_acknowledgement_mode: str = "implicit",
        acknowledgement_commit_callback: CommitCallback | None = None,
    ) -> None:
        if loop is not None:
            warnings.warn(
                "the loop argument is deprecated and ignored: the consumer uses the running loop",
                DeprecationWarning,
                stacklevel=2,
            )
        if api_version is not None:
            warnings.warn(
                "api_version is a no-op: versions are negotiated", DeprecationWarning, stacklevel=2
            )
        if not isinstance(group_id, str) or not group_id:
            raise KafkaConfigurationError("a share consumer needs a non-empty group_id")
        if share_acknowledgement_mode not in _MODES:
            raise KafkaConfigurationError(
                f"share_acknowledgement_mode must be 'implicit' or 'explicit', not "
                f"{share_acknowledgement_mode!r}"
            )
        for name, low in (
            ("fetch_max_wait_ms", 0),
            ("fetch_max_bytes", 0),
            ("fetch_min_bytes", 0),
            ("max_poll_interval_ms", 1),
        ):
            check_range(name, locals()[name], at_least=low)
        check_range(
            "max_poll_records", max_poll_records, at_least=1, integral=True, allow_none=True
        )
        config = ClientConfig.create(locals())
        self._client = AIOKafkaClient.from_config(config)
        self._group_id = group_id
        self._explicit = share_acknowledgement_mode == "explicit"
        self._callback = acknowledgement_commit_callback
        self._deserializers = (key_deserializer, value_deserializer)
        self._check_crcs = check_crcs
        self._max_wait_ms = int(fetch_max_wait_ms)
        self._min_bytes = int(fetch_min_bytes)
        self._max_bytes = int(fetch_max_bytes)
        self._max_poll_records = int(max_poll_records or 500)
        self._max_poll_interval = max_poll_interval_ms / 1000.0
        self._request_timeout_ms = config.request_timeout_ms
        self._backoff = config.retry_backoff
        self._membership = ShareMembership(group_id, rack_id=client_rack)
        self._topics: frozenset[str] = frozenset()
        self._subscribed_at = 0.0
        self._assigned: dict[TopicPartition, TopicIdPartition] = {}
        self._sessions: dict[int, ShareSession] = {}
        self._node_locks: dict[int, asyncio.Lock] = {}
        # fetched, not yet returned: one chunk of records per partition and fetch
        # (partition, records): a list, or a RecordChunks decoded as polls take it
        self._buffer: collections.deque[tuple[TopicPartition, RecordPart]] = collections.deque()
        # returned by polls, not acknowledged yet: partition -> offset -> record
        self._delivered: dict[TopicPartition, dict[int, ShareConsumerRecord]] = {}
        self._acked_recent: set[RecordKey] = set()
        self._pending: dict[TopicPartition, dict[int, int]] = {}
        self._ack_results: AcknowledgementResults = {}
        self._errors: list[BaseException] = []
        self._unknown_reported: set[str] = set()
        self._fatal: BaseException | None = None
        self._hb_task: asyncio.Task[None] | None = None
        self._round: asyncio.Task[None] | None = None
        self._ack_flush: asyncio.Task[AcknowledgementResults] | None = None
        self._last_flush = 0.0
        self._hb_wake: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._coordinator: int | None = None
        self._last_heartbeat: float | None = None
        self._last_poll: float | None = None
        self._poll_timed_out = False
        self._polling = 0  # polls in progress (they do not count against max_poll_interval_ms)
        self._rebalances = 0
        self._last_rebalance: float | None = None
        self.acquisition_lock_timeout_ms: int | None = None
        self._started = False
        self._closed = False
        if topics:
            self.subscribe(list(topics))

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Bootstrap and start the heartbeat task. ``UnsupportedVersionError`` when the
        bootstrap broker lacks share groups (no ShareGroupHeartbeat)."""
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if self._started:
            raise IllegalStateError("start() was already called")
        self._started = True
        self._hb_wake = asyncio.Event()
        self._changed = asyncio.Event()
        try:
            await self._client.bootstrap()
            node = self._client.get_random_node()
            if node is not None and await self._client.ready(node):
                self._require_share_groups(node)
        except BaseException:
            self._closed = True
            await self._client.close()
            raise
        self._hb_task = asyncio.get_running_loop().create_task(
            self._heartbeat_loop(), name=f"share-heartbeat-{self._group_id}"
        )

    def _require_share_groups(self, node: int) -> None:
        try:
            version = self._client.api_version_for(node, HEARTBEAT_API)
        except IncompatibleBrokerVersion:
            version = None
        if version is None:
            broker = self._client.cluster.broker_metadata(node)
            where = f"node {node}" if broker is None else f"{broker.host}:{broker.port}"
            raise unsupported_error(where)

    async def stop(self) -> None:
        """Acknowledge what implicit mode owes, release every record still held, close the
        share sessions, leave the group, close connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if not self._started:
            return
        try:
            busy = {t for t in (self._round, self._ack_flush) if t is not None}
            if busy:
                await asyncio.wait(busy)  # their answers move the session epochs
            if self._fatal is None:
                await self._close_sessions()
            if self._hb_task is not None:
                self._hb_task.cancel()
                await asyncio.wait({self._hb_task})
            if self._fatal is None and self._membership.epoch > 0:
                await self._leave()
        finally:
            self._wake_pollers()
            await self._client.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Started and never stopped: its tasks and sockets leak (as AIOKafkaConsumer warns).
        if getattr(self, "_started", False) and not getattr(self, "_closed", True):
            _warn(f"Unclosed AIOKafkaShareConsumer {self!r}", ResourceWarning, source=self)

    async def __aenter__(self) -> AIOKafkaShareConsumer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---- subscription ----------------------------------------------------------------
    def subscribe(self, topics: Iterable[str]) -> None:
        """Subscribe to exactly ``topics`` (names; patterns are not part of share groups)."""
        if isinstance(topics, str) or not isinstance(topics, tuple | set | list | frozenset):
            raise TypeError("topics must be a list, tuple or set of strings")
        wanted = frozenset(check_topic(t) for t in topics)
        if not wanted:
            raise ValueError("subscribe() needs at least one topic (unsubscribe() to stop)")
        self._set_topics(wanted)

    def unsubscribe(self) -> None:
        self._set_topics(frozenset())

    def subscription(self) -> frozenset[str]:
        return self._topics

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions the group coordinator assigned to this member."""
        return frozenset(self._assigned)

    def _set_topics(self, topics: frozenset[str]) -> None:
        if topics == self._topics:
            return
        self._topics = topics
        self._subscribed_at = time.monotonic()
        self._unknown_reported.clear()
        self._membership.subscribe(topics)
        if self._hb_wake is not None:
            self._hb_wake.set()

    # ---- polls -----------------------------------------------------------------------
    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ShareConsumerRecord]]:
        """Records by partition (at most ``max_records``, default ``max_poll_records``),
        waiting up to ``timeout_ms`` for some. Partitions cannot be chosen in a share
        group: positional partitions are refused."""
        if partitions:
            raise IllegalStateError("a share consumer cannot poll chosen partitions")
        limit = self._max_poll_records if max_records is None else max_records
        check_range("max_records", limit, at_least=1, integral=True)
        return await self._poll(timeout_ms / 1000.0, limit)

    async def getone(self) -> ShareConsumerRecord:
        """The next record, waiting as long as it takes."""
        while True:
            records = await self._poll(self._max_wait_ms / 1000.0 or 0.1, 1)
            for chunk in records.values():
                return chunk[0]

    def __aiter__(self) -> AIOKafkaShareConsumer:
        return self

    async def __anext__(self) -> ShareConsumerRecord:
        try:
            return await self.getone()
        except ConsumerStoppedError:
            raise StopAsyncIteration from None

    async def _poll(
        self, timeout: float, limit: int
    ) -> dict[TopicPartition, list[ShareConsumerRecord]]:
        self._check_usable()
        self._settle_previous_poll()
        self._polling += 1
        try:
            return await self._poll_records(timeout, limit)
        finally:
            self._polling -= 1
            self._last_poll = time.monotonic()  # max_poll_interval_ms runs between polls

    async def _poll_records(
        self, timeout: float, limit: int
    ) -> dict[TopicPartition, list[ShareConsumerRecord]]:
        self._last_poll = time.monotonic()
        if self._buffer:
            self._maybe_flush_acks()
        if self._poll_timed_out:  # left for max_poll_interval_ms: join again
            self._poll_timed_out = False
            assert self._hb_wake is not None
            self._hb_wake.set()
        deadline = time.monotonic() + timeout
        while not self._buffer:
            self._raise_errors()
            self._start_round()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            assert self._changed is not None and self._round is not None
            self._changed.clear()
            waiter = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait(
                    {self._round, waiter}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiter.cancel()
            self._check_usable()
        self._raise_errors()
        taken = self._take(limit)
        if not self._buffer and taken:
            # the buffer is drained: fetch the next records while the application works
            # on these (the acknowledgements of this poll's records go with a later request)
            try:
                self._start_round()
            except Exception as error:  # the records taken are returned; the next poll raises
                self._errors.append(error)
        return taken

    def _take(self, limit: int) -> dict[TopicPartition, list[ShareConsumerRecord]]:
        """Up to ``limit`` buffered records, now delivered."""
        out: dict[TopicPartition, list[ShareConsumerRecord]] = {}
        taken = 0
        buffer = self._buffer
        while buffer and taken < limit:
            tp, records = buffer[0]
            if tp not in self._assigned:  # revoked while buffered: released already
                buffer.popleft()
                continue
            room = limit - taken
            if not isinstance(records, list):  # RecordChunks: decode the next ones
                try:
                    chunk = records.take(room)
                except RecordsCorruptError as error:  # the rest is rejected, not redelivered
                    buffer.popleft()
                    self._queue_offsets(tp, records.offsets(), AcknowledgeType.REJECT)
                    self._errors.append(error)
                    continue
                if not len(records):
                    buffer.popleft()
            elif len(records) <= room:
                buffer.popleft()
                chunk = records
            else:
                chunk, buffer[0] = records[:room], (tp, records[room:])
            if tp in out:
                out[tp].extend(chunk)
            else:
                out[tp] = chunk
            delivered = self._delivered.get(tp)
            if delivered is None:
                delivered = self._delivered[tp] = {}
            delivered.update({r.offset: r for r in chunk})
            taken += len(chunk)
        return out

    def _maybe_flush_acks(self) -> None:
        """While polls are served from the buffer no ShareFetch goes out to carry the
        acknowledgements: send them in a ShareAcknowledge at most every
        ``_FLUSH_INTERVAL`` s, so they do not wait (and their locks expire) until the buffer
        drains."""
        if not self._pending or time.monotonic() - self._last_flush < _FLUSH_INTERVAL:
            return
        if self._ack_flush is not None and not self._ack_flush.done():
            return
        pending = self._take_pending()
        if pending:
            self._last_flush = time.monotonic()
            self._ack_flush = asyncio.get_running_loop().create_task(
                self._send_acks(pending, close=False)
            )

    def _check_usable(self) -> None:
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        if not self._started:
            raise IllegalStateError("start() the consumer before polling")
        if self._fatal is not None:
            raise self._fatal

    def _raise_errors(self) -> None:
        if self._errors:
            error = self._errors.pop(0)
            raise error

    def _settle_previous_poll(self) -> None:
        """Implicit mode: accept what the previous poll returned; explicit mode: refuse to
        go on while some of it is unacknowledged."""
        if any(self._delivered.values()):
            if self._explicit:
                raise UnacknowledgedRecordsError(
                    sorted(
                        (tp.topic, tp.partition, o) for tp, d in self._delivered.items() for o in d
                    )
                )
            self._settle_all(AcknowledgeType.ACCEPT)
        self._acked_recent.clear()

    def _settle_all(self, kind: int) -> None:
        """Acknowledge every delivered record with ``kind``."""
        for tp, delivered in self._delivered.items():
            if delivered:
                self._queue_offsets(tp, delivered, kind)
        self._delivered.clear()

    def _wake_pollers(self) -> None:
        if self._changed is not None:
            self._changed.set()

    # ---- acknowledgements ------------------------------------------------------------
    def acknowledge(
        self, record: ShareConsumerRecord, type: AcknowledgeType | int = AcknowledgeType.ACCEPT
    ) -> None:
        """Acknowledge one delivered record (sent with the next ShareFetch to its leader,
        or by ``commit()``). ``RecordNotAcquiredError`` for a record this consumer does not
        hold, ``RecordAlreadyAcknowledgedError`` for one acknowledged since the last poll,
        ``InvalidAcknowledgeTypeError`` for anything but an ``AcknowledgeType``."""
        kind = type if type.__class__ is AcknowledgeType else _ack_type(type)
        if self._closed:
            raise ConsumerStoppedError("the consumer was stopped")
        try:
            topic, partition, offset = record.topic, record.partition, record.offset
        except AttributeError:
            raise TypeError(f"acknowledge() takes a record, not {record!r}") from None
        # a TopicPartition is a named tuple: the plain tuple finds its entry
        delivered = self._delivered.get((topic, partition))  # type: ignore[call-overload]
        if delivered is None or offset not in delivered:
            self._refuse_acknowledgement((topic, partition, offset))
        if kind is AcknowledgeType.RENEW:
            tp = TopicPartition(topic, partition)
            self._check_renew(tp)
            # the record stays held: it still needs its final acknowledgement
            self._pending.setdefault(tp, {})[offset] = kind
            return
        del delivered[offset]
        self._acked_recent.add((topic, partition, offset))
        pending = self._pending.get((topic, partition))  # type: ignore[call-overload]
        if pending is None:
            pending = self._pending[TopicPartition(topic, partition)] = {}
        pending[offset] = kind

    def _refuse_acknowledgement(self, key: RecordKey) -> NoReturn:
        if key in self._acked_recent:
            raise RecordAlreadyAcknowledgedError(
                f"{key[0]}-{key[1]}@{key[2]} was acknowledged already"
            )
        raise RecordNotAcquiredError(
            f"{key[0]}-{key[1]}@{key[2]} is not held by this consumer (another member's "
            "record, an earlier delivery, or acknowledged and sent already)"
        )

    def _check_renew(self, tp: TopicPartition) -> None:
        """RENEW needs ShareAcknowledge v2 (KIP-1222, Kafka 4.2+) at the partition's leader."""
        node = self._client.cluster.leader_for_partition(tp)
        version = (
            None if node is None else self._client.api_version_for(node, ApiKey.SHARE_ACKNOWLEDGE)
        )
        if version is not None and version < 2:
            raise InvalidAcknowledgeTypeError(
                f"AcknowledgeType.RENEW needs ShareAcknowledge v2 (Kafka 4.2+); the leader of "
                f"{tp} speaks v{version}"
            )

    def _queue_offsets(self, tp: TopicPartition, offsets: Iterable[int], kind: int) -> None:
        pending = self._pending.get(tp)
        if pending is None:
            pending = self._pending[tp] = {}
        pending.update(dict.fromkeys(offsets, kind))

    async def commit(self) -> AcknowledgementResults:
        """Send every pending acknowledgement now (ShareAcknowledge per leader) and return
        ``{TopicPartition: None or the error}`` for the partitions it covered; implicit mode
        first accepts what the last poll returned."""
        self._check_usable()
        if not self._explicit:
            self._settle_all(AcknowledgeType.ACCEPT)
        results = await self._send_acks(self._take_pending(), close=False)
        return results

    def _take_pending(self) -> dict[TopicPartition, dict[int, int]]:
        pending, self._pending = self._pending, {}
        return {tp: acks for tp, acks in pending.items() if acks}

    async def _send_acks(
        self, pending: Mapping[TopicPartition, dict[int, int]], *, close: bool
    ) -> AcknowledgementResults:
        by_node: dict[int, dict[TopicPartition, dict[int, int]]] = {}
        results: AcknowledgementResults = {}
        for tp, acks in pending.items():
            node = self._client.cluster.leader_for_partition(tp)
            if node is None or self._topic_id_partition(tp) is None:
                results[tp] = for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(
                    f"{tp}: no leader known"
                )
                continue
            by_node.setdefault(node, {})[tp] = acks
        if close:
            for node in self._sessions:
                by_node.setdefault(node, {})
        answers = await asyncio.gather(
            *(self._acknowledge_node(node, acks, close=close) for node, acks in by_node.items()),
            return_exceptions=True,
        )
        for (_node, sent), answer in zip(by_node.items(), answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                error = answer if isinstance(answer, KafkaError) else KafkaError(repr(answer))
                results.update(dict.fromkeys(sent, error))
            else:
                results.update(answer)
        await self._report(results)
        return results

    async def _acknowledge_node(
        self, node: int, pending: Mapping[TopicPartition, dict[int, int]], *, close: bool
    ) -> AcknowledgementResults:
        session = self._session(node)
        async with self._node_lock(node):
            acks = self._wire_acks(pending)
            renew = any(AcknowledgeType.RENEW in b.types for bs in acks.values() for b in bs)
            request = session.acknowledge_request(
                self._group_id, self._membership.member_id, acks, close=close, renew=renew
            )
            if request is None:
                if not pending:
                    return {}
                error = for_code(ErrorCode.SHARE_SESSION_NOT_FOUND)(
                    "no share session with this leader to carry them"
                )
                return dict.fromkeys(pending, error)
            try:
                response = await self._client.send(node, request)
            except KafkaError as exc:
                session.lost()
                return dict.fromkeys(pending, exc)
            if close:
                session.closed()
            else:
                session.answered(response.error_code)
            if response.acquisition_lock_timeout_ms > 0:
                self.acquisition_lock_timeout_ms = response.acquisition_lock_timeout_ms
            if response.error_code:
                error = for_code(response.error_code)(response.error_message or "")
                return dict.fromkeys(pending, error)
            return self._partition_results(
                (
                    (t.topic_id, p.partition_index, p.error_code, p.error_message)
                    for t in response.responses
                    for p in t.partitions
                ),
                pending,
            )

    def _partition_results(
        self,
        answers: Iterable[tuple[uuid.UUID, int, int, str | None]],
        pending: Mapping[TopicPartition, object],
    ) -> AcknowledgementResults:
        """Results from (topic id, partition, error code, error message) per partition."""
        results: AcknowledgementResults = {}
        # matched by the topic ids the request carried (a topic's name may have left the
        # metadata meanwhile)
        sent = {self._topic_id_partition(tp): tp for tp in pending}
        for topic_id, partition, code, message in answers:
            tp = sent.get((topic_id, partition))
            if tp is None:
                continue
            results[tp] = for_code(code)(message or str(tp)) if code else None
            if code in INVALID_METADATA:  # Kafka's flag: the leader moved or is unknown
                self._client.force_metadata_update()
        for tp in pending:  # the broker answers for every partition it was sent
            if tp not in results:
                results[tp] = for_code(ErrorCode.UNKNOWN_SERVER_ERROR)(
                    f"{tp}: the broker's answer left out this partition's acknowledgements"
                )
        return results

    async def _report(self, results: AcknowledgementResults) -> None:
        if not results:
            return
        self._ack_results.update(results)
        for tp, error in results.items():
            if error is not None:
                log.info(
                    "share group %s: acknowledgement for %s failed: %r", self._group_id, tp, error
                )
        if self._callback is not None:
            try:
                outcome = self._callback(dict(results))
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("acknowledgement_commit_callback failed")

    def _wire_acks(
        self, pending: Mapping[TopicPartition, dict[int, int]]
    ) -> dict[TopicIdPartition, list[AckBatch]]:
        out: dict[TopicIdPartition, list[AckBatch]] = {}
        for tp, acks in pending.items():
            tip = self._topic_id_partition(tp)
            if tip is not None and acks:
                out[tip] = ack_batches(acks)
        return out

    def _topic_id_partition(self, tp: TopicPartition) -> TopicIdPartition | None:
        tip = self._assigned.get(tp)
        if tip is not None:
            return tip
        tid = self._client.cluster.topic_id(tp.topic)
        return None if tid is None else (tid, tp.partition)

    # ---- fetching --------------------------------------------------------------------
    def _session(self, node: int) -> ShareSession:
        session = self._sessions.get(node)
        if session is None:
            session = self._sessions[node] = ShareSession(node)
        return session

    def _node_lock(self, node: int) -> asyncio.Lock:
        return self._node_locks.setdefault(node, asyncio.Lock())

    def _start_round(self) -> None:
        previous = self._round
        if previous is not None and previous.done() and not previous.cancelled():
            error = previous.exception()
            if error is not None:  # a bug: report it instead of spinning
                self._round = None
                raise error
        if self._round is None or self._round.done():
            self._round = asyncio.get_running_loop().create_task(self._fetch_round())

    async def _fetch_round(self) -> None:
        """One ShareFetch per leader of the assigned partitions, carrying the pending
        acknowledgements of its partitions; acknowledgements for partitions not fetched
        (revoked, leader unknown) go in a ShareAcknowledge."""
        cluster = self._client.cluster
        wanted: dict[int, dict[TopicIdPartition, TopicPartition]] = {}
        for tp, tip in self._assigned.items():
            node = cluster.leader_for_partition(tp)
            if node is None:
                self._client.force_metadata_update()
                continue
            wanted.setdefault(node, {})[tip] = tp
        pending = self._take_pending()
        fetch_acks: dict[int, dict[TopicPartition, dict[int, int]]] = {}
        other: dict[TopicPartition, dict[int, int]] = {}
        for tp, acks in pending.items():
            owned = self._assigned.get(tp)
            node = cluster.leader_for_partition(tp)
            fetched = owned is not None and node is not None and owned in wanted.get(node, {})
            if fetched and AcknowledgeType.RENEW not in acks.values():
                assert node is not None
                fetch_acks.setdefault(node, {})[tp] = acks
            else:
                other[tp] = acks
        if not wanted and not other:
            if self._changed is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._max_wait_ms / 1000.0):
                        await self._changed.wait()
            return
        jobs: list[Awaitable[object]] = [
            self._fetch_node(node, parts, fetch_acks.get(node, {}))
            for node, parts in wanted.items()
        ]
        if other:
            jobs.append(self._send_acks(other, close=False))
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        for outcome in outcomes:  # a failure not handled below: raised by the next poll
            if isinstance(outcome, Exception):
                log.error("share group %s: fetch round failed: %r", self._group_id, outcome)
                self._errors.append(outcome)
        self._wake_pollers()

    async def _fetch_node(
        self,
        node: int,
        parts: dict[TopicIdPartition, TopicPartition],
        pending: dict[TopicPartition, dict[int, int]],
    ) -> None:
        session = self._session(node)
        async with self._node_lock(node):
            acks = self._wire_acks(pending)
            request = session.fetch_request(
                self._group_id,
                self._membership.member_id,
                parts,
                acks,
                max_wait_ms=self._max_wait_ms,
                min_bytes=self._min_bytes,
                max_bytes=self._max_bytes,
                max_records=self._max_poll_records,
                batch_size=self._max_poll_records,
            )
            try:
                response = await self._client.send(
                    node, request, request_timeout_ms=self._request_timeout_ms + self._max_wait_ms
                )
            except KafkaError as exc:
                session.lost()
                log.info(
                    "share group %s: ShareFetch to node %d failed: %r", self._group_id, node, exc
                )
                await self._report(dict.fromkeys(pending, exc))
                await asyncio.sleep(self._backoff)
                return
            session.answered(response.error_code)
        if response.acquisition_lock_timeout_ms > 0:
            self.acquisition_lock_timeout_ms = response.acquisition_lock_timeout_ms
        if response.error_code:
            error = for_code(response.error_code)(response.error_message or "ShareFetch")
            await self._report(dict.fromkeys(pending, error))
            if not error.retriable:
                self._errors.append(error)
            else:
                await asyncio.sleep(self._backoff)
            return
        answers = (
            (t.topic_id, p.partition_index, p.acknowledge_error_code, p.acknowledge_error_message)
            for t in response.responses
            for p in t.partitions
        )
        await self._report(self._partition_results(answers, pending))
        if self._take_records(response, parts):
            await asyncio.sleep(self._backoff)  # a partition failed: no tight retry loop

    def _take_records(
        self, response: ShareFetchResponse, parts: dict[TopicIdPartition, TopicPartition]
    ) -> bool:
        """Buffer the acquired records; True when some partition answered an error."""
        failed = False
        for topic in response.responses:
            for part in topic.partitions:
                tp = parts.get((topic.topic_id, part.partition_index))
                if tp is None:
                    continue
                if part.error_code:
                    failed = True
                    self._partition_error(tp, part.error_code, part.error_message)
                data = acquired_records(
                    tp.topic,
                    tp.partition,
                    part.records,
                    part.acquired_records,
                    self._deserializers,
                    check_crcs=self._check_crcs,
                    lazy=True,
                )
                self._install(tp, data)
        return failed

    def _partition_error(self, tp: TopicPartition, code: int, message: str | None) -> None:
        if code in INVALID_METADATA:  # Kafka's flag: the leader moved or is unknown
            self._client.force_metadata_update()
            return
        error = for_code(code)(message or str(tp))
        if not error.retriable:
            self._errors.append(error)

    def _install(self, tp: TopicPartition, data: AcquiredData) -> None:
        if tp not in self._assigned:  # revoked meanwhile: give them back
            for part in data.parts:
                self._queue_offsets(tp, _offsets(part), AcknowledgeType.RELEASE)
            self._queue_offsets(tp, data.releases, AcknowledgeType.RELEASE)
        else:
            self._buffer.extend((tp, part) for part in data.parts)
            self._queue_offsets(tp, data.releases, AcknowledgeType.RELEASE)
        self._queue_offsets(tp, data.gaps, 0)
        self._queue_offsets(tp, data.rejects, AcknowledgeType.REJECT)
        if data.error is not None:
            self._errors.append(data.error)

    async def _close_sessions(self) -> None:
        """stop(): accept (implicit) or release (explicit) what was delivered, release the
        buffered records, and send it all with the sessions' closing ShareAcknowledge."""
        kind = AcknowledgeType.RELEASE if self._explicit else AcknowledgeType.ACCEPT
        self._settle_all(kind)
        while self._buffer:
            tp, records = self._buffer.popleft()
            self._queue_offsets(tp, _offsets(records), AcknowledgeType.RELEASE)
        try:
            await self._send_acks(self._take_pending(), close=True)
        except Exception as exc:
            log.info("share group %s: closing the share sessions failed: %r", self._group_id, exc)

    # ---- membership ------------------------------------------------------------------
    async def _heartbeat_loop(self) -> None:
        assert self._hb_wake is not None
        while not self._closed:
            delay = await self._heartbeat_once()
            if delay is None:
                return
            self._hb_wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._hb_wake.wait()

    async def _heartbeat_once(self) -> float | None:
        """One heartbeat and what follows from it; the delay until the next one (None:
        the loop ends)."""
        membership = self._membership
        if not self._topics or self._poll_timed_out:
            if membership.epoch > 0:
                await self._leave()
                self._apply({})
            return 3600.0  # until subscribed again, or polled again
        if self._last_poll is not None and self._polls_stalled():
            log.warning(
                "share group %s: no poll for max_poll_interval_ms; leaving until the next poll",
                self._group_id,
            )
            self._poll_timed_out = True
            return 0.0
        try:
            node = await self._client.coordinator_lookup(CoordinationType.GROUP, self._group_id)
            self._coordinator = node
            if await self._client.ready(node, group=ConnectionGroup.COORDINATION):
                self._require_share_groups(node)
            request = membership.request()
            response = await self._client.send(node, request, group=ConnectionGroup.COORDINATION)
        except KafkaError as exc:
            if isinstance(exc, BrokerResponseError) and not exc.retriable:
                return self._fail(exc)  # e.g. FindCoordinator: group authorization failed
            if isinstance(exc, UnsupportedVersionError):
                return self._fail(exc)
            membership.on_transport_error(exc)
            self._forget_coordinator()
            return self._backoff
        outcome = membership.on_response(request, response, self._where(node))
        if outcome.action is Action.FATAL:
            assert outcome.error is not None
            return self._fail(outcome.error)
        if outcome.action is Action.REDISCOVER:
            self._forget_coordinator()
            return self._backoff
        if outcome.action is Action.RETRY:
            return self._backoff
        if outcome.action is Action.REJOIN:
            log.info("share group %s: %s; rejoining", self._group_id, membership.last_error)
            self._apply({})
            return 0.0
        self._last_heartbeat = time.monotonic()
        if outcome.assignment is not None and not await self._resolve(outcome.assignment):
            membership.assignment_received = False
            return self._backoff  # unknown topic ids: heartbeat again soon
        await self._check_unknown_topics()
        delay = membership.next_delay()
        if self._last_poll is not None:  # wake in time to notice a missed poll interval
            left = self._last_poll + self._max_poll_interval - time.monotonic()
            delay = min(delay, max(left, 0.0) + 0.01)
        return delay

    def _polls_stalled(self) -> bool:
        assert self._last_poll is not None
        if self._polling:
            return False
        return time.monotonic() - self._last_poll > self._max_poll_interval

    def _where(self, node: int) -> str:
        broker = self._client.cluster.broker_metadata(node)
        return f"node {node}" if broker is None else f"{broker.host}:{broker.port}"

    def _fail(self, error: BaseException) -> float | None:
        """Record a fatal error (raised by every later poll); the heartbeat loop ends."""
        self._fatal = error
        self._wake_pollers()
        return None

    def _forget_coordinator(self) -> None:
        self._coordinator = None
        self._client.invalidate_coordinator(CoordinationType.GROUP, self._group_id)

    async def _resolve(self, assignment: Mapping[uuid.UUID, frozenset[int]]) -> bool:
        """Topic ids to names (refreshing metadata for unknown ones); False while some id
        is still unknown."""
        cluster = self._client.cluster
        if any(cluster.topic_name(t) is None for t in assignment):
            try:
                fresh = await self._client.fetch_all_metadata()
            except KafkaError:
                return False
            names = {fresh.topic_name(t) for t in assignment} - {None}
            await self._client.set_topics(set(self._client.topics) | {n for n in names if n})
        resolved: dict[TopicPartition, TopicIdPartition] = {}
        for tid, parts in assignment.items():
            name = cluster.topic_name(tid)
            if name is None:
                return False
            resolved.update({TopicPartition(name, p): (tid, p) for p in parts})
        self._apply(resolved)
        return True

    def _apply(self, assignment: dict[TopicPartition, TopicIdPartition]) -> None:
        if assignment == self._assigned:
            return
        revoked = set(self._assigned) - set(assignment)
        self._assigned = assignment
        self._rebalances += 1
        self._last_rebalance = time.monotonic()
        if revoked:
            kept: collections.deque[tuple[TopicPartition, RecordPart]] = collections.deque()
            for tp, records in self._buffer:
                if tp in revoked:
                    self._queue_offsets(tp, _offsets(records), AcknowledgeType.RELEASE)
                else:
                    kept.append((tp, records))
            self._buffer = kept
        log.info("share group %s: assigned %s", self._group_id, sorted(assignment))
        self._wake_pollers()

    async def _check_unknown_topics(self) -> None:
        """Subscribed topics that still do not exist ``request_timeout_ms`` after the
        subscription: ``UnknownTopicOrPartitionError`` from the next poll, once each."""
        if time.monotonic() - self._subscribed_at < self._request_timeout_ms / 1000.0:
            return
        assigned_topics = {tp.topic for tp in self._assigned}
        suspects = set(self._topics) - assigned_topics - self._unknown_reported
        if not suspects:
            return
        suspects = self._client.cluster.missing_topics(suspects)
        if not suspects:
            return
        try:
            fresh = await self._client.fetch_all_metadata()
        except KafkaError:
            return
        for topic in sorted(fresh.missing_topics(suspects)):
            self._unknown_reported.add(topic)
            self._errors.append(
                for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(
                    f"subscribed topic {topic!r} does not exist"
                )
            )
            self._wake_pollers()

    async def _leave(self) -> None:
        node = self._coordinator
        request = self._membership.leave_request()
        try:
            if node is None:
                node = await self._client.coordinator_lookup(CoordinationType.GROUP, self._group_id)
            response = await self._client.send(node, request, group=ConnectionGroup.COORDINATION)
            if response.error_code:
                log.info(
                    "share group %s: leave answered %s",
                    self._group_id,
                    for_code(response.error_code).__name__,
                )
        except KafkaError as exc:
            log.info("share group %s: leave failed: %r", self._group_id, exc)
        finally:
            self._membership.left()

    # ---- health ----------------------------------------------------------------------
    def group_health(self) -> GroupHealth:
        """A snapshot of the membership (protocol "share")."""
        m = self._membership
        state = "stopped" if self._closed else m.state.value
        if self._fatal is not None:
            state = MemberState.FATAL.value
        return GroupHealth(
            group_id=self._group_id,
            protocol="share",
            state=state,
            generation_id=m.epoch,
            member_id=m.member_id,
            group_instance_id=None,
            coordinator_id=self._coordinator,
            assignment=frozenset(self._assigned),
            last_heartbeat=self._last_heartbeat,
            last_poll=self._last_poll,
            last_rebalance=self._last_rebalance,
            rebalances=self._rebalances,
            last_error=repr(self._fatal) if self._fatal is not None else m.last_error,
        )

    @property
    def member_id(self) -> str:
        return self._membership.member_id

    def __repr__(self) -> str:
        return (
            f"<AIOKafkaShareConsumer group={self._group_id!r} member={self.member_id}"
            f" epoch={self._membership.epoch} topics={sorted(self._topics)}>"
        )
