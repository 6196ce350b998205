"""Control batches and the read_committed filter (aborted transactions)."""

from __future__ import annotations

from aiokafka_gen.records import (
    ABORT,
    COMMIT,
    AbortedTransactionFilter,
    BatchBuilder,
    BatchReader,
    control_marker,
    control_markers,
    visible_batches,
)

from .conftest import marker_batch


def _txn(base_offset: int, pid: int, n: int = 2, transactional: bool = True) -> bytes:
    builder = BatchBuilder(
        producer_id=pid, producer_epoch=0, base_sequence=0, transactional=transactional
    )
    for i in range(n):
        builder.append(0, None, b"p%d-%d" % (pid, base_offset + i))
    return builder.close(base_offset)


def _values(payload: bytes, aborted: list[tuple[int, int]] | None) -> list[bytes | None]:
    batches = visible_batches(BatchReader(payload), aborted)
    return [r.value for batch in batches for r in batch]


def test_marker_decoding() -> None:
    (commit,) = list(BatchReader(marker_batch(9, 4, commit=True)))
    (abort,) = list(BatchReader(marker_batch(10, 4, commit=False)))
    assert commit.is_control and abort.is_control
    assert control_marker(next(commit.control_records())).type == COMMIT
    (marker,) = control_markers(abort)
    assert (marker.type, marker.coordinator_epoch, marker.offset) == (ABORT, 5, 10)


def test_control_batches_yield_no_records() -> None:
    (batch,) = list(BatchReader(marker_batch(3, 1, commit=True)))
    assert list(batch) == []
    (data,) = list(BatchReader(_txn(0, 1)))
    assert list(data.control_records()) == [] and control_markers(data) == []


def test_read_uncommitted_drops_only_control_batches() -> None:
    payload = _txn(0, 1) + marker_batch(2, 1, commit=False) + _txn(3, 2)
    assert _values(payload, None) == [b"p1-0", b"p1-1", b"p2-3", b"p2-4"]


def test_read_committed_drops_aborted_transactions() -> None:
    # pid 1 aborts (offsets 0-1, marker 4); pid 2 commits (2-3, marker 5); pid 1 again
    # in a later, committed transaction (6-7, marker 8).
    payload = (
        _txn(0, 1)
        + _txn(2, 2)
        + marker_batch(4, 1, commit=False)
        + marker_batch(5, 2, commit=True)
        + _txn(6, 1)
        + marker_batch(8, 1, commit=True)
    )
    assert _values(payload, [(1, 0)]) == [b"p2-2", b"p2-3", b"p1-6", b"p1-7"]


def test_aborted_list_applies_only_from_first_offset() -> None:
    payload = (
        _txn(0, 1) + marker_batch(2, 1, commit=True) + _txn(3, 1) + marker_batch(5, 1, commit=False)
    )
    assert _values(payload, [(1, 3)]) == [b"p1-0", b"p1-1"]


def test_non_transactional_batches_of_an_aborted_pid_are_kept() -> None:
    payload = _txn(0, 1, transactional=False)
    assert _values(payload, [(1, 0)]) == [b"p1-0", b"p1-1"]


def test_filter_is_stateful_across_calls() -> None:
    flt = AbortedTransactionFilter([(7, 0)])
    first = list(BatchReader(_txn(0, 7)))
    second = list(BatchReader(marker_batch(2, 7, commit=False) + _txn(3, 7)))
    assert [flt.keep(b) for b in first] == [False]
    assert [flt.keep(b) for b in second] == [False, True]
