"""Scenario 7: share-group churn while records flow and a broker restarts.

Up to 4 share consumers (``AIOKafkaShareConsumer``) of one share group read a 6-partition
topic (RF 3) of the 3-node cluster while a producer writes steadily (short: 10k records in
about 40 s; ``AIOKAFKA_GEN_FAULTS=full``: 100k in about 150 s). Members alternate between
implicit and explicit acknowledgement; each "processes" a poll's records, then acknowledges
them (implicit: ``commit()`` accepts what the poll returned; explicit:
``acknowledge(record, ACCEPT)`` each, then ``commit()``) and keeps ``commit()``'s answer per
partition. Membership changes one at a time, spread over the writing: ``join``, ``leave``
(``stop()``), ``cancel`` (the application's task cancelled mid-poll or mid-processing,
then ``stop()``) and ``crash`` (the task cancelled and the member's own ``ProxyCluster``
refusing every connection: no acknowledgement, session close or leave ever arrives);
meanwhile the group coordinator's broker is SIGKILLed and restarted once.

Verdict: every record written was processed at least once (``lost`` must be 0). A record
processed again (``duplicated``) must have a reason (``explained``): the earlier delivery's
acknowledgement is not known to have landed (its member was cancelled, crashed or stopped
before ``commit()`` answered, or the answer for that partition was an error), the broker
restart happened between the two deliveries, or the earlier lock may have expired before
its acknowledgement (Kafka 4.4 answers such a late accept with success). The lock's start
is bounded from below: a poll takes the whole buffer (``max_records`` unbounded), so what
the next poll returns arrived after the previous poll returned, from a ShareFetch sent at
most ``request_timeout_ms + fetch_max_wait_ms`` earlier. After the last record was
processed the survivors keep polling until nothing was delivered for longer than the lock
duration, so an acknowledgement reported as successful that never took effect shows up as
an unexplained redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from share.share_support import set_group_configs

from aiokafka_gen.client import AIOKafkaClient, CoordinationType
from aiokafka_gen.errors import ConsumerStoppedError, KafkaError
from aiokafka_gen.share import AcknowledgeType, AIOKafkaShareConsumer, ShareConsumerRecord
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing.proxy import ProxyCluster
from faults.support import create_topic, pick, restart_all
from faults.verdict import Report, Tally
from faults.wave2_support import Landed, churn_plan, end_member, produce_steadily, wait_in_sync

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 6
KEYS = 600
TOTAL = pick(10_000, 100_000)
SECONDS = pick(40.0, 150.0)  # the producer's run; the changes are spread over it
CHANGES = pick(6, 16)
MAX_MEMBERS = 4
LOCK = 15.0  # share.record.lock.duration.ms (the broker's minimum)
SESSION = 10.0  # share.session.timeout.ms: a crashed member's partitions move after it
REQUEST_TIMEOUT_MS = 5000
MAX_WAIT_MS = 200
# how long before the previous poll returned a record's ShareFetch may have been sent (its
# timeout), plus event-loop lag on a loaded machine
EARLIER = (REQUEST_TIMEOUT_MS + MAX_WAIT_MS) / 1000 + 3.0
PROCESSING = 0.03  # seconds of "work" per poll, between processing and acknowledging
DOWN = 5.0  # seconds the restarted broker stays down
SETTLED = 10.0  # after the restarted broker is back in sync: its effects may still show
DRAIN = pick(120.0, 300.0)
GUARD = pick(420.0, 1200.0)  # a hang guard, not a speed assertion
EVERYTHING = 1_000_000  # a poll's max_records: always the whole buffer


@dataclass
class Delivery:
    """One member's processing of one record."""

    member: str
    earliest: float  # the broker acquired it no earlier than this (monotonic)
    returned: float  # the poll that handed it over returned
    count: int  # its delivery_count
    accepted: float | None = None  # commit() reported success for its partition then
    failure: str = "no commit answer (cancelled, crashed or stopped first)"


@dataclass
class Book:
    """Every delivery of every record value, and what the scenario did."""

    deliveries: dict[bytes, list[Delivery]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    restarts: list[list[float]] = field(default_factory=list)  # [down at, settled by]
    last_delivery: float = 0.0

    def deliver(self, member: str, records: list[ShareConsumerRecord], earliest: float,
                returned: float) -> list[Delivery]:  # fmt: skip
        out = []
        for record in records:
            delivery = Delivery(member, earliest, returned, record.delivery_count)
            self.deliveries.setdefault(bytes(record.value or b""), []).append(delivery)
            out.append(delivery)
        self.last_delivery = returned
        return out

    def reason(self, first: Delivery) -> str | None:
        """Why a record may come again after ``first``; None: it should not have."""
        if first.accepted is None:
            return first.failure
        # acquired before the restart settled, its accept answered after the kill: it may
        # have gone to a leader that lost the acquisition (an accept answered before the
        # kill was written to the share-group state, which the restart does not undo)
        if any(first.earliest <= settled and first.accepted >= down
               for down, settled in self.restarts):  # fmt: skip
            return "the broker restart"
        if first.accepted - first.earliest > LOCK:
            return "its lock may have expired before the accept"
        return None


class _Member:
    """One share consumer behind its own proxies (so that it can vanish), with an
    application task that polls, processes and acknowledges."""

    def __init__(self, name: str, bootstrap: str, group: str, topic: str, explicit: bool,
                 book: Book) -> None:  # fmt: skip
        self.name, self.explicit, self.book = name, explicit, book
        self.proxies = ProxyCluster(bootstrap)
        self.args = (group, topic)
        self.consumer: AIOKafkaShareConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.running = False

    async def start(self) -> None:
        await self.proxies.start()
        group, topic = self.args
        self.consumer = AIOKafkaShareConsumer(
            topic, bootstrap_servers=self.proxies.bootstrap, group_id=group,
            share_acknowledgement_mode="explicit" if self.explicit else "implicit",
            request_timeout_ms=REQUEST_TIMEOUT_MS, fetch_max_wait_ms=MAX_WAIT_MS,
            max_poll_records=100, retry_backoff_ms=100, metadata_max_age_ms=5000,
        )  # fmt: skip
        self.running = True
        self.task = asyncio.create_task(self._run(), name=f"share member {self.name}")

    async def _run(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        previous = time.monotonic()  # nothing is buffered from before this
        try:
            await consumer.start()
            while True:
                try:
                    batch = await consumer.getmany(timeout_ms=300, max_records=EVERYTHING)
                except ConsumerStoppedError:
                    return  # stopped (leave): the application ends
                except KafkaError as exc:  # raised before the poll took the buffer
                    self.book.errors[f"poll {type(exc).__name__}"] += 1
                    await asyncio.sleep(0.1)
                    continue
                returned = time.monotonic()
                earliest, previous = previous - EARLIER, returned
                records = [r for rs in batch.values() for r in rs]
                if records:
                    done = self.book.deliver(self.name, records, earliest, returned)
                    await asyncio.sleep(PROCESSING)  # a cancel or crash may land here
                    await self._acknowledge(consumer, records, done)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.book.problems.append(f"member {self.name} died: {exc!r}")

    async def _acknowledge(
        self, consumer: AIOKafkaShareConsumer, records: list[ShareConsumerRecord],
        done: list[Delivery],
    ) -> None:  # fmt: skip
        try:
            if self.explicit:
                for record in records:
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT)
            results = await consumer.commit()
        except KafkaError as exc:  # stopped meanwhile (leave), or a fatal error
            self.book.errors[f"commit {type(exc).__name__}"] += 1
            for delivery in done:
                delivery.failure = f"commit() raised {type(exc).__name__}"
            return
        answered = time.monotonic()
        for record, delivery in zip(records, done, strict=True):
            tp = TopicPartition(record.topic, record.partition)
            if tp in results and results[tp] is None:
                delivery.accepted = answered
            else:
                delivery.failure = f"commit() answered {type(results.get(tp)).__name__}"
        for error in results.values():
            if error is not None:
                self.book.errors[f"ack {type(error).__name__}"] += 1

    async def leave(self, how: str) -> None:
        """``leave``, ``cancel`` or ``crash`` (see ``end_member``)."""
        assert self.task is not None and self.consumer is not None
        self.running = False
        await end_member(self.task, self.consumer, self.proxies, how, self.book.problems,
                         self.name)  # fmt: skip

    def view(self) -> str:
        assert self.consumer is not None
        health = self.consumer.group_health()
        return f"{health.state} {sorted(tp.partition for tp in health.assignment)}"


async def _restart_coordinator(
    cluster: KafkaCluster, topic: str, group: str, at: float, book: Book, tally: Tally
) -> None:
    """At ``at`` seconds, SIGKILL the share group's coordinator; start it ``DOWN`` s later."""
    await asyncio.sleep(at)
    bootstrap = cluster.bootstrap()
    internal = [topic, "__consumer_offsets", "__share_group_state"]
    await wait_in_sync(bootstrap, internal)
    async with AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000) as client:
        victim = await client.coordinator_lookup(CoordinationType.GROUP, group)
    window = [time.monotonic(), math.inf]
    book.restarts.append(window)
    await asyncio.to_thread(cluster.node(victim).kill)
    tally.kills += 1
    await asyncio.sleep(DOWN)
    await asyncio.to_thread(cluster.start_node, victim)
    await wait_in_sync(bootstrap, internal)
    window[1] = time.monotonic() + SETTLED
    print(f"node {victim} (the group coordinator): back in sync after "
          f"{window[1] - SETTLED - window[0]:.1f} s")  # fmt: skip


def _written(landed: Landed) -> set[bytes]:
    """Every value the producer had acknowledged (with an offset or without)."""
    return {v for per in landed.offsets.values() for v in per.values()} | {
        v for _, v in landed.unplaced
    }


async def _processed_all(book: Book, written: set[bytes], timeout: float) -> set[bytes]:
    """Wait until every written value was processed; what is still missing after
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while (missing := written - book.deliveries.keys()) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return missing


async def _quiet(book: Book, timeout: float) -> bool:
    """Until nothing was delivered for longer than a lock lasts (a lost acknowledgement
    would bring its record back by then); False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() - book.last_delivery < LOCK + 3.0:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


def _judge(book: Book, tally: Tally) -> Counter[str]:
    """Count every repeat delivery, explained or not; the reasons, counted."""
    reasons: Counter[str] = Counter()
    for value, deliveries in book.deliveries.items():
        ordered = sorted(deliveries, key=lambda d: d.returned)
        for first, again in itertools.pairwise(ordered):
            tally.duplicated += 1
            why = book.reason(first)
            if why is not None:
                assert tally.explained is not None
                tally.explained += 1
            elif len(tally.problems) < 5:
                tally.problems.append(
                    f"record {value!r} processed again without a reason: first {first}, "
                    f"again {again}"
                )
            label = why or "no reason"
            if again.count <= first.count:  # the broker's count started again (a new leader)
                label += " (delivery count not grown)"
            reasons[label] += 1
    return reasons


async def test_share_group_churn(kafka_cluster_3: KafkaCluster, faults_report: Report) -> None:
    cluster = kafka_cluster_3
    await restart_all(cluster)
    bootstrap = cluster.bootstrap()
    topic = await create_topic(cluster, "share-churn", PARTITIONS, 3)
    group = f"{topic}-share"
    await set_group_configs(bootstrap, group, {
        "share.auto.offset.reset": "earliest",
        "share.record.lock.duration.ms": str(int(LOCK * 1000)),
        "share.session.timeout.ms": str(int(SESSION * 1000)),
        "share.heartbeat.interval.ms": "1000",
    })  # fmt: skip
    seed = os.environ.get("AIOKAFKA_GEN_CHURN_SEED", "")  # another change sequence
    rng = random.Random(f"share-churn{seed}")
    book, landed = Book(), Landed()
    members: list[_Member] = []
    plan: list[str] = []

    async def join() -> None:
        member = _Member(f"m{len(members) + 1}", bootstrap, group, topic,
                         explicit=len(members) % 2 == 1, book=book)  # fmt: skip
        members.append(member)
        await member.start()

    with faults_report("share-group-churn") as tally:
        tally.explained, tally.changes = 0, 0
        started = time.monotonic()
        producing = asyncio.create_task(
            produce_steadily(bootstrap, topic, range(TOTAL), SECONDS, landed, KEYS)
        )
        restarting = asyncio.create_task(
            _restart_coordinator(cluster, topic, group, SECONDS * 0.4, book, tally)
        )
        try:
            async with asyncio.timeout(GUARD):
                for _ in range(2):
                    await join()
                plan = churn_plan(rng, CHANGES, 2, MAX_MEMBERS)
                gap = SECONDS / (len(plan) + 1)
                for kind in plan:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * gap)
                    if kind == "join":
                        await join()
                    else:
                        await rng.choice([m for m in members if m.running]).leave(kind)
                        tally.kills += kind == "crash"
                    tally.changes += 1
                await producing
                await restarting
                missing = await _processed_all(book, _written(landed), DRAIN)
                if missing:
                    views = {m.name: m.view() for m in members if m.running}
                    tally.problems.append(
                        f"{len(missing)} records not processed {DRAIN:.0f} s after the "
                        f"writing ended, e.g. {sorted(missing)[:5]}; members {views}"
                    )
                elif not await _quiet(book, DRAIN):
                    tally.problems.append("records kept coming back after all were processed")
        finally:
            for task in (producing, restarting):
                task.cancel()
            await asyncio.gather(producing, restarting, return_exceptions=True)
            for member in members:
                if member.running:
                    with contextlib.suppress(Exception):
                        await member.leave("leave")
            await restart_all(cluster)
        reasons = _judge(book, tally)
        accepted = sum(any(d.accepted is not None for d in ds) for ds in book.deliveries.values())
        modes = {m.name: "explicit" if m.explicit else "implicit" for m in members}
        print(
            f"share-group-churn (seed {seed!r}): {time.monotonic() - started:.0f} s; changes "
            f"{plan}; members {modes}; accepted by a confirmed commit {accepted}; repeats by "
            f"reason {dict(reasons)}; errors {dict(book.errors)}; acknowledged without an "
            f"offset {len(landed.unplaced)}"
        )
        tally.sent += landed.total
        tally.received += len(book.deliveries)
        written = _written(landed)
        tally.lost += len(written - book.deliveries.keys())
        tally.problems += book.problems
        if landed.failed:
            tally.problems.append(f"{len(landed.failed)} sends failed, e.g. {landed.failed[0]!r}")
        if book.deliveries.keys() - written:
            tally.problems.append("records processed that were never written")
