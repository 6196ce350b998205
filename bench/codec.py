"""Message codec benchmark: aiokafka_gen vs aiokafka 0.14 and kafka-python 3.x in one run
(`make bench-codec`).

Scenarios (fixtures as in the issue): MetadataResponse with 3 brokers and 1000 topics x 10
partitions (decode, encode, build the object) at v5 (aiokafka's newest) and v13 (ours and
kafka-python); FetchResponse decode with records left as bytes (100 partitions x 16 KiB)
at v11 (aiokafka's newest) and v18; ProduceRequest encode (100 partitions x 16 KiB) at v7
and v13. Before timing, every implementation must encode the fixture to the same bytes as
ours. Also: `import` time of each package (fresh interpreter) and peak memory of one
decoded MetadataResponse. Prints a markdown table and writes bench/results/codec.json.
Not a test: it checks correctness, never asserts speed.

"build" times each client's idiomatic construction of the same MetadataResponse: aiokafka
nests plain tuples under one Struct (its only way), kafka-python calls its classes with
keywords, aiokafka_gen calls its generated classes positionally (the documented fastest
way; arguments in field order). One more row times aiokafka_gen with keywords, the
readable way that survives field insertions in later specs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "codec.json"
N_TOPICS, N_PARTS, N_BROKERS = 1000, 10, 3
FETCH_TOPICS, FETCH_PARTS, BLOB = 10, 10, b"r" * 16384
REPLICAS = [1, 2, 3]
Case = tuple[str, str, str, Callable[[], Any]]  # scenario, version label, impl, fn


# ---- fixtures per implementation ------------------------------------------------------


def ours_metadata(version: int) -> Any:
    """Positional construction: arguments in each class's field order."""
    from aiokafka_gen.messages import metadata_response as m

    from aiokafka_gen.protocol import ZERO_UUID

    broker, topic, part = (
        m.MetadataResponseBroker,
        m.MetadataResponseTopic,
        m.MetadataResponsePartition,
    )
    brokers = [broker(i, f"broker{i}", 9092, None) for i in range(N_BROKERS)]
    topics = [
        topic(
            0,
            f"topic-{t}",
            ZERO_UUID,
            False,
            [part(0, p, p % 3, 0, list(REPLICAS), list(REPLICAS), []) for p in range(N_PARTS)],
        )
        for t in range(N_TOPICS)
    ]
    return m.MetadataResponse(0, brokers, "c1", 1, topics)


def ours_metadata_kw(version: int) -> Any:
    """The same object built with keywords."""
    from aiokafka_gen.messages import metadata_response as m

    brokers = [
        m.MetadataResponseBroker(node_id=i, host=f"broker{i}", port=9092, rack=None)
        for i in range(N_BROKERS)
    ]
    topics = [
        m.MetadataResponseTopic(
            error_code=0,
            name=f"topic-{t}",
            is_internal=False,
            partitions=[
                m.MetadataResponsePartition(
                    error_code=0,
                    partition_index=p,
                    leader_id=p % 3,
                    leader_epoch=0,
                    replica_nodes=list(REPLICAS),
                    isr_nodes=list(REPLICAS),
                    offline_replicas=[],
                )
                for p in range(N_PARTS)
            ],
        )
        for t in range(N_TOPICS)
    ]
    return m.MetadataResponse(
        throttle_time_ms=0, brokers=brokers, cluster_id="c1", controller_id=1, topics=topics
    )


def kp_metadata(version: int) -> Any:
    from kafka.protocol.metadata import MetadataResponse as M

    broker, topic = M.MetadataResponseBroker, M.MetadataResponseTopic
    part = topic.MetadataResponsePartition
    brokers = [broker(node_id=i, host=f"broker{i}", port=9092, rack=None) for i in range(N_BROKERS)]
    topics = [
        topic(
            error_code=0,
            name=f"topic-{t}",
            is_internal=False,
            partitions=[
                part(
                    error_code=0,
                    partition_index=p,
                    leader_id=p % 3,
                    leader_epoch=0,
                    replica_nodes=list(REPLICAS),
                    isr_nodes=list(REPLICAS),
                    offline_replicas=[],
                )
                for p in range(N_PARTS)
            ],
        )
        for t in range(N_TOPICS)
    ]
    return M(
        throttle_time_ms=0,
        brokers=brokers,
        cluster_id="c1",
        controller_id=1,
        topics=topics,
        version=version,
    )


def aio_metadata(version: int) -> Any:
    from aiokafka.protocol.metadata import MetadataResponse_v5

    brokers = [(i, f"broker{i}", 9092, None) for i in range(N_BROKERS)]
    topics = [
        (
            0,
            f"topic-{t}",
            False,
            [(0, p, p % 3, list(REPLICAS), list(REPLICAS), []) for p in range(N_PARTS)],
        )
        for t in range(N_TOPICS)
    ]
    return MetadataResponse_v5(0, brokers, "c1", 1, topics)


def ours_fetch() -> Any:
    from aiokafka_gen.messages import fetch_response as f

    return f.FetchResponse(
        throttle_time_ms=0,
        error_code=0,
        session_id=0,
        responses=[
            f.FetchableTopicResponse(
                topic=f"topic-{t}",
                partitions=[
                    f.PartitionData(
                        partition_index=p,
                        high_watermark=1000,
                        last_stable_offset=1000,
                        log_start_offset=0,
                        aborted_transactions=[],
                        records=BLOB,
                    )
                    for p in range(FETCH_PARTS)
                ],
            )
            for t in range(FETCH_TOPICS)
        ],
    )


def aio_fetch() -> Any:
    from aiokafka.protocol.fetch import FetchResponse_v11

    topics = [
        (f"topic-{t}", [(p, 0, 1000, 1000, 0, [], -1, BLOB) for p in range(FETCH_PARTS)])
        for t in range(FETCH_TOPICS)
    ]
    return FetchResponse_v11(0, 0, 0, topics)


def ours_produce() -> Any:
    from aiokafka_gen.messages import produce_request as p

    return p.ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        topic_data=[
            p.TopicProduceData(
                name=f"topic-{t}",
                partition_data=[
                    p.PartitionProduceData(index=i, records=BLOB) for i in range(FETCH_PARTS)
                ],
            )
            for t in range(FETCH_TOPICS)
        ],
    )


def kp_produce(version: int) -> Any:
    from kafka.protocol.producer import ProduceRequest as P

    tpd = P.TopicProduceData
    ppd = tpd.PartitionProduceData
    return P(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        version=version,
        topic_data=[
            tpd(
                name=f"topic-{t}",
                partition_data=[ppd(index=i, records=BLOB) for i in range(FETCH_PARTS)],
            )
            for t in range(FETCH_TOPICS)
        ],
    )


def aio_produce() -> Any:
    from aiokafka.protocol.produce import ProduceRequest_v7

    topics = [(f"topic-{t}", [(i, BLOB) for i in range(FETCH_PARTS)]) for t in range(FETCH_TOPICS)]
    return ProduceRequest_v7(None, -1, 30000, topics)


# ---- cases ---------------------------------------------------------------------------


def _kp_decoder(name: str, version: int) -> Callable[[bytes], Any]:
    from kafka.protocol.consumer import FetchResponse
    from kafka.protocol.metadata import MetadataResponse

    cls = {"metadata": MetadataResponse, "fetch": FetchResponse}[name]
    return lambda data: cls.decode(data, version=version)


def metadata_cases(version: int, wire: bytes) -> list[Case]:
    from aiokafka_gen.messages import MetadataResponse

    label = f"v{version}"
    ours = ours_metadata(version)
    kp = kp_metadata(version)
    kp_decode = _kp_decoder("metadata", version)
    cases: list[Case] = [
        (
            "MetadataResponse decode",
            label,
            "aiokafka_gen",
            lambda: MetadataResponse.decode(wire, version),
        ),
        ("MetadataResponse decode", label, "kafka-python", lambda: kp_decode(wire)),
        ("MetadataResponse encode", label, "aiokafka_gen", lambda: ours.encode(version)),
        ("MetadataResponse encode", label, "kafka-python", lambda: kp.encode(version=version)),
        ("MetadataResponse build", label, "aiokafka_gen", lambda: ours_metadata(version)),
        ("MetadataResponse build", label, "kafka-python", lambda: kp_metadata(version)),
    ]
    if version == 5:
        cases.append(
            ("MetadataResponse build, keywords", label, "aiokafka_gen", lambda: ours_metadata_kw(5))
        )
        from aiokafka.protocol.metadata import MetadataResponse_v5

        aio = aio_metadata(5)
        cases += [
            (
                "MetadataResponse decode",
                label,
                "aiokafka",
                lambda: MetadataResponse_v5.decode(wire),
            ),
            ("MetadataResponse encode", label, "aiokafka", aio.encode),
            ("MetadataResponse build", label, "aiokafka", lambda: aio_metadata(5)),
        ]
    return cases


def fetch_cases(version: int, wire: bytes) -> list[Case]:
    from aiokafka_gen.messages import FetchResponse

    label = f"v{version}"
    kp_decode = _kp_decoder("fetch", version)
    cases: list[Case] = [
        (
            "FetchResponse decode",
            label,
            "aiokafka_gen",
            lambda: FetchResponse.decode(wire, version),
        ),
        ("FetchResponse decode", label, "kafka-python", lambda: kp_decode(wire)),
    ]
    if version == 11:
        from aiokafka.protocol.fetch import FetchResponse_v11

        cases.append(
            ("FetchResponse decode", label, "aiokafka", lambda: FetchResponse_v11.decode(wire))
        )
    return cases


def produce_cases(version: int) -> list[Case]:
    label = f"v{version}"
    ours, kp = ours_produce(), kp_produce(version)
    cases: list[Case] = [
        ("ProduceRequest encode", label, "aiokafka_gen", lambda: ours.encode(version)),
        ("ProduceRequest encode", label, "kafka-python", lambda: kp.encode(version=version)),
    ]
    if version == 7:
        aio = aio_produce()
        cases.append(("ProduceRequest encode", label, "aiokafka", aio.encode))
    return cases


# ---- correctness gate ------------------------------------------------------------------


def check_same_bytes() -> dict[str, bytes]:
    """Every implementation encodes each fixture to the bytes ours produces."""
    wires: dict[str, bytes] = {}
    for version in (5, 13):
        wire = ours_metadata(version).encode(version)
        _same(f"metadata v{version} keywords", ours_metadata_kw(version).encode(version), wire)
        _same(
            f"metadata v{version} kafka-python", kp_metadata(version).encode(version=version), wire
        )
        wires[f"metadata{version}"] = wire
    _same("metadata v5 aiokafka", aio_metadata(5).encode(), wires["metadata5"])
    for version in (11, 18):
        wires[f"fetch{version}"] = ours_fetch().encode(version)
    _same("fetch v11 aiokafka", aio_fetch().encode(), wires["fetch11"])
    for version in (7, 13):
        _same(
            f"produce v{version} kafka-python",
            kp_produce(version).encode(version=version),
            ours_produce().encode(version),
        )
    _same("produce v7 aiokafka", aio_produce().encode(), ours_produce().encode(7))
    return wires


def _same(what: str, theirs: bytes, ours: bytes) -> None:
    if bytes(theirs) != ours:
        raise SystemExit(f"{what}: encodes differently from aiokafka_gen; not comparable")


# ---- measurement ------------------------------------------------------------------------


def time_all(cases: list[Case], repeat: int) -> list[float]:
    """Median CPU milliseconds per case; cases interleaved round by round so that load
    from other processes on a shared machine hits every implementation alike."""
    for case in cases:
        case[3]()  # warm up (lazy imports, struct caches)
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for index, case in enumerate(cases):
            samples[index].append(timeit.timeit(case[3], number=1, timer=time.process_time))
    return [statistics.median(s) * 1000 for s in samples]


def peak_kib(fn: Callable[[], Any]) -> float:
    """Peak traced allocation while building and holding one result."""
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak / 1024


def import_ms(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples) * 1000


def memory_rows(wires: dict[str, bytes]) -> dict[str, float]:
    from aiokafka.protocol.metadata import MetadataResponse_v5
    from aiokafka_gen.messages import MetadataResponse

    kp_decode = _kp_decoder("metadata", 5)
    wire = wires["metadata5"]
    return {
        "aiokafka_gen": peak_kib(lambda: MetadataResponse.decode(wire, 5)),
        "kafka-python": peak_kib(lambda: kp_decode(wire)),
        "aiokafka": peak_kib(lambda: MetadataResponse_v5.decode(wire)),
    }


# ---- report -----------------------------------------------------------------------------


def run(repeat: int) -> dict[str, Any]:
    wires = check_same_bytes()
    cases = metadata_cases(5, wires["metadata5"]) + metadata_cases(13, wires["metadata13"])
    cases += fetch_cases(11, wires["fetch11"]) + fetch_cases(18, wires["fetch18"])
    cases += produce_cases(7) + produce_cases(13)
    timings = [
        {"scenario": s, "version": v, "impl": i, "ms": round(ms, 2)}
        for (s, v, i, _), ms in zip(cases, time_all(cases, repeat), strict=True)
    ]
    imports = {
        name: round(import_ms(module, max(3, repeat)), 1)
        for name, module in (
            ("aiokafka_gen", "aiokafka_gen"),
            ("aiokafka", "aiokafka"),
            ("kafka-python", "kafka"),
        )
    }
    memory = {k: round(v, 1) for k, v in memory_rows(wires).items()}
    return {
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
        "repeat": repeat,
        "timings": timings,
        "timer": "process_time (CPU), median",
        "import_ms": imports,
        "metadata_v5_decoded_peak_kib": memory,
    }


def table(result: dict[str, Any]) -> str:
    impls = ["aiokafka_gen", "aiokafka", "kafka-python"]
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for t in result["timings"]:
        rows.setdefault((t["scenario"], t["version"]), {})[t["impl"]] = t["ms"]
    peers = impls[1:]
    lines = [
        "| scenario | version | "
        + " | ".join(f"{i} (ms)" for i in impls)
        + " | "
        + " | ".join(f"x vs {p}" for p in peers)
        + " |",
        "|---|---|" + "---:|" * (len(impls) + len(peers)),
    ]
    for (scenario, version), cells in rows.items():
        vals = [f"{cells[i]:.1f}" if i in cells else "-" for i in impls]
        vals += [_speedup(cells, p) for p in peers]
        lines.append(f"| {scenario} | {version} | " + " | ".join(vals) + " |")
    blank = " | -" * len(peers)
    lines.append(
        "| import (fresh interpreter) | - | "
        + " | ".join(f"{result['import_ms'][i]:.0f}" for i in impls)
        + blank
        + " |"
    )
    lines.append(
        "| peak KiB, one decoded MetadataResponse | v5 | "
        + " | ".join(f"{result['metadata_v5_decoded_peak_kib'][i]:.0f}" for i in impls)
        + blank
        + " |"
    )
    lines.append(
        "\n`x vs peer`: the peer's time divided by ours (above 1: aiokafka_gen is faster)."
    )
    return "\n".join(lines)


def _speedup(cells: dict[str, float], peer: str) -> str:
    if peer not in cells or not cells.get("aiokafka_gen"):
        return "-"
    return f"{cells[peer] / cells['aiokafka_gen']:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.codec")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--quick", action="store_true", help="3 runs per case")
    args = parser.parse_args(argv)
    result = run(3 if args.quick else args.repeat)
    print(table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
