"""The clients under benchmark: which adapter module drives each, whether it is installed or
built, and which scenario kinds it can run. Adding a client = one adapter module + one row."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field

from ..implementation import METRICS_OFF, NO_EXTENSIONS
from ..matrix import SHARE_MODES, Variant


@dataclass(frozen=True)
class Client:
    """One column of the results."""

    name: str
    module: str  # adapter module under bench.adapters
    package: str  # what must import for the column to be filled
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the worker
    kinds: tuple[str, ...] = ("produce", "latency", "consume", "pipeline")
    iterator: bool = True  # has a per-record consume API
    share_modes: tuple[str, ...] = ()  # share-group acknowledgement modes it can run

    @property
    def is_aiokafka_gen(self) -> bool:
        """Runs this project's client (its worker records compiled or pure)."""
        return self.package == "aiokafka_gen"

    def supports(self, variant: Variant) -> bool:
        if variant.kind == "share":
            return variant.mode in self.share_modes
        if variant.kind not in self.kinds:
            return False
        return self.iterator or not (variant.kind == "consume" and variant.mode == "iter")


BOTH = SHARE_MODES
CLIENTS: tuple[Client, ...] = (
    # as built: compiled if it is
    Client("aiokafka_gen", "aiokafka_api", "aiokafka_gen", share_modes=BOTH),
    Client(
        "aiokafka_gen-pure",
        "aiokafka_api",
        "aiokafka_gen",
        env={NO_EXTENSIONS: "1"},
        share_modes=BOTH,
    ),
    # as built, with metrics_enabled=False: the cost of the metrics (issue #24: <= 3%)
    Client(
        "aiokafka_gen-nometrics",
        "aiokafka_api",
        "aiokafka_gen",
        env={METRICS_OFF: "1"},
        kinds=("produce", "consume"),
    ),
    Client("aiokafka", "aiokafka_api", "aiokafka"),
    Client("kafka-python", "kafka_python", "kafka"),
    Client("confluent-kafka", "confluent", "confluent_kafka", share_modes=BOTH),
    Client("confluent-kafka-aio", "confluent", "confluent_kafka"),  # no asyncio ShareConsumer
    # ShareConsumerPerformance acknowledges implicitly only
    Client(
        "java",
        "java",
        "aiokafka_gen.testing",
        kinds=("produce", "consume"),
        iterator=False,
        share_modes=("implicit",),
    ),
)
# Not in the default set: aiokafka with its Cython extensions disabled.
EXTRA_CLIENTS: tuple[Client, ...] = (
    Client("aiokafka-pure", "aiokafka_api", "aiokafka", env={"AIOKAFKA_NO_EXTENSIONS": "1"}),
)
DEFAULT_CLIENTS = tuple(c.name for c in CLIENTS)


def client(name: str) -> Client:
    for candidate in CLIENTS + EXTRA_CLIENTS:
        if candidate.name == name:
            return candidate
    known = ", ".join(c.name for c in CLIENTS + EXTRA_CLIENTS)
    raise ValueError(f"unknown client {name!r}; known: {known}")


def availability(entry: Client) -> str | None:
    """None when the client can run, else why its column is empty ("not built", ...)."""
    if entry.is_aiokafka_gen:
        try:
            module = importlib.import_module("aiokafka_gen")
            module.AIOKafkaProducer, module.AIOKafkaConsumer  # noqa: B018
        except (ImportError, AttributeError):
            return "not built"
        return None
    if importlib.util.find_spec(entry.package) is None:
        return "not installed"
    return None
