"""Adapter for Kafka's own Java client through its perf tools (ProducerPerformance,
ConsumerPerformance): the practical ceiling. The JVM is this worker's only child, so
RUSAGE_CHILDREN is exactly its CPU time (JVM start-up included; the runner subtracts a
one-record baseline) and its peak RSS. Throughput is the tool's own figure (its timed window
excludes JVM start-up). No closed-loop latency or single-loop pipeline tool exists: those
cells are n/a."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..matrix import Run, Variant, payload
from ..meter import Meter
from ._settings import (
    CONSUMER_LOGICAL,
    PRODUCER_LOGICAL,
    logical_values,
    translate,
    unsupported,
)

KINDS = ("produce", "consume")
# kafka-run-class.sh's defaults for the perf tools (KAFKA_HEAP_OPTS / _JVM_PERFORMANCE_OPTS).
JVM_FLAGS = (
    "-Xmx512m",
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
PRODUCER_TABLE: dict[str, str | None] = {
    "acks": "acks",
    "linger_ms": "linger.ms",
    "batch_bytes": "batch.size",
    "compression": "compression.type",
    "enable_idempotence": "enable.idempotence",
    "max_in_flight": "max.in.flight.requests.per.connection",
    "request_timeout_ms": "request.timeout.ms",
    "max_request_size": "max.request.size",
    "buffer_memory": "buffer.memory",
    "retries_backoff_ms": "retry.backoff.ms",
}
CONSUMER_TABLE: dict[str, str | None] = {
    "fetch_max_wait_ms": "fetch.max.wait.ms",
    "fetch_min_bytes": "fetch.min.bytes",
    "fetch_max_bytes": "fetch.max.bytes",
    "max_partition_fetch_bytes": "max.partition.fetch.bytes",
    "max_poll_records": "max.poll.records",
    "check_crcs": "check.crcs",
    "auto_offset_reset": "auto.offset.reset",
    "enable_auto_commit": "enable.auto.commit",
    "isolation_level": "isolation.level",
    "request_timeout_ms": "request.timeout.ms",
}
CONVERT: dict[str, Callable[[Any], Any]] = {
    "compression": lambda c: c or "none",
    "enable_idempotence": lambda b: str(b).lower(),
    "check_crcs": lambda b: str(b).lower(),
    "enable_auto_commit": lambda b: str(b).lower(),
}
# ProducerPerformance splits the payload file with String.split (a regex): plain letters.
DELIMITER = "QQQ"
SENT = re.compile(r"(\d+) records sent, ([\d.]+) records/sec")


def producer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(PRODUCER_TABLE, PRODUCER_LOGICAL, values, CONVERT)


def consumer_config(variant: Variant, pinned: dict[str, Any]) -> dict[str, Any]:
    values = logical_values(variant, pinned)
    return translate(CONSUMER_TABLE, CONSUMER_LOGICAL, values, CONVERT)


def java_command(main_class: str, args: list[str], conf_dir: Path) -> tuple[list[str], Any]:
    """The JVM argv for one of Kafka's tools from the harness's cached Maven jars, and the
    runtime's pending AppCDS archive (publish it after the run: later launches start faster;
    the archive is the bench's own, dumped under these JVM flags)."""
    from aiokafka_gen.testing._config import render_log4j
    from aiokafka_gen.testing._jars import ensure_kafka_lib
    from aiokafka_gen.testing._process import JavaRuntime
    from aiokafka_gen.testing._versions import pinned_version

    runtime = JavaRuntime(pinned_version(), ensure_kafka_lib(pinned_version()), conf_dir)
    cds, pending = runtime.cds_flags(f"bench-{main_class}")
    log4j = conf_dir / "log4j2.properties"
    log4j.write_text(render_log4j("WARN", legacy=False))
    argv = [
        runtime.java, *JVM_FLAGS, *cds, f"-Dlog4j2.configurationFile={log4j}",
        "-cp", f"{runtime.lib}/*", f"org.apache.kafka.tools.{main_class}", *args,
    ]  # fmt: skip
    return argv, (runtime, pending)


def _properties(path: Path, props: dict[str, Any]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return path


def _run_jvm(command: tuple[list[str], Any], timeout: float) -> str:
    """Run the tool; stops the JVM before the runner gives up on this worker."""
    argv, (runtime, pending) = command
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    finally:
        runtime.publish_archive(pending)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[-1]} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def produce(run: Run, work: Path) -> dict[str, Any]:
    v = run.variant
    value = payload(v.value_size)
    if DELIMITER.encode() in value:
        raise ValueError("the payload contains the payload-file delimiter")
    (work / "payload").write_bytes(value)
    props = _properties(work / "producer.properties", producer_config(v, run.pinned))
    args = [
        "--topic", run.topic, "--num-records", str(v.messages), "--throughput", "-1",
        "--payload-file", str(work / "payload"), "--payload-delimiter", DELIMITER,
        "--producer.config", str(props), "--producer-props", f"bootstrap.servers={run.bootstrap}",
    ]  # fmt: skip
    meter = Meter()
    meter.start()
    out = _run_jvm(java_command("ProducerPerformance", args, work), v.timeout_s - 10)
    meter.stop()
    match = SENT.findall(out)
    if not match:
        raise RuntimeError(f"no summary in ProducerPerformance output: {out[-1000:]}")
    sent, rate = int(match[-1][0]), float(match[-1][1])
    meter.seconds = sent / rate if rate else meter.seconds
    return meter.result(sent, sent * len(value))


def consume(run: Run, work: Path) -> dict[str, Any]:
    v = run.variant
    props = _properties(work / "consumer.properties", consumer_config(v, run.pinned))
    args = [
        "--bootstrap-server", run.bootstrap, "--topic", run.topic,
        "--messages", str(v.messages), "--consumer.config", str(props), "--timeout", "60000",
    ]  # fmt: skip
    meter = Meter()
    meter.start()
    out = _run_jvm(java_command("ConsumerPerformance", args, work), v.timeout_s - 10)
    meter.stop()
    line = [row for row in out.splitlines() if row.strip() and row[0].isdigit()][-1]
    cells = [cell.strip() for cell in line.split(",")]
    megabytes, count = float(cells[2]), int(cells[4])
    fetch_ms = float(cells[7])
    meter.seconds = fetch_ms / 1000.0 if fetch_ms > 0 else meter.seconds
    return meter.result(count, int(megabytes * 1024 * 1024))


def run(bench_run: Run) -> dict[str, Any]:
    kind = bench_run.variant.kind
    if kind not in KINDS:
        raise NotImplementedError(f"the Java perf tools have no {kind} mode")
    with tempfile.TemporaryDirectory(prefix="bench-java-") as tmp:
        action = produce if kind == "produce" else consume
        result = action(bench_run, Path(tmp))
    result["path"] = "Java client (kafka-clients perf tools)"
    result["config"] = {
        "producer": producer_config(bench_run.variant, bench_run.pinned),
        "consumer": consumer_config(bench_run.variant, bench_run.pinned),
        "not_settable": unsupported(PRODUCER_TABLE) + unsupported(CONSUMER_TABLE),
        "jvm": list(JVM_FLAGS),
    }
    return result
