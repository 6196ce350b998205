"""Assignors without a broker: Kafka's documented examples, ordering rules and the
balance/stickiness properties (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiokafka_gen.coordinator.assignors import (
    CooperativeStickyAssignor,
    RangePartitionAssignor,
    RoundRobinPartitionAssignor,
    StickyPartitionAssignor,
)
from aiokafka_gen.coordinator.assignors.sticky import decode_user_data, encode_user_data
from aiokafka_gen.coordinator.protocol import ConsumerProtocolMemberMetadata as Meta
from aiokafka_gen.structs import TopicPartition as TP


class Cluster:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))


def tps(spec: str) -> set[TP]:
    """'t0p0 t1p2' -> {TP('t0', 0), TP('t1', 2)}."""
    out = set()
    for item in spec.split():
        topic, part = item.rsplit("p", 1)
        out.add(TP(topic, int(part)))
    return out


def result(assignor: Any, cluster: Cluster, members: dict[str, Meta]) -> dict[str, set[TP]]:
    return {m: set(a.partitions()) for m, a in assignor.assign(cluster, members).items()}


def test_range_documented_example() -> None:
    cluster = Cluster({"t0": 3, "t1": 3})
    members = {"C0": Meta(0, ["t0", "t1"]), "C1": Meta(0, ["t0", "t1"])}
    assert result(RangePartitionAssignor, cluster, members) == {
        "C0": tps("t0p0 t0p1 t1p0 t1p1"),
        "C1": tps("t0p2 t1p2"),
    }


def test_roundrobin_documented_examples() -> None:
    cluster = Cluster({"t0": 3, "t1": 3})
    members = {"C0": Meta(0, ["t0", "t1"]), "C1": Meta(0, ["t0", "t1"])}
    assert result(RoundRobinPartitionAssignor, cluster, members) == {
        "C0": tps("t0p0 t0p2 t1p1"),
        "C1": tps("t0p1 t1p0 t1p2"),
    }
    cluster = Cluster({"t0": 1, "t1": 2, "t2": 3})
    members = {
        "C0": Meta(0, ["t0"]),
        "C1": Meta(0, ["t0", "t1"]),
        "C2": Meta(0, ["t0", "t1", "t2"]),
    }
    assert result(RoundRobinPartitionAssignor, cluster, members) == {
        "C0": tps("t0p0"),
        "C1": tps("t1p0"),
        "C2": tps("t1p1 t2p0 t2p1 t2p2"),
    }


def test_static_members_are_ordered_first_by_instance_id() -> None:
    cluster = Cluster({"t": 3})
    members = {
        "a-dynamic": Meta(0, ["t"]),
        "z-static": Meta(0, ["t"], group_instance_id="i1"),
        "m-static": Meta(0, ["t"], group_instance_id="i2"),
    }
    assert result(RangePartitionAssignor, cluster, members) == {
        "z-static": {TP("t", 0)},
        "m-static": {TP("t", 1)},
        "a-dynamic": {TP("t", 2)},
    }


def test_unknown_topics_and_members_without_partitions() -> None:
    cluster = Cluster({"t": 1})
    members = {"A": Meta(0, ["t", "missing"]), "B": Meta(0, ["t"])}
    for assignor in (RangePartitionAssignor, RoundRobinPartitionAssignor):
        assert result(assignor, cluster, members) == {"A": {TP("t", 0)}, "B": set()}


def test_sticky_documented_example_keeps_partitions() -> None:
    cluster = Cluster({"t0": 1, "t1": 2, "t2": 3})
    members = {
        "C0": Meta(0, ["t0"]),
        "C1": Meta(0, ["t0", "t1"]),
        "C2": Meta(0, ["t0", "t1", "t2"]),
    }
    first = result(StickyPartitionAssignor(), cluster, members)
    assert first == {"C0": tps("t0p0"), "C1": tps("t1p0 t1p1"), "C2": tps("t2p0 t2p1 t2p2")}
    data = {m: encode_user_data(first[m], 1) for m in ("C1", "C2")}
    again = {m: Meta(0, members[m].subscription, data[m]) for m in ("C1", "C2")}
    assert result(StickyPartitionAssignor(), cluster, again) == {
        "C1": tps("t0p0 t1p0 t1p1"),
        "C2": tps("t2p0 t2p1 t2p2"),
    }


def test_sticky_user_data_round_trip_and_v0() -> None:
    partitions = [TP("a", 1), TP("a", 0), TP("b", 7)]
    owned, generation = decode_user_data(encode_user_data(partitions, 42))
    assert sorted(owned) == sorted(partitions) and generation == 42
    v0 = encode_user_data(partitions, 0)[:-4]  # V0 has no generation
    assert decode_user_data(v0)[1] == -1


def test_sticky_conflicting_claims_go_to_the_newest_generation() -> None:
    cluster = Cluster({"t": 2})
    members = {
        "A": Meta(0, ["t"], b"", [TP("t", 0)], generation_id=3),
        "B": Meta(0, ["t"], b"", [TP("t", 0)], generation_id=2),
    }
    assert result(StickyPartitionAssignor(), cluster, members) == {
        "A": {TP("t", 0)},
        "B": {TP("t", 1)},
    }


def test_cooperative_withholds_moving_partitions_then_hands_them_over() -> None:
    cluster = Cluster({"t": 4})
    assignor = CooperativeStickyAssignor()
    owned = [TP("t", p) for p in range(4)]
    members = {"A": Meta(0, ["t"], b"", owned, 1), "B": Meta(0, ["t"], b"", [], -1)}
    first = result(assignor, cluster, members)
    assert len(first["A"]) == 2 and first["B"] == set()  # two withheld, none revoked twice
    second_members = {
        "A": Meta(0, ["t"], b"", sorted(first["A"]), 2),
        "B": Meta(0, ["t"], b"", [], 2),
    }
    second = result(assignor, cluster, second_members)
    assert second["A"] == first["A"] and second["B"] == set(owned) - first["A"]


def test_cooperative_assignor_declares_both_protocols() -> None:
    assert CooperativeStickyAssignor.supported_protocols == ("cooperative", "eager")
    assert RangePartitionAssignor.supported_protocols == ("eager",)
    assert CooperativeStickyAssignor().name == "cooperative-sticky"


members_st = st.dictionaries(
    st.sampled_from([f"m{i}" for i in range(6)]),
    st.sets(st.sampled_from(["a", "b", "c"]), min_size=1),
    min_size=1,
)
counts_st = st.fixed_dictionaries(
    {"a": st.integers(0, 7), "b": st.integers(0, 7), "c": st.integers(0, 7)}
)


def check_complete_disjoint(
    cluster: Cluster, subs: dict[str, set[str]], got: dict[str, set[TP]]
) -> None:
    wanted = {TP(t, p) for t in set().union(*subs.values()) for p in range(cluster.counts[t])}
    flat = [tp for parts in got.values() for tp in parts]
    assert len(flat) == len(set(flat)), "a partition went to two members"
    assert set(flat) == wanted
    for member, parts in got.items():
        assert all(tp.topic in subs[member] for tp in parts)


@pytest.mark.parametrize(
    "assignor",
    [
        RangePartitionAssignor,
        RoundRobinPartitionAssignor,
        StickyPartitionAssignor,
        CooperativeStickyAssignor,
    ],
)
@settings(max_examples=60, deadline=None)
@given(subs=members_st, counts=counts_st)
def test_complete_and_disjoint(
    assignor: Any, subs: dict[str, set[str]], counts: dict[str, int]
) -> None:
    cluster = Cluster(counts)
    instance = (
        assignor() if assignor in (StickyPartitionAssignor, CooperativeStickyAssignor) else assignor
    )
    members = {m: Meta(0, sorted(t)) for m, t in subs.items()}
    check_complete_disjoint(cluster, subs, result(instance, cluster, members))


@settings(max_examples=200, deadline=None)
@given(
    n_members=st.integers(1, 6),
    partitions=st.integers(0, 30),
    leaving=st.integers(0, 5),
)
def test_sticky_balanced_and_sticky_when_a_member_leaves(
    n_members: int, partitions: int, leaving: int
) -> None:
    cluster = Cluster({"t": partitions})
    names = [f"m{i}" for i in range(n_members)]
    first = result(StickyPartitionAssignor(), cluster, {m: Meta(0, ["t"]) for m in names})
    sizes = [len(p) for p in first.values()]
    assert max(sizes) - min(sizes) <= 1
    gone = names[leaving % n_members]
    rest = [m for m in names if m != gone]
    if not rest:
        return
    again = {m: Meta(0, ["t"], encode_user_data(first[m], 1)) for m in rest}
    second = result(StickyPartitionAssignor(), cluster, again)
    sizes = [len(p) for p in second.values()]
    assert max(sizes) - min(sizes) <= 1
    for m in rest:
        assert first[m] <= second[m], "a remaining member lost a partition it had"


@settings(max_examples=150, deadline=None)
@given(subs=members_st, counts=counts_st)
def test_sticky_no_single_move_improves_balance(
    subs: dict[str, set[str]], counts: dict[str, int]
) -> None:
    cluster = Cluster(counts)
    got = result(
        StickyPartitionAssignor(), cluster, {m: Meta(0, sorted(t)) for m, t in subs.items()}
    )
    for parts in got.values():
        for tp in parts:
            for other, topics in subs.items():
                if tp.topic in topics:
                    assert len(got[other]) >= len(parts) - 1
