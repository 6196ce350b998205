"""Adapter for Kafka's own Java client through its perf tools (ProducerPerformance,
ConsumerPerformance): the practical ceiling. Throughput comes from the tool's own figures
over a timed window that excludes JVM start-up and, with ``Run.jvm_warmup``, the JIT
warm-up: the tools print progress every ``REPORT_MS`` and the window is the last stretch,
from one progress report to the end (producer) or to the last report (consumer), that holds
the run's messages; at least ``jvm_warmup`` records go before it (``matrix.jvm_records``).
CPU is the JVM's (every thread: client, JIT compiler, GC), read from ``/proc/<pid>/stat``
during the run and taken over that same window; peak RSS is the JVM's (RUSAGE_CHILDREN: it
is this worker's only child). No closed-loop latency or single-loop pipeline tool exists:
those cells are n/a."""

from __future__ import annotations

import bisect
import os
import re
import resource
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..matrix import MIB, Run, Variant, jvm_records, payload
from ._settings import (
    CONSUMER_LOGICAL,
    PRODUCER_LOGICAL,
    logical_values,
    translate,
    unsupported,
)

KINDS = ("produce", "consume", "share")
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
# ProducerPerformance: its summary, and a progress line (records acknowledged in one
# reporting interval, and their rate); both start with the same words.
TOTAL = re.compile(r"(\d+) records sent, ([\d.]+) records/sec .* 50th")
PROGRESS = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \([\d.]+ MB/sec\), "
    r"[\d.]+ ms avg latency, [\d.]+ ms max latency\.$"
)
# ConsumerPerformance prints its times in this format: with the zone, they are wall-clock
# instants comparable with this process's CPU samples.
DATE_FORMAT = "yyyy-MM-dd HH:mm:ss.SSS Z"
PY_DATE_FORMAT = "%Y-%m-%d %H:%M:%S.%f %z"
REPORT_MS = 100  # progress interval of the tools when the window is cut from their reports
SAMPLE_S = 0.02  # CPU sampling period of the JVM (the kernel counts in 10 ms ticks)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


@dataclass
class JvmRun:
    """What one tool run left behind: its stdout lines with their arrival time, and samples
    of the JVM's CPU time (``/proc/<pid>/stat``: utime + stime of every JVM thread, the JIT
    compiler and GC threads included), both on the wall clock the tools print."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    samples: list[tuple[float, float]] = field(default_factory=list)
    total_cpu_s: float = 0.0  # the whole JVM, start-up included (rusage of the reaped child)
    peak_rss_kib: int = 0

    def cpu_at(self, when: float) -> float:
        """The JVM's CPU seconds at wall time ``when``, interpolated between samples."""
        if not self.samples:
            raise RuntimeError("no CPU samples of the JVM (is /proc mounted?)")
        times = [t for t, _ in self.samples]
        i = bisect.bisect_left(times, when)
        if i == 0:
            return self.samples[0][1]
        if i == len(self.samples):
            return self.samples[-1][1]
        (t0, c0), (t1, c1) = self.samples[i - 1], self.samples[i]
        return c0 if t1 <= t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)

    def cpu_between(self, begin: float, end: float) -> float:
        return max(0.0, self.cpu_at(end) - self.cpu_at(begin))


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of process ``pid`` (all its threads, live and exited), or None once it
    is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    fields = text[text.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat(5)


def _run_jvm(command: tuple[list[str], Any], timeout: float) -> JvmRun:
    """Run the tool, reading its stdout as it comes; a sampler thread reads the JVM's CPU
    time every ``SAMPLE_S`` and at each output line (the JVM is this process's child, its
    pid the java launcher's). Stops the JVM before the runner gives up on this worker."""
    argv, (runtime, pending) = command
    jvm, extra = JvmRun(), list[tuple[float, float]]()
    stopped = threading.Event()
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file, text=True, bufsize=1)

        def sample() -> None:
            while not stopped.is_set():
                cpu = proc_cpu_seconds(proc.pid)
                if cpu is None:
                    return
                extra.append((time.time(), cpu))
                stopped.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        killer = threading.Timer(timeout, proc.kill)
        sampler.start()
        killer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                now, cpu = time.time(), proc_cpu_seconds(proc.pid)
                jvm.lines.append((now, line.rstrip("\n")))
                if cpu is not None:
                    jvm.samples.append((now, cpu))
            code = proc.wait()
        finally:
            killer.cancel()
            stopped.set()
            sampler.join()
            runtime.publish_archive(pending)
        err_file.seek(0)
        stderr = err_file.read().decode(errors="replace")
    if code != 0:
        why = f"timed out after {timeout:.0f} s" if code == -signal.SIGKILL else f"exited {code}"
        raise RuntimeError(f"{argv[-1]} {why}: {stderr[-2000:]}")
    jvm.samples = sorted(jvm.samples + extra)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    jvm.total_cpu_s = usage.ru_utime + usage.ru_stime
    jvm.peak_rss_kib = int(usage.ru_maxrss)
    return jvm


@dataclass(frozen=True)
class Point:
    """A moment of a tool run: the tool's clock (seconds, any origin), the wall-clock
    instant (for the CPU samples), and the records and bytes done so far."""

    seconds: float
    wall: float
    records: int
    nbytes: int


def window(points: list[Point], need: int) -> tuple[Point, Point]:
    """The timed window among a run's points: it ends at the last point and starts at the
    latest one that leaves at least ``need`` records in it, so that everything before (the
    JIT warm-up included) is untimed."""
    end = points[-1]
    for start in reversed(points[:-1]):
        if end.records - start.records >= need:
            return start, end
    have = end.records - points[0].records if points else 0
    raise RuntimeError(f"the tool's reports hold {have} records, fewer than {need}")


def _result(jvm: JvmRun, begin: Point, end: Point) -> dict[str, Any]:
    """The raw result of the timed window [begin, end]."""
    count = end.records - begin.records
    return {
        "messages": count,
        "bytes": end.nbytes - begin.nbytes,
        "seconds": end.seconds - begin.seconds,
        "cpu_seconds": jvm.cpu_between(begin.wall, end.wall),
        "peak_rss_kib": jvm.peak_rss_kib,
        "jvm_total_cpu_s": round(jvm.total_cpu_s, 3),
        "cpu_samples_in_window": sum(begin.wall <= t <= end.wall for t, _ in jvm.samples),
        "warmup_messages": begin.records,  # handled before the window (untimed)
    }


def producer_points(jvm: JvmRun, size: int) -> list[Point]:
    """ProducerPerformance's progress lines (records acknowledged in each reporting
    interval and their rate: the intervals tile the run from its first send) and its
    summary (all records, from the first send to the end of the producer's close)."""
    points = [Point(0.0, 0.0, 0, 0)]
    for when, line in jvm.lines:
        final = TOTAL.match(line)
        step = final or PROGRESS.match(line)
        if step is None:
            continue
        count, rate = int(step[1]), float(step[2])
        if not rate:
            raise RuntimeError(f"ProducerPerformance printed no rate: {line}")
        if final:
            points.append(Point(count / rate, when, count, count * size))
            break
        last = points[-1]
        done = last.records + count
        points.append(Point(last.seconds + count / rate, when, done, done * size))
    else:
        tail = "\n".join(line for _, line in jvm.lines[-10:])
        raise RuntimeError(f"no summary in ProducerPerformance output: {tail}")
    end = points[-1]
    points[0] = Point(0.0, end.wall - end.seconds, 0, 0)  # the first send, on the wall clock
    return points


def produce(run: Run, work: Path) -> dict[str, Any]:
    """ProducerPerformance. Without warm-up its summary (first send to the end of close);
    with ``run.jvm_warmup`` the window is the last ``messages`` (or a few more)
    acknowledgements, from one of its progress reports (``REPORT_MS`` apart) to the end of
    close: the producer is in full flow when the window opens, as it is for the rest."""
    v, warmup = run.variant, run.jvm_warmup
    value = payload(v.value_size)
    if DELIMITER.encode() in value:
        raise ValueError("the payload contains the payload-file delimiter")
    (work / "payload").write_bytes(value)
    props = _properties(work / "producer.properties", producer_config(v, run.pinned))
    total = jvm_records(v.messages, warmup)
    args = [
        "--topic", run.topic, "--num-records", str(total), "--throughput", "-1",
        "--payload-file", str(work / "payload"), "--payload-delimiter", DELIMITER,
        "--producer.config", str(props), "--producer-props", f"bootstrap.servers={run.bootstrap}",
        "--reporting-interval", str(REPORT_MS if warmup else 5000),
    ]  # fmt: skip
    jvm = _run_jvm(java_command("ProducerPerformance", args, work), run.timeout_s - 10)
    points = producer_points(jvm, len(value))
    begin, end = window(points, v.messages) if warmup else (points[0], points[-1])
    if end.records != total:
        raise RuntimeError(f"ProducerPerformance acknowledged {end.records} of {total}")
    return _result(jvm, begin, end)


def consumer_points(lines: list[str], detailed: bool) -> list[Point]:
    """ConsumerPerformance's data lines. Detailed: one point per progress report (its time,
    cumulative records and MB). Summary: the fetch window, from the end time minus the fetch
    time (after the group join) to the end time. Times are the tool's own (``DATE_FORMAT``:
    wall-clock instants)."""
    points = []
    for line in lines:
        if not line[:1].isdigit():
            continue
        cells = [cell.strip() for cell in line.split(",")]
        when = datetime.strptime(cells[0 if detailed else 1], PY_DATE_FORMAT).timestamp()
        count, nbytes = int(cells[4]), int(float(cells[2]) * MIB)
        if not detailed:
            start = when - float(cells[7]) / 1000.0
            return [Point(start, start, 0, 0), Point(when, when, count, nbytes)]
        points.append(Point(when, when, count, nbytes))
    if not points:
        raise RuntimeError("no figures in ConsumerPerformance output: " + "\n".join(lines[-10:]))
    return points


def consume(run: Run, work: Path) -> dict[str, Any]:
    """ConsumerPerformance (it subscribes: the group join is never timed). Without warm-up
    its summary's fetch window; with ``run.jvm_warmup`` the window is the last ``messages``
    (or a few more) records between two of its progress reports (``REPORT_MS`` apart)."""
    v, warmup = run.variant, run.jvm_warmup
    props = _properties(work / "consumer.properties", consumer_config(v, run.pinned))
    args = [
        "--bootstrap-server", run.bootstrap, "--topic", run.topic,
        "--messages", str(jvm_records(v.messages, warmup)),
        "--consumer.config", str(props), "--timeout", "60000", "--date-format", DATE_FORMAT,
    ]  # fmt: skip
    if warmup:
        args += ["--show-detailed-stats", "--reporting-interval", str(REPORT_MS)]
    jvm = _run_jvm(java_command("ConsumerPerformance", args, work), run.timeout_s - 10)
    points = consumer_points([line for _, line in jvm.lines], detailed=bool(warmup))
    begin, end = window(points, v.messages) if warmup else (points[0], points[-1])
    return _result(jvm, begin, end)


def share_points(lines: list[str]) -> list[Point]:
    """ShareConsumerPerformance's detailed lines (one per progress report, ending "for
    share consumer N"): the report's end time and the cumulative records and MB."""
    points = []
    for line in lines:
        if not line[:1].isdigit() or "for share consumer" not in line:
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if not points:  # the first report's interval opens when the tool started polling
            start = datetime.strptime(cells[0], PY_DATE_FORMAT).timestamp()
            points.append(Point(start, start, 0, 0))
        when = datetime.strptime(cells[1], PY_DATE_FORMAT).timestamp()
        count, nbytes = int(cells[5]), int(float(cells[2]) * MIB)
        points.append(Point(when, when, count, nbytes))
    if len(points) < 2:
        tail = "\n".join(lines[-10:])
        raise RuntimeError(f"too few reports in ShareConsumerPerformance output: {tail}")
    return points


def share_total(lines: list[str]) -> int:
    """The records ShareConsumerPerformance's summary line (the last data line that is
    not a report) says it consumed."""
    for line in reversed(lines):
        if line[:1].isdigit() and "for share consumer" not in line:
            return int(line.split(",")[5])
    raise RuntimeError("no summary in ShareConsumerPerformance output")


def share(run: Run, work: Path) -> dict[str, Any]:
    """ShareConsumerPerformance (implicit acknowledgement, the tool's only mode) in the
    run's share group: the window is the last ``messages`` (or a few more) records between
    two of its progress reports, after at least ``run.jvm_warmup`` (joining the group and
    the first fetch are never timed)."""
    v = run.variant
    if v.mode != "implicit":
        raise NotImplementedError("ShareConsumerPerformance acknowledges implicitly only")
    props = {"max.poll.records": run.pinned["max_poll_records"],
             "share.acknowledgement.mode": "implicit"}  # fmt: skip
    args = [
        "--bootstrap-server", run.bootstrap, "--topic", run.topic, "--group", run.group,
        "--num-records", str(jvm_records(v.messages, run.jvm_warmup)),
        "--consumer.config", str(_properties(work / "share.properties", props)),
        "--timeout", "60000", "--date-format", DATE_FORMAT,
        "--show-detailed-stats", "--reporting-interval", str(REPORT_MS),
    ]  # fmt: skip
    jvm = _run_jvm(java_command("ShareConsumerPerformance", args, work), run.timeout_s - 10)
    lines = [line for _, line in jvm.lines]
    if not run.timed:  # the fairness check: the summary's count (its reports may hold fewer)
        return {"messages": share_total(lines)}
    begin, end = window(share_points(lines), v.messages)
    return _result(jvm, begin, end)


def run(bench_run: Run) -> dict[str, Any]:
    kind = bench_run.variant.kind
    if kind not in KINDS:
        raise NotImplementedError(f"the Java perf tools have no {kind} mode")
    with tempfile.TemporaryDirectory(prefix="bench-java-") as tmp:
        action = {"produce": produce, "consume": consume, "share": share}[kind]
        result = action(bench_run, Path(tmp))
    result["path"] = "Java client (kafka-clients perf tools)"
    result["config"] = {
        "producer": producer_config(bench_run.variant, bench_run.pinned),
        "consumer": consumer_config(bench_run.variant, bench_run.pinned),
        "not_settable": unsupported(PRODUCER_TABLE) + unsupported(CONSUMER_TABLE),
        "jvm": list(JVM_FLAGS),
    }
    return result
