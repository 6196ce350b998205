"""Prometheus: a collector exposing the clients' metrics registries (issue #24, item 4).

Needs ``prometheus-client`` (the optional extra ``aiokafka_gen[prometheus]``). One line per
client::

    from aiokafka_gen.metrics.prometheus import register_prometheus

    registration = register_prometheus(producer)   # prometheus_client.REGISTRY by default
    ...
    registration.unregister()                       # or: with register_prometheus(...):

Every client registered with the same ``CollectorRegistry`` is served by one collector, so
the families of two producers merge (told apart by their ``client_id`` label) instead of
clashing.

Names: ``kafka_`` + the Java group without its ``-metrics`` suffix + ``_`` + the metric
name, every character outside ``[a-zA-Z0-9_]`` made ``_``:
``producer-metrics``/``record-send-rate`` -> ``kafka_producer_record_send_rate``,
``producer-node-metrics``/``request-latency-avg`` -> ``kafka_producer_node_request_latency_avg``,
``consumer-fetch-manager-metrics``/``records-lag`` ->
``kafka_consumer_fetch_manager_records_lag``. Tags become labels with dashes made
underscores (``client_id``, ``node_id``, ``topic``, ``partition``, ``api``); a family can
hold series with different label sets where Java has the same metric at several levels
(``records-consumed-total`` per client and per topic), as JMX exporters show them.

Types: cumulative totals and counts (every Java ``*-total`` metric) are counters (the family
``kafka_producer_record_send``, its samples ``kafka_producer_record_send_total``); averages,
maxima, rates, last values and gauges are gauges. An empty window's average or maximum is
NaN, as Java reports it. Units are those of the Java names (milliseconds for latencies,
bytes, per second), not converted to base units.

The registry is not thread-safe and ``prometheus_client`` scrapes from its server's thread:
a scrape made off the registry's event loop reads the registry on that loop
(``call_soon_threadsafe``) and waits up to ``read_timeout`` seconds; a loop that does not
answer in time is left out of that scrape.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Mapping

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from ._core import Metrics
from ._reading import BoundRegistry as _Bound

__all__ = [
    "KafkaCollector",
    "PrometheusRegistration",
    "prometheus_labels",
    "prometheus_name",
    "register_prometheus",
]

_ILLEGAL = re.compile(r"[^a-zA-Z0-9_]")


def prometheus_name(group: str, name: str, namespace: str = "kafka") -> str:
    """A metric's family name (a counter's samples add ``_total`` when the name lacks it)."""
    if group.endswith("-metrics"):
        group = group[: -len("-metrics")]
    return _ILLEGAL.sub("_", f"{namespace}_{group}_{name}")


def prometheus_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """A metric's tags as labels (``client-id`` -> ``client_id``)."""
    return {_ILLEGAL.sub("_", key): value for key, value in tags.items()}


class KafkaCollector:
    """The collector of one ``CollectorRegistry``: every registered client's metrics."""

    def __init__(self, namespace: str = "kafka", read_timeout: float = 5.0) -> None:
        self.namespace = namespace
        self.read_timeout = read_timeout
        self._lock = threading.Lock()
        self._bound: list[_Bound] = []

    def add(self, registry: Metrics) -> _Bound:
        bound = _Bound(registry)
        with self._lock:
            self._bound.append(bound)
        return bound

    def remove(self, bound: _Bound) -> bool:
        """Forget ``bound``; True when no registry is left."""
        with self._lock:
            if bound in self._bound:
                self._bound.remove(bound)
            self._bound = [b for b in self._bound if b.registry() is not None]
            return not self._bound

    def describe(self) -> Iterable[Metric]:
        # Nothing up front: the families appear as the clients create their sensors (and a
        # describe() keeps CollectorRegistry from calling collect() at registration).
        return []

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            bound = list(self._bound)
        families: dict[str, Metric] = {}
        for entry in bound:
            for metric_name, counter, value in entry.read(self.read_timeout):
                name = prometheus_name(metric_name.group, metric_name.name, self.namespace)
                family = families.get(name)
                if family is None:
                    family = (
                        CounterMetricFamily(name, metric_name.description or name)
                        if counter
                        else GaugeMetricFamily(name, metric_name.description or name)
                    )
                    families[name] = family
                sample = family.name + "_total" if family.type == "counter" else family.name
                family.add_sample(sample, prometheus_labels(metric_name.tags), value)
        return list(families.values())


class PrometheusRegistration:
    """What :func:`register_prometheus` returns: :meth:`unregister` (idempotent; also a
    context manager) stops exposing the client; the collector leaves the
    ``CollectorRegistry`` with its last client."""

    def __init__(
        self, registry: CollectorRegistry, collector: KafkaCollector, bound: _Bound
    ) -> None:
        self._registry = registry
        self._collector: KafkaCollector | None = collector
        self._bound = bound

    def unregister(self) -> None:
        collector, self._collector = self._collector, None
        if collector is None:
            return
        with _COLLECTORS_LOCK:
            if collector.remove(self._bound):
                if _COLLECTORS.get(self._registry) is collector:
                    del _COLLECTORS[self._registry]
                self._registry.unregister(collector)

    def __enter__(self) -> PrometheusRegistration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unregister()


_COLLECTORS: weakref.WeakKeyDictionary[CollectorRegistry, KafkaCollector] = (
    weakref.WeakKeyDictionary()
)
_COLLECTORS_LOCK = threading.Lock()


def _metrics_of(source: object) -> Metrics:
    if isinstance(source, Metrics):
        return source
    for attribute in ("metrics_registry", "_registry"):
        found = getattr(source, attribute, None)
        if isinstance(found, Metrics):
            return found
    raise TypeError(
        f"{type(source).__name__} has no metrics registry (pass a client built with "
        "metrics_enabled=True, or an aiokafka_gen.metrics.Metrics)"
    )


def register_prometheus(
    source: object,
    registry: CollectorRegistry | None = None,
    *,
    namespace: str = "kafka",
    read_timeout: float = 5.0,
) -> PrometheusRegistration:
    """Expose a client's metrics (``source``: a producer, consumer or admin client, or its
    :class:`~._core.Metrics`) in ``registry`` (``prometheus_client.REGISTRY`` by default).

    Call it on the client's event loop: scrapes from other threads read the metrics there.
    ``namespace`` and ``read_timeout`` apply when this is the registry's first client.
    """
    metrics = _metrics_of(source)
    target = REGISTRY if registry is None else registry
    with _COLLECTORS_LOCK:
        collector = _COLLECTORS.get(target)
        if collector is None:
            collector = KafkaCollector(namespace, read_timeout)
            target.register(collector)
            _COLLECTORS[target] = collector
        bound = collector.add(metrics)
    return PrometheusRegistration(target, collector, bound)
