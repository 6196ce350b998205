"""KIP-714 client telemetry: push a client's metrics to the cluster when a broker asks.

One :class:`TelemetryReporter` per client (producer, consumer, admin), over the client's
:class:`~aiokafka_gen.client.AIOKafkaClient` and its :class:`~aiokafka_gen.metrics.Metrics`
registry. It runs one asyncio task:

1. ``GetTelemetrySubscriptions`` with the zero UUID; the broker assigns the client instance
   id (used in every later request, to any broker) and answers the subscription: metric
   name prefixes, push interval, accepted compression types, the size limit and the
   temporality of sums.
2. When metrics are requested, ``PushTelemetry`` of the matching metrics, first after the
   interval times a random factor in [0.5, 1.5) (so clients restarted together spread
   out), then every interval. When none are requested, the subscription is asked for again
   after the interval.
3. ``close(timeout)``: one last push with ``Terminating=true`` (only when a subscription
   with metrics is held, as Java's client), then stop.

Behaviour on errors (as Java's client; nothing is raised into the application, every log
line names the client as all client log lines do: ``[client-id] ...`` plus the record's
``client_id`` / ``client_kind``):

- UNKNOWN_SUBSCRIPTION_ID (the subscription changed): ask for the subscription again at once;
  UNSUPPORTED_COMPRESSION_TYPE: the same, and stop using that codec.
- THROTTLING_QUOTA_EXCEEDED, TELEMETRY_TOO_LARGE: this push is dropped (its deltas are kept
  for the next one); the subscription is asked again after one interval.
- INVALID_REQUEST, INVALID_RECORD, UNSUPPORTED_VERSION, and any other error code: telemetry
  off for the client's life, with a warning.
- A broker without the APIs (Kafka before 3.7, or a broker without a telemetry plugin: it
  does not advertise ApiVersions keys 71/72): telemetry off for the client's life, quietly
  (a debug line).
- No broker ready, a lost connection, a request timeout: retry after 1 s, doubling up to the
  push interval (5 minutes before any subscription), +-20 %; the subscription is asked again.
- A response's ``throttle_time_ms`` (a broker quota) delays the next request by that much.

Metric names on the wire (Java's ``ClientTelemetryReporter`` naming, KIP-714 "Metrics naming
and format"): ``org.apache.kafka.`` + the group lower-cased with ``-`` as ``.`` and every
``.metrics`` removed + ``.`` + the name lower-cased with ``-`` as ``.``. So
``record-send-rate`` in ``producer-metrics`` is ``org.apache.kafka.producer.record.send.rate``,
``request-latency-avg`` in ``producer-node-metrics`` is
``org.apache.kafka.producer.node.request.latency.avg`` and ``records-lag`` in
``consumer-fetch-manager-metrics`` is ``org.apache.kafka.consumer.fetch.manager.records.lag``.
Tags become data-point attributes, keys lower-cased with ``-`` as ``_`` (``node-id`` ->
``node_id``); ``client-id`` is left out (the broker knows it from the request header).
Requested names are prefixes of these names; a single ``"*"`` requests every metric.

Types: ``total`` and ``count`` statistics (Java's ``CumulativeSum`` / ``CumulativeCount``)
are monotonic OTLP sums, cumulative (start time: when the reporter first saw the metric) or
delta (the change since the last successful push) as the subscription's DeltaTemporality
says; everything else (rates, averages, maxima, values, percentiles, gauges) is an OTLP
gauge of a double. Resource attributes are the ``resource_attributes`` given (Java sets
``transactional_id`` for a producer, ``group_id`` / ``group_instance_id`` /
``group_member_id`` for a consumer, ``client_rack`` for any client). All metrics go into one
``ResourceMetrics`` / ``ScopeMetrics`` (Java writes one ResourceMetrics per metric: the same
data, repeated resource).

Differences from Java's client, on purpose: a delta is committed only when its push
succeeded (a failed or dropped push is not lost, the next delta covers it); a payload over
TelemetryMaxBytes (compressed or not: the broker checks both) is cut to fit, dropping the
metrics whose names sort last, with a warning, rather than sent to be refused; after a
transport failure Java waits 5 minutes, this waits 1 s doubling up to the push interval.

The encoder is :mod:`._otlp` (hand-written, stdlib only). This module is not imported by
``aiokafka_gen.metrics`` itself; it imports the stdlib-only client logger and its two generated
messages at import time, the record codecs and the error classes lazily, inside functions;
the client appears only in type annotations (the metrics-is-a-leaf import contract holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen._logging import client_logger
from aiokafka_gen.messages.get_telemetry_subscriptions_request import (
    GetTelemetrySubscriptionsRequest,
)
from aiokafka_gen.messages.push_telemetry_request import PushTelemetryRequest

from ._core import MetricName, Metrics
from ._otlp import CUMULATIVE, DELTA, OtlpPoint, encode_metric, encode_metrics_data

if TYPE_CHECKING:
    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.protocol._message import Request

R = TypeVar("R")

__all__ = [
    "DEFAULT_PUSH_INTERVAL",
    "Subscription",
    "TelemetryReporter",
    "TelemetryState",
    "otlp_attributes",
    "otlp_metric_name",
]

log = client_logger("aiokafka_gen.metrics.telemetry")

#: Java's ClientTelemetryReporter.DEFAULT_PUSH_INTERVAL_MS (seconds here): used when the
#: broker answers an interval <= 0, and as the wait after errors before any subscription.
DEFAULT_PUSH_INTERVAL = 300.0
#: First retry after a transport failure; doubles per failure up to the push interval.
RETRY_BASE = 1.0
#: The jitter of the first push after a (new) subscription (KIP-714).
JITTER_LOW, JITTER_HIGH = 0.5, 1.5
DOMAIN = "org.apache.kafka"
#: Statistics sent as OTLP monotonic sums (Java's CumulativeSum and CumulativeCount).
SUM_STATS = frozenset({"total", "count"})
_EXCLUDED_LABELS = frozenset({"client_id"})
_ZERO_UUID = uuid.UUID(int=0)
_API_VERSIONS = 18


class TelemetryState(enum.Enum):
    """Where the reporter is (a subset of Java's ClientTelemetryState: requests in flight
    are the task's business, not a state)."""

    SUBSCRIPTION_NEEDED = "subscription-needed"
    PUSH_NEEDED = "push-needed"
    TERMINATED = "terminated"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A GetTelemetrySubscriptions answer, checked (interval in seconds)."""

    client_instance_id: uuid.UUID
    subscription_id: int
    push_interval: float
    accepted_compression_types: tuple[int, ...]
    telemetry_max_bytes: int
    delta_temporality: bool
    requested_metrics: tuple[str, ...]

    @property
    def wants_any(self) -> bool:
        return bool(self.requested_metrics)

    def wants(self, otlp_name: str) -> bool:
        """Does the subscription request the metric called ``otlp_name`` (Java's selector:
        nothing for an empty list, everything for a single ``"*"``, else prefixes)?"""
        requested = self.requested_metrics
        if requested == ("*",):
            return True
        return any(otlp_name.startswith(prefix) for prefix in requested)


def otlp_metric_name(name: MetricName) -> str:
    """The KIP-714 name of a metric: ``org.apache.kafka.<group>.<name>`` (see the module
    docstring for the rule)."""
    group = name.group.lower().replace("-", ".").replace(".metrics", "")
    return f"{DOMAIN}.{group}.{name.name.lower().replace('-', '.')}"


def otlp_attributes(tags: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A metric's tags as OTLP attributes: keys lower-cased, ``-`` -> ``_``, no client id."""
    out = []
    for key, value in tags.items():
        clean = key.lower().replace("-", "_")
        if clean not in _EXCLUDED_LABELS:
            out.append((clean, value))
    return tuple(out)


class TelemetryReporter:
    """Pushes ``registry``'s metrics to the cluster over ``client`` when subscribed (KIP-714).

    ``client_kind`` (``"producer"``, ``"consumer"``, ``"admin"``...) is used in logs.
    ``resource_attributes`` are sent as the OTLP resource (see the module docstring for the
    keys Java's clients use); :meth:`set_resource_attribute` changes one later (a consumer's
    ``group_member_id`` once it has joined).

    Call :meth:`start` once the client has bootstrapped, :meth:`close` before closing the
    client. Nothing here raises into the application: errors are logged with the client id.
    """

    def __init__(
        self,
        client: AIOKafkaClient,
        registry: Metrics,
        *,
        client_kind: str,
        resource_attributes: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        self._registry = registry
        self.client_kind = client_kind
        self._log_extra = {"client_id": self.client_id, "client_kind": client_kind}
        self._resource: dict[str, str] = dict(resource_attributes or {})
        self.state = TelemetryState.SUBSCRIPTION_NEEDED
        self.subscription: Subscription | None = None
        self._instance_id: uuid.UUID | None = None
        self._due = 0.0  # loop time when the next request is due
        self._throttled_until = 0.0  # a response's throttle_time_ms, as loop time
        self._failures = 0
        self._node: int | None = None
        self._bad_codecs: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._loaded = asyncio.Event()  # set once a subscription arrived, or when off
        self._closed = False
        self._rng = random.Random()
        # sums: when first seen (ns; the cumulative start) and the last pushed value/time
        self._born = time.time_ns()
        self._first_seen: dict[MetricName, int] = {}
        self._last_pushed: dict[MetricName, tuple[float, int]] = {}
        self._last_collect = self._born
        #: Successful pushes (terminating included) and the last error code seen: for
        #: tests and logs.
        self.pushes = 0
        self.last_error: int | None = None

    # ---- public ------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        return str(getattr(self._client, "client_id", "?"))

    def start(self) -> None:
        """Start the reporter's task on the running loop (once; later calls do nothing)."""
        if self._task is not None or self._closed or self.state is TelemetryState.DISABLED:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"aiokafka_gen-telemetry-{self.client_id}"
        )

    async def close(self, timeout: float) -> None:
        """Stop; before that, one terminating push (within ``timeout`` seconds) when a
        subscription with metrics is held. Never raises on broker or connection errors."""
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            if (
                timeout > 0
                and self.state is TelemetryState.PUSH_NEEDED
                and self.subscription is not None
            ):
                async with asyncio.timeout(timeout):
                    await self._push(self.subscription, terminating=True)
        except TimeoutError:
            self._log(logging.DEBUG, "terminating telemetry push timed out")
        except Exception:
            self._log(logging.WARNING, "terminating telemetry push failed", exc_info=True)
        finally:
            if self.state is not TelemetryState.DISABLED:
                self.state = TelemetryState.TERMINATED
            self._loaded.set()

    async def client_instance_id(self, timeout: float) -> uuid.UUID | None:
        """The client instance id the broker assigned (Java's ``clientInstanceId()``):
        waits up to ``timeout`` seconds for the first subscription; None when there is
        none by then, or telemetry is off."""
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout!r}")
        if self._instance_id is None and not self._loaded.is_set() and timeout > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._loaded.wait()
        return self._instance_id

    def set_resource_attribute(self, key: str, value: str | None) -> None:
        """Set (or, with None, remove) one resource attribute of the next pushes."""
        if value is None:
            self._resource.pop(key, None)
        else:
            self._resource[key] = value

    @property
    def enabled(self) -> bool:
        return self.state in (TelemetryState.SUBSCRIPTION_NEEDED, TelemetryState.PUSH_NEEDED)

    # ---- the task ----------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.enabled:
                delay = max(self._due, self._throttled_until) - loop.time()
                if delay > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._wake.wait()
                    continue
                if self.state is TelemetryState.PUSH_NEEDED and self.subscription is not None:
                    await self._push(self.subscription, terminating=False)
                else:
                    await self._fetch_subscription()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not end in a busy loop or reach the app
            self._log(logging.WARNING, "client telemetry failed; turned off", exc_info=True)
            self._disable()

    async def _fetch_subscription(self) -> None:
        request = GetTelemetrySubscriptionsRequest(
            client_instance_id=self._instance_id or _ZERO_UUID
        )
        response = await self._send(request)
        if response is None:
            return
        now = asyncio.get_running_loop().time()
        if response.error_code:
            self._on_error(response.error_code, "GetTelemetrySubscriptions", now)
            return
        self._failures = 0
        instance_id: uuid.UUID | None = response.client_instance_id
        if instance_id == _ZERO_UUID:
            instance_id = self._instance_id  # the KIP allows "0 if you sent one"
        if instance_id is None:
            self._log(logging.WARNING, "broker assigned no client instance id; telemetry off")
            self._disable()
            return
        interval_ms = response.push_interval_ms
        if interval_ms <= 0:
            self._log(logging.DEBUG, "push interval %d ms refused, using the default", interval_ms)
        subscription = Subscription(
            client_instance_id=instance_id,
            subscription_id=response.subscription_id,
            push_interval=interval_ms / 1000.0 if interval_ms > 0 else DEFAULT_PUSH_INTERVAL,
            accepted_compression_types=tuple(response.accepted_compression_types),
            telemetry_max_bytes=response.telemetry_max_bytes,
            delta_temporality=response.delta_temporality,
            requested_metrics=tuple(response.requested_metrics),
        )
        old = self.subscription
        if old is not None and old.delta_temporality != subscription.delta_temporality:
            self._first_seen.clear()
            self._last_pushed.clear()
        self._instance_id = instance_id
        self.subscription = subscription
        self._loaded.set()
        if subscription.wants_any:
            self.state = TelemetryState.PUSH_NEEDED
            jitter = self._rng.uniform(JITTER_LOW, JITTER_HIGH)
            self._due = now + subscription.push_interval * jitter
        else:
            self.state = TelemetryState.SUBSCRIPTION_NEEDED
            self._due = now + subscription.push_interval
        self._log(
            logging.DEBUG, "telemetry subscription %d (instance %s): every %.3f s, metrics %s",
            subscription.subscription_id, instance_id, subscription.push_interval,
            list(subscription.requested_metrics),
        )  # fmt: skip

    async def _push(self, subscription: Subscription, *, terminating: bool) -> bool:
        payload, codec, commit = self._payload(subscription)
        request = PushTelemetryRequest(
            client_instance_id=subscription.client_instance_id,
            subscription_id=subscription.subscription_id,
            terminating=terminating,
            compression_type=codec,
            metrics=payload,
        )
        response = await self._send(request)
        if response is None:
            return False
        now = asyncio.get_running_loop().time()
        if response.error_code:
            if response.error_code == ErrorCode.UNSUPPORTED_COMPRESSION_TYPE and codec:
                self._bad_codecs.add(codec)
            self._on_error(response.error_code, "PushTelemetry", now)
            return False
        self._failures = 0
        self._last_pushed.update(commit)
        self.pushes += 1
        self._due = now + subscription.push_interval
        return True

    # ---- sending and errors -----------------------------------------------------------
    async def _send(self, request: Request[R]) -> R | None:
        """The response, or None after a transport failure (the retry is scheduled)."""
        from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaError

        node = await self._pick_node()
        if node is None:
            self._transport_failure("no broker is ready")
            return None
        try:
            response = await self._client.send(node, request)
        except IncompatibleBrokerVersion as exc:
            self._log(logging.DEBUG, "client telemetry off: %s", exc)
            self._disable()
            return None
        except (KafkaError, OSError) as exc:
            self._node = None
            self._transport_failure(f"{request.NAME} to node {node} failed: {exc!r}")
            return None
        throttle = getattr(response, "throttle_time_ms", 0)
        if throttle > 0:  # a broker quota: nothing more before it has passed
            self._throttled_until = asyncio.get_running_loop().time() + throttle / 1000.0
        return response

    async def _pick_node(self) -> int | None:
        """The node used last if it is still ready, else a connected one, else any (Java's
        least-loaded node, roughly: an open connection is preferred)."""
        brokers = [b.nodeId for b in self._client.cluster.brokers()]
        connected = [n for n in brokers if self._connected(n)]
        others = [n for n in brokers if n not in connected]
        self._rng.shuffle(others)
        first = [self._node] if self._node in brokers else []
        for node in dict.fromkeys(first + connected + others):
            if await self._client.ready(node):
                self._node = node
                return node
        return None

    def _connected(self, node: int) -> bool:
        from aiokafka_gen.errors import KafkaError

        try:
            return self._client.api_version_for(node, _API_VERSIONS) is not None
        except KafkaError:
            return True

    def _transport_failure(self, reason: str) -> None:
        self._failures += 1
        cap = self.subscription.push_interval if self.subscription else DEFAULT_PUSH_INTERVAL
        delay = min(cap, RETRY_BASE * 2 ** min(self._failures - 1, 30))
        delay *= self._rng.uniform(0.8, 1.2)
        self._log(logging.DEBUG, "telemetry request failed (%s); retry in %.2f s", reason, delay)
        self.state = TelemetryState.SUBSCRIPTION_NEEDED
        self._due = asyncio.get_running_loop().time() + delay

    def _on_error(self, code: int, api: str, now: float) -> None:
        self.last_error = code
        name = _code_name(code)
        if code in (ErrorCode.UNKNOWN_SUBSCRIPTION_ID, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE):
            self._log(logging.DEBUG, "%s answered %s; fetching the subscription", api, name)
            self.state = TelemetryState.SUBSCRIPTION_NEEDED
            self._due = now
        elif code in (ErrorCode.THROTTLING_QUOTA_EXCEEDED, ErrorCode.TELEMETRY_TOO_LARGE):
            interval = self.subscription.push_interval if self.subscription else None
            self._log(logging.DEBUG, "%s answered %s; next try in one interval", api, name)
            self.state = TelemetryState.SUBSCRIPTION_NEEDED
            self._due = now + (interval or DEFAULT_PUSH_INTERVAL)
        else:
            self._log(logging.WARNING, "%s answered %s; client telemetry off", api, name)
            self._disable()

    def _disable(self) -> None:
        self.state = TelemetryState.DISABLED
        self._loaded.set()
        self._wake.set()

    def _log(self, level: int, msg: str, *args: object, exc_info: bool = False) -> None:
        """Log with the client's id and kind (``[client-id] message`` and the record's
        ``client_id`` / ``client_kind``, as every client log line)."""
        log.log(level, msg, *args, exc_info=exc_info, extra=self._log_extra)

    # ---- payload ------------------------------------------------------------------------
    def _payload(
        self, subscription: Subscription
    ) -> tuple[bytes, int, dict[MetricName, tuple[float, int]]]:
        """(bytes, compression type, the delta ledger to commit when the push succeeds)."""
        points, commit = self._collect(subscription)
        if not points:  # as Java: an empty push (the broker exports nothing)
            return b"", 0, commit
        resource = sorted(self._resource.items())
        encoded = [(encode_metric(p), n) for p, n in points]
        limit = subscription.telemetry_max_bytes
        raw = encode_metrics_data(resource, [m for m, _ in encoded])
        if limit > 0 and len(raw) > limit:
            raw, kept = _fit(resource, encoded, limit)
            self._log(
                logging.WARNING,
                "telemetry payload over TelemetryMaxBytes (%d): %d of %d metrics dropped",
                limit, len(encoded) - kept, len(encoded),
            )  # fmt: skip
            sent = {n for _, n in encoded[:kept]}
            commit = {k: v for k, v in commit.items() if k in sent}
        codec = self._codec(subscription)
        if codec and raw:
            from aiokafka_gen.records.codecs import compress

            try:
                packed = compress(codec, raw)
            except Exception as exc:
                self._log(logging.DEBUG, "compression %d failed (%r); not compressing", codec, exc)
                self._bad_codecs.add(codec)
            else:
                if limit <= 0 or len(packed) <= limit:
                    return packed, codec, commit
        return raw, 0, commit

    def _codec(self, subscription: Subscription) -> int:
        """The first accepted compression type this install can use (the broker lists them
        in its order of preference), or 0 (none)."""
        from aiokafka_gen.records.codecs import require_codec

        for codec in subscription.accepted_compression_types:
            if codec == 0:
                return 0
            if codec in self._bad_codecs:
                continue
            try:
                require_codec(codec)
            except Exception:
                self._bad_codecs.add(codec)
                continue
            return codec
        return 0

    def _collect(
        self, subscription: Subscription
    ) -> tuple[list[tuple[OtlpPoint, MetricName]], dict[MetricName, tuple[float, int]]]:
        now_ns = time.time_ns()
        stats: dict[MetricName, str] = {}
        for sensor in self._registry.sensors():
            for name, spec in sensor.metric_names:
                stats[name] = spec.stat
        points: list[tuple[OtlpPoint, MetricName]] = []
        commit: dict[MetricName, tuple[float, int]] = {}
        seen: set[MetricName] = set()
        for name, metric in self._registry.metrics().items():
            wire_name = otlp_metric_name(name)
            if not subscription.wants(wire_name):
                continue
            try:
                value = float(metric.metric_value())
            except Exception as exc:
                self._log(logging.DEBUG, "metric %s not read: %r", wire_name, exc)
                continue
            seen.add(name)
            attributes = otlp_attributes(name.tags)
            if stats.get(name) not in SUM_STATS:
                points.append((OtlpPoint(wire_name, value, now_ns, attributes), name))
                continue
            first = self._first_seen.setdefault(name, self._last_collect)
            if subscription.delta_temporality:
                last = self._last_pushed.get(name)
                start = first if last is None else last[1]
                delta = value if last is None else value - last[0]
                if delta < 0:  # the metric was removed and registered again
                    delta, start = value, first
                commit[name] = (value, now_ns)
                point = OtlpPoint(wire_name, delta, now_ns, attributes, start, "sum", DELTA, True)
            else:
                point = OtlpPoint(
                    wire_name, value, now_ns, attributes, first, "sum", CUMULATIVE, True
                )
            points.append((point, name))
        for gone in [n for n in self._first_seen if n not in seen]:
            del self._first_seen[gone]
            self._last_pushed.pop(gone, None)
        self._last_collect = now_ns
        points.sort(key=lambda item: (item[0].name, item[0].attributes))
        return points, commit


def _fit(
    resource: list[tuple[str, str]], encoded: list[tuple[bytes, MetricName]], limit: int
) -> tuple[bytes, int]:
    """The longest prefix of ``encoded`` whose MetricsData fits in ``limit`` bytes."""
    low, high = 0, len(encoded)
    best = encode_metrics_data(resource, [])
    while low < high:  # binary search on the count kept
        mid = (low + high + 1) // 2
        data = encode_metrics_data(resource, [m for m, _ in encoded[:mid]])
        if len(data) <= limit:
            low, best = mid, data
        else:
            high = mid - 1
    return best, low


def _code_name(code: int) -> str:
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"error code {code}"
