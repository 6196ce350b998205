"""Client metrics: Kafka's Java client metrics model, names and groups (issue #24).

- :class:`Metrics`: one registry per client (``client-id``-tagged sensors and gauges),
  ``snapshot()`` -> ``{MetricName: float}``, ``metrics()`` as Java's.
- :class:`Sensor`: created once from a catalogue entry and held by the code that records;
  ``sensor.record(value, now)`` per request or batch.
- :mod:`.catalogue`: every metric as data; :mod:`.reference`: the docs table from it.

Standard library only; ``import aiokafka_gen`` does not import this package.
"""

from __future__ import annotations

from ._core import Gauge, KafkaMetric, MetricConfig, MetricName, Metrics, Sensor
from .catalogue import GaugeSpec, MetricSpec, SensorSpec

__all__ = [
    "Gauge",
    "GaugeSpec",
    "KafkaMetric",
    "MetricConfig",
    "MetricName",
    "MetricSpec",
    "Metrics",
    "Sensor",
    "SensorSpec",
]
