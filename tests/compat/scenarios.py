"""Scenarios written against aiokafka's public API only, run once per client module.

Each scenario is ``async def scenario(mod, env) -> observation``: ``mod`` is ``aiokafka`` or
``aiokafka_gen`` (used as a user would: ``mod.AIOKafkaProducer``, ``mod.errors.X``,
``mod.structs.TopicPartition``), ``env`` gives the bootstrap address, fresh topics (each run
has its own, so offsets are deterministic), fresh group and transactional ids and the
normalisation helpers (support.py). Every client a scenario makes is stopped before it
returns, also when it fails.

Sources: ``#18.<n>`` are the items of issue #18 (aiokafka's behaviour is the target);
``docs`` are the usage patterns aiokafka documents (batches, idempotence, transactions,
groups, local-state listeners, partitioners, serialization, compression, seeking, offset
lookups, pause/resume, positions).

``Difference`` marks the few deliberate, documented departures from aiokafka: there the
test checks that aiokafka still shows ``reference`` and that aiokafka_gen shows ``ours``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import json
import sys
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .support import (
    GROUP,
    TIMEOUT,
    Env,
    Raised,
    call,
    collect,
    collect_or_raise,
    exc_name,
    listener_class,
    outcome,
    produce,
    shape,
    wait_until,
    within,
)

Run = Callable[[ModuleType, Env], Awaitable[Any]]
OLD_TS = 1_700_000_000_000  # explicit record timestamps; topics holding them keep forever
KEEP = {"retention.ms": "-1"}


@dataclass(frozen=True)
class Difference:
    """A deliberate departure from aiokafka: ``why`` (where it is documented), what aiokafka
    shows and what aiokafka_gen shows instead."""

    why: str
    reference: Any
    ours: Any


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    run: Run
    difference: Difference | None = None
    timeout: float = 120.0  # per module; a run past it is cancelled and fails the test


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str, source: str, *, difference: Difference | None = None, **bound: Any
) -> Callable[[Run], Run]:
    """Register the decorated function as scenario ``name`` (``bound`` keyword arguments
    make one parametrised case of a shared function)."""

    def register(fn: Run) -> Run:
        run = functools.partial(fn, **bound) if bound else fn
        assert name not in SCENARIOS, name
        SCENARIOS[name] = Scenario(name, source, run, difference)
        return fn

    return register


def sub(mod: ModuleType, path: str) -> ModuleType:
    """``mod.<path>`` as ``from aiokafka.<path> import ...`` would load it."""
    return importlib.import_module(f"{mod.__name__}.{path}")


def TP(mod: ModuleType, topic: str, partition: int) -> Any:
    return sub(mod, "structs").TopicPartition(topic, partition)


def consumer_of(mod: ModuleType, env: Env, *topics: str, **options: Any) -> Any:
    return mod.AIOKafkaConsumer(*topics, bootstrap_servers=env.bootstrap, **options)


def group_consumer(mod: ModuleType, env: Env, *topics: str, **options: Any) -> Any:
    settings = {**GROUP, "group_id": env.group(), **options}
    return consumer_of(mod, env, *topics, **settings)


async def refused_as_value_error(work: Awaitable[Any], timeout: float = 20.0) -> Any:
    try:
        async with asyncio.timeout(timeout):
            await work
    except TimeoutError:
        return TIMEOUT
    except ValueError:
        return "refused: a ValueError subclass"
    except Exception as exc:
        return f"refused: {exc_name(exc)}"
    return "accepted"


# --------------------------------------------------------------------------- issue #18


@scenario("18.1-unsubscribe-then-assign", "#18.1")
async def unsubscribe_then_assign(mod: ModuleType, env: Env) -> Any:
    first, second = await env.topic(2), await env.topic(1)
    await produce(mod, env, first, [b"a0", b"a1"])
    await produce(mod, env, second, [b"b0"])
    tp, other = TP(mod, first, 0), TP(mod, second, 0)
    consumer = group_consumer(mod, env)
    consumer.subscribe([first])
    seen: dict[str, Any] = {}
    async with consumer:
        seen["joined, position"] = await outcome(consumer.position(tp), 20)
        for step, target in (("first switch", tp), ("second switch", other)):
            consumer.unsubscribe()
            consumer.assign([target])
            seen[step] = {
                "assignment": env.tps(consumer.assignment()),
                "getone": env.record(await within(consumer.getone(), 15)),
                "commit": await outcome(consumer.commit(), 15),
                "committed": await outcome(consumer.committed(target), 15),
                "assignment after": env.tps(consumer.assignment()),
            }
    return seen


async def _seek_in_listener(mod: ModuleType, env: Env, how: str) -> Any:
    topic = await env.topic(1)
    await produce(mod, env, topic, [b"r0", b"r1", b"r2"])
    consumer = group_consumer(mod, env, auto_offset_reset="none")
    results: list[Any] = []

    async def seek(assigned: Any) -> None:
        results.append(await outcome(getattr(consumer, how)(*assigned), 15))

    listener = listener_class(mod)(env, seek)
    consumer.subscribe([topic], listener=listener)
    async with consumer:
        sought = await wait_until(lambda: bool(results), 20)
        if how == "seek_to_end":
            await produce(mod, env, topic, [b"r3"])
        got = await collect_or_raise(consumer, 3 if how == "seek_to_beginning" else 1, 15)
    return {
        "listener seek returned": results,
        "seek done within 20 s": sought,
        "next poll": got if isinstance(got, tuple) else [(r.offset, r.value) for r in got],
    }


for _how in ("seek_to_beginning", "seek_to_end"):
    scenario(f"18.2-{_how}-in-listener-reset-none", "#18.2", how=_how)(_seek_in_listener)


async def _subscribe_missing_topic(mod: ModuleType, env: Env, grouped: bool) -> Any:
    """Subscribed (in the constructor) to a topic nobody created yet: aiokafka's start()
    polls metadata every retry_backoff_ms until the topic exists (for up to
    request_timeout_ms), so the topic is picked up about 0.1 s after its creation."""
    name = env.name()
    options = {**GROUP, "group_id": env.group()} if grouped else {"auto_offset_reset": "earliest"}
    consumer = consumer_of(mod, env, name, **options)
    loop = asyncio.get_running_loop()
    starting = asyncio.ensure_future(consumer.start())
    try:
        # Not for correctness: lets the consumer look the topic up (and find it missing)
        # before it exists; with less time the scenario only gets easier.
        await asyncio.sleep(1.0)
        await env.create(name, 1)
        created = loop.time()
        await produce(mod, env, name, [b"late"])
        started = await outcome(starting, 30)
        record = await within(consumer.getone(), 15)
        elapsed = loop.time() - created
    finally:
        if not starting.done():
            starting.cancel()
        await asyncio.wait({starting}, timeout=10)
        await consumer.stop()
    return {
        "start": shape(started),
        "record": env.record(record),
        "picked up within 10 s": elapsed < 10,
    }


scenario("18.3-subscribed-topic-created-later-group", "#18.3", grouped=True)(
    _subscribe_missing_topic
)
scenario("18.3-subscribed-topic-created-later-no-group", "#18.3", grouped=False)(
    _subscribe_missing_topic
)


@scenario("18.4-resubscribe-with-new-listener", "#18.4")
async def resubscribe_with_new_listener(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    recorder = listener_class(mod)
    old, new = recorder(env), recorder(env)
    consumer = group_consumer(mod, env)
    consumer.subscribe([topic], listener=old)
    await consumer.start()
    try:
        joined = await wait_until(lambda: old.assigned() > 0, 20)
        mark = len(old.calls)
        consumer.subscribe([topic], listener=new)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while new.assigned() == 0 and loop.time() < deadline:
            await consumer.getmany(timeout_ms=200)
        assignment = env.tps(consumer.assignment())
        old_calls, new_calls = list(old.calls), list(new.calls)  # stop() is another scenario
    finally:
        # aiokafka's fetcher trips an assertion after a resubscription and its stop()
        # re-raises that as KafkaError; the listener calls are what this scenario compares.
        with contextlib.suppress(sub(mod, "errors").KafkaError):
            await consumer.stop()
    return {
        "first join": joined,
        "old listener after": old_calls[mark:],
        "new listener assigned": any(kind == "assigned" for kind, _ in new_calls),
        "new listener calls": new_calls,
        "assignment": assignment,
    }


@scenario(
    "18.5-send-to-illegal-topic-name",
    "#18.5",
    difference=Difference(
        "issue #18.5: an illegal topic name is refused at once with InvalidTopicError "
        "(aiokafka_gen/_validate.py); aiokafka waits request_timeout_ms for metadata that "
        "never comes and raises UnknownTopicOrPartitionError",
        reference={"outcome": ("raised", "UnknownTopicOrPartitionError"), "within 1 s": False},
        ours={"outcome": ("raised", "InvalidTopicError"), "within 1 s": True},
    ),
)
async def send_to_illegal_topic_name(mod: ModuleType, env: Env) -> Any:
    loop = asyncio.get_running_loop()
    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap, request_timeout_ms=3000
    ) as producer:
        started = loop.time()
        result = await outcome(producer.send_and_wait("bad topic name!", b"x"), 20)
        elapsed = loop.time() - started
    return {"outcome": result, "within 1 s": elapsed < 1.0}


@scenario(
    "18.6-negative-timestamp",
    "#18.6",
    difference=Difference(
        "issue #18.6: a negative timestamp_ms is refused (ValueError subclass), as Kafka's "
        "Java producer does; aiokafka sends it",
        reference="accepted",
        ours="refused: a ValueError subclass",
    ),
)
async def negative_timestamp(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    async with mod.AIOKafkaProducer(bootstrap_servers=env.bootstrap) as producer:
        return await refused_as_value_error(producer.send_and_wait(topic, b"x", timestamp_ms=-5))


@scenario(
    "18.6-negative-linger",
    "#18.6",
    difference=Difference(
        "issue #18.6: linger_ms=-1 is refused by the constructor (KafkaConfigurationError, a "
        "ValueError subclass; aiokafka_gen/_validate.py); aiokafka accepts it",
        reference="accepted",
        ours="refused: a ValueError subclass",
    ),
)
async def negative_linger(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)

    async def construct_and_send() -> None:
        producer = mod.AIOKafkaProducer(bootstrap_servers=env.bootstrap, linger_ms=-1)
        async with producer:
            await producer.send_and_wait(topic, b"x")

    return await refused_as_value_error(construct_and_send())


@scenario("18.8-error-names-and-hierarchy", "#18.8")
async def error_names_and_hierarchy(mod: ModuleType, env: Env) -> Any:
    """Every exception class of aiokafka.errors exists in ``mod.errors`` with at least the
    ancestors aiokafka gives it (so every ``except`` catches the same) and its errno.
    The reference list is aiokafka's whichever module runs: aiokafka finds nothing missing."""
    reference = importlib.import_module("aiokafka.errors")
    errors = sub(mod, "errors")
    ref = {
        name: cls
        for name, cls in vars(reference).items()
        if isinstance(cls, type) and issubclass(cls, BaseException) and not name.startswith("_")
    }
    skip = {"object", "BaseException", "Exception"}
    problems: dict[str, list[str]] = {}
    for name, cls in sorted(ref.items()):
        ours = getattr(errors, name, None)
        if not (isinstance(ours, type) and issubclass(ours, BaseException)):
            problems[name] = ["missing"]
            continue
        wanted = {c.__name__ for c in cls.__mro__[1:]} - skip
        have = {c.__name__ for c in ours.__mro__[1:]}
        issues = [f"not a subclass of {base}" for base in sorted(wanted - have)]
        errno = getattr(cls, "errno", None)
        if errno is not None and getattr(ours, "errno", None) != errno:
            issues.append(f"errno {getattr(ours, 'errno', None)} instead of {errno}")
        if issues:
            problems[name] = issues
    return problems


@scenario("18.8-no-offset-error-is-catchable", "#18.8")
async def no_offset_error_is_catchable(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    await produce(mod, env, topic, [b"x"])
    errors = sub(mod, "errors")
    consumer = consumer_of(mod, env, auto_offset_reset="none")
    consumer.assign([TP(mod, topic, 0)])
    seen: dict[str, Any] = {}
    async with consumer:
        for poll in ("getone", "getmany"):
            work = consumer.getone() if poll == "getone" else consumer.getmany(timeout_ms=10000)
            try:
                result = await within(work, 15)
                seen[poll] = ("returned", result if result == TIMEOUT else shape(("ok", result)))
            except errors.NoOffsetForPartitionError as exc:
                seen[poll] = ("caught as errors.NoOffsetForPartitionError", Raised(exc))
            except Exception as exc:
                seen[poll] = ("other", Raised(exc))
    return seen


@scenario("18.10-loop-argument-is-deprecated", "#18.10")
async def loop_argument_is_deprecated(mod: ModuleType, env: Env) -> Any:
    loop = asyncio.get_running_loop()
    seen: dict[str, Any] = {}
    for kind in ("AIOKafkaProducer", "AIOKafkaConsumer"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client = getattr(mod, kind)(bootstrap_servers=env.bootstrap, loop=loop)
        await client.stop()  # never started: stop() only marks it closed
        seen[kind] = sorted({w.category.__name__ for w in caught})
    return seen


# Runs in its own interpreter: a client dropped while started leaves its tasks and sockets
# behind, which must not leak into the test session.
_UNCLOSED = r"""
import asyncio, gc, importlib, json, sys, warnings

mod = importlib.import_module(sys.argv[1])


async def main():
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
    seen = {}
    for kind in ("AIOKafkaProducer", "AIOKafkaConsumer"):
        client = getattr(mod, kind)(bootstrap_servers=sys.argv[2])
        await client.start()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del client
            gc.collect()
        seen[kind] = sorted({
            w.category.__name__ for w in caught if kind.lower() in str(w.message).lower()
        })
    print(json.dumps(seen))


asyncio.run(main())
"""


@scenario("18.11-unclosed-client-resource-warning", "#18.11")
async def unclosed_client_resource_warning(mod: ModuleType, env: Env) -> Any:
    """Warnings naming the client class when a started client is collected unstopped."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _UNCLOSED, mod.__name__, env.bootstrap,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return TIMEOUT
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        return ("subprocess failed", process.returncode, err.decode()[-500:])
    return json.loads(lines[-1])


@scenario("18.12-acks-0-future-resolves-to-none", "#18.12")
async def acks_zero(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    async with mod.AIOKafkaProducer(bootstrap_servers=env.bootstrap, acks=0) as producer:
        future = await producer.send(topic, b"fire and forget", partition=0)
        result = await within(future, 15)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 0)])
    async with consumer:
        record = await within(consumer.getone(), 15)
    return {"future result": result, "written": env.record(record)}


@scenario("18.13-commit-argument-checks", "#18.13")
async def commit_argument_checks(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    tp = TP(mod, topic, 0)
    structs = sub(mod, "structs")
    cases: dict[str, Any] = {
        "empty dict": {},
        "a string": "something",
        "str key": {"not a partition": 1},
        "plain tuple key": {(topic, 0): 1},
        "bytes metadata": {tp: (1, b"metadata")},
        "int metadata": {tp: (1, 7)},
        "3-tuple value": {tp: (1, "metadata", "extra")},
        "unassigned partition": {TP(mod, topic, 5): 1},
        "offset": {tp: 1},
        "offset and metadata": {tp: (2, "metadata")},
        "OffsetAndMetadata": {tp: structs.OffsetAndMetadata(3, "meta")},
    }
    seen: dict[str, Any] = {}
    consumer = group_consumer(mod, env)
    consumer.assign([tp])
    async with consumer:
        for label, offsets in cases.items():
            seen[label] = shape(await outcome(consumer.commit(offsets), 15))
        seen["committed"] = await outcome(consumer.committed(tp), 15)
    loner = consumer_of(mod, env, auto_offset_reset="earliest")
    loner.assign([tp])
    async with loner:
        # aiokafka's stop() right after start() (no await between) raises CancelledError
        # from a task that never ran: a position lookup first, as an application would.
        seen["no group: position"] = await outcome(loner.position(tp), 15)
        seen["no group: commit"] = shape(await outcome(loner.commit({tp: 1}), 15))
        seen["no group: committed"] = shape(await outcome(loner.committed(tp), 15))
    return seen


@scenario("18.14-getmany-pending-at-stop", "#18.14")
async def getmany_pending_at_stop(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 0)])
    loop = asyncio.get_running_loop()
    await consumer.start()
    try:
        pending = asyncio.ensure_future(consumer.getmany(timeout_ms=30000))
        # There is no public signal for "the poll is waiting"; half a second is many loop
        # turns, and a poll that has not started yet would raise ConsumerStoppedError
        # (a visible mismatch, not a silent pass).
        await asyncio.sleep(0.5)
        still_waiting = not pending.done()
    finally:
        stopped = loop.time()
        await consumer.stop()
    result = await outcome(pending, 20)
    return {
        "waiting before stop": still_waiting,
        "result": result,
        "returned within 5 s of stop": loop.time() - stopped < 5,
    }


@scenario("18.15-record-headers-shape", "#18.15")
async def record_headers_shape(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    headers = [[("h1", b"v1"), ("h2", b"")], None, []]
    await produce(mod, env, topic, [b"a", b"b", b"c"], headers=headers)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 0)])
    async with consumer:
        records = await collect(consumer, 3, 15)
    return [
        {
            "type": type(r.headers).__name__,
            "items": [type(h).__name__ for h in r.headers],
            "value": [tuple(h) for h in r.headers],
        }
        for r in records
    ]


async def _eager_listener_order(mod: ModuleType, env: Env, assignor: str | None) -> Any:
    topic = await env.topic(2)
    options: dict[str, Any] = {}
    if assignor is not None:
        module, cls = assignor.rsplit(".", 1)
        options["partition_assignment_strategy"] = (
            getattr(sub(mod, f"coordinator.assignors.{module}"), cls),
        )
    listener = listener_class(mod)(env)
    consumer = group_consumer(mod, env, **options)
    consumer.subscribe([topic], listener=listener)
    async with consumer:
        await wait_until(lambda: listener.assigned() > 0, 20)
        calls = list(listener.calls)
    return calls


for _label, _assignor in (
    ("default", None),
    ("range", "range.RangePartitionAssignor"),
    ("roundrobin", "roundrobin.RoundRobinPartitionAssignor"),
):
    scenario(f"18.16-eager-revoke-before-first-assign-{_label}", "#18.16", assignor=_assignor)(
        _eager_listener_order
    )


# --------------------------------------------------------------- documented usage


@scenario(
    "docs-listener-calls-at-stop",
    "docs: ConsumerRebalanceListener, stop()",
    difference=Difference(
        "stop() tells the listener on_partitions_revoked for what the member gives up, as "
        "Kafka's Java consumer does on close (a listener that commits or flushes its own "
        "state on revocation needs it); aiokafka's stop() leaves without calling it "
        "(docs/migration-from-aiokafka.md)",
        reference={"calls during stop()": [], "joined": True},
        ours={"calls during stop()": [("revoked", [("t0", 0)])], "joined": True},
    ),
)
async def listener_calls_at_stop(mod: ModuleType, env: Env) -> Any:
    """What the rebalance listener hears when a group member stops (aiokafka: nothing;
    its stop() commits and leaves the group without calling the listener)."""
    topic = await env.topic(1)
    listener = listener_class(mod)(env)
    consumer = group_consumer(mod, env)
    consumer.subscribe([topic], listener=listener)
    async with consumer:
        joined = await wait_until(lambda: listener.assigned() > 0, 20)
        mark = len(listener.calls)
    return {"joined": joined, "calls during stop()": listener.calls[mark:]}


@scenario("docs-batch-produce", "docs: create_batch/send_batch")
async def batch_produce(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(2)
    seen: dict[str, Any] = {}
    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap, max_batch_size=1024
    ) as producer:
        batch = producer.create_batch()
        appended: list[bytes] = []
        last: Any = None
        for i in range(100):
            value = b"%03d" % i + b"." * 97
            last = batch.append(key=None, value=value, timestamp=None)
            if last is None:
                break
            appended.append(value)
        seen["append returns None when full"] = last is None
        seen["appended between 5 and 10"] = 5 <= len(appended) <= 10
        seen["record_count"] = batch.record_count() == len(appended)
        seen["size"] = type(batch.size()).__name__
        partitions = await producer.partitions_for(topic)
        seen["partitions_for"] = (type(partitions).__name__, sorted(partitions))
        future = await producer.send_batch(batch, topic, partition=1)
        meta = await within(future, 15)
        seen["batch metadata"] = (type(meta).__name__, env.tp(meta.topic_partition), meta.offset)
        second = producer.create_batch()
        second.append(key=b"k", value=b"second batch", timestamp=None, headers=[("h", b"1")])
        meta = await within(await producer.send_batch(second, topic, partition=1), 15)
        seen["second batch offset is the first's count"] = meta.offset == len(appended)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 1)])
    async with consumer:
        records = await collect(consumer, len(appended) + 1, 15)
    seen["read back"] = [r.value for r in records] == [*appended, b"second batch"]
    seen["last record"] = env.record(records[-1]) if records else None
    return seen


@scenario("docs-idempotent-producer", "docs: enable_idempotence")
async def idempotent_producer(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(2, configs=KEEP)  # one record carries an old timestamp
    seen: dict[str, Any] = {}
    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap, enable_idempotence=True
    ) as producer:
        futures = [
            await producer.send(topic, b"v%d" % i, key=b"k%d" % i, partition=i % 2)
            for i in range(10)
        ]
        metas = await asyncio.gather(*futures)
        seen["offsets"] = sorted((m.partition, m.offset) for m in metas)
        meta = await producer.send_and_wait(topic, b"stamped", partition=0, timestamp_ms=OLD_TS)
        seen["metadata"] = {
            "type": type(meta).__name__,
            "topic": env.alias(meta.topic),
            "topic_partition": (type(meta.topic_partition).__name__, env.tp(meta.topic_partition)),
            "offset": meta.offset,
            "timestamp": meta.timestamp,
            "timestamp_type": meta.timestamp_type,
            "log_start_offset": meta.log_start_offset,
        }
    seen["acks=1 with idempotence"] = shape(
        call(
            mod.AIOKafkaProducer,
            bootstrap_servers=env.bootstrap,
            enable_idempotence=True,
            acks=1,
        )
    )
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 0), TP(mod, topic, 1)])
    async with consumer:
        records = await collect(consumer, 11, 15)
    seen["read back"] = sorted((r.partition, r.offset, r.value) for r in records)
    return seen


class _Boom(Exception):
    pass


async def _until_value(consumer: Any, last: bytes, timeout: float = 20.0) -> list[Any]:
    """Records until one with value ``last`` (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out: list[Any] = []
    while loop.time() < deadline and not any(r.value == last for r in out):
        for records in (await consumer.getmany(timeout_ms=200)).values():
            out.extend(records)
    return out


@scenario("docs-transactions", "docs: transactional producer, read_committed")
async def transactions(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    tp = TP(mod, topic, 0)
    group = env.group()
    seen: dict[str, Any] = {}
    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap, transactional_id=env.transactional_id()
    ) as producer:
        seen["send outside a transaction"] = shape(await outcome(producer.send(topic, b"x")))
        async with producer.transaction():
            await producer.send(topic, b"c1")
            await producer.send(topic, b"c2")
        await producer.begin_transaction()
        await producer.send(topic, b"aborted")
        await producer.abort_transaction()
        try:
            async with producer.transaction():
                await producer.send(topic, b"aborted by exception")
                raise _Boom
        except _Boom:
            seen["exception propagates out of transaction()"] = True
        async with producer.transaction():
            await producer.send_and_wait(topic, b"c3")
            await producer.send_offsets_to_transaction({tp: 2}, group)
    for level in ("read_committed", "read_uncommitted"):
        consumer = consumer_of(mod, env, auto_offset_reset="earliest", isolation_level=level)
        consumer.assign([tp])
        async with consumer:
            records = await _until_value(consumer, b"c3")
            seen[level] = [(r.offset, r.value) for r in records]
    reader = group_consumer(mod, env, group_id=group)
    reader.assign([tp])
    async with reader:
        seen["offsets committed by the transaction"] = await outcome(reader.committed(tp), 15)
    return seen


@scenario("docs-group-consumer", "docs: subscribe, getone/getmany, commit, committed")
async def group_consumer_scenario(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(2)
    for partition in (0, 1):
        await produce(mod, env, topic, [b"p%d-%d" % (partition, i) for i in range(3)],
                      partition=partition)  # fmt: skip
    tps = [TP(mod, topic, 0), TP(mod, topic, 1)]
    group = env.group()
    seen: dict[str, Any] = {}
    consumer = group_consumer(mod, env, topic, group_id=group)
    async with consumer:
        seen["subscription"] = sorted(env.alias(t) for t in consumer.subscription())
        seen["assignment"] = env.tps(consumer.assignment())
        seen["committed before"] = [await consumer.committed(tp) for tp in tps]
        first = await within(consumer.getone(), 15)
        rest = await collect(consumer, 5, 15)
        seen["records"] = sorted(
            (r.partition, r.offset, r.value) for r in [first, *rest] if r != TIMEOUT
        )
        seen["commit"] = await outcome(consumer.commit(), 15)
        seen["committed after"] = [await consumer.committed(tp) for tp in tps]
        seen["explicit commit"] = await outcome(consumer.commit({tps[0]: 1}), 15)
        seen["committed explicit"] = [await consumer.committed(tp) for tp in tps]
    again = group_consumer(mod, env, topic, group_id=group)
    async with again:
        resumed: list[Any] = []

        async def iterate() -> None:
            async for record in again:
                resumed.append((record.partition, record.offset, record.value))
                if len(resumed) == 2:
                    break

        await within(iterate(), 15)
        seen["restart resumes at committed offsets (async for)"] = sorted(resumed)
    return seen


@scenario("docs-local-state-listener", "docs: seek to stored positions on assignment")
async def local_state_listener(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    await produce(mod, env, topic, [b"s%d" % i for i in range(5)])
    stored = {(topic, 0): 3}  # the application's own positions, as in a local store
    consumer = group_consumer(mod, env)

    async def restore(assigned: Any) -> None:
        for tp in assigned:
            consumer.seek(tp, stored[(tp.topic, tp.partition)])

    listener = listener_class(mod)(env, restore)
    consumer.subscribe([topic], listener=listener)
    async with consumer:
        records = await collect(consumer, 2, 15)
        position = await outcome(consumer.position(TP(mod, topic, 0)), 15)
    return {
        "records": [(r.offset, r.value) for r in records],
        "position": position,
        # only assignments: the revocation before the first one is #18.16's scenario
        "assignments": [tps for kind, tps in listener.calls if kind == "assigned"],
    }


@scenario("docs-custom-partitioner", "docs: partitioner=callable")
async def custom_partitioner(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(3)
    calls: list[Any] = []

    def partitioner(key: Any, all_partitions: Any, available: Any) -> int:
        calls.append(
            (key, type(all_partitions).__name__, sorted(all_partitions),
             type(available).__name__, sorted(available))
        )  # fmt: skip
        if key is None:
            return all_partitions[-1]
        return int(key) % len(all_partitions)

    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap, partitioner=partitioner
    ) as producer:
        placed = []
        for key in (b"0", b"1", b"2", b"4", None):
            meta = await producer.send_and_wait(topic, b"v", key=key)
            placed.append((key, meta.partition))
        meta = await producer.send_and_wait(topic, b"v", key=b"5", partition=0)
        placed.append(("explicit partition", meta.partition))
    return {"placed": placed, "partitioner calls": calls}


@scenario("docs-serialization", "docs: key/value (de)serializers")
async def serialization(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    calls: dict[str, list[Any]] = {"key_ser": [], "value_ser": [], "key_de": [], "value_de": []}

    def recorded(kind: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapper(data: Any) -> Any:
            calls[kind].append(data)
            return fn(data)

        return wrapper

    async with mod.AIOKafkaProducer(
        bootstrap_servers=env.bootstrap,
        key_serializer=recorded("key_ser", lambda k: None if k is None else k.encode()),
        value_serializer=recorded("value_ser", lambda v: json.dumps(v).encode()),
    ) as producer:
        for key, value in (("a", {"n": 1}), (None, [1, 2]), ("c", "text")):
            await producer.send_and_wait(topic, value, key=key, partition=0)
    consumer = consumer_of(
        mod, env, auto_offset_reset="earliest",
        key_deserializer=recorded("key_de", lambda k: None if k is None else k.decode()),
        value_deserializer=recorded("value_de", lambda v: json.loads(v)),
    )  # fmt: skip
    consumer.assign([TP(mod, topic, 0)])
    async with consumer:
        records = await collect(consumer, 3, 15)
    return {
        "records": [
            (
                r.key,
                r.value,
                r.serialized_key_size,
                r.serialized_value_size,
                r.checksum,
                r.timestamp_type,
            )
            for r in records
        ],
        "calls": calls,
    }


async def _compression(mod: ModuleType, env: Env, codec: str) -> Any:
    topic = await env.topic(1)
    values = [bytes([65 + i % 26]) * (i * 397 % 4000) for i in range(40)] + [b"z" * 200_000]
    offsets = await produce(mod, env, topic, values, compression_type=codec, linger_ms=20)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([TP(mod, topic, 0)])
    async with consumer:
        records = await collect(consumer, len(values), 20)
    return {
        "offsets": [o for _, o in offsets],
        "read back equal": [r.value for r in records] == values,
        "count": len(records),
    }


for _codec in ("gzip", "snappy", "lz4", "zstd"):
    scenario(f"docs-compression-{_codec}", "docs: compression_type", codec=_codec)(_compression)


@scenario("docs-seek", "docs: seek, seek_to_beginning/end")
async def seeking(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    await produce(mod, env, topic, [b"q%d" % i for i in range(5)])
    tp = TP(mod, topic, 0)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([tp])
    seen: dict[str, Any] = {}
    async with consumer:
        seen["initial position"] = await consumer.position(tp)
        seen["seek_to_end"] = await outcome(consumer.seek_to_end(tp), 15)
        seen["position at end"] = await consumer.position(tp)
        seen["seek_to_beginning"] = await outcome(consumer.seek_to_beginning(tp), 15)
        seen["position at beginning"] = await consumer.position(tp)
        seen["getone after seek_to_beginning"] = env.record(await within(consumer.getone(), 15))
        consumer.seek(tp, 3)
        seen["getone after seek(3)"] = env.record(await within(consumer.getone(), 15))
        seen["seek(-1)"] = shape(call(consumer.seek, tp, -1))
        seen["seek_to_beginning(unassigned)"] = shape(
            await outcome(consumer.seek_to_beginning(TP(mod, topic, 9)), 15)
        )
        seen["seek_to_end(not a partition)"] = shape(
            await outcome(consumer.seek_to_end("nope"), 15)  # type: ignore[arg-type]
        )
        consumer.seek(tp, 50)  # past the end: out of range, reset to earliest
        seen["getone after seek past the end"] = env.record(await within(consumer.getone(), 15))
    return seen


@scenario("docs-offset-lookups", "docs: offsets_for_times, beginning/end_offsets")
async def offset_lookups(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(2, configs=KEEP)
    stamps = [OLD_TS + 1000 * i for i in range(5)]
    await produce(mod, env, topic, [b"o%d" % i for i in range(5)], timestamps=stamps)
    tp0, tp1 = TP(mod, topic, 0), TP(mod, topic, 1)

    def shown(found: dict[Any, Any]) -> Any:
        return {
            env.tp(tp): None if v is None else (type(v).__name__, v.offset, v.timestamp)
            for tp, v in found.items()
        }

    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    seen: dict[str, Any] = {}
    async with consumer:
        seen["offsets_for_times"] = shown(
            await consumer.offsets_for_times({tp0: OLD_TS + 1500, tp1: OLD_TS})
        )
        seen["offsets_for_times past the end"] = shown(
            await consumer.offsets_for_times({tp0: OLD_TS + 10**6})
        )
        seen["offsets_for_times negative"] = shape(
            await outcome(consumer.offsets_for_times({tp0: -1}), 15)
        )
        begin = await consumer.beginning_offsets([tp0, tp1])
        end = await consumer.end_offsets([tp0, tp1])
        seen["beginning_offsets"] = (
            type(begin).__name__,
            sorted((env.tp(k), v) for k, v in begin.items()),
        )
        seen["end_offsets"] = (type(end).__name__, sorted((env.tp(k), v) for k, v in end.items()))
        seen["key type"] = sorted({type(k).__name__ for k in end})
        consumer.assign([tp0])
        records = await collect(consumer, 5, 15)
        seen["timestamps"] = [(r.offset, r.timestamp, r.timestamp_type) for r in records]
    return seen


@scenario("docs-pause-resume", "docs: pause/resume/paused")
async def pause_resume(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(2)
    for partition in (0, 1):
        await produce(mod, env, topic, [b"p%d-%d" % (partition, i) for i in range(3)],
                      partition=partition)  # fmt: skip
    tp0, tp1 = TP(mod, topic, 0), TP(mod, topic, 1)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([tp0, tp1])
    seen: dict[str, Any] = {}
    async with consumer:
        consumer.pause(tp0)
        seen["paused"] = env.tps(consumer.paused())
        while_paused = await collect(consumer, 3, 15)
        # a bounded look for anything more: the paused partition must stay silent
        while_paused += await collect(consumer, 1, 1.0)
        seen["while paused"] = sorted((r.partition, r.offset) for r in while_paused)
        consumer.resume(tp0)
        seen["paused after resume"] = env.tps(consumer.paused())
        after = await collect(consumer, 3, 15)
        seen["after resume"] = sorted((r.partition, r.offset) for r in after)
        seen["pause(not a partition)"] = shape(call(consumer.pause, "nope"))
    return seen


@scenario("docs-position-highwater", "docs: position, highwater, last_stable_offset")
async def position_highwater(mod: ModuleType, env: Env) -> Any:
    topic = await env.topic(1)
    await produce(mod, env, topic, [b"h%d" % i for i in range(4)])
    tp = TP(mod, topic, 0)
    consumer = consumer_of(mod, env, auto_offset_reset="earliest")
    consumer.assign([tp])
    seen: dict[str, Any] = {}
    async with consumer:
        seen["position"] = await consumer.position(tp)
        records = await collect(consumer, 4, 15)
        seen["offsets"] = [r.offset for r in records]
        seen["position after"] = await consumer.position(tp)
        seen["highwater"] = consumer.highwater(tp)
        seen["last_stable_offset"] = consumer.last_stable_offset(tp)
        seen["last_poll_timestamp"] = type(consumer.last_poll_timestamp(tp)).__name__
        seen["position(unassigned)"] = shape(
            await outcome(consumer.position(TP(mod, topic, 7)), 15)
        )
        seen["partitions_for_topic"] = sorted(consumer.partitions_for_topic(topic) or ())
        seen["topics() has it"] = topic in await consumer.topics()
    return seen
