"""The soak (issue #25 item 2): everything at once against the 3-node cluster for a while,
then: did anything grow, and is every record accounted for?

The workload, all in this process (so its RSS, tasks and descriptors are the clients'):

- a writer: an idempotent producer (acks=all) sending keyed records (``faults.support``'s
  ``key_of``/``value_of``) to a 6-partition RF 3 source topic at a steady rate;
- a transactional copier (``faults.test_eos_copier``'s application loop: read_committed,
  no auto-commit, offsets committed in the transaction, every 8th transaction aborted on
  purpose and rewound) copying the source to a sink topic, exactly once;
- a group of three readers of the source committing after processing, one of them with
  the KIP-848 protocol (``group_protocol="consumer"``) and two classic, in ONE group (Kafka
  runs it as a consumer group with classic members);
- faults and churn on a schedule (``soak_support.Schedule``): a broker SIGKILLed and
  restarted (rotating over the nodes, each time after full ISRs), a reader stopped and
  replaced by a new one with the same protocol (rotating), a topic created, written to by
  the writer (100 records, read back and audited) and the oldest such topic deleted (two
  live at a time).

Sampled on the schedule (gc first): RSS, asyncio tasks, open fds, tracemalloc (started at
the end of the warm-up, filtered to aiokafka_gen: bytes alive and the top growth lines),
and the per-partition / per-node / per-topic state sizes of every live client (summed per
role: a replaced reader or copier producer replaces its predecessor's share).

Pass: after the warm-up, RSS grows less than ``Schedule.rss_limit`` percent and tasks,
fds and every judged state size are flat (``soak_support.judge``: the max of the last
third of the measured samples <= the max of the first third + a slack: 8 tasks, 4 fds, 0
for state sizes); lost=0 everywhere; no duplicate in the source (idempotence) or in the
sink read with read_committed (exactly once); the readers' repeats are at-least-once
redeliveries after restarts (counted, allowed); every ephemeral topic holds its records
exactly once. One verdict line ends it (printed, in the "soak verdict" summary section and
in ``<tmp_path>/soak-verdict.txt``); a FAIL prints the samples table.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from faults.support import audit, create_topic, key_of, read_back, restart_all, value_of
from faults.test_eos_copier import (
    PARTITIONS,
    CopierStats,
    _compare,
    _copied_everything,
    _Copier,
    _read_output,
)
from faults.test_group_churn import _drained, _log_ends
from faults.verdict import Tally
from faults.wave2_support import Landed, partitions_of, wait_in_sync

from aiokafka_gen.admin import AIOKafkaAdminClient, NewTopic
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import (
    ConsumerStoppedError,
    KafkaError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.testing import KafkaCluster
from soak.soak_support import Coverage, Sampler, Schedule, format_table, judge, soak_line

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEYS = 600
EPH_PARTITIONS = 3
EPH_RECORDS = 100
EPH_KEYS = 20
EPH_LIVE = 2  # ephemeral topics alive at a time: the oldest is deleted after a new one
DOWN = 3.0  # seconds a killed broker stays down
DRAIN = 180.0  # after the workload: the copier and the readers must catch up within this
SETTLE = 120.0  # an action's own retries (topic create/delete, read-back) give up after this
INTERNAL = ["__consumer_offsets", "__transaction_state"]


class _Writer:
    """The idempotent producer: steady keyed records to the source, and ephemeral topics'
    records on demand. Counts only (no per-record memory)."""

    def __init__(self, bootstrap: str, source: str, rate: int) -> None:
        self.source, self.rate = source, rate
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5,
            request_timeout_ms=10000, retry_backoff_ms=100,
            metadata_max_idle_ms=20000,  # each ephemeral topic is written once, then idle
        )  # fmt: skip
        self.sent = self.acked = self.failed = 0
        self.errors: list[str] = []
        self.started = time.monotonic()

    def _done(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.failed += 1
            if len(self.errors) < 5:
                what = "cancelled" if future.cancelled() else repr(future.exception())
                view = self.producer.client.cluster.topic_id(self.source)
                self.errors.append(
                    f"{what} at {time.monotonic() - self.started:.1f} s (the producer's "
                    f"cluster view {'has' if view else 'lacks'} the source topic then)"
                )
        else:
            self.acked += 1

    async def run(self, stop: asyncio.Event) -> None:
        started = self.started = time.monotonic()
        while not stop.is_set():
            due = int((time.monotonic() - started) * self.rate)
            while self.sent < due and not stop.is_set():
                i = self.sent
                try:
                    future = await self.producer.send(self.source, value_of(i), key=key_of(i, KEYS))
                except KafkaError as exc:  # record i was not sent: it is sent again next
                    if len(self.errors) < 5:
                        self.errors.append(f"send raised {exc!r}")
                    self.failed += 1
                    await asyncio.sleep(0.5)
                    continue
                future.add_done_callback(self._done)
                self.sent += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)

    async def ephemeral(self, topic: str) -> list[BaseException]:
        futures = [
            await self.producer.send(topic, value_of(i), key=key_of(i, EPH_KEYS))
            for i in range(EPH_RECORDS)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [r for r in results if isinstance(r, BaseException)]


class _Reader:
    """One member of the group of three: commits after processing, records offsets."""

    def __init__(self, name: str, protocol: str, bootstrap: str, group: str, topic: str,
                 coverage: Coverage, errors: Counter[str]) -> None:  # fmt: skip
        self.name, self.protocol = name, protocol
        self.coverage, self.errors = coverage, errors
        options: dict[str, Any] = {}
        if protocol == "classic":
            options = {"session_timeout_ms": 10000, "heartbeat_interval_ms": 1000}
        self.consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=group, group_protocol=protocol,
            enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=10000,
            retry_backoff_ms=100, metadata_max_age_ms=5000, **options,
        )  # fmt: skip
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"reader {self.name}")

    async def _run(self) -> None:
        consumer = self.consumer
        await consumer.start()
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=200, max_records=200)
            except ConsumerStoppedError:
                return
            except KafkaError as exc:
                self.errors[f"poll {type(exc).__name__}"] += 1
                await asyncio.sleep(0.1)
                continue
            if not batch:
                continue
            for tp, records in batch.items():
                for record in records:
                    self.coverage.add(tp.partition, record.offset)
            owned = consumer.assignment()
            offsets = {tp: r[-1].offset + 1 for tp, r in batch.items() if r and tp in owned}
            if not offsets:
                continue
            try:
                await consumer.commit(offsets)
            except ConsumerStoppedError:
                return
            except KafkaError as exc:  # a rebalance in between: the next owner redoes it
                self.errors[f"commit {type(exc).__name__}"] += 1

    async def stop(self, problems: list[str]) -> None:
        """Leave: stop() (commit-less LeaveGroup), then the application's task ends."""
        try:
            async with asyncio.timeout(60.0):
                await self.consumer.stop()
                if self.task is not None:
                    await asyncio.gather(self.task, return_exceptions=True)
        except TimeoutError:
            problems.append(f"reader {self.name}: stop() took > 60 s")
        if self.task is not None:
            self.task.cancel()
            result = (await asyncio.gather(self.task, return_exceptions=True))[0]
            if isinstance(result, Exception):
                problems.append(f"reader {self.name} died: {result!r}")


class _SoakCopier(_Copier):
    """The fault scenario's copier, remembering its current producer (for the samples)."""

    producer: AIOKafkaProducer | None = None

    def _producer(self) -> AIOKafkaProducer:
        self.producer = super()._producer()
        return self.producer


async def _retrying(what: str, call: Callable[[], Awaitable[Any]], problems: list[str],
                    ok: tuple[type[BaseException], ...] = ()) -> Any:  # fmt: skip
    """``call()`` until it succeeds (or raises one of ``ok``: done), for up to SETTLE s
    (brokers come back); the last error is a problem after that."""
    deadline = time.monotonic() + SETTLE
    while True:
        try:
            return await call()
        except ok:
            return None
        except (KafkaError, AssertionError) as exc:  # read_back asserts a leader exists
            if time.monotonic() > deadline:
                problems.append(f"{what}: still failing after {SETTLE:.0f} s: {exc!r}")
                return None
            await asyncio.sleep(1.0)


async def test_soak(
    kafka_cluster_3: KafkaCluster, tmp_path: Any, soak_verdict: Callable[[str], None]
) -> None:
    schedule = Schedule.from_env()
    cluster = kafka_cluster_3
    bootstrap = cluster.bootstrap()
    await restart_all(cluster)
    source = await create_topic(cluster, "soak-src", PARTITIONS, 3)
    sink = await create_topic(cluster, "soak-out", PARTITIONS, 3)
    await wait_in_sync(bootstrap, [source, sink, *INTERNAL])
    problems: list[str] = []
    errors: Counter[str] = Counter()
    coverage = Coverage()
    stats = CopierStats()
    sampler = Sampler(schedule.warmup)
    ephemeral = Tally("ephemeral")
    kills = restarts = topics_made = 0
    live_topics: list[str] = []
    writer = _Writer(bootstrap, source, schedule.rate)
    copier = _SoakCopier(0, bootstrap, f"{source}-copiers", source, sink, "classic", stats)
    readers_group = f"{source}-readers"
    protocols = ["consumer", "classic", "classic"]
    serial = iter(range(1, 1_000_000))

    def new_reader(protocol: str) -> _Reader:
        reader = _Reader(f"r{next(serial)}-{protocol}", protocol, bootstrap, readers_group,
                         source, coverage, errors)  # fmt: skip
        reader.start()
        return reader

    readers = [new_reader(p) for p in protocols]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    await writer.producer.start()
    stop = asyncio.Event()
    workload_end = 0.0

    def clients() -> Iterator[tuple[str, str, Any]]:
        yield "producer", "writer", writer.producer
        yield "producer", "copier.producer", copier.producer
        yield "consumer", "copier.consumer", copier.consumer
        for reader in readers:
            yield "consumer", "readers", reader.consumer
        yield "client", "admin", getattr(admin, "_client", None)

    async def every(seconds: float, action: Callable[[int], Awaitable[None]]) -> None:
        """``action(n)`` at n * ``seconds`` from the start while that is before the end;
        an action is never cut short (the end waits for it)."""
        n = 1
        while started + n * seconds < workload_end:
            delay = started + n * seconds - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, delay))
            if stop.is_set():
                return
            try:
                await action(n)
            except Exception as exc:  # the verdict says so; the schedule goes on
                problems.append(f"{getattr(action, '__name__', action)} {n} failed: {exc!r}")
            n += 1

    async def restart_broker(n: int) -> None:
        nonlocal kills
        await wait_in_sync(bootstrap, [source, sink, *INTERNAL], timeout=SETTLE)
        victim = cluster.nodes[(n - 1) % len(cluster.nodes)].node_id
        at = time.monotonic() - started
        print(f"{at:6.1f} s: broker {victim} killed")
        await asyncio.to_thread(cluster.node(victim).kill)
        kills += 1
        await asyncio.sleep(DOWN)
        await asyncio.to_thread(cluster.start_node, victim)
        print(f"{time.monotonic() - started:6.1f} s: broker {victim} back")

    async def restart_member(n: int) -> None:
        nonlocal restarts
        index = (n - 1) % len(readers)
        old = readers[index]
        await old.stop(problems)
        readers[index] = new_reader(old.protocol)
        restarts += 1
        print(f"{time.monotonic() - started:6.1f} s: reader {old.name} -> {readers[index].name}")

    async def churn_topic(n: int) -> None:
        nonlocal topics_made
        name = f"{source}-eph-{n}"
        configs = {"retention.ms": "-1", "min.insync.replicas": "1"}
        new = NewTopic(name, EPH_PARTITIONS, 2, topic_configs=configs)
        await _retrying(f"create {name}", lambda: admin.create_topics([new]), problems,
                        ok=(TopicAlreadyExistsError,))  # fmt: skip
        topics_made += 1
        failed = await writer.ephemeral(name)
        if failed:
            problems.append(f"{name}: {len(failed)} sends failed, e.g. {failed[0]!r}")
        parts = await _retrying(
            f"read back {name}", lambda: read_back(bootstrap, name, EPH_PARTITIONS), problems
        )
        if parts is not None:
            audit(range(EPH_RECORDS), EPH_KEYS, parts).into(ephemeral)
        live_topics.append(name)
        while len(live_topics) > EPH_LIVE:
            old = live_topics.pop(0)
            await _retrying(f"delete {old}", functools.partial(admin.delete_topics, [old]),
                            problems, ok=(UnknownTopicOrPartitionError,))  # fmt: skip

    async def sample(n: int) -> None:
        workload = {"topics_made": topics_made, "kills": kills, "restarts": restarts}
        s = sampler.take(time.monotonic() - started, clients(), workload)
        print(f"{s.at:6.1f} s: rss {s.rss / 2**20:.1f} MiB, tasks {s.tasks}, fds {s.fds}")

    started = time.monotonic()
    workload_end = started + schedule.seconds
    copying = asyncio.create_task(copier.run(stop), name="copier")
    writer_stop = asyncio.Event()
    writing = asyncio.create_task(writer.run(writer_stop), name="writer")
    await sample(0)
    churn = [
        asyncio.create_task(every(schedule.broker_every, restart_broker)),
        asyncio.create_task(every(schedule.member_every, restart_member)),
        asyncio.create_task(every(schedule.topic_every, churn_topic)),
        asyncio.create_task(every(schedule.sample_every, sample)),
    ]
    try:
        await asyncio.wait({copying}, timeout=schedule.seconds)  # the copier must not end
        if copying.done():
            why = "cancelled" if copying.cancelled() else copying.exception()
            problems.append(f"the copier ended early: {stats.crashes or why!r}")
        await sample(-1)  # the last reading, at the end of the workload
        # the end: the actions under way finish (none starts after the end), the writer
        # stops and flushes; the copier and the readers go on until they are drained
        async with asyncio.timeout(SETTLE + 60.0):
            await asyncio.gather(*churn[:3])
        churn[3].cancel()
        writer_stop.set()
        async with asyncio.timeout(DRAIN):
            await writing
            await writer.producer.flush()
        print(f"{time.monotonic() - started:6.1f} s: workload over, {writer.sent} records")
        ends = await _log_ends(bootstrap, partitions_of(source, PARTITIONS), {})
        behind = await _drained(bootstrap, readers_group, ends)
        if behind is not None:
            problems.append(f"readers not committed to the end: {behind}")
        copied = False
        deadline = time.monotonic() + DRAIN
        while not copied and time.monotonic() < deadline and not copying.done():
            copied = await _copied_everything(bootstrap, f"{source}-copiers", ends)
            if not copied:
                await asyncio.sleep(1.0)
        if not copied:
            problems.append(f"the copier did not reach the end within {DRAIN:.0f} s")
        print(f"{time.monotonic() - started:6.1f} s: drained")
    finally:
        stop.set()
        writer_stop.set()
        for task in churn:
            task.cancel()
        await asyncio.gather(*churn, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(60.0):
                await asyncio.gather(copying, return_exceptions=True)
        copying.cancel()
        writing.cancel()
        await asyncio.gather(copying, writing, return_exceptions=True)
        for reader in readers:
            await reader.stop(problems)
        with contextlib.suppress(Exception):
            await writer.producer.stop()
        for name in live_topics:
            with contextlib.suppress(Exception):
                await admin.delete_topics([name])
        await admin.close()
        sampler.stop()
        await restart_all(cluster)

    # the accounting
    source_parts = await read_back(bootstrap, source, PARTITIONS)
    src = audit(range(writer.sent), KEYS, source_parts)
    problems += [f"source: {p}" for p in src.problems]
    if writer.failed:
        problems.append(f"writer: {writer.failed} sends failed, e.g. {writer.errors}")
    landed = Landed(offsets={p: dict(enumerate(v for _, v in records))
                             for p, records in enumerate(source_parts)})  # fmt: skip
    copy = Tally("copier")
    _compare(landed, await _read_output(bootstrap, sink), copy)
    problems += [f"copier: {p}" for p in copy.problems + stats.crashes]
    readers_lost = sum(coverage.missing(p, len(r)) for p, r in enumerate(source_parts))
    problems += [f"ephemeral: {p}" for p in ephemeral.problems]
    lost = src.lost + copy.lost + readers_lost + ephemeral.lost
    duplicated = src.duplicated + copy.duplicated + ephemeral.duplicated
    records = writer.sent + topics_made * EPH_RECORDS

    measured = sampler.measured()
    if len(measured) >= 3:
        growth, checks = judge(measured, len(cluster.nodes), PARTITIONS, EPH_PARTITIONS)
    else:
        growth, checks = 0.0, []
        problems.append(f"only {len(measured)} samples after the warm-up: nothing judged")
    grown = [c for c in checks if not c.flat]
    ok = (lost == 0 and duplicated == 0 and not problems and not grown
          and growth < schedule.rss_limit)  # fmt: skip
    line = soak_line(schedule.minutes, records, lost, growth, checks, ok)
    table = format_table(sampler.samples, schedule.warmup)
    details = (
        f"source: sent {writer.sent} acked {writer.acked} lost {src.lost} dup {src.duplicated}; "
        f"copier: {stats.committed} txns ({stats.copied} records), {stats.aborted} aborted, "
        f"{stats.replaced} replaced, lost {copy.lost} dup {copy.duplicated}; readers: lost "
        f"{readers_lost}, redelivered {coverage.repeats} (at-least-once, allowed); "
        f"ephemeral: {topics_made} topics, lost {ephemeral.lost} dup {ephemeral.duplicated}; "
        f"kills {kills}, member restarts {restarts}; errors {dict(errors)}, copier errors "
        f"{dict(stats.errors)}; rss limit {schedule.rss_limit}%"
    )
    growth_lines = [
        f"{c.name}: {c.first} -> {c.last} (allowed +{c.allowed})" if c.bound is None
        else f"{c.name}: peak {c.peak} > bound {c.bound}"
        for c in grown
    ]  # fmt: skip
    print(table)
    print(details)
    print(line)
    (tmp_path / "soak-verdict.txt").write_text(line + "\n")
    (tmp_path / "soak-samples.txt").write_text(f"{table}\n{details}\n{line}\n")
    soak_verdict(line)
    # the table first: CI logs keep the tail of a long failure, so the causes come last
    assert ok, "\n".join([table, details, *growth_lines, *problems[:20], line])
