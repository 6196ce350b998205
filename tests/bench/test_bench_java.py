"""The Java perf tools' timed window and CPU: parsing of their output, the window after the
warm-up, and the JVM's CPU over that window (no JVM: synthetic output and samples)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from bench.adapters.java import (
    PY_DATE_FORMAT,
    JvmRun,
    Point,
    consumer_points,
    proc_cpu_seconds,
    producer_points,
    share_points,
    share_total,
    window,
)
from bench.matrix import JVM_SLACK, MIB, Run, Variant, jvm_records


def stamp(epoch: float) -> str:
    """A time as ConsumerPerformance prints it with the bench's --date-format
    (``yyyy-MM-dd HH:mm:ss.SSS Z``: milliseconds, numeric zone)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    text = f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d} +0000"
    assert datetime.strptime(text, PY_DATE_FORMAT).timestamp() == pytest.approx(epoch, abs=1e-3)
    return text


def test_jvm_records_adds_warmup_and_slack() -> None:
    assert jvm_records(1_000, 0) == 1_000  # no warm-up: exactly the count
    assert jvm_records(100_000, 1_000_000) == 1_100_000 + JVM_SLACK
    assert jvm_records(4_000_000, 1_000_000) == 5_400_000  # a tenth more
    run = Run("java", Variant("consume", 100_000), "b", "t", "w", jvm_warmup=1_000_000)
    assert run.timeout_s == Variant("consume", 100_000).timeout_s + (1_000_000 + JVM_SLACK) / 1000


def test_window_starts_at_the_latest_report_leaving_enough() -> None:
    points = [Point(float(i), float(i), i * 100, i * 10_000) for i in range(11)]  # 100/s
    begin, end = window(points, 250)
    assert (begin.records, end.records) == (700, 1000)  # 300 >= 250, the latest such start
    assert window(points, 1000)[0].records == 0
    with pytest.raises(RuntimeError):
        window(points, 1001)


def test_cpu_is_interpolated_between_samples() -> None:
    jvm = JvmRun(samples=[(10.0, 1.0), (11.0, 2.0), (13.0, 2.5)])
    assert jvm.cpu_at(10.5) == pytest.approx(1.5)
    assert jvm.cpu_at(12.0) == pytest.approx(2.25)
    assert jvm.cpu_at(5.0) == 1.0 and jvm.cpu_at(20.0) == 2.5
    assert jvm.cpu_between(10.5, 12.0) == pytest.approx(0.75)
    with pytest.raises(RuntimeError):
        JvmRun().cpu_at(1.0)


def test_proc_cpu_seconds_reads_this_process() -> None:
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc")
    sum(i * i for i in range(300_000))  # some CPU
    cpu = proc_cpu_seconds(os.getpid())
    assert cpu is not None and cpu > 0
    times = os.times()
    assert cpu == pytest.approx(times.user + times.system, abs=0.05)
    assert proc_cpu_seconds(2**22 + 12345) is None


LATENCY = "9.5 ms avg latency, 31.0 ms max latency."
PRODUCER_OUTPUT = [
    "Reading payloads from: /tmp/payload",
    "Number of records read: 1",
    f"50000 records sent, 50000.0 records/sec (4.77 MB/sec), {LATENCY}",
    f"100000 records sent, 200000.0 records/sec (19.07 MB/sec), {LATENCY}",
    f"400000 records sent, 400000.0 records/sec (38.15 MB/sec), {LATENCY}",
    "600000 records sent, 218181.818182 records/sec (20.81 MB/sec), 11.12 ms avg latency, "
    "586.00 ms max latency, 9 ms 50th, 23 ms 95th, 32 ms 99th, 57 ms 99.9th.",
]


def test_producer_points_tile_the_run() -> None:
    arrivals = [100.0, 100.0, 101.0, 101.5, 102.5, 103.0]
    jvm = JvmRun(lines=list(zip(arrivals, PRODUCER_OUTPUT, strict=True)))
    points = producer_points(jvm, 100)
    # progress intervals of 1 s, 0.5 s and 1 s; the summary: 600k records in 2.75 s
    assert [p.records for p in points] == [0, 50_000, 150_000, 550_000, 600_000]
    assert [p.seconds for p in points] == pytest.approx([0.0, 1.0, 1.5, 2.5, 2.75])
    assert points[-1].wall == 103.0 and points[0].wall == pytest.approx(100.25)
    assert points[2].nbytes == 150_000 * 100
    begin, end = window(points, 400_000)
    assert begin.records == 150_000 and end.records == 600_000


def test_producer_points_need_a_summary() -> None:
    with pytest.raises(RuntimeError):
        producer_points(JvmRun(lines=[(1.0, PRODUCER_OUTPUT[2])]), 100)


def test_consumer_points_detailed_and_summary() -> None:
    t0 = 1_700_000_000.0
    header = "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ..."
    detailed = [header] + [
        f"{stamp(t0 + i / 10)}, 0, {i * 9.5367:.4f}, 95.3674, {i * 100_000}, 1000000.0000, "
        f"0, 100, 95.3674, 1000000.0000"
        for i in range(1, 6)
    ]
    points = consumer_points(detailed, detailed=True)
    assert [p.records for p in points] == [100_000 * i for i in range(1, 6)]
    assert points[0].seconds == pytest.approx(t0 + 0.1, abs=1e-3)
    assert points[-1].wall == points[-1].seconds
    begin, end = window(points, 300_000)
    assert end.seconds - begin.seconds == pytest.approx(0.3, abs=1e-3)
    summary = [
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...",
        f"{stamp(t0)}, {stamp(t0 + 3)}, 190.7349, 63.5783, 2000000, 666666.6667, 800, 2200, "
        "86.6977, 909090.9091",
    ]
    begin, end = consumer_points(summary, detailed=False)
    assert end.records == 2_000_000 and end.nbytes == pytest.approx(200_000_000, rel=1e-5)
    assert end.seconds - begin.seconds == pytest.approx(2.2)  # the fetch time, not the join
    assert end.seconds == pytest.approx(t0 + 3, abs=1e-3)


def test_share_points_from_the_detailed_reports() -> None:
    t0 = 1_700_000_000.0
    lines = ["start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, "
             "data.consumed.in.nMsg, fetch.time.ms"] + [
        f"{stamp(t0 + i / 10)}, {stamp(t0 + (i + 1) / 10)}, {(i + 1) * 9.5367:.4f}, 95.3674, "
        f"1000000.0000, {(i + 1) * 100_000}, 100 for share consumer 1"
        for i in range(5)
    ] + [f"{stamp(t0 - 5)}, {stamp(t0 + 0.5)}, 47.6837, 8.6, 90909.0, 500000, 5500"]  # fmt: skip
    points = share_points(lines)
    # a zero point where the first report's interval opens, then one per report; the
    # summary line (joining the group included) is not one
    assert [p.records for p in points] == [0] + [100_000 * i for i in range(1, 6)]
    assert points[0].seconds == pytest.approx(t0, abs=1e-3)
    begin, end = window(points, 300_000)
    assert end.seconds - begin.seconds == pytest.approx(0.3, abs=1e-3)
    assert end.nbytes == pytest.approx(5 * 9.5367 * MIB, rel=1e-4)
    with pytest.raises(RuntimeError):
        share_points(lines[:1] + lines[-1:])
    assert share_total(lines) == 500_000
    with pytest.raises(RuntimeError):
        share_total(lines[:-1])
