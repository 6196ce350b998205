"""The benchmark matrix: sizes, labels, JSON hand-off to workers, the shared payload."""

from __future__ import annotations

import pytest

from bench.matrix import KIB, MIB, PINNED, Run, Variant, matrix, payload, scaled


@pytest.mark.parametrize("name", ["quick", "default", "full"])
def test_every_matrix_covers_every_scenario(name: str) -> None:
    m = matrix(name)
    assert {v.kind for v in m.variants} == {"produce", "latency", "consume", "pipeline", "share"}
    share = [v for v in m.variants if v.kind == "share"]
    assert {v.label for v in share} == {"implicit", "explicit"}
    assert all(v.scenario == "share-consume-100B" and v.partitions == 1 for v in share)
    keys = [v.key for v in m.variants]
    assert len(keys) == len(set(keys))
    assert m.repetitions >= 1


def test_full_matrix_is_the_issue_matrix() -> None:
    produce = [v for v in matrix("full").variants if v.kind == "produce"]
    assert {(v.partitions, v.acks, v.batch_bytes) for v in produce} == {
        (p, a, b) for p in (1, 6) for a in ("1", "all") for b in (16 * KIB, MIB)
    }
    assert all(v.messages == 1_000_000 and v.linger_ms == 5 for v in produce)
    assert all(v.value_size == 100 and v.compression is None for v in produce)
    pipeline = [v for v in matrix("full").variants if v.kind == "pipeline"]
    assert {v.compression for v in pipeline} == {"lz4", "zstd"}
    assert all(v.value_size == KIB and v.partitions == 6 for v in pipeline)


def test_quick_is_smaller_than_default() -> None:
    quick, default = matrix("quick"), matrix("default")
    assert sum(v.messages for v in quick.variants) < sum(v.messages for v in default.variants)


def test_unknown_matrix() -> None:
    with pytest.raises(ValueError):
        matrix("huge")


def test_scaled_keeps_a_floor() -> None:
    small = scaled(matrix("quick"), 0.0001)
    assert all(v.messages == 100 for v in small.variants)


def test_run_json_round_trip() -> None:
    variant = Variant("pipeline", 10, value_size=KIB, partitions=6, compression="zstd")
    run = Run("aiokafka", variant, "127.0.0.1:9092", "t", "w")
    again = Run.from_json(run.to_json())
    assert again == run
    assert again.pinned == PINNED


def test_payload_is_deterministic_text() -> None:
    assert payload(100) == payload(100)
    assert len(payload(100)) == 100 and len(payload(KIB)) == KIB
    assert len(set(payload(KIB))) > 10  # not one repeated byte
    assert b"QQQ" not in payload(100)  # the Java tool's payload delimiter


def test_worker_timeout_grows_with_messages() -> None:
    assert Variant("produce", 0).timeout_s == 60.0
    assert Variant("produce", 1_000_000).timeout_s == 1060.0
