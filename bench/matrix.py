"""The client benchmark matrix: scenarios, their variants, and the settings every client pins.

One ``Run`` is one (scenario variant, client, repetition): it is handed to a worker
subprocess as JSON (``Run.to_json``) and the worker answers with one result dict.
Three matrix sizes: ``quick`` (smoke, < 3 min), ``default`` (``make bench``: its client suite
takes about 20 min on a 2-core machine) and ``full`` (every produce combination from the
issue at 1M messages).

A variant's ``messages`` is its unit of work. A matrix with ``min_seconds`` > 0 has a time
floor: a client whose run at one unit is shorter gets a whole multiple of units (the same
multiple in each of its repetitions, see ``bench.runner``), so that every timed run of the
fastest clients lasts at least ``min_seconds`` while slow clients still do one unit.
Settings that are not part of the scenario are pinned in ``PINNED`` and mapped to each
client's own option names by the adapters (defaults differ between clients).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, replace
from typing import Any

KIB = 1024
MIB = 1024 * 1024

# Every setting that is not a scenario axis, pinned for every client (Java defaults where a
# choice had to be made). The adapters translate these names.
PINNED: dict[str, Any] = {
    "enable_idempotence": False,
    "max_in_flight": 5,
    "request_timeout_ms": 30000,
    "max_request_size": MIB,
    "buffer_memory": 32 * MIB,
    "retries_backoff_ms": 100,
    "fetch_max_wait_ms": 500,
    "fetch_min_bytes": 1,
    "fetch_max_bytes": 50 * MIB,
    "max_partition_fetch_bytes": MIB,
    "max_poll_records": 500,
    "check_crcs": True,
    "auto_offset_reset": "earliest",
    "enable_auto_commit": False,
    "isolation_level": "read_uncommitted",
}

KINDS = ("produce", "latency", "consume", "pipeline", "share")
SCENARIO_OF_KIND = {
    "produce": "produce-100B",
    "latency": "produce-latency",
    "consume": "consume-100B",
    "pipeline": "pipeline-compressed-1KiB",
    "share": "share-consume-100B",
}
SHARE_MODES = ("implicit", "explicit")  # share.acknowledgement.mode


@dataclass(frozen=True)
class Variant:
    """One scenario variant: the axes a client run depends on."""

    kind: str  # produce | latency | consume | pipeline | share
    messages: int
    value_size: int = 100
    partitions: int = 1
    acks: str = "1"  # "1" or "all"
    linger_ms: int = 5
    batch_bytes: int = 16 * KIB
    compression: str | None = None  # None | "lz4" | "zstd"
    # consume/pipeline: "batch" (getmany-style) or "iter"; share: "implicit" or "explicit"
    # (acknowledgement mode: explicit acknowledges every record as ACCEPT)
    mode: str = "batch"

    @property
    def scenario(self) -> str:
        return SCENARIO_OF_KIND[self.kind]

    @property
    def timeout_s(self) -> float:
        """Seconds a worker may take before it counts as stuck: slower than 1 ms per
        message plus a minute of start-up."""
        return 60.0 + self.messages / 1000.0

    @property
    def label(self) -> str:
        """Short variant label, unique within its scenario."""
        if self.kind == "produce":
            batch = f"{self.batch_bytes // KIB}KiB" if self.batch_bytes < MIB else "1MiB"
            return f"p{self.partitions} acks={self.acks} batch={batch}"
        if self.kind in ("consume", "share"):
            return self.mode
        if self.kind == "pipeline":
            return str(self.compression)
        return f"acks={self.acks}"

    @property
    def key(self) -> str:
        """The key in latest.json: ``scenario [label]``."""
        return f"{self.scenario} [{self.label}]"


@dataclass(frozen=True)
class Run:
    """Everything a worker subprocess needs for one measurement."""

    client: str
    variant: Variant
    bootstrap: str
    topic: str
    warmup_topic: str
    pinned: dict[str, Any] = field(default_factory=lambda: dict(PINNED))
    jvm_warmup: int = 0  # Java tools only: untimed records before the timed window
    # share runs: a share group of their own whose share.auto.offset.reset is earliest
    group: str = ""
    timed: bool = True  # False for the fills and the fairness check: every record counts

    @property
    def timeout_s(self) -> float:
        """The worker's limit: the variant's, plus the Java tools' untimed records."""
        extra = jvm_records(self.variant.messages, self.jvm_warmup) - self.variant.messages
        return self.variant.timeout_s + extra / 1000.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Run:
        data = json.loads(text)
        data["variant"] = Variant(**data["variant"])
        return cls(**data)


JVM_SLACK = 200_000


def jvm_records(messages: int, warmup: int) -> int:
    """Records a Java perf tool sends or reads for a timed window of ``messages`` after
    ``warmup``: the tools time the LAST ``messages`` (or a few more) between two of their
    progress reports, so everything before (at least ``warmup``) is untimed. The slack (a
    tenth more, at least ``JVM_SLACK``) covers the reports' granularity: up to one
    reporting interval is read after the last report, and the window opens on a report."""
    return messages + warmup + max(messages // 10, JVM_SLACK) if warmup else messages


@dataclass(frozen=True)
class Matrix:
    """The variants of one benchmark run and how often each is repeated."""

    name: str
    variants: tuple[Variant, ...]
    repetitions: int
    check_messages: int  # fairness check: records produced, read back and counted per client
    min_seconds: float = 0.0  # time floor of a timed run (0: one unit, no floor)
    # Java perf tools: records sent/read before their timed window opens (JIT warm-up; see
    # jvm_records and bench.adapters.java)
    jvm_warmup: int = 0


def _produce(messages: int, combos: list[tuple[int, str, int]]) -> list[Variant]:
    return [Variant("produce", messages, partitions=p, acks=a, batch_bytes=b) for p, a, b in combos]


def _rest(latency: int, consume: int, pipeline: int, iterate: int) -> list[Variant]:
    return [
        Variant("latency", latency, linger_ms=0),
        Variant("consume", consume, mode="batch"),
        Variant("consume", iterate, mode="iter"),
        Variant("pipeline", pipeline, value_size=KIB, partitions=6, compression="lz4"),
        Variant("pipeline", pipeline, value_size=KIB, partitions=6, compression="zstd"),
        # share groups read the consume topic (one partition), each run as a new group
        *(Variant("share", iterate, mode=mode) for mode in SHARE_MODES),
    ]


# Measured on the 2-core machine: the Java producer climbs from ~140k to ~700k msg/s over its
# first ~800k records and the consumer from ~230k to ~1.2M msg/s over ~700k (C2 compiling
# the hot paths); before that the tools measure the JIT, not the client.
JVM_WARMUP = 1_000_000
ALL_PRODUCE = [(p, a, b) for p in (1, 6) for a in ("1", "all") for b in (16 * KIB, MIB)]
DEFAULT_PRODUCE = [(1, "1", 16 * KIB), (6, "all", 16 * KIB), (6, "1", MIB)]


def matrix(name: str) -> Matrix:
    """``quick``, ``default`` or ``full``."""
    if name == "quick":
        variants = _produce(10_000, [(1, "1", 16 * KIB), (6, "all", MIB)]) + _rest(
            300, 10_000, 3_000, 10_000
        )
        # no time floor (a smoke run; --min-seconds sets one); a small Java warm-up so that
        # the warm-up code paths run
        return Matrix(name, tuple(variants), 1, check_messages=500, jvm_warmup=5_000)
    if name == "default":
        # Units sized for the slowest clients (kafka-python, aiokafka pure, the asyncio
        # confluent iterator): each of their runs lasts seconds at one unit; the 2 s floor
        # multiplies the units of the fast ones (librdkafka, Java, a compiled aiokafka_gen).
        variants = _produce(100_000, DEFAULT_PRODUCE) + _rest(10_000, 200_000, 20_000, 50_000)
        # An even count: with two clients each runs first (right after the previous, often
        # heavy, scenario) equally often; with three repetitions one of them did twice.
        return Matrix(name, tuple(variants), 4, check_messages=2000, min_seconds=2.0,
                      jvm_warmup=JVM_WARMUP)  # fmt: skip
    if name == "full":
        variants = _produce(1_000_000, ALL_PRODUCE) + _rest(10_000, 1_000_000, 200_000, 1_000_000)
        return Matrix(name, tuple(variants), 4, check_messages=10_000, min_seconds=2.0,
                      jvm_warmup=JVM_WARMUP)  # fmt: skip
    raise ValueError(f"unknown matrix {name!r}; choose quick, default or full")


def scaled(m: Matrix, factor: float) -> Matrix:
    """The same matrix with every message count multiplied by ``factor`` (at least 100)."""
    variants = tuple(replace(v, messages=max(100, int(v.messages * factor))) for v in m.variants)
    return replace(m, variants=variants)


def payload(size: int) -> bytes:
    """The value every client sends: deterministic text-like bytes (compressible like logs,
    not a run of one byte). The same object is reused for every message of a run."""
    rng = random.Random(size)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(64)
    ]
    text = ""
    while len(text) < size:
        text += rng.choice(words) + rng.choice((" ", " ", ", ", "; ", "\n", "=", ":"))
    return text[:size].encode()
