"""Every metric the clients expose, declared as data.

The code registers its sensors and gauges from these declarations (``Metrics.sensor(spec,
...)``, ``Metrics.gauge(spec, ...)``) and the reference table is generated from them
(:mod:`aiokafka_gen.metrics.reference`), so the documentation cannot drift from the code.

Names, groups and tags follow Kafka's Java client where Java has the metric; ``java`` says
which Java metric it corresponds to (empty when the metric is ours only). Units are Java's:
latencies and throttle times in milliseconds, sizes in bytes, rates per second unless the
name says otherwise. The descriptions are written for this client.

A group containing ``{prefix}`` is shared by all three clients and takes the client's prefix:
``producer``, ``consumer`` or ``admin-client`` (Java's network-layer groups
``producer-metrics``, ``consumer-node-metrics``, ``admin-client-metrics``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_GAUGES",
    "ALL_SENSORS",
    "CLIENTS",
    "STATS",
    "GaugeSpec",
    "Histogram",
    "MetricSpec",
    "SensorSpec",
]

#: The client prefixes (Java's metric group prefixes).
PRODUCER = "producer"
CONSUMER = "consumer"
ADMIN = "admin-client"
CLIENTS = (PRODUCER, CONSUMER, ADMIN)

#: What a sensor's metric reports, computed from the recorded values.
STATS = {
    "avg": "average of the values recorded in the window (Java `Avg`)",
    "max": "largest value recorded in the window (Java `Max`)",
    "min": "smallest value recorded in the window (Java `Min`)",
    "rate": "sum of the values recorded in the window per unit of time (Java `Rate`)",
    "count-rate": "events recorded in the window per unit of time (Java `Rate` of a "
    "`WindowedCount`)",
    "total": "sum of every value ever recorded (Java `CumulativeSum`)",
    "count": "number of events ever recorded (Java `CumulativeCount`)",
    "value": "the last value recorded (Java `Value`)",
    "percentile": "the value below which the given percentage of the window's values fall, "
    "read from a per-window histogram (Java `Percentiles`)",
}

#: Java's tag keys.
NODE_ID = "node-id"
TOPIC = "topic"
PARTITION = "partition"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric of a sensor."""

    name: str
    stat: str
    description: str
    unit: str = ""
    #: The Java metric (same group and tags unless said); "" when Java has none.
    java: str = ""
    #: A rate's time unit in seconds (3600 for "-per-hour", 1e-9 for a ratio of nanoseconds).
    per: float = 1.0
    #: The percentile (0-100) a "percentile" metric reports.
    percentile: float = 0.0

    def __post_init__(self) -> None:
        if self.stat not in STATS:
            raise ValueError(f"{self.name}: unknown statistic {self.stat!r}")
        if (self.stat == "percentile") != (0.0 < self.percentile <= 100.0):
            raise ValueError(f"{self.name}: a percentile metric needs 0 < percentile <= 100")


@dataclass(frozen=True, slots=True)
class Histogram:
    """The per-window histogram a sensor with percentile metrics keeps (Java's
    ``Percentiles(sizeInBytes, min, max, bucketSizing)`` with ``buckets = sizeInBytes / 4``):
    values are pinned to [min, max]; ``linear`` bins grow in width from 0 (finer at the low
    end, where latencies usually are), otherwise they are all ``(max - min) / buckets``."""

    buckets: int
    min: float
    max: float
    linear: bool = False


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """A sensor: what the code records into once per event, and the metrics computed from it.

    ``records`` says what one ``record(value, now)`` call is (the event and the value's unit),
    for the code that wires it.
    """

    key: str
    clients: tuple[str, ...]
    group: str
    tags: tuple[str, ...]
    records: str
    metrics: tuple[MetricSpec, ...]
    #: Kept when (and only when) the sensor has percentile metrics.
    histogram: Histogram | None = None

    def __post_init__(self) -> None:
        wants = any(m.stat == "percentile" for m in self.metrics)
        if wants != (self.histogram is not None):
            raise ValueError(f"{self.key}: percentile metrics and a histogram go together")

    @property
    def expirable(self) -> bool:
        # Per-node, per-topic and per-partition sensors come and go with what they measure.
        return bool(self.tags)

    def applies_to(self, prefix: str) -> bool:
        return prefix in self.clients


@dataclass(frozen=True, slots=True)
class GaugeSpec:
    """A metric read from the client's state when a snapshot is taken."""

    name: str
    clients: tuple[str, ...]
    group: str
    tags: tuple[str, ...]
    description: str
    unit: str = ""
    java: str = ""

    @property
    def expirable(self) -> bool:
        return bool(self.tags)

    def applies_to(self, prefix: str) -> bool:
        return prefix in self.clients


def _m(
    name: str, stat: str, description: str, unit: str = "", *, java: bool = True, per: float = 1.0
) -> MetricSpec:
    return MetricSpec(name, stat, description, unit, name if java else "", per)


def _ours(name: str, stat: str, description: str, unit: str = "") -> MetricSpec:
    return _m(name, stat, description, unit, java=False)


_P = (PRODUCER,)
_C = (CONSUMER,)
_ALL = CLIENTS
_PM = "producer-metrics"
_PTM = "producer-topic-metrics"
_FM = "consumer-fetch-manager-metrics"
_CM = "consumer-metrics"
_CCM = "consumer-coordinator-metrics"
_NET = "{prefix}-metrics"
_NODE = "{prefix}-node-metrics"
_API = "{prefix}-request-metrics"
_HOUR = 3600.0
_NS = 1e-9

# -- producer ---------------------------------------------------------------------------------

PRODUCER_RECORDS_PER_REQUEST = SensorSpec(
    "producer.records-per-request",
    _P,
    _PM,
    (),
    "one Produce request sent: the number of records it carries (a retried record again)",
    (
        _m("record-send-rate", "rate", "Records sent per second.", "records/s"),
        _m("record-send-total", "total", "Records sent since the producer started.", "records"),
        _m("records-per-request-avg", "avg", "Average records per Produce request.", "records"),
    ),
)
PRODUCER_ERRORS = SensorSpec(
    "producer.errors",
    _P,
    _PM,
    (),
    "records of one batch failed for good: their number",
    (
        _m("record-error-rate", "rate", "Records whose send failed, per second.", "records/s"),
        _m("record-error-total", "total", "Records whose send failed, in all.", "records"),
    ),
)
PRODUCER_RETRIES = SensorSpec(
    "producer.record-retries",
    _P,
    _PM,
    (),
    "one batch sent again: its record count",
    (
        _m(
            "record-retry-rate",
            "rate",
            "Records sent again after a retriable error, per second.",
            "records/s",
        ),
        _m("record-retry-total", "total", "Records sent again after a retriable error.", "records"),
    ),
)
PRODUCER_REQUEST_LATENCY = SensorSpec(
    "producer.request-time",
    _P,
    _PM,
    (),
    "one Produce request answered: milliseconds from sending it to its answer",
    (
        _m("request-latency-avg", "avg", "Average Produce request latency.", "ms"),
        _m("request-latency-max", "max", "Largest Produce request latency.", "ms"),
    ),
)
PRODUCER_BATCH_SIZE = SensorSpec(
    "producer.batch-size",
    _P,
    _PM,
    (),
    "one batch drained for sending: its size in bytes",
    (
        _m("batch-size-avg", "avg", "Average size of the batches sent.", "bytes"),
        _m("batch-size-max", "max", "Largest batch sent.", "bytes"),
    ),
)
PRODUCER_COMPRESSION = SensorSpec(
    "producer.compression-rate",
    _P,
    _PM,
    (),
    "one batch drained: compressed size / uncompressed size",
    (
        _m(
            "compression-rate-avg",
            "avg",
            "Average compressed/uncompressed size ratio of the "
            "batches sent (1.0 without compression).",
            "ratio",
        ),
    ),
)
PRODUCER_QUEUE_TIME = SensorSpec(
    "producer.queue-time",
    _P,
    _PM,
    (),
    "one batch drained: milliseconds since it was created in the accumulator",
    (
        _m("record-queue-time-avg", "avg", "Average time batches waited in the accumulator.", "ms"),
        _m("record-queue-time-max", "max", "Longest time a batch waited in the accumulator.", "ms"),
    ),
)
PRODUCER_RECORD_SIZE = SensorSpec(
    "producer.record-size",
    _P,
    _PM,
    (),
    "one batch drained: the size of its largest record in bytes",
    (
        _m("record-size-avg", "avg", "Average of the batches' largest record sizes.", "bytes"),
        _m("record-size-max", "max", "Largest record sent.", "bytes"),
    ),
)
PRODUCER_THROTTLE = SensorSpec(
    "producer.produce-throttle-time",
    _P,
    _PM,
    (),
    "one Produce answer: the throttle time the broker reported, in milliseconds",
    (
        _m(
            "produce-throttle-time-avg",
            "avg",
            "Average broker throttle time of Produce answers.",
            "ms",
        ),
        _m(
            "produce-throttle-time-max",
            "max",
            "Largest broker throttle time of a Produce answer.",
            "ms",
        ),
    ),
)
PRODUCER_BATCH_SPLIT = SensorSpec(
    "producer.batch-split",
    _P,
    _PM,
    (),
    "one batch split after MESSAGE_TOO_LARGE: 1",
    (
        _m("batch-split-rate", "count-rate", "Batches split per second.", "batches/s"),
        _m("batch-split-total", "count", "Batches split since the start.", "batches"),
    ),
)
PRODUCER_BUFFERPOOL_WAIT = SensorSpec(
    "producer.bufferpool-wait-time",
    _P,
    _PM,
    (),
    "one send() that waited for buffer memory: nanoseconds it waited",
    (
        _m(
            "bufferpool-wait-ratio",
            "rate",
            "Fraction of time send() callers spent waiting for buffer memory.",
            "ratio",
            per=_NS,
        ),
        _m(
            "bufferpool-wait-time-ns-total",
            "total",
            "Time send() callers spent waiting for buffer memory.",
            "ns",
        ),
    ),
)
PRODUCER_BUFFER_EXHAUSTED = SensorSpec(
    "producer.buffer-exhausted",
    _P,
    _PM,
    (),
    "one send() that failed for lack of buffer memory within max_block_ms: 1",
    (
        _m(
            "buffer-exhausted-rate",
            "count-rate",
            "Sends failed for lack of buffer memory, per second.",
            "sends/s",
        ),
        _m("buffer-exhausted-total", "count", "Sends failed for lack of buffer memory.", "sends"),
    ),
)
PRODUCER_TOPIC_RECORDS = SensorSpec(
    "producer.topic-records",
    _P,
    _PTM,
    (TOPIC,),
    "one batch of this topic sent: its record count",
    (
        _m("record-send-rate", "rate", "Records of this topic sent per second.", "records/s"),
        _m("record-send-total", "total", "Records of this topic sent.", "records"),
    ),
)
PRODUCER_TOPIC_BYTES = SensorSpec(
    "producer.topic-bytes",
    _P,
    _PTM,
    (TOPIC,),
    "one batch of this topic sent: its size in bytes",
    (
        _m("byte-rate", "rate", "Bytes of this topic sent per second.", "bytes/s"),
        _m("byte-total", "total", "Bytes of this topic sent.", "bytes"),
    ),
)
PRODUCER_TOPIC_COMPRESSION = SensorSpec(
    "producer.topic-compression-rate",
    _P,
    _PTM,
    (TOPIC,),
    "one batch of this topic sent: compressed / uncompressed size",
    (_m("compression-rate", "avg", "Average compression ratio of this topic's batches.", "ratio"),),
)
PRODUCER_TOPIC_RETRIES = SensorSpec(
    "producer.topic-record-retries",
    _P,
    _PTM,
    (TOPIC,),
    "one batch of this topic sent again: its record count",
    (
        _m("record-retry-rate", "rate", "Records of this topic retried per second.", "records/s"),
        _m("record-retry-total", "total", "Records of this topic retried.", "records"),
    ),
)
PRODUCER_TOPIC_ERRORS = SensorSpec(
    "producer.topic-record-errors",
    _P,
    _PTM,
    (TOPIC,),
    "records of one batch of this topic failed for good: their number",
    (
        _m("record-error-rate", "rate", "Records of this topic failed per second.", "records/s"),
        _m("record-error-total", "total", "Records of this topic failed.", "records"),
    ),
)

PRODUCER_BUFFER_AVAILABLE = GaugeSpec(
    "buffer-available-bytes",
    _P,
    _PM,
    (),
    "Buffer memory not in use by batches (free plus unallocated).",
    "bytes",
    "buffer-available-bytes",
)
PRODUCER_BUFFER_TOTAL = GaugeSpec(
    "buffer-total-bytes",
    _P,
    _PM,
    (),
    "The buffer_memory setting.",
    "bytes",
    "buffer-total-bytes",
)
PRODUCER_WAITING_SENDS = GaugeSpec(
    "waiting-threads",
    _P,
    _PM,
    (),
    "send() calls waiting for buffer memory (Java counts threads, here coroutines).",
    "sends",
    "waiting-threads",
)
PRODUCER_REQUESTS_IN_FLIGHT = GaugeSpec(
    "requests-in-flight",
    _P,
    _PM,
    (),
    "Produce requests sent and not yet answered, over all brokers.",
    "requests",
    "requests-in-flight",
)
PRODUCER_METADATA_AGE = GaugeSpec(
    "metadata-age",
    _P,
    _PM,
    (),
    "Seconds since the cluster metadata was last refreshed.",
    "s",
    "metadata-age",
)
PRODUCER_GAUGES = (
    PRODUCER_BUFFER_AVAILABLE,
    PRODUCER_BUFFER_TOTAL,
    PRODUCER_WAITING_SENDS,
    PRODUCER_REQUESTS_IN_FLIGHT,
    PRODUCER_METADATA_AGE,
)

# -- consumer ---------------------------------------------------------------------------------

CONSUMER_BYTES_FETCHED = SensorSpec(
    "consumer.bytes-fetched",
    _C,
    _FM,
    (),
    "one Fetch answer handled: the record bytes it returned",
    (
        _m("fetch-size-avg", "avg", "Average bytes returned per Fetch request.", "bytes"),
        _m("fetch-size-max", "max", "Most bytes returned by one Fetch request.", "bytes"),
        _m("bytes-consumed-rate", "rate", "Record bytes consumed per second.", "bytes/s"),
        _m("bytes-consumed-total", "total", "Record bytes consumed.", "bytes"),
    ),
)
CONSUMER_RECORDS_FETCHED = SensorSpec(
    "consumer.records-fetched",
    _C,
    _FM,
    (),
    "one partition fetch handed to the application completely: its records",
    (
        _m(
            "records-per-request-avg",
            "avg",
            "Average records per partition fetch (Java averages per Fetch request).",
            "records",
        ),
        _m("records-consumed-rate", "rate", "Records consumed per second.", "records/s"),
        _m("records-consumed-total", "total", "Records consumed.", "records"),
    ),
)
CONSUMER_FETCH_LATENCY = SensorSpec(
    "consumer.fetch-latency",
    _C,
    _FM,
    (),
    "one Fetch request answered: milliseconds from sending it to its answer",
    (
        _m("fetch-latency-avg", "avg", "Average Fetch request latency.", "ms"),
        _m("fetch-latency-max", "max", "Largest Fetch request latency.", "ms"),
        _m("fetch-rate", "count-rate", "Fetch requests per second.", "requests/s"),
        _m("fetch-total", "count", "Fetch requests answered.", "requests"),
    ),
)
CONSUMER_FETCH_THROTTLE = SensorSpec(
    "consumer.fetch-throttle-time",
    _C,
    _FM,
    (),
    "one Fetch answer: the throttle time the broker reported, in milliseconds",
    (
        _m(
            "fetch-throttle-time-avg", "avg", "Average broker throttle time of Fetch answers.", "ms"
        ),
        _m(
            "fetch-throttle-time-max",
            "max",
            "Largest broker throttle time of a Fetch answer.",
            "ms",
        ),
    ),
)
CONSUMER_RECORDS_LAG = SensorSpec(
    "consumer.records-lag",
    _C,
    _FM,
    (),
    "one partition's lag computed (any partition): high watermark (or LSO) - position",
    (
        _m(
            "records-lag-max",
            "max",
            "Largest lag of any assigned partition in the window.",
            "records",
        ),
    ),
)
CONSUMER_RECORDS_LEAD = SensorSpec(
    "consumer.records-lead",
    _C,
    _FM,
    (),
    "one partition's lead computed (any partition): position - log start offset",
    (
        _m(
            "records-lead-min",
            "min",
            "Smallest lead of any assigned partition in the window.",
            "records",
        ),
    ),
)
CONSUMER_TOPIC_BYTES = SensorSpec(
    "consumer.topic-bytes-fetched",
    _C,
    _FM,
    (TOPIC,),
    "one Fetch answer's data for this topic: its record bytes",
    (
        _m("fetch-size-avg", "avg", "Average bytes of this topic per Fetch request.", "bytes"),
        _m("fetch-size-max", "max", "Most bytes of this topic in one Fetch request.", "bytes"),
        _m("bytes-consumed-rate", "rate", "Bytes of this topic consumed per second.", "bytes/s"),
        _m("bytes-consumed-total", "total", "Bytes of this topic consumed.", "bytes"),
    ),
)
CONSUMER_TOPIC_RECORDS = SensorSpec(
    "consumer.topic-records-fetched",
    _C,
    _FM,
    (TOPIC,),
    "one partition fetch of this topic handed out completely: its records",
    (
        _m(
            "records-per-request-avg",
            "avg",
            "Average records of this topic per partition fetch.",
            "records",
        ),
        _m(
            "records-consumed-rate",
            "rate",
            "Records of this topic consumed per second.",
            "records/s",
        ),
        _m("records-consumed-total", "total", "Records of this topic consumed.", "records"),
    ),
)
CONSUMER_PARTITION_LAG = SensorSpec(
    "consumer.partition-records-lag",
    _C,
    _FM,
    (TOPIC, PARTITION),
    "this partition's lag computed: high watermark (or LSO) - position",
    (
        _m("records-lag", "value", "The partition's latest lag.", "records"),
        _m("records-lag-avg", "avg", "The partition's average lag in the window.", "records"),
        _m("records-lag-max", "max", "The partition's largest lag in the window.", "records"),
    ),
)
CONSUMER_PARTITION_LEAD = SensorSpec(
    "consumer.partition-records-lead",
    _C,
    _FM,
    (TOPIC, PARTITION),
    "this partition's lead computed: position - log start offset",
    (
        _m("records-lead", "value", "The partition's latest lead.", "records"),
        _m("records-lead-avg", "avg", "The partition's average lead in the window.", "records"),
        _m("records-lead-min", "min", "The partition's smallest lead in the window.", "records"),
    ),
)
CONSUMER_TIME_BETWEEN_POLL = SensorSpec(
    "consumer.time-between-poll",
    _C,
    _CM,
    (),
    "one poll (getone/getmany) started: milliseconds since the previous poll started",
    (
        _m("time-between-poll-avg", "avg", "Average time between two polls.", "ms"),
        _m("time-between-poll-max", "max", "Longest time between two polls.", "ms"),
    ),
)
CONSUMER_POLL_IDLE = SensorSpec(
    "consumer.poll-idle-ratio",
    _C,
    _CM,
    (),
    "one poll returned: time inside the poll / time since the previous poll started",
    (
        _m(
            "poll-idle-ratio-avg",
            "avg",
            "Average fraction of time the application spent inside poll calls.",
            "ratio",
        ),
    ),
)
CONSUMER_COMMIT_SYNC_TIME = SensorSpec(
    "consumer.commit-sync-time",
    _C,
    _CM,
    (),
    "one commit() awaited to its end: nanoseconds it took",
    (_m("commit-sync-time-ns-total", "total", "Time spent in awaited commits.", "ns"),),
)
CONSUMER_COMMITTED_TIME = SensorSpec(
    "consumer.committed-time",
    _C,
    _CM,
    (),
    "one committed() call: nanoseconds it took",
    (_m("committed-time-ns-total", "total", "Time spent in committed() calls.", "ns"),),
)
CONSUMER_COMMIT_LATENCY = SensorSpec(
    "consumer.commit-latency",
    _C,
    _CCM,
    (),
    "one OffsetCommit request answered: milliseconds to its answer",
    (
        _m("commit-latency-avg", "avg", "Average OffsetCommit latency.", "ms"),
        _m("commit-latency-max", "max", "Largest OffsetCommit latency.", "ms"),
        _m("commit-rate", "count-rate", "Commits per second.", "commits/s"),
        _m("commit-total", "count", "Commits sent.", "commits"),
    ),
)
CONSUMER_REBALANCE = SensorSpec(
    "consumer.rebalance-latency",
    _C,
    _CCM,
    (),
    "one rebalance completed: milliseconds from its start to the new assignment",
    (
        _m("rebalance-latency-avg", "avg", "Average rebalance duration.", "ms"),
        _m("rebalance-latency-max", "max", "Longest rebalance.", "ms"),
        _m("rebalance-latency-total", "total", "Time spent rebalancing.", "ms"),
        _m(
            "rebalance-rate-per-hour",
            "count-rate",
            "Rebalances completed per hour.",
            "rebalances/h",
            per=_HOUR,
        ),
        _m("rebalance-total", "count", "Rebalances completed.", "rebalances"),
    ),
)
CONSUMER_FAILED_REBALANCE = SensorSpec(
    "consumer.failed-rebalance",
    _C,
    _CCM,
    (),
    "one rebalance failed: 1",
    (
        _m(
            "failed-rebalance-rate-per-hour",
            "count-rate",
            "Failed rebalances per hour.",
            "rebalances/h",
            per=_HOUR,
        ),
        _m("failed-rebalance-total", "count", "Failed rebalances.", "rebalances"),
    ),
)
CONSUMER_HEARTBEAT = SensorSpec(
    "consumer.heartbeat-latency",
    _C,
    _CCM,
    (),
    "one heartbeat answered (Heartbeat or ConsumerGroupHeartbeat): milliseconds to its answer",
    (
        _m("heartbeat-response-time-max", "max", "Longest heartbeat round trip.", "ms"),
        _m("heartbeat-rate", "count-rate", "Heartbeats per second.", "heartbeats/s"),
        _m("heartbeat-total", "count", "Heartbeats answered.", "heartbeats"),
    ),
)
CONSUMER_JOIN = SensorSpec(
    "consumer.join-latency",
    _C,
    _CCM,
    (),
    "one JoinGroup answered (classic protocol): milliseconds to its answer",
    (
        _m("join-time-avg", "avg", "Average JoinGroup round trip.", "ms"),
        _m("join-time-max", "max", "Longest JoinGroup round trip.", "ms"),
        _m("join-rate", "count-rate", "Group joins per second.", "joins/s"),
        _m("join-total", "count", "Group joins.", "joins"),
    ),
)
CONSUMER_SYNC = SensorSpec(
    "consumer.sync-latency",
    _C,
    _CCM,
    (),
    "one SyncGroup answered (classic protocol): milliseconds to its answer",
    (
        _m("sync-time-avg", "avg", "Average SyncGroup round trip.", "ms"),
        _m("sync-time-max", "max", "Longest SyncGroup round trip.", "ms"),
        _m("sync-rate", "count-rate", "Group syncs per second.", "syncs/s"),
        _m("sync-total", "count", "Group syncs.", "syncs"),
    ),
)

CONSUMER_LAST_POLL = GaugeSpec(
    "last-poll-seconds-ago",
    _C,
    _CM,
    (),
    "Seconds since the application last polled (getone/getmany).",
    "s",
    "last-poll-seconds-ago",
)
CONSUMER_LAST_REBALANCE = GaugeSpec(
    "last-rebalance-seconds-ago",
    _C,
    _CCM,
    (),
    "Seconds since the last completed rebalance.",
    "s",
    "last-rebalance-seconds-ago",
)
CONSUMER_LAST_HEARTBEAT = GaugeSpec(
    "last-heartbeat-seconds-ago",
    _C,
    _CCM,
    (),
    "Seconds since the last heartbeat answer.",
    "s",
    "last-heartbeat-seconds-ago",
)
CONSUMER_ASSIGNED_PARTITIONS = GaugeSpec(
    "assigned-partitions",
    _C,
    _CCM,
    (),
    "Partitions assigned to this consumer.",
    "partitions",
    "assigned-partitions",
)
CONSUMER_GAUGES = (
    CONSUMER_LAST_POLL,
    CONSUMER_LAST_REBALANCE,
    CONSUMER_LAST_HEARTBEAT,
    CONSUMER_ASSIGNED_PARTITIONS,
)

# -- connections (every client) ---------------------------------------------------------------

CONNECTION_CREATION = SensorSpec(
    "net.connection-creation",
    _ALL,
    _NET,
    (),
    "one broker connection established (TCP, TLS, ApiVersions, SASL done): 1",
    (
        _m(
            "connection-creation-rate",
            "count-rate",
            "Connections established per second.",
            "connections/s",
        ),
        _m("connection-creation-total", "count", "Connections established.", "connections"),
    ),
)
CONNECTION_CLOSE = SensorSpec(
    "net.connection-close",
    _ALL,
    _NET,
    (),
    "one broker connection closed (by us, the broker or an error): 1",
    (
        _m(
            "connection-close-rate", "count-rate", "Connections closed per second.", "connections/s"
        ),
        _m("connection-close-total", "count", "Connections closed.", "connections"),
    ),
)
NET_BYTES_SENT = SensorSpec(
    "net.bytes-sent",
    _ALL,
    _NET,
    (),
    "one request written: its size in bytes (size prefix included)",
    (
        _m("outgoing-byte-rate", "rate", "Bytes sent to all brokers per second.", "bytes/s"),
        _m("outgoing-byte-total", "total", "Bytes sent to all brokers.", "bytes"),
        _m("request-rate", "count-rate", "Requests sent per second.", "requests/s"),
        _m("request-total", "count", "Requests sent.", "requests"),
        _m("request-size-avg", "avg", "Average request size.", "bytes"),
        _m("request-size-max", "max", "Largest request sent.", "bytes"),
    ),
)
NET_BYTES_RECEIVED = SensorSpec(
    "net.bytes-received",
    _ALL,
    _NET,
    (),
    "one response read: its size in bytes (size prefix included)",
    (
        _m("incoming-byte-rate", "rate", "Bytes received from all brokers per second.", "bytes/s"),
        _m("incoming-byte-total", "total", "Bytes received from all brokers.", "bytes"),
        _m("response-rate", "count-rate", "Responses received per second.", "responses/s"),
        _m("response-total", "count", "Responses received.", "responses"),
    ),
)
NET_LOOP_LAG = SensorSpec(
    "net.loop-lag",
    _ALL,
    _NET,
    (),
    "one periodic probe callback ran: seconds it ran later than scheduled",
    (
        _ours(
            "event-loop-lag-avg",
            "avg",
            "Average delay of a callback scheduled on the "
            "client's event loop (what Java's io-wait/io ratios tell: how busy the loop "
            "is).",
            "s",
        ),
        _ours("event-loop-lag-max", "max", "Largest such delay in the window.", "s"),
    ),
)
NODE_BYTES_SENT = SensorSpec(
    "net.node-bytes-sent",
    _ALL,
    _NODE,
    (NODE_ID,),
    "one request written to this broker: its size in bytes",
    (
        _m("outgoing-byte-rate", "rate", "Bytes sent to this broker per second.", "bytes/s"),
        _m("outgoing-byte-total", "total", "Bytes sent to this broker.", "bytes"),
        _m("request-rate", "count-rate", "Requests sent to this broker per second.", "requests/s"),
        _m("request-total", "count", "Requests sent to this broker.", "requests"),
        _m("request-size-avg", "avg", "Average request size to this broker.", "bytes"),
        _m("request-size-max", "max", "Largest request sent to this broker.", "bytes"),
    ),
)
NODE_BYTES_RECEIVED = SensorSpec(
    "net.node-bytes-received",
    _ALL,
    _NODE,
    (NODE_ID,),
    "one response read from this broker: its size in bytes",
    (
        _m("incoming-byte-rate", "rate", "Bytes received from this broker per second.", "bytes/s"),
        _m("incoming-byte-total", "total", "Bytes received from this broker.", "bytes"),
        _m("response-rate", "count-rate", "Responses from this broker per second.", "responses/s"),
        _m("response-total", "count", "Responses from this broker.", "responses"),
    ),
)
NODE_LATENCY = SensorSpec(
    "net.node-latency",
    _ALL,
    _NODE,
    (NODE_ID,),
    "one request to this broker answered: milliseconds from writing it to its answer",
    (
        _m("request-latency-avg", "avg", "Average latency of requests to this broker.", "ms"),
        _m("request-latency-max", "max", "Largest latency of a request to this broker.", "ms"),
    ),
)
API_REQUESTS = SensorSpec(
    "net.api-latency",
    _ALL,
    _API,
    ("api",),
    "one request of this API answered: milliseconds from writing it to its answer",
    (
        _ours(
            "request-rate", "count-rate", "Requests of this API answered per second.", "requests/s"
        ),
        _ours("request-total", "count", "Requests of this API answered.", "requests"),
        _ours("request-latency-avg", "avg", "Average latency of this API's requests.", "ms"),
        _ours("request-latency-max", "max", "Largest latency of this API's requests.", "ms"),
    ),
)
API_ERRORS = SensorSpec(
    "net.api-errors",
    _ALL,
    _API,
    ("api",),
    "one request of this API failed (error code in the answer, timeout or lost connection): 1",
    (
        _ours(
            "request-error-rate",
            "count-rate",
            "Failed requests of this API per second.",
            "requests/s",
        ),
        _ours("request-error-total", "count", "Failed requests of this API.", "requests"),
    ),
)

CONNECTION_COUNT = GaugeSpec(
    "connection-count",
    _ALL,
    _NET,
    (),
    "Open broker connections.",
    "connections",
    "connection-count",
)
CONNECTION_GAUGES = (CONNECTION_COUNT,)

ALL_SENSORS: tuple[SensorSpec, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, SensorSpec)
)
ALL_GAUGES: tuple[GaugeSpec, ...] = PRODUCER_GAUGES + CONSUMER_GAUGES + CONNECTION_GAUGES
