"""What a client runs besides its own work so that operators can see it (issue #24): the
OpenTelemetry metrics registration (``meter_provider``) and the KIP-714 telemetry reporter
(``enable_metrics_push``). One ``Observers`` per producer, consumer and admin client, started
by the client's ``start()`` and closed by its ``stop()``/``close()``.

The optional parts are imported only when asked for: no OpenTelemetry import without a
meter provider, no telemetry module without a registry to push.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uuid

    from opentelemetry.metrics import MeterProvider

    from aiokafka_gen.client import AIOKafkaClient
    from aiokafka_gen.metrics import Metrics
    from aiokafka_gen.metrics.otel import MetricsRegistration
    from aiokafka_gen.metrics.telemetry import TelemetryReporter

__all__ = ["Observable", "Observers", "server_list"]

log = logging.getLogger("aiokafka_gen.metrics")


class Observers:
    """The OpenTelemetry registration and the telemetry reporter of one client."""

    def __init__(
        self,
        client: AIOKafkaClient,
        registry: Metrics | None,
        *,
        meter_provider: MeterProvider | None = None,
        push: bool = False,
        resource: Mapping[str, str | None] | None = None,
    ) -> None:
        """``resource``: the telemetry resource attributes Java sends (transactional_id,
        group_id, group_instance_id, client_rack), the unset ones left out."""
        if meter_provider is not None and registry is None:
            raise ValueError("meter_provider needs metrics_enabled=True (nothing to export)")
        self._client = client
        self._registry = registry
        self._meter_provider = meter_provider
        self._push = push and registry is not None
        self._otel: MetricsRegistration | None = None
        self._reporter: TelemetryReporter | None = None
        self._resource = {k: v for k, v in (resource or {}).items() if v}

    @property
    def reporter(self) -> TelemetryReporter | None:
        """The KIP-714 reporter once started (None when push is off)."""
        return self._reporter

    def start(self) -> None:
        """On the client's event loop, after its bootstrap."""
        registry = self._registry
        if registry is None:
            return
        if self._meter_provider is not None and self._otel is None:
            from aiokafka_gen.metrics.otel import register_metrics

            self._otel = register_metrics(self._meter_provider, registry)
        if self._push and self._reporter is None:
            from aiokafka_gen.metrics.telemetry import TelemetryReporter

            self._reporter = TelemetryReporter(
                self._client, registry, client_kind=registry.prefix,
                resource_attributes=self._resource,
            )  # fmt: skip
            self._reporter.start()

    async def close(self, timeout: float) -> None:
        """Unregister from OpenTelemetry; the reporter's last (terminating) push. Never
        raises for a broker error."""
        if self._otel is not None:
            self._otel.unregister()
            self._otel = None
        reporter, self._reporter = self._reporter, None
        if reporter is not None:
            await reporter.close(timeout)


def server_list(bootstrap_servers: str | Iterable[str]) -> str | list[str]:
    """The bootstrap servers as tracing takes them (a string or a list)."""
    return bootstrap_servers if isinstance(bootstrap_servers, str) else list(bootstrap_servers)


class Observable:
    """What the producer, consumer and admin client share: their metrics registry and
    their telemetry id. Each sets ``_registry`` and ``_observers`` in its constructor."""

    _registry: Metrics | None
    _observers: Observers

    @property
    def metrics_registry(self) -> Metrics | None:
        """The client's metrics registry (None with ``metrics_enabled=False``): what
        ``aiokafka_gen.metrics.prometheus.register_prometheus`` and other exporters read."""
        return self._registry

    async def client_instance_id(self, timeout: float = 5.0) -> uuid.UUID | None:
        """The id the cluster gave this client for its telemetry (KIP-714, Java's
        ``clientInstanceId``); None when telemetry is off or the cluster has none."""
        reporter = self._observers.reporter
        return None if reporter is None else await reporter.client_instance_id(timeout)
