"""The soak's judging rules, without a broker: coverage, flatness, bounds, the schedule."""

from __future__ import annotations

from soak.soak_support import Coverage, Sample, Schedule, flatness, judge, soak_line


def _sample(at: float, rss: int = 100, tasks: int = 10, fds: int = 5, **sizes: int) -> Sample:
    return Sample(at, rss, tasks, fds, 0, {k.replace("__", "."): v for k, v in sizes.items()})


def test_coverage_counts_gaps_and_repeats() -> None:
    cov = Coverage()
    for offset in [0, 1, 2, 5, 6, 3, 2, 9]:
        cov.add(0, offset)
    assert cov.runs[0] == [[0, 4], [5, 7], [9, 10]]
    assert cov.repeats == 1
    assert cov.missing(0, 10) == 3  # offsets 4, 7 and 8
    assert cov.missing(0, 7) == 1
    assert cov.missing(1, 3) == 3


def test_coverage_merges_when_a_gap_closes() -> None:
    cov = Coverage()
    for offset in [0, 1, 3, 2]:
        cov.add(0, offset)
    assert cov.runs[0] == [[0, 4]]
    assert cov.missing(0, 4) == 0


def test_flat_is_last_third_max_within_first_third_max_plus_allowance() -> None:
    assert flatness("x", [5, 9, 5, 6, 7, 8, 9, 6, 8], 0).flat
    assert not flatness("x", [5, 6, 5, 6, 7, 8, 9, 7, 8], 0).flat
    assert flatness("x", [5, 6, 5, 6, 7, 8, 9, 7, 8], 3).flat
    bounded = flatness("x", [1, 2, 3, 4], bound=3)
    assert not bounded.flat and bounded.peak == 4


def test_judge_applies_each_rule() -> None:
    samples = [
        _sample(60, tasks=50, w__clients=1, w__client__conns=2, w__acc_partitions=10,
                w__acc_batches=3, w__sensors=40, r__clients=2, r__assignment=6,
                workload__topics_made=2),
        _sample(90, tasks=52, w__clients=1, w__client__conns=3, w__acc_partitions=10,
                w__acc_batches=0, w__sensors=40, r__clients=2, r__assignment=6,
                workload__topics_made=3),
        _sample(120, tasks=57, w__clients=1, w__client__conns=6, w__acc_partitions=16,
                w__acc_batches=9, w__sensors=42, r__clients=2, r__assignment=5,
                workload__topics_made=4),
    ]  # fmt: skip
    growth, checks = judge(samples, nodes=3, partitions=6, topic_partitions=3)
    by = {c.name: c for c in checks}
    assert growth == 0.0
    assert by["tasks"].flat  # +7 within the task slack
    assert by["w.client.conns"].bound == 18 and by["w.client.conns"].flat
    assert by["w.acc_partitions"].used_known  # 2 topics created: +6 allowed
    assert "w.acc_batches" not in by  # in flight: not judged
    assert by["w.sensors"].flat  # +2 within the per-node slack
    assert by["w.sensors"].allowed == 1 * 3 * 2 * 3  # clients x nodes x 2 x node-tagged specs
    samples[-1].sizes["w.sensors"] = 40 + 19
    _, checks = judge(samples, nodes=3, partitions=6, topic_partitions=3)
    assert not {c.name: c for c in checks}["w.sensors"].flat  # beyond it: grew
    assert by["r.assignment"].bound == 12
    line = soak_line(3, 100, 0, growth, checks, True)
    assert "known=w.acc_partitions+6" in line and line.endswith("verdict=ok")


def test_judge_fails_state_growth_without_a_reason() -> None:
    samples = [_sample(t, w__clients=1, w__seq_stamped=0, w__topic_cache=n,
                       workload__topics_made=1) for t, n in [(0, 3), (1, 3), (2, 4)]]  # fmt: skip
    _, checks = judge(samples, nodes=3, partitions=6, topic_partitions=3)
    cache = next(c for c in checks if c.name == "w.topic_cache")
    assert not cache.flat
    assert "grew:w.topic_cache" in soak_line(3, 1, 0, 0.0, checks, False)


def test_schedule_ci_and_long() -> None:
    ci = Schedule.from_env({})
    assert (ci.minutes, ci.broker_every, ci.sample_every, ci.warmup) == (3, 90, 15, 60)
    long = Schedule.from_env({"SOAK_MINUTES": "30"})
    assert (long.broker_every, long.member_every, long.warmup, long.rss_limit) == (
        300,
        120,
        300,
        5.0,
    )
    assert Schedule.from_env({"SOAK_MINUTES": "10"}).warmup == 100
