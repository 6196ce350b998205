"""Record-batch codec benchmark: aiokafka_gen vs aiokafka (Cython and pure Python) and
kafka-python, side by side in one run (`make bench-records`).

Scenarios: build one batch of 100 records (6-byte key, 60-byte value), and read + CRC-check
+ iterate 5 such batches (reading offset, timestamp, key and value of every record); both without
compression and with lz4. Each implementation runs in its own subprocess so that
aiokafka's pure-Python path can be forced with AIOKAFKA_NO_EXTENSIONS=1; each subprocess
reports which code path actually loaded. Before timing, every implementation's batch must
read back identically through ours, and ours through it. Prints a markdown table and
writes bench/results/records.json. Not a test: it asserts correctness, never speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

N_RECORDS = 100
N_BATCHES = 5
KEY = b"k" * 6
VALUE = b"v" * 60
TIMESTAMP = 1_764_000_000_000
LZ4 = 3
IMPLS = {
    "aiokafka_gen": {},
    "aiokafka-cython": {},
    "aiokafka-python": {"AIOKAFKA_NO_EXTENSIONS": "1"},
    "kafka-python": {},
}
RESULTS = Path(__file__).resolve().parent / "results" / "records.json"
Impl = tuple[Callable[[int], bytes], Callable[[bytes], int], Callable[[bytes], list[Any]], str]


# ---- implementations (each imported only inside its own subprocess) -------------------


def _ours() -> Impl:
    from aiokafka_gen.records import BatchBuilder, BatchReader, _crc

    def build(codec: int) -> bytes:
        builder = BatchBuilder(compression=codec, max_batch_size=1 << 20)
        for _ in range(N_RECORDS):
            builder.append(TIMESTAMP, KEY, VALUE)
        return builder.close()

    def read(payload: bytes) -> int:
        n = 0
        for batch in BatchReader(payload, check_crcs=True):
            for rec in batch:
                _ = rec.offset, rec.timestamp, rec.key, rec.value
                n += 1
        return n

    def dump(payload: bytes) -> list[Any]:
        return [(r.offset, r.timestamp, r.key, r.value) for b in BatchReader(payload) for r in b]

    _crc.crc32c(b"")  # resolves the lazily loaded implementation
    return build, read, dump, f"pure Python; crc32c via {_crc.crc32c.__module__}"


def _peer(
    builder_cls: Any, records_cls: Any
) -> tuple[Callable[[int], bytes], Callable[[bytes], int], Callable[[bytes], list[Any]]]:
    def build(codec: int) -> bytes:
        builder = builder_cls(
            magic=2,
            compression_type=codec,
            is_transactional=0,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=1 << 20,
        )
        for i in range(N_RECORDS):
            builder.append(i, timestamp=TIMESTAMP, key=KEY, value=VALUE, headers=[])
        return bytes(builder.build())

    def read(payload: bytes) -> int:
        n = 0
        records = records_cls(payload)
        while (batch := records.next_batch()) is not None:
            if not batch.validate_crc():
                raise RuntimeError("CRC mismatch")
            for rec in batch:
                _ = rec.offset, rec.timestamp, rec.key, rec.value
                n += 1
        return n

    def dump(payload: bytes) -> list[Any]:
        out, records = [], records_cls(payload)
        while (batch := records.next_batch()) is not None:
            out += [(r.offset, r.timestamp, r.key, r.value) for r in batch]
        return out

    return build, read, dump


def _aiokafka() -> Impl:
    from aiokafka.record.default_records import DefaultRecordBatchBuilder  # type: ignore[import-untyped]
    from aiokafka.record.memory_records import MemoryRecords  # type: ignore[import-untyped]

    path = "Cython" if "_crecords" in DefaultRecordBatchBuilder.__module__ else "pure Python"
    return (
        *_peer(DefaultRecordBatchBuilder, MemoryRecords),
        f"{path} ({DefaultRecordBatchBuilder.__module__})",
    )


def _kafka_python() -> Impl:
    import kafka  # type: ignore[import-untyped]
    from kafka.record import util  # type: ignore[import-untyped]
    from kafka.record.default_records import DefaultRecordBatchBuilder  # type: ignore[import-untyped]
    from kafka.record.memory_records import MemoryRecords  # type: ignore[import-untyped]

    crc = "crc32c package" if util.crc32c_c is not None else "pure-Python crc32c"
    return (
        *_peer(DefaultRecordBatchBuilder, MemoryRecords),
        f"kafka-python {kafka.__version__}, pure Python; {crc}",
    )


def _load(name: str) -> Impl:
    if name == "aiokafka_gen":
        return _ours()
    if name.startswith("aiokafka"):
        return _aiokafka()
    return _kafka_python()


# ---- measuring --------------------------------------------------------------------------


def _time(func: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` runs of the per-call time in microseconds (auto-sized loops)."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def _check(
    build: Callable[[int], bytes], read: Callable[[bytes], int], dump: Callable[[bytes], list[Any]]
) -> None:
    """Their batches read back through ours and ours through theirs, identically."""
    from aiokafka_gen.records import BatchBuilder, BatchReader

    expected = [(i, TIMESTAMP, KEY, VALUE) for i in range(N_RECORDS)]
    for codec in (0, LZ4):
        theirs = build(codec)
        got = [(r.offset, r.timestamp, r.key, r.value) for b in BatchReader(theirs) for r in b]
        assert got == expected, "their batch does not read back through ours"
        ours = BatchBuilder(compression=codec)
        for _ in range(N_RECORDS):
            ours.append(TIMESTAMP, KEY, VALUE)
        assert [tuple(x) for x in dump(ours.close())] == expected, "ours does not read in theirs"
        assert read(theirs * N_BATCHES) == N_RECORDS * N_BATCHES


def run_one(name: str, repeat: int) -> dict[str, Any]:
    build, read, dump, path = _load(name)
    _check(build, read, dump)
    result: dict[str, Any] = {"impl": name, "path": path}
    for label, codec in (("none", 0), ("lz4", LZ4)):
        payload = build(codec) * N_BATCHES
        result[f"build_{label}_us"] = _time(lambda c=codec: build(c), repeat)  # type: ignore[misc]
        result[f"read_{label}_us"] = _time(lambda p=payload: read(p), repeat)  # type: ignore[misc]
    return result


def _spawn(name: str, repeat: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "AIOKAFKA_NO_EXTENSIONS"}
    env.update(IMPLS[name])
    cmd = [sys.executable, "-m", "bench.records", "--one", name, "--repeat", str(repeat)]
    out = subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    parsed: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def run_all(rounds: int, repeat: int) -> list[dict[str, Any]]:
    """Rounds interleave the implementations so that load changes hit all of them alike;
    the reported time per scenario is the median over rounds."""
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in IMPLS}
    names = list(IMPLS)
    for index in range(rounds):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            samples[name].append(_spawn(name, repeat))
            print(f"round {index + 1}/{rounds}: {name} done", file=sys.stderr)
    rows = []
    for name, runs in samples.items():
        row = {"impl": name, "path": runs[0]["path"], "rounds": rounds}
        for key, _ in COLUMNS:
            row[key] = statistics.median(run[key] for run in runs)
            row[key + "_all"] = [round(run[key], 1) for run in runs]
        rows.append(row)
    return rows


# ---- reporting --------------------------------------------------------------------------

COLUMNS = [
    ("build_none_us", "build 100"),
    ("read_none_us", "read 5x100"),
    ("build_lz4_us", "build 100 lz4"),
    ("read_lz4_us", "read 5x100 lz4"),
]


def table(rows: list[dict[str, Any]]) -> str:
    ours = next(r for r in rows if r["impl"] == "aiokafka_gen")
    head = "| implementation | " + " | ".join(title for _, title in COLUMNS) + " | path |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            ratio = row[key] / ours[key]
            cells.append(f"{row[key]:.0f} us" + ("" if row is ours else f" ({ratio:.1f}x)"))
        lines.append(f"| {row['impl']} | " + " | ".join(cells) + f" | {row['path']} |")
    lines.append("")
    lines.append(
        "Per operation: median over interleaved rounds of the best of several "
        "timings. (Nx) = that implementation's time / aiokafka_gen's (above 1 = "
        "aiokafka_gen is faster)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help="timings per round (best kept)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.repeat)))
        return
    rows = run_all(args.rounds, args.repeat)
    text = table(rows)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "records_per_batch": N_RECORDS,
        "batches_read": N_BATCHES,
        "key_bytes": len(KEY),
        "value_bytes": len(VALUE),
        "rounds": args.rounds,
        "repeat": args.repeat,
    }
    args.json.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
