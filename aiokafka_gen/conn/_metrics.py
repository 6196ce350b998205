"""What the connection layer records into a client's metrics registry (issue #24).

A ``MetricsOptions`` is the four constructor arguments every client takes (``metrics_enabled``,
``metrics_num_samples``, ``metrics_sample_window_ms``, ``enable_metrics_push``), checked once;
``options.registry(client_id, prefix)`` builds the client's ``Metrics`` (None when off).

``ConnectionMetrics`` is one broker connection's recorder: bytes and requests sent, bytes
and responses read, latency per node and per API, failed requests, connections opened and
closed. The sensors are shared through the registry (every connection of a client records
into the same client-level sensors). All calls happen once per request or response, never
per record. The metrics package is imported when a client with metrics on is created, not
by ``import aiokafka_gen``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiokafka_gen._validate import check_range

if TYPE_CHECKING:
    from aiokafka_gen.metrics import Metrics, Sensor

__all__ = ["ConnectionMetrics", "LoopProbe", "MetricsOptions"]

_INT32_MAX = 2**31 - 1


@dataclasses.dataclass(frozen=True, slots=True)
class MetricsOptions:
    """The metrics settings a client was given (Java's ``metrics.num.samples``,
    ``metrics.sample.window.ms`` and ``enable.metrics.push``, plus an off switch)."""

    enabled: bool = True
    num_samples: int = 2
    sample_window_ms: int = 30000
    push: bool = True

    @classmethod
    def create(cls, options: Mapping[str, Any]) -> MetricsOptions:
        """From a client's keyword arguments (``metrics_*``, ``enable_metrics_push``)."""
        check_range("metrics_num_samples", options["metrics_num_samples"], at_least=1,
                    at_most=_INT32_MAX, integral=True)  # fmt: skip
        check_range("metrics_sample_window_ms", options["metrics_sample_window_ms"],
                    at_least=1, at_most=_INT32_MAX, integral=True)  # fmt: skip
        return cls(
            enabled=bool(options["metrics_enabled"]),
            num_samples=int(options["metrics_num_samples"]),
            sample_window_ms=int(options["metrics_sample_window_ms"]),
            push=bool(options["enable_metrics_push"]),
        )

    def registry(self, client_id: str, prefix: str) -> Metrics | None:
        """The client's registry (``prefix``: producer, consumer or admin-client), or None
        when metrics are off."""
        if not self.enabled:
            return None
        from aiokafka_gen.metrics import MetricConfig, Metrics

        config = MetricConfig(
            sample_window=self.sample_window_ms / 1000.0, num_samples=self.num_samples
        )
        return Metrics(client_id, prefix, config)


class ConnectionMetrics:
    """One connection's recorder; ``node_id`` -1 for a bootstrap connection (Java's
    ``node--1``)."""

    __slots__ = (
        "_api",
        "_errors",
        "_extra",
        "_registry",
        "closed",
        "created",
        "latency",
        "node_received",
        "node_sent",
        "received",
        "sent",
    )

    def __init__(
        self, registry: Metrics, node_id: int, extra: dict[int, Sensor] | None = None
    ) -> None:
        """``extra``: api key -> a client-specific sensor each answer's latency (ms) is
        also recorded into (the consumer's commit, heartbeat, join and sync latencies)."""
        from aiokafka_gen.metrics import catalogue as C

        self._registry = registry
        self._extra = extra or {}
        self.sent = registry.sensor(C.NET_BYTES_SENT)
        self.received = registry.sensor(C.NET_BYTES_RECEIVED)
        self.created = registry.sensor(C.CONNECTION_CREATION)
        self.closed = registry.sensor(C.CONNECTION_CLOSE)
        self.node_sent = registry.sensor(C.NODE_BYTES_SENT, node_id=node_id)
        self.node_received = registry.sensor(C.NODE_BYTES_RECEIVED, node_id=node_id)
        self.latency = registry.sensor(C.NODE_LATENCY, node_id=node_id)
        self._api: dict[int, Sensor] = {}
        self._errors: dict[int, Sensor] = {}

    def request_sent(self, nbytes: int, now: float) -> None:
        self.sent.record(nbytes, now)
        self.node_sent.record(nbytes, now)

    def answered(
        self, api_key: int, name: str, nbytes: int, latency_s: float, failed: bool, now: float
    ) -> None:
        """A response read: its size, how long it took, whether its top-level error code
        was set."""
        ms = latency_s * 1000.0
        self.received.record(nbytes, now)
        self.node_received.record(nbytes, now)
        self.latency.record(ms, now)
        sensor = self._api.get(api_key)
        if sensor is None:
            sensor = self._api_sensor(api_key, name)
        sensor.record(ms, now)
        extra = self._extra.get(api_key)
        if extra is not None:
            extra.record(ms, now)
        if failed:
            self.failed(api_key, name, now)

    def failed(self, api_key: int, name: str, now: float) -> None:
        """A request of this API failed: an error code, a timeout or a lost connection."""
        sensor = self._errors.get(api_key)
        if sensor is None:
            from aiokafka_gen.metrics import catalogue as C

            sensor = self._errors[api_key] = self._registry.sensor(C.API_ERRORS, api=name)
        sensor.record(1.0, now)

    def _api_sensor(self, api_key: int, name: str) -> Sensor:
        from aiokafka_gen.metrics import catalogue as C

        sensor = self._api[api_key] = self._registry.sensor(C.API_REQUESTS, api=name)
        return sensor


class LoopProbe:
    """``event-loop-lag-avg/max``: a callback scheduled every ``interval`` seconds records how
    late it ran (a busy loop delays every client task the same way)."""

    __slots__ = ("_due", "_handle", "_interval", "_sensor")

    def __init__(self, registry: Metrics, interval: float = 1.0) -> None:
        from aiokafka_gen.metrics import catalogue as C

        self._sensor = registry.sensor(C.NET_LOOP_LAG)
        self._interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        if self._handle is None:
            loop = asyncio.get_running_loop()
            self._due = loop.time() + self._interval
            self._handle = loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._sensor.record(max(now - self._due, 0.0), now)
        self._due = now + self._interval
        self._handle = loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
