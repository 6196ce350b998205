"""Reading a registry from another thread (issue #24): the OpenTelemetry and Prometheus
exporters collect from their own threads, and a ``Metrics`` registry is not thread-safe
(a measure purges windows), so each registered registry is read on the event loop it was
registered from. Standard library only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref

from ._core import MetricName, Metrics

__all__ = ["COUNTERS", "BoundRegistry", "Reading", "read_registry"]

#: Statistics exported as counters (every one is a Java ``*-total``); the rest are gauges.
COUNTERS = frozenset(("total", "count"))

Reading = list[tuple[MetricName, bool, float]]


def read_registry(registry: Metrics) -> Reading:
    """Every metric of ``registry`` now: (name, is a counter, value). Run on the
    registry's loop. A gauge whose callable raises is left out."""
    now = registry.clock()
    out: Reading = []
    for sensor in list(registry.sensors()):
        for name, spec in sensor.metric_names:
            value = sensor.measure(spec.stat, now, spec.per, spec.percentile)
            out.append((name, spec.stat in COUNTERS, value))
    for gauge in list(registry._gauges.values()):
        try:
            value = float(gauge.read())
        except Exception:  # one broken gauge must not end the export
            continue
        out.append((gauge.metric_name, False, value))
    return out


class BoundRegistry:
    """A registry (weakly: a client dropped without unregistering is not kept alive), the
    event loop (and its thread) it lives on, and the client kind it was registered as."""

    __slots__ = ("kind", "loop", "registry", "thread")

    def __init__(self, registry: Metrics, kind: str = "") -> None:
        self.registry = weakref.ref(registry)
        self.kind = kind
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            self.thread: int | None = threading.get_ident()
        except RuntimeError:
            self.loop = None
            self.thread = None

    def read(self, timeout: float) -> Reading:
        """The registry's reading, taken on its loop's thread (waits up to ``timeout``;
        an empty reading when the loop does not answer)."""
        registry = self.registry()
        if registry is None:
            return []
        loop = self.loop
        if (
            loop is None
            or threading.get_ident() == self.thread
            or loop.is_closed()
            or not loop.is_running()
        ):
            return read_registry(registry)
        done: concurrent.futures.Future[Reading] = concurrent.futures.Future()

        def run() -> None:
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(read_registry(registry))
                except BaseException as exc:  # handed to the waiting thread
                    done.set_exception(exc)

        try:
            loop.call_soon_threadsafe(run)
            return done.result(timeout)
        except (RuntimeError, concurrent.futures.TimeoutError):
            done.cancel()
            return []
