"""``AIOKafkaClient``: bootstrap, a connection pool, metadata refresh, coordinator lookup.

Task and lock ownership (see DESIGN.md):

- the pool keeps one ``BrokerConnection`` per (node id, ConnectionGroup); a per-key
  ``asyncio.Lock`` makes concurrent callers share one connect; the decision (reuse, wait
  for backoff, open) is taken under the lock, failures are counted for the KIP-601
  reconnect backoff, and a connect interrupted by cancellation closes what it opened;
- one metadata task (``_md_loop``) owns refreshes: periodic (metadata_max_age_ms) and
  forced; every ``force_metadata_update()`` before the task wakes shares one future, so a
  storm of errors causes one Metadata request;
- coordinator lookups are ``coordinator_lookup.CoordinatorLookup``'s (batched
  FindCoordinator, cached until ``coordinator_error()`` sees NOT_COORDINATOR /
  COORDINATOR_NOT_AVAILABLE); the client keeps aiokafka's method names for them.

Must not encode or parse bytes (the framing does) nor hold SASL secrets anywhere but the
connection config, whose repr hides them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

from aiokafka_gen import __version__
from aiokafka_gen._codes import ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen._validate import RangeBounds, check_range
from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.cluster import ClusterMetadata
from aiokafka_gen.conn import BrokerConnection, ConnectionConfig, ReconnectBackoff
from aiokafka_gen.conn._metrics import ConnectionMetrics, LoopProbe
from aiokafka_gen.coordinator_lookup import CoordinatorLookup
from aiokafka_gen.errors import (
    AuthenticationMethodNotSupported,
    KafkaConnectionError,
    KafkaError,
    KafkaProtocolError,
    KafkaTimeoutError,
    NodeNotReadyError,
    UnsupportedSaslMechanismError,
    for_code,
)
from aiokafka_gen.messages.metadata_request import MetadataRequest, MetadataRequestTopic
from aiokafka_gen.protocol._message import Request

if TYPE_CHECKING:
    import ssl

    from aiokafka_gen.metrics import Metrics, Sensor, SensorSpec

__all__ = ["AIOKafkaClient", "ConnectionGroup", "CoordinationType"]

log = client_logger("aiokafka_gen.client")
_METADATA = 3
R = TypeVar("R")
# what makes bootstrap try the next address: no answer, not Kafka, another listener kind
_BOOTSTRAP_SKIPS = (
    KafkaConnectionError, KafkaTimeoutError, KafkaProtocolError, OSError,
    AuthenticationMethodNotSupported, UnsupportedSaslMechanismError,
)  # fmt: skip


class ConnectionGroup(enum.IntEnum):
    """Why a connection exists: ordinary traffic or group/transaction coordination."""

    DEFAULT = 0
    COORDINATION = 1


class CoordinationType(enum.IntEnum):
    """FindCoordinator key types."""

    GROUP = 0
    TRANSACTION = 1
    SHARE = 2


# Defaults of the settings only AIOKafkaClient takes (``from_config`` uses them too)
_DEFAULT_CLIENT_ID = "aiokafka-gen-" + __version__
_CONNECTION_SETUP_TIMEOUT_MS = 10000  # Java's connections.setup.timeout.ms
_RECONNECT_BACKOFF_MS = 50
_RECONNECT_BACKOFF_MAX_MS = 1000
_MAX_IN_FLIGHT_REQUESTS = 64

# Legal values of the numeric arguments (Java's ConfigDef ranges; timeouts tighter: a
# zero request or connection timeout would fail every request and every connect)
# The numbers every client shares are ClientConfig's (client_config.CLIENT_BOUNDS); these
# are the client's own, checked after them
_RANGES: dict[str, RangeBounds] = {
    "connection_setup_timeout_ms": {"at_least": 1},
    "reconnect_backoff_ms": {"at_least": 0},
    "reconnect_backoff_max_ms": {"at_least": 0},
    "max_in_flight_requests": {"at_least": 1, "integral": True},
}


def _bootstrap_error(reasons: dict[str, BaseException]) -> KafkaError:
    """KafkaConnectionError naming every address, unless every address refused the SASL
    mechanism itself: that is the settings' fault, so its own type (as Java's client), with
    the same message."""
    message = _bootstrap_failure(reasons)
    if all(isinstance(e, UnsupportedSaslMechanismError) for e in reasons.values()):
        refused: KafkaError = UnsupportedSaslMechanismError(message)
        return refused
    return KafkaConnectionError(message)


def _bootstrap_failure(reasons: dict[str, BaseException]) -> str:
    """``unable to bootstrap from a:1: <reason>`` (one address) or ``unable to bootstrap
    from a:1, b:2 (a:1: <reason>; b:2: <reason>)``: each address's last error."""
    parts = [f"{where}: {_reason(exc)}" for where, exc in reasons.items()]
    if len(parts) == 1:
        return f"unable to bootstrap from {parts[0]}"
    return f"unable to bootstrap from {', '.join(reasons)} ({'; '.join(parts)})"


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, KafkaConnectionError) and exc.args:
        text = str(exc.args[0])  # the address is in the text already; drop the class name
    elif not isinstance(exc, KafkaError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


def _parse_bootstrap(servers: str | Iterable[str]) -> list[tuple[str, int]]:
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    addresses = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        host = host if sep else item
        addresses.append((host.strip("[]"), int(port) if sep else 9092))
    if not addresses:
        raise ValueError("bootstrap_servers names no address")
    return addresses


class AIOKafkaClient:
    """The low-level client producers, consumers and the admin client are built on.

    aiokafka's constructor names and defaults; ``loop`` and ``api_version`` are accepted and
    ignored (versions are negotiated per connection; like aiokafka's client, and unlike its
    producer and consumer, ``loop`` does not warn). Added: connection_setup_timeout_ms
    (the whole connect: TCP, TLS, ApiVersions, SASL; Java's default 10 s),
    reconnect_backoff_ms / reconnect_backoff_max_ms (KIP-601; a cap below the base means a
    constant base) and max_in_flight_requests (per connection).

    Numeric arguments are checked against their legal range (``ClientConfig``'s shared
    ranges, then ``_RANGES``; Java's, with ``request_timeout_ms`` and
    ``connection_setup_timeout_ms`` at least 1, since 0 would fail every request and
    connect; ``connections_max_idle_ms`` <= 0 never closes an idle connection):
    ``KafkaConfigurationError`` (a ``ValueError``) names the argument. Producers,
    consumers and the admin client build theirs with ``from_config`` from settings they
    checked against their own ranges.
    Topics a Metadata answer refuses for good (INVALID_TOPIC_EXCEPTION,
    TOPIC_AUTHORIZATION_FAILED) are reported by ``cluster.topic_error(topic)``;
    ``_wait_on_metadata`` (aiokafka's name) raises them at once.
    """

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        bootstrap_servers: str | Iterable[str] = "localhost",
        client_id: str = _DEFAULT_CLIENT_ID,
        metadata_max_age_ms: int = 300000,
        request_timeout_ms: int = 40000,
        retry_backoff_ms: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        security_protocol: str = "PLAINTEXT",
        api_version: str = "auto",
        connections_max_idle_ms: int = 540000,
        sasl_mechanism: str = "PLAIN",
        sasl_plain_username: str | None = None,
        sasl_plain_password: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: AbstractTokenProvider | None = None,
        connection_setup_timeout_ms: int = _CONNECTION_SETUP_TIMEOUT_MS,
        reconnect_backoff_ms: int = _RECONNECT_BACKOFF_MS,
        reconnect_backoff_max_ms: int = _RECONNECT_BACKOFF_MAX_MS,
        max_in_flight_requests: int = _MAX_IN_FLIGHT_REQUESTS,
    ) -> None:
        # aiokafka accepts ``loop`` here without a warning (its producer and consumer warn);
        # it is unused: the running loop is taken at bootstrap. Versions are negotiated.
        del loop, api_version
        given = locals()
        config = ClientConfig.create(given)  # the shared numbers first, in CLIENT_BOUNDS' order
        for name, bounds in _RANGES.items():
            check_range(name, given[name], **bounds)
        self._setup(
            config, client_id, connection_setup_timeout_ms, reconnect_backoff_ms,
            reconnect_backoff_max_ms, max_in_flight_requests,
        )  # fmt: skip

    @classmethod
    def from_config(
        cls, config: ClientConfig, default_client_id: str | None = None
    ) -> AIOKafkaClient:
        """A client for connection settings a producer, consumer or admin client has
        checked already (``ClientConfig.create``, with its own ranges): they are not checked
        again. ``client_id`` falls back to ``default_client_id``, then to the client's
        default; the client's own settings (connection setup timeout, reconnect backoff,
        in-flight requests) take their defaults."""
        client = cls.__new__(cls)
        client_id = config.client_id or default_client_id or _DEFAULT_CLIENT_ID
        client._setup(
            config, client_id, _CONNECTION_SETUP_TIMEOUT_MS, _RECONNECT_BACKOFF_MS,
            _RECONNECT_BACKOFF_MAX_MS, _MAX_IN_FLIGHT_REQUESTS,
        )  # fmt: skip
        return client

    def _setup(
        self,
        config: ClientConfig,
        client_id: str,
        connection_setup_timeout_ms: int,
        reconnect_backoff_ms: int,
        reconnect_backoff_max_ms: int,
        max_in_flight_requests: int,
    ) -> None:
        request_timeout_ms = config.request_timeout_ms
        self._bootstrap = _parse_bootstrap(config.bootstrap_servers)
        self._config = ConnectionConfig(
            client_id=client_id, security_protocol=config.security_protocol,
            ssl_context=config.ssl_context, sasl_mechanism=config.sasl_mechanism,
            sasl_plain_username=config.sasl_plain_username,
            sasl_plain_password=config.sasl_plain_password,
            sasl_kerberos_service_name=config.sasl_kerberos_service_name,
            sasl_kerberos_domain_name=config.sasl_kerberos_domain_name,
            sasl_oauth_token_provider=config.sasl_oauth_token_provider,
            request_timeout_ms=request_timeout_ms,
            connections_max_idle_ms=config.connections_max_idle_ms,
            connect_timeout_ms=min(connection_setup_timeout_ms, request_timeout_ms),
            max_in_flight_requests=max_in_flight_requests,
        ).validate()  # fmt: skip
        self.client_id = client_id
        self._request_timeout_ms = request_timeout_ms
        self._retry_backoff = config.retry_backoff
        self.cluster = ClusterMetadata(
            metadata_max_age_ms=config.metadata_max_age_ms,
            retry_backoff_ms=config.retry_backoff_ms,
        )
        # a cap below the base means a constant base delay (as Java's client adjusts it)
        self._backoff = ReconnectBackoff(
            reconnect_backoff_ms, max(reconnect_backoff_ms, reconnect_backoff_max_ms)
        )
        self._conns: dict[tuple[int, ConnectionGroup], BrokerConnection] = {}
        self._conn_locks: dict[tuple[int, ConnectionGroup], asyncio.Lock] = {}
        self._failures: dict[int, int] = {}
        self._next_attempt: dict[int, float] = {}
        self._last_error: dict[int, BaseException] = {}
        self._topics: set[str] = set()
        self._md_task: asyncio.Task[None] | None = None
        self._md_event: asyncio.Event | None = None
        self._md_future: asyncio.Future[bool] | None = None
        self.metadata_requests = 0
        self._coordinator_lookup = CoordinatorLookup(
            ready_node=self._any_ready_node,
            version_for=self.api_version_for,
            send=self._send_late,
            found=self.cluster.add_coordinator,
            request_timeout=config.request_timeout,
            retry_backoff=self._retry_backoff,
        )
        self._closed = False
        self.metrics: Metrics | None = None
        self._api_sensors: dict[int, Sensor] = {}
        self._loop_probe: LoopProbe | None = None

    # ---- metrics -----------------------------------------------------------------------
    def attach_metrics(
        self, registry: Metrics, api_sensors: Mapping[int, SensorSpec] | None = None
    ) -> None:
        """Record connection metrics (bytes, requests, latency per node and per API,
        connections, event-loop lag) into ``registry``, the owning client's: connections
        opened from now on record into it. ``api_sensors``: api key -> a sensor of the
        owner's that each answer's latency (ms) also feeds."""
        from aiokafka_gen.metrics import catalogue

        self.metrics = registry
        self._api_sensors = {
            key: registry.sensor(spec) for key, spec in (api_sensors or {}).items()
        }
        registry.gauge(catalogue.CONNECTION_COUNT, self._connection_count)
        self._loop_probe = LoopProbe(registry)

    def _connection_count(self) -> float:
        return float(sum(1 for conn in self._conns.values() if conn.connected()))

    def _new_connection(self, host: str, port: int, node_id: int | None) -> BrokerConnection:
        conn = BrokerConnection(host, port, self._config, node_id=node_id)
        if self.metrics is not None:
            node = -1 if node_id is None else node_id
            conn.metrics = ConnectionMetrics(self.metrics, node, self._api_sensors)
        return conn

    # ---- lifecycle ---------------------------------------------------------------------
    async def bootstrap(self) -> None:
        """Fetch metadata from the first bootstrap address that answers; start refreshing.

        An address that does not answer, answers garbage or is a listener of another
        security_protocol (no TLS, no SASL, or not the configured SASL mechanism) is skipped.
        When every address failed: ``KafkaConnectionError("unable to bootstrap from
        host:port: <reason>; hint: ...")`` with the last reason per address and, when the
        failure is the sign of a security_protocol that does not match the listener, a
        hint; the last error is its ``__cause__``. A refused authentication (wrong
        credentials) raises its broker error (``SaslAuthenticationFailed``) at once."""
        reasons: dict[str, BaseException] = {}
        last: BaseException | None = None
        for host, port in self._bootstrap:
            try:
                await self._bootstrap_from(host, port)
                break
            except _BOOTSTRAP_SKIPS as exc:
                # A server that answers garbage is skipped like one that does not answer.
                log.info("bootstrap from %s:%d failed: %s", host, port, exc)
                reasons[f"{host}:{port}"] = last = exc
        else:
            raise _bootstrap_error(reasons) from last
        if self._loop_probe is not None:
            self._loop_probe.start()
        if self._md_task is None:
            self._md_event = asyncio.Event()
            self._md_task = asyncio.get_running_loop().create_task(
                self._md_loop(), name="aiokafka_gen-metadata"
            )

    async def _bootstrap_from(self, host: str, port: int) -> None:
        conn = self._new_connection(host, port, None)
        try:
            await conn.connect()
            self.cluster.refresh_attempted()
            response = await conn.send(self._metadata_request(conn))
            self.metadata_requests += 1
            self.cluster.update_metadata(response)
        finally:
            await conn.close()

    async def close(self) -> None:
        """Stop the refresh task and close every connection (idempotent). A connection
        still being set up is closed when it gets ready; no new one is opened after this
        (KafkaConnectionError)."""
        self._closed = True
        if self._loop_probe is not None:
            self._loop_probe.stop()
        tasks = [t for t in (self._md_task, self._coordinator_lookup.close()) if t is not None]
        self._md_task = None
        for task in tasks:
            task.cancel()
        conns, self._conns = list(self._conns.values()), {}
        closing = [asyncio.ensure_future(c.close()) for c in conns]
        try:
            await asyncio.shield(asyncio.gather(*tasks, *closing, return_exceptions=True))
        finally:
            self._coordinator_lookup.fail_pending()
            if self._md_future is not None and not self._md_future.done():
                self._md_future.set_result(False)

    async def __aenter__(self) -> AIOKafkaClient:
        await self.bootstrap()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ---- the pool ----------------------------------------------------------------------
    async def ready(
        self, node_id: int, *, group: ConnectionGroup = ConnectionGroup.DEFAULT
    ) -> bool:
        """Is there (or can we open now) a ready connection to ``node_id``?"""
        try:
            await self._get_conn(node_id, group)
        except (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError):
            return False
        return True

    async def _get_conn(self, node_id: int, group: ConnectionGroup) -> BrokerConnection:
        key = (node_id, group)
        conn = self._conns.get(key)
        if conn is not None and conn.connected():
            return conn
        async with self._conn_locks.setdefault(key, asyncio.Lock()):
            return await self._get_conn_locked(node_id, key)

    async def _get_conn_locked(
        self, node_id: int, key: tuple[int, ConnectionGroup]
    ) -> BrokerConnection:
        conn = self._conns.get(key)
        if conn is not None and conn.connected():
            return conn
        self._refuse_when_closed()  # before anything: no metadata refresh for a closed client
        self._conns.pop(key, None)
        self._check_backoff(node_id)
        broker = self.cluster.broker_metadata(node_id)
        if broker is None:
            self.force_metadata_update()
            raise NodeNotReadyError(f"node {node_id} is not in the cluster metadata")
        conn = self._new_connection(broker.host, broker.port, node_id)
        try:
            await conn.connect()
        except (KafkaConnectionError, KafkaTimeoutError) as exc:
            self._record_failure(node_id, exc)
            raise
        if self._closed:  # close() ran while this one was connecting: it never saw it
            await conn.close()
            self._refuse_when_closed()
        self._failures.pop(node_id, None)
        self._conns[key] = conn
        return conn

    def _refuse_when_closed(self) -> None:
        if self._closed:
            raise KafkaConnectionError("the client is closed")

    def _check_backoff(self, node_id: int) -> None:
        wait = self._next_attempt.get(node_id, 0.0) - asyncio.get_running_loop().time()
        if wait > 0:
            reason = self._last_error.get(node_id)
            raise NodeNotReadyError(f"node {node_id}: reconnect backoff ({wait:.3f} s left)") from (
                reason
            )

    def _record_failure(self, node_id: int, exc: BaseException) -> None:
        failures = self._failures.get(node_id, 0) + 1
        self._failures[node_id] = failures
        self._last_error[node_id] = exc
        delay = self._backoff.delay(failures)
        self._next_attempt[node_id] = asyncio.get_running_loop().time() + delay
        self.force_metadata_update()

    # ---- requests ----------------------------------------------------------------------
    async def send(
        self,
        node_id: int,
        request: Request[R],
        *,
        group: ConnectionGroup = ConnectionGroup.DEFAULT,
        api_version: int | None = None,
        request_timeout_ms: float | None = None,
    ) -> R:
        """Send ``request`` to ``node_id`` at the negotiated version (or ``api_version``).

        Returns the response message, typed by the request (``send(node, MetadataRequest())``
        is a ``MetadataResponse``; a ``ProduceRequest`` answers ``ProduceResponse | None``,
        None for acks=0). A lost connection raises
        KafkaConnectionError and schedules a metadata refresh."""
        try:
            conn = await self._get_conn(node_id, group)
        except (KafkaConnectionError, KafkaTimeoutError) as exc:
            raise NodeNotReadyError(f"node {node_id} is not ready") from exc
        timeout = None if request_timeout_ms is None else request_timeout_ms / 1000.0
        try:
            return await conn.send(request, api_version=api_version, timeout=timeout)
        except (KafkaConnectionError, KafkaTimeoutError):
            self.force_metadata_update()
            raise

    def _send_late(self, node_id: int, request: Request[R]) -> Awaitable[R]:
        """``self.send`` looked up at each call (a wrapper or a test may replace it)."""
        return self.send(node_id, request)

    def api_version_for(self, node_id: int, api_key: int) -> int | None:
        """The version negotiated with ``node_id``'s open connection, if any."""
        for (node, _), conn in self._conns.items():
            if node == node_id and conn.versions is not None:
                return conn.versions.version_for(api_key)
        return None

    def get_random_node(self) -> int | None:
        brokers = list(self.cluster.brokers())
        return random.choice(brokers).nodeId if brokers else None

    def _ordered_nodes(self) -> list[int]:
        connected = [n for (n, g), c in self._conns.items() if c.connected()]
        others = [b.nodeId for b in self.cluster.brokers() if b.nodeId not in connected]
        random.shuffle(others)
        return list(dict.fromkeys(connected + others))

    # ---- metadata ----------------------------------------------------------------------
    def _metadata_request(
        self, conn: BrokerConnection, topics: Iterable[str] = ()
    ) -> MetadataRequest:
        names = sorted(topics)
        assert conn.versions is not None
        version = conn.versions.version_for(_METADATA)
        wanted = [MetadataRequestTopic(name=n) for n in names] if names or version == 0 else None
        return MetadataRequest(topics=wanted, allow_auto_topic_creation=bool(names))

    def report_error(self, error: BaseException | int) -> bool:
        """Tell the client about an error seen in a response (an exception or an error
        code); errors that mean stale metadata (NOT_LEADER, UNKNOWN_TOPIC, disconnects...)
        force a refresh, coalesced with every other. True if a refresh was requested."""
        kind = for_code(error) if isinstance(error, int) else type(error)
        if not getattr(kind, "invalid_metadata", False):
            return False
        self.force_metadata_update()
        return True

    def force_metadata_update(self) -> asyncio.Future[bool]:
        """Ask for a refresh; calls before the refresh starts share one future and request."""
        if self._md_future is None or self._md_future.done():
            self._md_future = asyncio.get_running_loop().create_future()
            if self._md_event is not None and not self._closed:
                self._md_event.set()
            else:
                self._md_future.set_result(False)  # not bootstrapped (or closed): no refresh
        return self._md_future

    async def _md_loop(self) -> None:
        assert self._md_event is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.cluster.ttl() / 1000.0):
                    await self._md_event.wait()
            self._md_event.clear()
            waiter, self._md_future = self._md_future, None
            try:
                ok = await self._refresh_metadata()
            except Exception as exc:  # a bug must not end refreshing for good
                log.exception("metadata refresh failed unexpectedly")
                self.cluster.failed_update(exc)
                ok = False
            if waiter is not None and not waiter.done():
                waiter.set_result(ok)
            await asyncio.sleep(self._retry_backoff)

    async def _refresh_metadata(self) -> bool:
        self.cluster.refresh_attempted()
        for node_id in self._ordered_nodes():
            try:
                conn = await self._get_conn(node_id, ConnectionGroup.DEFAULT)
                response = await conn.send(self._metadata_request(conn, self._topics))
            except KafkaError as exc:
                log.debug("metadata from node %d failed: %s", node_id, exc,
                          extra={"node_id": node_id})  # fmt: skip
                continue
            self.metadata_requests += 1
            self.cluster.update_metadata(response)
            return True
        return await self._refresh_from_bootstrap()

    async def _refresh_from_bootstrap(self) -> bool:
        for host, port in self._bootstrap:
            with contextlib.suppress(KafkaError, OSError):
                await self._bootstrap_from(host, port)
                return True
        self.cluster.failed_update(KafkaConnectionError("no broker answered Metadata"))
        return False

    async def fetch_all_metadata(self) -> ClusterMetadata:
        """A fresh ClusterMetadata with every topic (the client's own view is untouched)."""
        for node_id in self._ordered_nodes():
            with contextlib.suppress(KafkaError):
                conn = await self._get_conn(node_id, ConnectionGroup.DEFAULT)
                response = await conn.send(self._metadata_request(conn))
                self.metadata_requests += 1
                fresh = ClusterMetadata()
                fresh.update_metadata(response)
                return fresh
        raise KafkaConnectionError("no broker answered Metadata")

    def add_topic(self, topic: str) -> asyncio.Future[bool]:
        """Track ``topic``; refreshes metadata when it is new."""
        return self.set_topics(self._topics | {topic})

    def set_topics(self, topics: Iterable[str]) -> asyncio.Future[bool]:
        """Track exactly ``topics``; refreshes metadata when a topic is unknown yet."""
        wanted = set(topics)
        changed = bool(self.cluster.missing_topics(wanted)) or not wanted <= self._topics
        self._topics = wanted
        if changed:
            return self.force_metadata_update()
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(True)
        return done

    async def _wait_on_metadata(self, topic: str) -> set[int]:
        """The partitions of ``topic``, refreshing metadata until they are known (aiokafka's
        helper, same name). ``InvalidTopicError`` / ``TopicAuthorizationFailedError`` as
        soon as a fresh Metadata response refuses the topic for good;
        ``UnknownTopicOrPartitionError`` after ``request_timeout_ms``."""
        partitions = self.cluster.partitions_for_topic(topic)
        if partitions:
            return partitions
        try:
            async with asyncio.timeout(self._request_timeout_ms / 1000.0):
                while True:
                    if self._closed:
                        raise KafkaConnectionError("the client is closed")
                    refreshed = await self.add_topic(topic)
                    partitions = self.cluster.partitions_for_topic(topic)
                    if partitions:
                        return partitions
                    error = self.cluster.topic_error(topic) if refreshed else None
                    if error is not None:
                        raise error
                    await asyncio.sleep(self._retry_backoff)
        except TimeoutError:
            raise for_code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)(
                f"topic {topic!r} not in metadata after request_timeout_ms"
                f" ({self._request_timeout_ms} ms)"
            ) from None

    @property
    def retry_backoff(self) -> float:
        """Seconds to wait before retrying a failed request (``retry_backoff_ms``)."""
        return self._retry_backoff

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._topics)

    # ---- coordinators ------------------------------------------------------------------
    async def coordinator_lookup(self, coordinator_type: int, coordinator_key: str) -> int:
        """The node id of the coordinator for ``coordinator_key`` (cached); retriable errors
        (coordinator not available yet, ...) are retried within the request timeout."""
        return await self._coordinator_lookup.lookup(coordinator_type, coordinator_key)

    def coordinator_error(self, coordinator_type: int, coordinator_key: str, code: int) -> bool:
        """Forget a cached coordinator after NOT_COORDINATOR-like errors; True if dropped."""
        return self._coordinator_lookup.error(coordinator_type, coordinator_key, code)

    def invalidate_coordinator(self, coordinator_type: int, coordinator_key: str) -> bool:
        return self._coordinator_lookup.invalidate(coordinator_type, coordinator_key)

    async def _any_ready_node(self) -> int:
        for node_id in self._ordered_nodes():
            if await self.ready(node_id):
                return node_id
        self.force_metadata_update()
        raise NodeNotReadyError("no broker is reachable")

    # ---- repr --------------------------------------------------------------------------
    def __repr__(self) -> str:
        state = "closed" if self._closed else ("running" if self._md_task else "new")
        conns = ", ".join(
            f"{node}/{group.name.lower()}:{conn.state.name.lower()}"
            for (node, group), conn in sorted(self._conns.items())
        )
        boot = ",".join(f"{h}:{p}" for h, p in self._bootstrap)
        return (
            f"<AIOKafkaClient {state} bootstrap={boot} {self._config.security_protocol}"
            f" cluster_id={self.cluster.cluster_id!r} brokers={len(self.cluster.brokers())}"
            f" topics={len(self._topics)} connections=[{conns}]>"
        )
