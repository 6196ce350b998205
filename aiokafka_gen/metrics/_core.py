"""The metrics core: metric names, sensors with windowed statistics, and the per-client registry.

The model is Kafka's Java metrics library (``org.apache.kafka.common.metrics``), rewritten for
one asyncio event loop:

- A :class:`MetricName` is (name, group, description, tags); two names are equal when name,
  group and tags are equal (the description does not count), as in Java.
- A :class:`Sensor` is what the code records into: ``sensor.record(value, now)``. Every
  statistic a sensor exposes (average, maximum, minimum, windowed rate of the values or of
  the events, cumulative sum or count, last value, percentiles) is computed at snapshot time
  from one set of per-window accumulators shared by all of them (Java keeps one sample ring
  per statistic; the results are the same because every statistic of a sensor sees the same
  records, except that a rate read before the sensor's first record opens the window for
  all of them). Recording is one call, one comparison for the window roll-over and a few
  attribute stores: the registry picks the class that updates only what the sensor's
  statistics read (count, sum and time always; max, min, last value, a histogram bin only
  when asked for).
- Windowed statistics follow Java's ``SampledStat``: a ring of ``num_samples + 1`` samples,
  each ``window`` seconds long, started by the first record that falls outside the current
  one (not aligned to a clock grid); at measure time samples whose last event is at least
  ``num_samples * window`` old are reset; a rate divides the windowed total by the time since
  the oldest sample started, padded up to ``num_samples - 1`` full windows while fewer have
  elapsed (so the first window reports ``total / ((num_samples - 1) * window + elapsed)``),
  and never by less than a millisecond; avg/max/min/percentiles of an empty window are NaN.
  ``tests/metrics/test_metrics_java.py`` checks all of this against Kafka's own classes.
- Gauges are callables read at snapshot time (Java's ``Gauge`` / ``Measurable``).

Time is a float in seconds from the caller's monotonic clock (``loop.time()`` or
``time.monotonic()``, which are the same clock on the default loop); the caller passes ``now``
so one clock read serves a whole batch or request. Java counts whole milliseconds; here the
arithmetic is on floats, which only differs below a millisecond.

Not thread-safe, by design: a registry belongs to one client on one event loop, and every
record, snapshot and removal runs on that loop. Sharing a registry across threads needs a lock
around it that this module does not take.
"""

from __future__ import annotations

import functools
import math
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .catalogue import GaugeSpec, Histogram, MetricSpec, SensorSpec

__all__ = [
    "Gauge",
    "KafkaMetric",
    "MetricConfig",
    "MetricName",
    "Metrics",
    "Sensor",
]

_INF = math.inf
_NAN = math.nan
#: Java's ``Rate.windowSize`` never divides by less than one millisecond.
_MIN_ELAPSED = 0.001
_FLOAT32 = struct.Struct("<f")
_sqrt = math.sqrt


def _f32(value: float) -> float:
    """``value`` rounded to a 32-bit float (Java's Percentiles compares shares as floats)."""
    result: float = _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    return result


class MetricName:
    """A metric's identity: name, group and tags (the description is carried, not compared)."""

    __slots__ = ("_hash", "_key", "description", "group", "name", "tags")

    name: str
    group: str
    description: str
    tags: Mapping[str, str]

    def __init__(
        self, name: str, group: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.group = group
        self.description = description
        # Insertion order is kept for display (Java keeps its tags in a LinkedHashMap);
        # equality and hashing ignore it.
        self.tags = MappingProxyType(dict(tags or {}))
        self._key = (name, group, frozenset(self.tags.items()))
        self._hash = hash(self._key)

    @classmethod
    def _shared(
        cls, name: str, group: str, description: str, tags: MappingProxyType[str, str],
        tag_set: frozenset[tuple[str, str]],
    ) -> MetricName:  # fmt: skip
        """A name whose read-only tags (and their set) are shared with the other metrics
        of one sensor: per-partition sensors are made by the thousand."""
        self = cls.__new__(cls)
        self.name = name
        self.group = group
        self.description = description
        self.tags = tags
        self._key = (name, group, tag_set)
        self._hash = hash(self._key)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricName):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"MetricName(name={self.name!r}, group={self.group!r}, tags={dict(self.tags)!r})"


@dataclass(frozen=True, slots=True)
class MetricConfig:
    """Window settings shared by a registry's sensors (Java's ``MetricConfig``).

    ``sample_window`` and ``num_samples`` are Java's ``metrics.sample.window.ms`` (30000) and
    ``metrics.num.samples`` (2), in seconds here. ``idle_expiry`` is how long an expirable
    sensor (one per topic, partition or node) may go unrecorded before :meth:`Metrics.expire`
    drops it; ``None`` keeps them until they are removed explicitly.
    """

    sample_window: float = 30.0
    num_samples: int = 2
    idle_expiry: float | None = 600.0

    def __post_init__(self) -> None:
        if not self.sample_window > 0:
            raise ValueError(f"sample_window must be > 0, got {self.sample_window!r}")
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {self.num_samples!r}")
        if self.idle_expiry is not None and not self.idle_expiry > 0:
            raise ValueError(f"idle_expiry must be > 0 or None, got {self.idle_expiry!r}")


class _Sample:
    """One window's accumulators (a retired or reset window; the live one is in the sensor)."""

    __slots__ = ("bins", "count", "last", "max", "min", "start", "sum")

    bins: list[int] | None
    start: float
    last: float
    count: int
    sum: float
    max: float
    min: float

    def __init__(self, now: float, bins: int = 0) -> None:
        self.start = now
        self.last = now
        self.count = 0
        self.sum = 0.0
        self.max = -_INF
        self.min = _INF
        self.bins = [0] * bins if bins else None

    def reset(self, now: float) -> None:
        self.start = now
        self.last = now
        self.count = 0
        self.sum = 0.0
        self.max = -_INF
        self.min = _INF
        bins = self.bins
        if bins is not None:
            bins[:] = [0] * len(bins)


class Sensor:
    """Records values; its metrics are computed from them when a snapshot is taken.

    Hold the sensor where the code records (create it once through :meth:`Metrics.sensor`),
    then ``sensor.record(value, now)`` per event: per request, per batch, per fetch. A
    per-record figure should be an integer the record path bumps and the per-batch code
    records once (``sensor.record(n_records, now)``).
    """

    __slots__ = (
        "_base_count",
        "_base_sum",
        "_count",
        "_current",
        "_end",
        "_last",
        "_max",
        "_min",
        "_samples",
        "_start",
        "_sum",
        "_value",
        "_window",
        "expirable",
        "key",
        "metric_names",
        "num_samples",
        "tags",
    )

    def __init__(
        self,
        key: tuple[str, tuple[str, ...]],
        metric_names: tuple[tuple[MetricName, MetricSpec], ...],
        tags: Mapping[str, str],
        config: MetricConfig,
        now: float,
        expirable: bool = False,
    ) -> None:
        self.key = key
        self.metric_names = metric_names
        self.tags = tags
        self.expirable = expirable
        self.num_samples = config.num_samples
        self._window = config.sample_window
        self._samples: list[_Sample] = []
        self._current = 0
        # The live window's accumulators. -inf as its start makes the first record open the
        # first window (Java creates a sensor's first sample lazily, at its first record).
        self._start = -_INF
        self._end = -_INF  # the live window's end: _start + window
        self._count = 0
        self._sum = 0.0
        self._max = -_INF
        self._min = _INF
        # Sensor-wide: the last recorded value (Java's Value stat) and the last record time
        # (Java's lastRecordTime: the sensor's creation until the first record).
        self._value = 0.0
        self._last = now
        # What reset windows held, so cumulative totals survive the window ring.
        self._base_count = 0
        self._base_sum = 0.0

    # -- the hot path ------------------------------------------------------------------------

    #: The statistics this class tracks (subclasses track fewer, for a cheaper record).
    TRACKS: ClassVar[frozenset[str]] = frozenset(
        ("avg", "max", "min", "rate", "count-rate", "total", "count", "value")
    )

    def record(self, value: float, now: float) -> None:
        """Record one event of ``value`` at ``now`` (seconds, the caller's monotonic clock)."""
        if now >= self._end:
            self._roll(now, value)
            return
        self._count += 1
        self._sum += value
        if value > self._max:
            self._max = value
        if value < self._min:
            self._min = value
        self._value = value
        self._last = now

    def _roll(self, now: float, value: float) -> None:
        """Close the live window, open the next one at ``now`` (Java's ``advance``) and
        record ``value`` as its first event."""
        samples = self._samples
        if not samples:
            samples.append(self._new_sample(now))
            self._current = 0
        else:
            self._store()
            current = (self._current + 1) % (self.num_samples + 1)
            self._current = current
            if current >= len(samples):
                samples.append(self._new_sample(now))
            else:
                self._retire(samples[current], now)
        self._start = now
        self._end = now + self._window
        self._count = 1
        self._sum = value
        self._max = value
        self._min = value
        self._value = value
        self._last = now

    # -- window bookkeeping (cold) -----------------------------------------------------------

    def _new_sample(self, now: float) -> _Sample:
        return _Sample(now)

    def _retire(self, sample: _Sample, now: float) -> None:
        self._base_count += sample.count
        self._base_sum += sample.sum
        sample.reset(now)

    def _store(self) -> None:
        """Write the live window into its sample object."""
        sample = self._samples[self._current]
        sample.start = self._start
        sample.count = self._count
        sample.sum = self._sum
        sample.max = self._max
        sample.min = self._min
        # A window's last event is its last record, or its start while it has none.
        sample.last = self._last if self._count else self._start

    def _load(self) -> None:
        sample = self._samples[self._current]
        self._start = sample.start
        self._end = sample.start + self._window
        self._count = sample.count
        self._sum = sample.sum
        self._max = sample.max
        self._min = sample.min

    def _settle(self, now: float) -> list[_Sample]:
        """Bring the samples up to ``now`` for measuring: reset the obsolete ones."""
        samples = self._samples
        if not samples:
            return samples
        self._store()
        horizon = self.num_samples * self._window
        for sample in samples:
            if now - sample.last >= horizon:
                self._retire(sample, now)
        self._load()
        return samples

    def _oldest_start(self, now: float) -> float:
        samples = self._samples
        if not samples:
            # Java's Rate creates the first sample when it is measured before any record, so
            # the window then starts at that measurement.
            samples.append(self._new_sample(now))
            self._current = 0
            self._load()
        return min(sample.start for sample in samples)

    def _window_size(self, now: float) -> float:
        """Seconds a windowed rate divides by (Java's ``Rate.windowSize``)."""
        elapsed = now - self._oldest_start(now)
        full = int(elapsed // self._window)
        least = self.num_samples - 1
        if full < least:
            elapsed += (least - full) * self._window
        return max(elapsed, _MIN_ELAPSED)

    # -- measuring ---------------------------------------------------------------------------

    @property
    def last_record_time(self) -> float:
        """The last time a value was recorded (the creation time before any)."""
        return self._last

    def measure(self, stat: str, now: float, per: float = 1.0, percentile: float = 50.0) -> float:
        """The value of one statistic at ``now`` (``stat`` is a ``catalogue.STATS`` name).

        ``per`` is the rate's time unit in seconds (1 for per second, 3600 per hour, 1e-9 per
        nanosecond); only rates read it. ``percentile`` (0-100) is read by ``"percentile"``.
        """
        if stat not in self.TRACKS:
            raise ValueError(f"{type(self).__name__} does not track {stat!r}")
        if stat == "total":
            samples = self._settle(now)
            return float(self._base_sum + sum(s.sum for s in samples))
        if stat == "count":
            samples = self._settle(now)
            return float(self._base_count + sum(s.count for s in samples))
        if stat == "value":
            return float(self._value)
        samples = self._settle(now)
        if stat == "rate":
            return sum(s.sum for s in samples) / (self._window_size(now) / per)
        if stat == "count-rate":
            return sum(s.count for s in samples) / (self._window_size(now) / per)
        count = sum(s.count for s in samples)
        if count == 0:
            return _NAN
        if stat == "avg":
            return sum(s.sum for s in samples) / count
        if stat == "max":
            return float(max(s.max for s in samples))
        if stat == "min":
            return float(min(s.min for s in samples))
        return self._percentile(samples, count, percentile)

    def _percentile(self, samples: list[_Sample], count: int, percentile: float) -> float:
        raise ValueError(f"{type(self).__name__} keeps no histogram")

    def values(self, now: float) -> Iterator[tuple[MetricName, float]]:
        for name, spec in self.metric_names:
            yield name, self.measure(spec.stat, now, spec.per, spec.percentile)

    def __repr__(self) -> str:
        return f"Sensor({self.key[0]!r}, tags={dict(self.tags)!r})"


class _MaxSensor(Sensor):
    """A sensor without min and last-value statistics: two attribute operations fewer."""

    __slots__ = ()

    TRACKS: ClassVar[frozenset[str]] = frozenset(
        ("avg", "max", "rate", "count-rate", "total", "count")
    )

    def record(self, value: float, now: float) -> None:
        if now >= self._end:
            self._roll(now, value)
            return
        self._count += 1
        self._sum += value
        if value > self._max:
            self._max = value
        self._last = now


class _SumSensor(Sensor):
    """A sensor of sums and counts only (averages, rates, totals)."""

    __slots__ = ()

    TRACKS: ClassVar[frozenset[str]] = frozenset(("avg", "rate", "count-rate", "total", "count"))

    def record(self, value: float, now: float) -> None:
        if now >= self._end:
            self._roll(now, value)
            return
        self._count += 1
        self._sum += value
        self._last = now


class _HistogramSensor(Sensor):
    """A sensor that also keeps a histogram per window, for percentiles (Java's
    ``Percentiles``: values pinned to [min, max], ``buckets`` bins of constant width, or
    linearly growing widths from 0 (bin ``b`` ends at ``scale * b * (b + 1) / 2``); a
    percentile is the lower edge of the first bin where the share of values up to it
    exceeds the percentile). Recording costs a bin computation more than a plain sensor."""

    __slots__ = ("_bins", "_hmax", "_hmin", "_linear", "_nbins", "_scale", "_width")

    TRACKS: ClassVar[frozenset[str]] = Sensor.TRACKS | {"percentile"}

    def __init__(
        self,
        key: tuple[str, tuple[str, ...]],
        metric_names: tuple[tuple[MetricName, MetricSpec], ...],
        tags: Mapping[str, str],
        config: MetricConfig,
        now: float,
        expirable: bool,
        histogram: Histogram,
    ) -> None:
        super().__init__(key, metric_names, tags, config, now, expirable)
        n = histogram.buckets
        if n < 2:
            raise ValueError("a histogram needs at least 2 buckets")
        if not histogram.max > histogram.min:
            raise ValueError("a histogram needs max > min")
        if histogram.linear and histogram.min != 0.0:
            raise ValueError("a linear histogram starts at 0")
        self._nbins = n
        self._hmin = histogram.min
        self._hmax = histogram.max
        self._linear = histogram.linear
        self._width = (histogram.max - histogram.min) / n
        self._scale = histogram.max / (n * (n - 1.0) / 2.0)
        self._bins: list[int] = []  # the live window's histogram: its sample's list

    def _new_sample(self, now: float) -> _Sample:
        return _Sample(now, self._nbins)

    def _load(self) -> None:
        super()._load()
        bins = self._samples[self._current].bins
        assert bins is not None
        self._bins = bins

    def _to_bin(self, value: float) -> int:
        if value > self._hmax:
            value = self._hmax
        elif value < self._hmin:
            value = self._hmin
        if self._linear:
            b = int(-0.5 + 0.5 * _sqrt(1.0 + 8.0 * value / self._scale))
        else:
            b = int((value - self._hmin) / self._width)
        last = self._nbins - 1
        return b if b < last else last

    def _from_bin(self, b: int) -> float:
        if b > self._nbins - 1:
            return _INF
        if self._linear:
            return self._scale * (b * (b + 1.0)) / 2.0
        return self._hmin + b * self._width

    def record(self, value: float, now: float) -> None:
        if now >= self._end:
            self._roll(now, value)
            self._load_bins()
            self._bins[self._to_bin(value)] += 1
            return
        self._count += 1
        self._sum += value
        if value > self._max:
            self._max = value
        if value < self._min:
            self._min = value
        self._value = value
        self._last = now
        # _to_bin, inlined (a method call is a third of this record's cost)
        pinned = value
        if pinned > self._hmax:
            pinned = self._hmax
        elif pinned < self._hmin:
            pinned = self._hmin
        if self._linear:
            b = int(-0.5 + 0.5 * _sqrt(1.0 + 8.0 * pinned / self._scale))
        else:
            b = int((pinned - self._hmin) / self._width)
        if b >= self._nbins:
            b = self._nbins - 1
        self._bins[b] += 1

    def _load_bins(self) -> None:
        bins = self._samples[self._current].bins
        assert bins is not None
        self._bins = bins

    def _percentile(self, samples: list[_Sample], count: int, percentile: float) -> float:
        share = _f32(percentile / 100.0)
        total = float(count)
        seen = 0
        histograms = [s.bins for s in samples if s.bins is not None]
        for b in range(self._nbins):
            seen += sum(h[b] for h in histograms)
            if _f32(seen / total) > share:
                return self._from_bin(b)
        return _INF


def sensor_class(stats: Iterable[str]) -> type[Sensor]:
    """The cheapest sensor class that tracks ``stats``."""
    return _sensor_class(frozenset(stats))


@functools.cache
def _sensor_class(wanted: frozenset[str]) -> type[Sensor]:
    for cls in (_SumSensor, _MaxSensor):
        if wanted <= cls.TRACKS:
            return cls
    return Sensor


class Gauge:
    """A metric read from a callable at snapshot time (Java's ``Gauge``)."""

    __slots__ = ("expirable", "metric_name", "read")

    def __init__(
        self, metric_name: MetricName, read: Callable[[], float], expirable: bool = False
    ) -> None:
        self.metric_name = metric_name
        self.read = read
        self.expirable = expirable


class KafkaMetric:
    """One metric as Java's ``Metric`` shows it: ``metric_name`` and ``metric_value()``."""

    __slots__ = ("_measure", "metric_name")

    def __init__(self, metric_name: MetricName, measure: Callable[[], float]) -> None:
        self.metric_name = metric_name
        self._measure = measure

    def metric_value(self) -> float:
        return self._measure()

    def __repr__(self) -> str:
        return f"KafkaMetric({self.metric_name!r})"


def _tag_value(key: str, value: object) -> str:
    # Java tags a node as "node-<id>" (the bootstrap connections are "node--1", ...).
    if key == "node-id":
        return f"node-{value}"
    return str(value)


class Metrics:
    """A client's registry: its sensors and gauges, all tagged with its ``client-id``.

    ``prefix`` is the client kind as Java names its metric groups: ``"producer"``,
    ``"consumer"`` or ``"admin-client"`` (a catalogue group such as ``{prefix}-node-metrics``
    becomes ``producer-node-metrics``). ``clock`` is read only by snapshots, expiry and sensor
    creation; recorders pass their own ``now`` from the same monotonic clock.
    """

    def __init__(
        self,
        client_id: str,
        prefix: str,
        config: MetricConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.prefix = prefix
        self.config = config if config is not None else MetricConfig()
        self.clock = clock
        self._sensors: dict[tuple[str, tuple[str, ...]], Sensor] = {}
        self._gauges: dict[MetricName, Gauge] = {}

    # -- registration ------------------------------------------------------------------------

    def _tags(self, keys: tuple[str, ...], given: Mapping[str, object]) -> dict[str, str]:
        names = {key.replace("-", "_"): key for key in keys}
        if set(given) != set(names):
            raise TypeError(
                f"tags {sorted(given)} given, the metric is tagged by "
                f"{sorted(names)} (besides client-id)"
            )
        tags = {"client-id": self.client_id}
        for arg, key in names.items():
            tags[key] = _tag_value(key, given[arg])
        return tags

    def group(self, template: str) -> str:
        return template.replace("{prefix}", self.prefix)

    def sensor(self, spec: SensorSpec, **tags: object) -> Sensor:
        """The sensor ``spec`` declares, for these tag values (created on first use).

        Tags are keyword arguments named as the spec's tags with ``_`` for ``-``
        (``node_id=1``, ``topic="t"``, ``partition=0``); ``client-id`` is added. A node id is
        tagged ``node-<id>`` as Java does.
        """
        if not spec.applies_to(self.prefix):
            raise ValueError(f"{spec.key} is not a {self.prefix} metric")
        full = self._tags(spec.tags, tags)
        key = (spec.key, tuple(full.values()))
        sensor = self._sensors.get(key)
        if sensor is None:
            group = self.group(spec.group)
            frozen = MappingProxyType(full)
            tag_set = frozenset(full.items())
            names = tuple(
                (MetricName._shared(m.name, group, m.description, frozen, tag_set), m)
                for m in spec.metrics
            )
            now = self.clock()
            if spec.histogram is not None:
                sensor = _HistogramSensor(
                    key, names, frozen, self.config, now, spec.expirable, spec.histogram
                )
            else:
                cls = sensor_class(m.stat for m in spec.metrics)
                sensor = cls(key, names, frozen, self.config, now, spec.expirable)
            self._sensors[key] = sensor
        return sensor

    def gauge(self, spec: GaugeSpec, read: Callable[[], float], **tags: object) -> MetricName:
        """Register (or replace) the gauge ``spec`` declares, read by ``read()`` at snapshots."""
        if not spec.applies_to(self.prefix):
            raise ValueError(f"{spec.name} is not a {self.prefix} metric")
        name = MetricName(
            spec.name, self.group(spec.group), spec.description, self._tags(spec.tags, tags)
        )
        self._gauges[name] = Gauge(name, read, spec.expirable)
        return name

    # -- removal -----------------------------------------------------------------------------

    def remove_sensor(self, sensor: Sensor) -> bool:
        return self._sensors.pop(sensor.key, None) is not None

    def remove_gauge(self, name: MetricName) -> bool:
        return self._gauges.pop(name, None) is not None

    def remove_tagged(self, **tags: object) -> int:
        """Remove every sensor and gauge carrying all these tag values (a topic that went
        away, a revoked partition, a closed node); returns how many were removed."""
        want = {key.replace("_", "-"): value for key, value in tags.items()}
        want = {key: _tag_value(key, value) for key, value in want.items()}

        def matches(have: Mapping[str, str]) -> bool:
            return all(have.get(key) == value for key, value in want.items())

        dead = [key for key, s in self._sensors.items() if matches(s.tags)]
        for key in dead:
            del self._sensors[key]
        gone = [name for name in self._gauges if matches(name.tags)]
        for name in gone:
            del self._gauges[name]
        return len(dead) + len(gone)

    def expire(self, now: float | None = None) -> int:
        """Drop expirable sensors not recorded for ``config.idle_expiry`` seconds (Java's
        expired-sensor task, run when the owner calls it); returns how many were dropped."""
        limit = self.config.idle_expiry
        if limit is None:
            return 0
        if now is None:
            now = self.clock()
        dead = [
            key
            for key, s in self._sensors.items()
            if s.expirable and now - s.last_record_time > limit
        ]
        for key in dead:
            del self._sensors[key]
        return len(dead)

    def clear(self) -> None:
        self._sensors.clear()
        self._gauges.clear()

    # -- reading -----------------------------------------------------------------------------

    def sensors(self) -> Iterable[Sensor]:
        return self._sensors.values()

    def snapshot(self, now: float | None = None) -> dict[MetricName, float]:
        """Every metric's value now: ``{MetricName: float}``."""
        if now is None:
            now = self.clock()
        out: dict[MetricName, float] = {}
        for sensor in self._sensors.values():
            out.update(sensor.values(now))
        for name, gauge in self._gauges.items():
            out[name] = float(gauge.read())
        return out

    def metrics(self) -> dict[MetricName, KafkaMetric]:
        """Java's ``metrics()``: every metric by name, each read when asked."""
        out: dict[MetricName, KafkaMetric] = {}
        for sensor in self._sensors.values():
            for name, spec in sensor.metric_names:
                out[name] = KafkaMetric(name, _measurer(sensor, spec, self.clock))
        for name, gauge in self._gauges.items():
            out[name] = KafkaMetric(name, _reader(gauge.read))
        return out

    def __len__(self) -> int:
        return sum(len(s.metric_names) for s in self._sensors.values()) + len(self._gauges)


def _measurer(sensor: Sensor, spec: MetricSpec, clock: Callable[[], float]) -> Callable[[], float]:
    return lambda: sensor.measure(spec.stat, clock(), spec.per, spec.percentile)


def _reader(read: Callable[[], float]) -> Callable[[], float]:
    return lambda: float(read())
