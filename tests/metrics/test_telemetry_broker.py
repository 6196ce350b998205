"""KIP-714 against real brokers: a Kafka 4.4 broker with a telemetry plugin compiled here
(``java/TelemetryDump.java``, which writes every accepted push to a file), subscriptions made
with our admin client; a broker without a plugin and a Kafka 3.6 broker leave telemetry off.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.javac import compiled_java

from aiokafka_gen.admin import AIOKafkaAdminClient, AlterConfigOp, ConfigResource, NewTopic
from aiokafka_gen.admin.types import ConfigResourceType
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.metrics import Metrics
from aiokafka_gen.metrics import catalogue as C
from aiokafka_gen.metrics.telemetry import (
    TelemetryReporter,
    TelemetryState,
    otlp_attributes,
    otlp_metric_name,
)
from aiokafka_gen.testing import KafkaCluster

from .test_telemetry_support import Point, by_name, decode, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.java]

JAVA = Path(__file__).parent / "java" / "TelemetryDump.java"
DUMP_PROPERTY = "aiokafka.gen.telemetry.dump"
P = "org.apache.kafka.producer."


@pytest.fixture(scope="module")
def telemetry_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A 4.4 broker whose TelemetryDump plugin appends each push to a JSON-lines file."""
    command = compiled_java(JAVA)
    classes = command[command.index("-cp") + 1].split(os.pathsep)[0]
    dump = tmp_path_factory.mktemp("kip714") / "pushes.jsonl"
    cluster = KafkaCluster(
        extra_classpath=[classes],
        broker_properties={"metric.reporters": "TelemetryDump", DUMP_PROPERTY: str(dump)},
    )
    if cluster.backend_name != "jvm":
        pytest.skip("a broker plugin needs the jvm backend")
    with cluster:
        yield cluster.bootstrap(), dump


def pushes(dump: Path, client_id: str) -> list[dict[str, Any]]:
    if not dump.exists():
        return []
    lines = [json.loads(line) for line in dump.read_text().splitlines() if line.strip()]
    return [line for line in lines if line["client_id"] == client_id]


def points_of(push: dict[str, Any]) -> tuple[dict[str, str], dict[str, Point]]:
    resource, points = decode(base64.b64decode(push["data"]))
    return resource, by_name(points)


async def subscribe(bootstrap: str, name: str, client_id: str, metrics: list[str]) -> None:
    """Create or change the client-metrics subscription ``name`` for ``client_id`` only."""
    resource = ConfigResource(ConfigResourceType.CLIENT_METRICS, name)
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        await admin.incremental_alter_configs({
            resource: [
                AlterConfigOp("metrics", ",".join(metrics)),
                AlterConfigOp("interval.ms", "500"),
                AlterConfigOp("match", f"client_id={client_id}"),
            ]
        })  # fmt: skip


async def test_pushes_reach_the_broker_with_names_values_and_tags(
    telemetry_broker: tuple[str, Path],
) -> None:
    bootstrap, dump = telemetry_broker
    cid = "kip714-e2e"
    await subscribe(bootstrap, "kip714-e2e", cid, [P])
    loop = asyncio.get_running_loop()
    metrics = Metrics(cid, "producer", clock=loop.time)
    now = loop.time()
    latency = metrics.sensor(C.PRODUCER_REQUEST_LATENCY)
    latency.record(10.0, now)
    latency.record(20.0, now)
    errors = metrics.sensor(C.PRODUCER_ERRORS)
    errors.record(3, now)
    metrics.sensor(C.NODE_LATENCY, node_id=1).record(7.0, now)
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 4096.0)
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id=cid)
    await client.bootstrap()
    reporter = TelemetryReporter(
        client, metrics, client_kind="producer", resource_attributes={"client_rack": "rack-a"}
    )
    try:
        reporter.start()
        instance = await reporter.client_instance_id(30.0)
        assert instance is not None
        await wait_until(lambda: pushes(dump, cid), timeout=60, what="the first push")
        first = pushes(dump, cid)[0]
        assert first["instance"] == str(instance)
        assert not first["terminating"] and first["push_interval_ms"] == 500
        # the push was compressed (zstd, the broker's first choice, when installed); the
        # plugin gets the payload decompressed by the broker
        assert reporter.subscription is not None
        accepted = reporter.subscription.accepted_compression_types
        assert reporter._codec(reporter.subscription) == accepted[0] != 0
        resource, got = points_of(first)
        assert resource == {"client_rack": "rack-a"}
        assert got[P + "request.latency.avg"].value == 15.0
        assert got[P + "request.latency.max"].value == 20.0
        assert got[P + "buffer.available.bytes"].value == 4096.0
        node = got[P + "node.request.latency.avg"]
        assert node.value == 7.0 and node.attributes == {"node_id": "node-1"}
        total = got[P + "record.error.total"]
        # Kafka's broker asks for delta temporality
        assert (total.kind, total.temporality, total.monotonic, total.value) == (
            "sum",
            1,
            True,
            3.0,
        )
        assert all(name.startswith(P) for name in got)
        assert all("client_id" not in p.attributes for p in got.values())
        # every registry metric was pushed, under its telemetry name
        assert len(got) == len(metrics.snapshot())

        errors.record(2, loop.time())
        await wait_until(lambda: len(pushes(dump, cid)) >= 2, timeout=60, what="a second push")
        second = points_of(pushes(dump, cid)[1])[1]
        assert second[P + "record.error.total"].value == 2.0  # the change since the last push
    finally:
        await reporter.close(10.0)
        await client.close()
    last = pushes(dump, cid)[-1]
    assert last["terminating"] and sum(p["terminating"] for p in pushes(dump, cid)) == 1
    assert reporter.state is TelemetryState.TERMINATED


async def test_a_changed_subscription_is_picked_up(telemetry_broker: tuple[str, Path]) -> None:
    bootstrap, dump = telemetry_broker
    cid = "kip714-change"
    await subscribe(bootstrap, "kip714-change", cid, [P + "request"])
    loop = asyncio.get_running_loop()
    metrics = Metrics(cid, "producer", clock=loop.time)
    metrics.sensor(C.PRODUCER_REQUEST_LATENCY).record(5.0, loop.time())
    metrics.gauge(C.PRODUCER_BUFFER_AVAILABLE, lambda: 1.0)
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id=cid)
    await client.bootstrap()
    reporter = TelemetryReporter(client, metrics, client_kind="producer")

    def names(push: dict[str, Any]) -> set[str]:
        return set(points_of(push)[1])

    try:
        reporter.start()
        await wait_until(lambda: pushes(dump, cid), timeout=60, what="a push")
        assert names(pushes(dump, cid)[0]) == {P + "request.latency.avg", P + "request.latency.max"}
        await subscribe(bootstrap, "kip714-change", cid, [P + "buffer"])
        await wait_until(
            lambda: any(names(p) == {P + "buffer.available.bytes"} for p in pushes(dump, cid)),
            timeout=60, what="a push of the new subscription",
        )  # fmt: skip
        assert reporter.subscription is not None
        assert reporter.subscription.requested_metrics == (P + "buffer",)
    finally:
        await reporter.close(10.0)
        await client.close()


async def assert_stays_off(bootstrap: str, caplog: pytest.LogCaptureFixture) -> None:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="kip714-off")
    await client.bootstrap()
    reporter = TelemetryReporter(client, Metrics("kip714-off", "producer"), client_kind="producer")
    try:
        with caplog.at_level(logging.DEBUG, "aiokafka_gen.metrics.telemetry"):
            reporter.start()
            await wait_until(lambda: reporter.state is TelemetryState.DISABLED, what="off")
        assert await reporter.client_instance_id(1.0) is None
        assert all(r.levelno < logging.WARNING for r in caplog.records)
        assert any("telemetry off" in r.getMessage() for r in caplog.records)
    finally:
        await reporter.close(5.0)
        await client.close()


async def test_broker_without_a_telemetry_plugin_leaves_it_off_quietly(
    kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A broker with no telemetry plugin does not advertise the APIs (as Kafka 3.6 and
    older, which do not have them at all)."""
    await assert_stays_off(kafka_bootstrap, caplog)


@pytest.fixture(scope="module")
def kafka_362() -> Iterator[str]:
    with KafkaCluster(version="3.6.2") as cluster:
        yield cluster.bootstrap()


@pytest.mark.slow
async def test_kafka_3_6_leaves_it_off_quietly(
    kafka_362: str, caplog: pytest.LogCaptureFixture
) -> None:
    await assert_stays_off(kafka_362, caplog)


JAVA_PRODUCER = Path(__file__).parent / "java" / "TelemetryJavaProducer.java"
JAVA_CONSUMER = Path(__file__).parent / "java" / "TelemetryJavaConsumer.java"


async def java_push_names(
    source: Path, args: list[str], dump: Path, client_id: str
) -> dict[str, set[frozenset[str]]]:
    """Run a Java client (``source``) until the broker has a push from it, then let it close;
    the telemetry names it pushed, each with the attribute key sets it came with."""
    command = compiled_java(source)
    proc = await asyncio.create_subprocess_exec(
        *command, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_until(
            lambda: proc.returncode is not None or pushes(dump, client_id),
            timeout=120, what=f"a push from {source.stem}",
        )  # fmt: skip
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the Java client closes (and makes its terminating push)
        _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()[-3000:]
    names: dict[str, set[frozenset[str]]] = {}
    for push in pushes(dump, client_id):
        for point in decode(base64.b64decode(push["data"]))[1]:
            names.setdefault(point.name, set()).add(frozenset(point.attributes))
    return names


def catalogue_names(prefix: str, values: dict[str, object]) -> dict[str, set[frozenset[str]]]:
    """Telemetry name -> attribute key sets of every catalogue metric of a ``prefix`` client
    that Java has under the same name (a name can be client-wide and per topic)."""
    metrics = Metrics("x", prefix)
    expected: dict[str, set[frozenset[str]]] = {}
    for spec in C.ALL_SENSORS:
        if spec.applies_to(prefix):
            tags = {key.replace("-", "_"): values[key] for key in spec.tags}
            for name, metric in metrics.sensor(spec, **tags).metric_names:
                if metric.java == metric.name:
                    keys = frozenset(k for k, _ in otlp_attributes(name.tags))
                    expected.setdefault(otlp_metric_name(name), set()).add(keys)
    for gauge in C.ALL_GAUGES:
        if gauge.applies_to(prefix) and gauge.java == gauge.name:
            tags = {key.replace("-", "_"): values[key] for key in gauge.tags}
            name = metrics.gauge(gauge, lambda: 0.0, **tags)
            keys = frozenset(k for k, _ in otlp_attributes(name.tags))
            expected.setdefault(otlp_metric_name(name), set()).add(keys)
    return expected


async def test_metric_names_and_attributes_match_javas_producer(
    telemetry_broker: tuple[str, Path],
) -> None:
    """Kafka's Java producer pushes to the same broker; every catalogue metric that has the
    same Java name must reach the broker under the same telemetry name and attribute keys."""
    bootstrap, dump = telemetry_broker
    cid, topic = "kip714-java-producer", "kip714-java-producer"
    await subscribe(bootstrap, cid, cid, ["*"])
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    java = await java_push_names(JAVA_PRODUCER, [bootstrap, cid, topic], dump, cid)
    values = {"node-id": 1, "topic": topic, "partition": 0, "api": "Produce"}
    expected = catalogue_names("producer", values)
    assert len(expected) >= 60  # 65 of the 73 producer metrics have a same-named Java one
    missing = sorted(set(expected) - set(java))
    assert not missing, f"Java pushed none of {missing}"
    different = {n: (expected[n], java[n]) for n in expected if not expected[n] <= java[n]}
    assert not different


async def test_metric_names_and_attributes_match_javas_consumer(
    telemetry_broker: tuple[str, Path],
) -> None:
    """The same with Kafka's Java consumer in a group (classic protocol), after a fetch."""
    bootstrap, dump = telemetry_broker
    cid, topic = "kip714-java-consumer", "kip714-java-consumer"
    await subscribe(bootstrap, cid, cid, ["*"])
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    java = await java_push_names(JAVA_CONSUMER, [bootstrap, cid, topic], dump, cid)
    values = {"node-id": 1, "topic": topic, "partition": 0, "api": "Fetch"}
    expected = catalogue_names("consumer", values)
    assert len(expected) >= 70  # 86 of the 94 consumer metrics have a same-named Java one
    missing = sorted(set(expected) - set(java))
    assert not missing, f"Java pushed none of {missing}"
    different = {n: (expected[n], java[n]) for n in expected if not expected[n] <= java[n]}
    assert not different


async def test_a_producer_pushes_its_own_metrics(telemetry_broker: tuple[str, Path]) -> None:
    """End to end through the client: AIOKafkaProducer's default enable_metrics_push=True
    starts the reporter; the push carries what the producer did; stop() sends the last."""
    from aiokafka_gen import AIOKafkaProducer

    bootstrap, dump = telemetry_broker
    cid = "kip714-producer"
    await subscribe(bootstrap, "kip714-producer", cid, [P + "record.send", P + "topic."])
    async with AIOKafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic("kip714-producer", 1, 1)], raise_on_error=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=cid)
    await producer.start()
    try:
        for _ in range(50):
            await producer.send_and_wait("kip714-producer", b"pushed")
        instance = await producer.client_instance_id(30.0)
        assert instance is not None

        def sent_50() -> bool:
            # sums go as deltas (the broker asks for delta temporality): add them up
            total = 0.0
            for push in pushes(dump, cid):
                point = points_of(push)[1].get(P + "record.send.total")
                total += point.value if point is not None else 0.0
            return total == 50

        await wait_until(sent_50, timeout=60, what="pushes adding up to 50 records sent")
        first = pushes(dump, cid)[0]
        assert first["instance"] == str(instance)
        _, got = points_of(first)
        assert set(got) <= {n for n in got if n.startswith(P)}  # only what was subscribed
        topic = [p for p in got.values() if p.name == P + "topic.record.send.total"]
        assert all(p.attributes.get("topic") == "kip714-producer" for p in topic)
    finally:
        await producer.stop()
    assert pushes(dump, cid)[-1]["terminating"]
    assert sum(p["terminating"] for p in pushes(dump, cid)) == 1
