"""Scenario 3: consumer group churn, both group protocols, while a producer runs.

Up to 4 members of one group (classic, then KIP-848 "consumer") read an 8-partition topic
of the 3-node cluster and commit after processing (explicit offsets, no auto-commit). A
producer writes steadily the whole time. Changes happen one at a time, chosen at random
(seeded) among: ``join`` (a new member), ``leave`` (``stop()``: commit-less, LeaveGroup),
``cancel`` (the application's task is cancelled mid-poll, then the consumer is stopped)
and ``crash`` (the application's task is cancelled and the member's network vanishes:
every member reaches the brokers through its own ``ProxyCluster``, which starts refusing
connections, so no LeaveGroup ever arrives and the broker must expire the session).

After each change the test measures how long the group takes to converge: every live
member stable, every partition assigned to exactly one live member. The bound is
``BOUND`` seconds for join/leave/cancel and the session timeout plus ``BOUND`` for a crash
(the broker cannot know sooner); the measured times are printed. Checked throughout:
committed offsets (sampled with the admin client every 0.5 s) never move backwards; within
one member's continuous ownership of a partition, records come as consecutive offsets (a
repeat is counted as duplicated, a skip as a problem). At the end every record written was
processed at least once; redeliveries to the next owner (a member cancelled between
processing a batch and committing it) are what at-least-once allows, so they are printed,
not counted as duplicates. Short: 6 changes per protocol; ``AIOKAFKA_GEN_FAULTS=full``: 20.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.admin import AIOKafkaAdminClient, OffsetSpec
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.errors import ConsumerStoppedError, KafkaError
from aiokafka_gen.structs import ConsumerRecord, TopicPartition
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import ProxyCluster
from faults.support import create_topic, pick, value_of
from faults.verdict import Report
from faults.wave2_support import (
    KINDS,
    Landed,
    churn_plan,
    end_member,
    partitions_of,
    produce_steadily,
    seconds_since,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 8
KEYS = 400
MAX_MEMBERS = 4
CHANGES = pick(6, 20)
RATE = 120  # records per second written during the churn
SESSION = {"classic": 6.0, "consumer": 10.0}  # client-chosen / the harness broker's setting
BOUND = 30.0  # convergence bound after a join, leave or cancel (crash: + the session)
DRAIN = 90.0
GUARD = pick(400.0, 1500.0)
PROCESSING = 0.05  # seconds of "work" per batch, between processing and its commit


@dataclass
class Book:
    """What every member did, for the verdict."""

    processed: Counter[bytes] = field(default_factory=Counter)
    repeats: int = 0  # a record again within one member's continuous ownership
    problems: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    # partition -> (time, member, what): ownership, segment starts, batches and commits, so
    # that a lost record can be explained from the failure output
    events: dict[int, list[tuple[float, str, str]]] = field(default_factory=dict)

    def note(self, partition: int, member: str, what: str) -> None:
        self.events.setdefault(partition, []).append((time.monotonic(), member, what))

    def story(self, partition: int, offset: int, radius: int = 300) -> str:
        """What happened to ``partition`` around ``offset`` (ownership changes always)."""
        near = range(offset - radius, offset + radius)
        lines = [
            f"  {t:.3f} {who}: {what}"
            for t, who, what in self.events.get(partition, [])
            if not what.startswith(("batch", "commit "))
            or any(int(n) in near for n in what.split()[1].split(".."))
        ]
        return "\n".join(lines)


class _Segments(ConsumerRebalanceListener):
    """Continuous ownership per partition: the last offset processed since assigned, and
    the position at assignment (the first record must be that one)."""

    def __init__(self, name: str, book: Book) -> None:
        self.last: dict[TopicPartition, int | None] = {}
        self.start: dict[TopicPartition, int | None] = {}
        self.name, self.book = name, book
        self.consumer: AIOKafkaConsumer | None = None

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self.book.note(tp.partition, self.name, f"revoked after {self.last.get(tp)}")
            self.last.pop(tp, None)

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        health = self.consumer.partition_health() if self.consumer is not None else {}
        for tp in assigned:
            found = health.get(tp)
            self.start[tp] = found.position if found is not None else None
            self.book.note(tp.partition, self.name, f"assigned at {self.start[tp]}")
            self.last.setdefault(tp, None)


class _Member:
    """One group member: its own proxies (so it can vanish), a consumer, an app task."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, protocol: str,
                 book: Book) -> None:  # fmt: skip
        self.name = name
        self.book = book
        self.proxies = ProxyCluster(bootstrap)
        self.segments = _Segments(name, book)
        self.args = (group, topic, protocol)
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.running = False  # started and not asked to go

    async def start(self) -> None:
        await self.proxies.start()
        group, topic, protocol = self.args
        options: dict[str, Any] = {}
        if protocol == "classic":
            options = {"session_timeout_ms": int(SESSION["classic"] * 1000),
                       "heartbeat_interval_ms": 1000}  # fmt: skip
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.proxies.bootstrap, group_id=group, group_protocol=protocol,
            enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=5000,
            retry_backoff_ms=100, metadata_max_age_ms=5000, **options,
        )  # fmt: skip
        self.segments.consumer = self.consumer
        self.consumer.subscribe([topic], listener=self.segments)
        self.running = True
        self.task = asyncio.create_task(self._run(), name=f"member {self.name}")

    async def _run(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        try:
            await consumer.start()
            while True:
                try:
                    batch = await consumer.getmany(timeout_ms=200, max_records=50)
                except ConsumerStoppedError:
                    return  # left the group (leave): the application ends
                except KafkaError as exc:
                    self.book.errors[f"poll {type(exc).__name__}"] += 1
                    await asyncio.sleep(0.1)
                    continue
                if batch:
                    self._process(batch)
                    await asyncio.sleep(PROCESSING)  # a cancel or crash may land here
                    await self._commit(consumer, batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.book.problems.append(f"member {self.name} died: {exc!r}")

    def _process(self, batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]]) -> None:
        for tp, records in batch.items():
            last = self.segments.last.get(tp)
            start = self.segments.start.pop(tp, None) if last is None else None
            if start is not None and records[0].offset > start:
                self.book.problems.append(
                    f"member {self.name}: {tp.topic}-{tp.partition} assigned at position "
                    f"{start} but its first record was {records[0].offset}"
                )  # fmt: skip
            for record in records:
                if last is not None and record.offset <= last:
                    self.book.repeats += 1
                elif last is not None and record.offset != last + 1:
                    self.book.problems.append(
                        f"member {self.name}: {tp.topic}-{tp.partition} skipped from {last} "
                        f"to {record.offset} without a rebalance"
                    )  # fmt: skip
                self.book.processed[bytes(record.value or b"")] += 1
                last = record.offset
            self.book.note(tp.partition, self.name, f"batch {records[0].offset}..{last}")
            self.segments.last[tp] = last

    async def _commit(
        self, consumer: AIOKafkaConsumer,
        batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]],
    ) -> None:  # fmt: skip
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
        owned = consumer.assignment()
        for tp, o in offsets.items():
            if tp not in owned:
                self.book.note(tp.partition, self.name, f"commit-skipped {o} (not owned)")
        offsets = {tp: o for tp, o in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:  # a rebalance got in between: the next owner redoes it
            self.book.errors[f"commit {type(exc).__name__}"] += 1
            for tp, o in offsets.items():
                self.book.note(tp.partition, self.name, f"commit-failed {o} {exc!r}")
        else:
            for tp, o in offsets.items():
                self.book.note(tp.partition, self.name, f"commit {o}")

    async def leave(self, how: str) -> None:
        """``leave``, ``cancel`` or ``crash`` (see ``end_member``)."""
        assert self.task is not None and self.consumer is not None
        self.running = False
        await end_member(self.task, self.consumer, self.proxies, how, self.book.problems,
                         self.name)  # fmt: skip

    def view(self) -> tuple[str, frozenset[TopicPartition]]:
        """(membership state, assignment) as the member sees it."""
        assert self.consumer is not None
        health = self.consumer.group_health()
        state = "unjoined" if health is None else health.state
        return state, frozenset(self.consumer.assignment())


def _converged(live: list[_Member], everything: frozenset[TopicPartition]) -> bool:
    views = [member.view() for member in live]
    if any(state != "stable" or not owned for state, owned in views):
        return False
    owned = [tp for _, parts in views for tp in parts]
    return len(owned) == len(set(owned)) and set(owned) == everything


async def _sample_commits(
    bootstrap: str, group: str, tps: list[TopicPartition], book: Book, counts: Counter[str]
) -> None:
    """Every 0.5 s: the group's committed offsets must never move backwards."""
    seen: dict[TopicPartition, int] = {}
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000) as admin:
        while True:
            await asyncio.sleep(0.5)
            try:
                committed = await admin.list_consumer_group_offsets(group, partitions=tps)
            except KafkaError as exc:
                counts[f"sample {type(exc).__name__}"] += 1
                continue
            counts["samples"] += 1
            for tp, found in committed.items():
                if found is None or found.offset < 0:
                    continue
                if found.offset < seen.get(tp, -1):
                    book.problems.append(
                        f"committed offset of {tp.topic}-{tp.partition} moved back from "
                        f"{seen[tp]} to {found.offset}"
                    )  # fmt: skip
                seen[tp] = max(seen.get(tp, -1), found.offset)


async def _log_ends(
    bootstrap: str, tps: list[TopicPartition], landed: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Where each partition's log ends now (at least where the producer's records did):
    every record in the log must be processed and committed past."""
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000) as admin:
        found = await admin.list_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    ends = {tp: max(found[tp].offset, landed.get(tp, 0)) for tp in tps}
    return {tp: end for tp, end in ends.items() if end > 0}


async def _drained(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> str | None:
    """Wait up to ``DRAIN`` seconds for the committed offsets to reach ``ends``; None when
    they did, else what was seen last (behind partitions, or the admin client's error)."""
    seen = "nothing yet"
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000) as admin:
        deadline = time.monotonic() + DRAIN
        while time.monotonic() < deadline:
            try:
                committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
            except KafkaError as exc:
                seen = repr(exc)
            else:
                at = {tp: getattr(committed.get(tp), "offset", -1) for tp in ends}
                behind = {tp.partition: (at[tp], e) for tp, e in ends.items() if at[tp] < e}
                if not behind:
                    return None
                seen = f"partition: (committed, end) {behind}"
            await asyncio.sleep(0.5)
    return seen


async def _read_back(bootstrap: str, tp: TopicPartition, offset: int) -> bytes | None:
    """The value stored at ``offset`` of ``tp`` (read without a group), for a lost record's
    diagnosis: is it in the log at all?"""
    async with AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False) as reader:
        reader.assign([tp])
        reader.seek(tp, offset)
        for _ in range(20):
            for record in (await reader.getmany(tp, timeout_ms=500)).get(tp, []):
                if record.offset == offset:
                    return bytes(record.value or b"")
        return None


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
async def test_group_churn(
    kafka_cluster_3: KafkaCluster, faults_report: Report, protocol: str
) -> None:
    cluster = kafka_cluster_3
    bootstrap = cluster.bootstrap()
    topic = await create_topic(cluster, f"churn-{protocol}", PARTITIONS, 3)
    group = f"{topic}-group"
    everything = frozenset(partitions_of(topic, PARTITIONS))
    seed = os.environ.get("AIOKAFKA_GEN_CHURN_SEED", "")  # another change sequence
    rng = random.Random(f"churn-{protocol}{seed}")
    book, landed, counts = Book(), Landed(), Counter[str]()
    members: list[_Member] = []
    times: dict[str, list[float]] = {kind: [] for kind in ("start", *KINDS)}
    serial = 0
    plan: list[str] = []

    def new_member() -> _Member:
        nonlocal serial
        serial += 1
        member = _Member(f"m{serial}", bootstrap, group, topic, protocol, book)
        members.append(member)
        return member

    async def converge(kind: str, started: float) -> None:
        """Wait for convergence; the time counts from ``started`` (before the change)."""
        bound = BOUND + (SESSION[protocol] if kind == "crash" else 0.0)
        live = [m for m in members if m.running]
        try:
            async with asyncio.timeout(bound):
                while not _converged(live, everything):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            views = {m.name: m.view() for m in live}
            tally.problems.append(f"no convergence within {bound:.0f} s after {kind}: {views}")
        times[kind].append(seconds_since(started))

    with faults_report(f"group-churn-{protocol}") as tally:
        seconds = CHANGES * 15.0 + 30.0  # longer than the churn: stopped when it ends
        churned = asyncio.Event()
        producing = asyncio.create_task(produce_steadily(
            bootstrap, topic, range(int(seconds * RATE)), seconds, landed, KEYS, stop=churned,
        ))  # fmt: skip
        sampling = asyncio.create_task(
            _sample_commits(bootstrap, group, sorted(everything), book, counts)
        )
        try:
            async with asyncio.timeout(GUARD):
                began = time.monotonic()
                for _ in range(2):
                    await new_member().start()
                await converge("start", began)
                plan = churn_plan(rng, CHANGES, 2, MAX_MEMBERS)
                for kind in plan:
                    await asyncio.sleep(rng.uniform(0.3, 1.5))  # let them work
                    began = time.monotonic()
                    live = [m for m in members if m.running]
                    if kind == "join":
                        await new_member().start()
                    else:
                        await rng.choice(live).leave(kind)
                        tally.kills += kind == "crash"
                    await converge(kind, began)
                churned.set()
                await producing
                ends = await _log_ends(bootstrap, sorted(everything), landed.ends(topic))
                behind = await _drained(bootstrap, group, ends)
                if behind is not None:
                    views = {m.name: m.view() for m in members if m.running}
                    tally.problems.append(
                        f"not all committed {DRAIN:.0f} s after the churn: {behind}; "
                        f"members {views}"
                    )
        finally:
            sampling.cancel()
            producing.cancel()
            await asyncio.gather(sampling, producing, return_exceptions=True)
            for member in members:
                if member.running:
                    with contextlib.suppress(Exception):
                        await member.leave("leave")
        measured = {k: [round(t, 1) for t in v] for k, v in times.items() if v}
        print(
            f"{protocol} (seed {seed!r}): changes {plan}; convergence seconds {measured}; "
            f"{counts['samples']} commit samples; redelivered "
            f"{sum(n - 1 for n in book.processed.values())}; errors {dict(book.errors)}; "
            f"acknowledged without an offset {len(landed.unplaced)}"
        )
        tally.sent += landed.total
        wanted = {value_of(i) for i in range(int(seconds * RATE))}
        written = {v for per in landed.offsets.values() for v in per.values()}
        written |= {v for _, v in landed.unplaced}
        tally.received += len(book.processed)
        missing = written - book.processed.keys()
        tally.lost += len(missing)
        where = sorted((p, o) for p, per in landed.offsets.items() for o, v in per.items()
                       if v in missing)  # fmt: skip
        for partition, offset in where[:3]:
            found = await _read_back(bootstrap, TopicPartition(topic, partition), offset)
            stored = landed.offsets[partition][offset]
            where_is = "in the log" if found == stored else f"the log has {found!r} there"
            tally.problems.append(f"never processed: {topic}-{partition}@{offset} ({where_is})")
            print(f"partition {partition} around offset {offset} (the log has {found!r} there, "
                  f"{landed.offsets[partition][offset]!r} was written):\n"
                  f"{book.story(partition, offset)}")  # fmt: skip
        tally.duplicated += book.repeats
        tally.problems += book.problems
        if landed.failed:
            tally.problems.append(f"{len(landed.failed)} sends failed")
        if book.processed.keys() - wanted:
            tally.problems.append("records processed that were never written")
