"""What a scenario gets (``Env``) and the helpers that turn run-dependent results into
comparable observations.

An observation is plain data: ints, strings, bytes, bools, tuples, lists and dicts. Topic
names are replaced by aliases in creation order (``t0``, ``t1``, ...), partitions by
``(alias, partition)`` tuples, exceptions by their class names, and anything timing-based by
a bound check (``True`` when it happened within the limit). Every wait is bounded: a poll
that gets nothing in time gives a short list or ``TIMEOUT``, which shows up in the
comparison instead of hanging the test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiokafka_gen.testing import KafkaCluster

TIMEOUT = "TIMEOUT"  # what a bounded wait reports when it ran out of time

# Group members that notice a lost peer quickly; the harness sets the broker's initial
# rebalance delay to 0 and its minimum session timeout to 1 s.
GROUP = {
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 500,
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
}

_RUN_IDS = itertools.count()


@dataclass
class Env:
    """One module's run of one scenario: the broker, fresh names and the topic aliases."""

    bootstrap: str
    cluster: KafkaCluster
    label: str
    prefix: str = field(default_factory=lambda: f"compat-{next(_RUN_IDS)}-{os.urandom(3).hex()}")
    aliases: dict[str, str] = field(default_factory=dict)
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def name(self) -> str:
        """A topic name nobody has used, aliased ``t<n>`` (not created)."""
        name = f"{self.prefix}-{self.label}-{next(self._names)}"
        self.aliases[name] = f"t{len(self.aliases)}"
        return name

    def group(self) -> str:
        return f"{self.prefix}-{self.label}-group-{next(self._names)}"

    def transactional_id(self) -> str:
        return f"{self.prefix}-{self.label}-txn-{next(self._names)}"

    async def create(
        self, name: str, partitions: int = 1, configs: Mapping[str, str] | None = None
    ) -> None:
        """Create ``name`` (the harness waits until every partition has a leader); runs in a
        thread so the clients of the running loop keep heartbeating."""
        await asyncio.to_thread(self.cluster.create_topic, name, partitions, 1, configs)

    async def topic(self, partitions: int = 1, configs: Mapping[str, str] | None = None) -> str:
        name = self.name()
        await self.create(name, partitions, configs)
        return name

    def alias(self, topic: str) -> str:
        return self.aliases.get(topic, "<foreign topic>")

    def tp(self, tp: Any) -> tuple[str, int]:
        return (self.alias(tp.topic), tp.partition)

    def tps(self, tps: Iterable[Any]) -> list[tuple[str, int]]:
        return sorted(self.tp(tp) for tp in tps)

    def record(self, record: Any) -> Any:
        """The comparable part of a ConsumerRecord (or a marker that came instead)."""
        if isinstance(record, str | tuple):
            return record
        return {
            "tp": (self.alias(record.topic), record.partition),
            "offset": record.offset,
            "key": record.key,
            "value": record.value,
            "headers": list(record.headers),
        }

    def records(self, records: Iterable[Any]) -> list[Any]:
        return [self.record(r) for r in records]

    def by_tp(self, batch: Mapping[Any, Sequence[Any]]) -> dict[tuple[str, int], list[Any]]:
        return {self.tp(tp): [(r.offset, r.value) for r in rs] for tp, rs in batch.items()}


def exc_name(exc: BaseException) -> str:
    return type(exc).__name__


class Raised:
    """An exception in an observation: its class name and the names of every class it is an
    instance of. Two are equal when the names match, or when aiokafka_gen's exception is an
    instance of a class named like aiokafka's: ``except ValueError`` still catches a
    KafkaConfigurationError that is also a ValueError, so that is compatible (the other way
    round, a broader class than aiokafka's, is not). Equal to a plain string naming it."""

    __slots__ = ("name", "names", "ours")
    __hash__ = None  # type: ignore[assignment]  # equality is not an equivalence

    def __init__(self, exc: BaseException) -> None:
        mro = type(exc).__mro__
        self.name = mro[0].__name__
        self.names = frozenset(c.__name__ for c in mro)
        self.ours = any(c.__module__.split(".")[0] == "aiokafka_gen" for c in mro)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.name == other
        if not isinstance(other, Raised):
            return NotImplemented
        if self.name == other.name:
            return True
        if self.ours != other.ours:
            ours, theirs = (self, other) if self.ours else (other, self)
            return theirs.name in ours.names
        return False

    def __repr__(self) -> str:
        return f"Raised({self.name})"


async def outcome(work: Awaitable[Any], timeout: float = 30.0) -> Any:
    """``("ok", value)``, ``("raised", Raised)`` or ``TIMEOUT``."""
    try:
        async with asyncio.timeout(timeout):
            return ("ok", await work)
    except TimeoutError:
        return TIMEOUT
    except Exception as exc:
        return ("raised", Raised(exc))


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``("ok", value)`` or ``("raised", Raised)`` of a synchronous call."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:
        return ("raised", Raised(exc))


def shape(value: Any) -> Any:
    """``ok:<type>`` or the Raised, for results whose value is run-dependent."""
    if value == TIMEOUT:
        return TIMEOUT
    kind, inner = value
    return f"ok:{type(inner).__name__}" if kind == "ok" else inner


async def within(work: Awaitable[Any], timeout: float) -> Any:
    """The result of ``work``, or ``TIMEOUT`` (exceptions propagate)."""
    try:
        async with asyncio.timeout(timeout):
            return await work
    except TimeoutError:
        return TIMEOUT


async def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Whether ``predicate`` became true within ``timeout`` seconds (checked every 50 ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def collect(consumer: Any, count: int, timeout: float = 20.0, *partitions: Any) -> list[Any]:
    """Records from ``getmany`` until ``count`` arrived or ``timeout`` passed (then the list
    is short). Records of several partitions come in no fixed interleaving: callers sort."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out: list[Any] = []
    while len(out) < count and loop.time() < deadline:
        batch = await consumer.getmany(*partitions, timeout_ms=200)
        for records in batch.values():
            out.extend(records)
    return out


async def collect_or_raise(consumer: Any, count: int, timeout: float = 20.0) -> Any:
    """Like ``collect`` but a poll's exception becomes ``("raised", Raised)``."""
    try:
        return await collect(consumer, count, timeout)
    except Exception as exc:
        return ("raised", Raised(exc))


async def produce(
    mod: ModuleType,
    env: Env,
    topic: str,
    values: Sequence[Any],
    *,
    partition: int | None = 0,
    keys: Sequence[Any] | None = None,
    timestamps: Sequence[int] | None = None,
    headers: Sequence[Any] | None = None,
    **options: Any,
) -> list[tuple[int, int]]:
    """Send ``values`` with ``mod``'s producer and wait for every ack; ``(partition,
    offset)`` of each."""
    producer = mod.AIOKafkaProducer(bootstrap_servers=env.bootstrap, **options)
    async with producer:
        futures = [
            await producer.send(
                topic, value,
                key=None if keys is None else keys[i],
                partition=partition,
                timestamp_ms=None if timestamps is None else timestamps[i],
                headers=None if headers is None else headers[i],
            )
            for i, value in enumerate(values)
        ]  # fmt: skip
        metas = await asyncio.gather(*futures)
    return [(m.partition, m.offset) for m in metas]


def listener_class(mod: ModuleType) -> type:
    """A ConsumerRebalanceListener of ``mod`` that records every call (as aliases) and may
    run a hook after an assignment. aiokafka refuses listeners of another class tree."""

    class Recorder(mod.ConsumerRebalanceListener):  # type: ignore[name-defined,misc]
        def __init__(
            self, env: Env, on_assigned: Callable[[Any], Awaitable[None]] | None = None
        ) -> None:
            self.env = env
            self.calls: list[tuple[str, list[tuple[str, int]]]] = []
            self.on_assigned = on_assigned

        async def on_partitions_revoked(self, revoked: Any) -> None:
            self.calls.append(("revoked", self.env.tps(revoked)))

        async def on_partitions_assigned(self, assigned: Any) -> None:
            self.calls.append(("assigned", self.env.tps(assigned)))
            if self.on_assigned is not None:
                await self.on_assigned(assigned)

        def assigned(self) -> int:
            return sum(1 for kind, _ in self.calls if kind == "assigned")

    return Recorder
