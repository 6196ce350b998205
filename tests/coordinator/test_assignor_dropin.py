"""Assignors as aiokafka users write and call them: the consumer protocol objects'
``encode()``/``decode()`` (byte for byte aiokafka's), a custom assignor written in
aiokafka's documented style (classmethods on an AbstractPartitionAssignor subclass), and the
sticky assignors called on the class, as aiokafka's are, next to per-instance use.
aiokafka itself is the reference, imported here."""

from __future__ import annotations

import collections
import io
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import aiokafka.coordinator.assignors.abstract as their_abstract
import aiokafka.coordinator.protocol as their_protocol
import pytest
from aiokafka.coordinator.assignors.sticky.sticky_assignor import (
    StickyAssignorUserDataV1,
)
from aiokafka.coordinator.assignors.sticky.sticky_assignor import (
    StickyPartitionAssignor as TheirSticky,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import aiokafka_gen.coordinator.assignors.abstract as our_abstract
import aiokafka_gen.coordinator.protocol as our_protocol
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.coordinator.assignors import CooperativeStickyAssignor
from aiokafka_gen.coordinator.assignors import sticky as sticky_package
from aiokafka_gen.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from aiokafka_gen.coordinator.protocol import (
    ConsumerProtocol,
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from aiokafka_gen.errors import DecodeError
from aiokafka_gen.structs import TopicPartition as TP

topics = st.lists(st.text(max_size=12), max_size=5)
user_data = st.none() | st.binary(max_size=40)
assignments = st.lists(
    st.tuples(st.text(max_size=12), st.lists(st.integers(0, 2**31 - 1), max_size=6)), max_size=5
)


# ---- encode() / decode(): aiokafka's bytes ---------------------------------------------


@settings(max_examples=200, deadline=None)
@given(topics=topics, data=user_data)
def test_metadata_encode_is_aiokafkas_bytes(topics: list[str], data: bytes | None) -> None:
    theirs = their_protocol.ConsumerProtocolMemberMetadata(0, topics, data)
    ours = ConsumerProtocolMemberMetadata(0, topics, data)
    encoded = ours.encode()
    assert type(encoded) is bytes and encoded == theirs.encode()
    back = ConsumerProtocolMemberMetadata.decode(theirs.encode())
    assert (back.version, back.subscription, back.user_data) == (0, topics, data)
    again = their_protocol.ConsumerProtocolMemberMetadata.decode(encoded)
    assert (again.version, again.subscription, again.user_data) == (0, topics, data)


@settings(max_examples=200, deadline=None)
@given(pairs=assignments, data=user_data)
def test_assignment_encode_is_aiokafkas_bytes(
    pairs: list[tuple[str, list[int]]], data: bytes | None
) -> None:
    theirs = their_protocol.ConsumerProtocolMemberAssignment(0, pairs, data)
    ours = ConsumerProtocolMemberAssignment(0, pairs, data)
    encoded = ours.encode()
    assert type(encoded) is bytes and encoded == theirs.encode()
    back = ConsumerProtocolMemberAssignment.decode(theirs.encode())
    assert (back.version, back.assignment, back.user_data) == (0, pairs, data)
    assert back.partitions() == theirs.partitions()  # order kept, as aiokafka's
    assert all(isinstance(a, ConsumerProtocolMemberAssignment.Assignment) for a in back.assignment)
    again = their_protocol.ConsumerProtocolMemberAssignment.decode(encoded)
    assert (again.version, [tuple(a) for a in again.assignment], again.user_data) == (
        0,
        pairs,
        data,
    )


def test_newer_versions_are_kafkas_layout() -> None:
    meta = ConsumerProtocolMemberMetadata(3, ["b", "a"], b"u", [TP("a", 1)], 7, None, "rack")
    back = ConsumerProtocolMemberMetadata.decode(meta.encode())
    assert back.encode() == meta.encode()
    assert (back.version, back.subscription, back.owned_partitions) == (3, ["b", "a"], [TP("a", 1)])
    assert (back.generation_id, back.rack_id) == (7, "rack")
    # the coordinator's own encoding (always the newest version, sorted) reads the same
    assert decode_subscription(meta.encode()).subscription == ["b", "a"]
    assert decode_subscription(encode_subscription(meta)).subscription == ["a", "b"]
    future = ConsumerProtocolMemberMetadata(9, ["t"], None)  # written as our newest
    assert future.encode()[:2] == b"\x00\x03"


def test_decode_takes_what_aiokafkas_takes_and_refuses_garbage() -> None:
    data = their_protocol.ConsumerProtocolMemberAssignment(0, [("t", [1])], b"").encode()
    for form in (data, bytearray(data), memoryview(data)):
        assert ConsumerProtocolMemberAssignment.decode(form).partitions() == [TP("t", 1)]
    assert ConsumerProtocolMemberAssignment.decode(io.BytesIO(data)).partitions() == [TP("t", 1)]
    with pytest.raises(DecodeError):
        ConsumerProtocolMemberMetadata.decode(b"\x00")
    with pytest.raises(DecodeError):
        ConsumerProtocolMemberAssignment.decode(b"\x00\x00\x00\x00\x00\x09")


def test_consumer_protocol_constants() -> None:
    for name in ("PROTOCOL_TYPE", "ASSIGNMENT_STRATEGIES"):
        assert getattr(ConsumerProtocol, name) == getattr(their_protocol.ConsumerProtocol, name)
    assert ConsumerProtocol.METADATA is ConsumerProtocolMemberMetadata
    assert ConsumerProtocol.ASSIGNMENT is ConsumerProtocolMemberAssignment


# ---- a custom assignor in aiokafka's style -----------------------------------------------


class Cluster:
    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = counts

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))


def custom_assignor(abstract: Any, protocol: Any) -> Any:
    """The same source written against either library, as a user follows aiokafka's docs:
    only even partitions are assigned, dealt in turn to the members in id order."""

    class EvenOddAssignor(abstract.AbstractPartitionAssignor):  # type: ignore[misc]
        name = "even-odd"
        version = 0
        received: ClassVar[list[Any]] = []
        assigned: ClassVar[list[Any]] = []

        @classmethod
        def assign(cls, cluster: Any, members: Mapping[str, Any]) -> dict[str, Any]:
            cls.received.append(
                {m: (meta.subscription, meta.user_data) for m, meta in members.items()}
            )
            order = sorted(members)
            chosen: dict[str, dict[str, list[int]]] = collections.defaultdict(
                lambda: collections.defaultdict(list)
            )
            wanted = sorted({t for meta in members.values() for t in meta.subscription})
            turn = 0
            for topic in wanted:
                for partition in sorted(cluster.partitions_for_topic(topic) or ()):
                    if partition % 2 == 0:
                        chosen[order[turn % len(order)]][topic].append(partition)
                        turn += 1
            return {
                m: protocol.ConsumerProtocolMemberAssignment(
                    cls.version, sorted(chosen[m].items()), b"leader:" + m.encode()
                )
                for m in members
            }

        @classmethod
        def metadata(cls, topics: Iterable[str]) -> Any:
            return protocol.ConsumerProtocolMemberMetadata(cls.version, list(topics), b"hello")

        @classmethod
        def on_assignment(cls, assignment: Any) -> None:
            cls.assigned.append((assignment.partitions(), assignment.user_data))

    return EvenOddAssignor


def test_custom_aiokafka_style_assignor_round_trips() -> None:
    ours = custom_assignor(our_abstract, our_protocol)
    theirs = custom_assignor(their_abstract, their_protocol)
    cluster = Cluster({"a": 3, "b": 2})
    # each member's JoinGroup metadata, as bytes: aiokafka's bytes
    wire = {m: ours.metadata(["a", "b"]).encode() for m in ("m1", "m2")}
    assert wire["m1"] == theirs.metadata(["a", "b"]).encode()
    # the leader decodes them both ways (aiokafka's classmethod; the coordinator's reader)
    for decode in (ConsumerProtocolMemberMetadata.decode, decode_subscription):
        members = {m: decode(data) for m, data in wire.items()}
        result = ours.assign(cluster, members)
        assert ours.received[-1] == {m: (["a", "b"], b"hello") for m in wire}
        assert {m: a.encode() for m, a in result.items()} == {
            m: a.encode() for m, a in theirs.assign(cluster, members).items()
        }
        # SyncGroup bytes back to each member, then on_assignment
        for member, assignment in result.items():
            for data, reader in (
                (assignment.encode(), ConsumerProtocolMemberAssignment.decode),
                (encode_assignment(assignment), decode_assignment),
            ):
                ours.on_assignment(reader(data))
                assert ours.assigned[-1] == (
                    assignment.partitions(),
                    b"leader:" + member.encode(),
                )
    assert ours.assigned[0][0] == [TP("a", 0), TP("b", 0)]  # m1
    assert ours.assigned[2][0] == [TP("a", 2)]  # m2


def test_custom_assignor_is_accepted_by_the_coordinator_as_a_class() -> None:
    # The consumer instantiates assignor classes that take no arguments: an aiokafka-style
    # classmethod assignor still keeps its state on the class.
    cls = custom_assignor(our_abstract, our_protocol)
    instance = cls()
    instance.on_assignment(ConsumerProtocolMemberAssignment(0, [("t", [0])], None))
    assert cls.assigned == [([TP("t", 0)], None)]
    assert instance.name == cls.name == "even-odd"


@pytest.mark.integration
async def test_custom_assignor_in_a_real_group(kafka_bootstrap: str, kafka_topic: Any) -> None:
    topic = kafka_topic(3)
    assignor = custom_assignor(our_abstract, our_protocol)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:10]}",
        partition_assignment_strategy=(assignor,),
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await consumer.start()  # returns after the first assignment
    try:
        assert consumer.assignment() == {TP(topic, 0), TP(topic, 2)}  # one member: even only
        ((member, (subscription, data)),) = assignor.received[-1].items()
        assert (subscription, data) == ([topic], b"hello")
        assert assignor.assigned[-1] == (
            [TP(topic, 0), TP(topic, 2)],
            b"leader:" + member.encode(),
        )
    finally:
        await consumer.stop()


# ---- the sticky assignors: aiokafka's classmethods, per-instance state -----------------


@pytest.fixture
def class_state() -> Iterator[None]:
    """Class-level calls change class attributes (as aiokafka's): put them back."""
    saved = [
        (cls, name, cls.__dict__[name])
        for cls, names in (
            (StickyPartitionAssignor, ("member_assignment", "generation")),
            (CooperativeStickyAssignor, ("generation",)),
        )
        for name in names
    ]
    yield
    for cls, name, value in saved:
        setattr(cls, name, value)


def test_sticky_is_at_aiokafkas_path_and_the_old_one() -> None:
    assert sticky_package.StickyPartitionAssignor is StickyPartitionAssignor
    for name in ("DEFAULT_GENERATION_ID", "name", "version", "member_assignment", "generation"):
        assert getattr(StickyPartitionAssignor, name) == getattr(TheirSticky, name), name


def test_sticky_called_on_the_class_behaves_as_aiokafkas(class_state: None) -> None:
    cluster = Cluster({"t": 4, "u": 1})
    partitions = [TP("t", 0), TP("t", 2), TP("u", 0)]
    assignment = ConsumerProtocolMemberAssignment(0, [("t", [0, 2]), ("u", [0])], b"")
    for cls in (StickyPartitionAssignor, TheirSticky):
        assert cls.metadata(["t", "u"]).user_data == b""  # nothing assigned yet
        cls.on_assignment(assignment)
        cls.on_generation_assignment(5)
        assert (cls.member_assignment, cls.generation) == (partitions, 5)
    ours = StickyPartitionAssignor.metadata(["t", "u"])
    theirs = TheirSticky.metadata(["t", "u"])
    assert ours.user_data == theirs.user_data  # Kafka's StickyAssignorUserDataV1
    decoded = StickyAssignorUserDataV1.decode(ours.user_data)
    assert decoded.generation == 5
    members = {"m1": ours, "m2": ConsumerProtocolMemberMetadata(0, ["t", "u"], b"")}
    result = StickyPartitionAssignor.assign(cluster, members)  # a classmethod call
    assert result["m1"].partitions() == partitions  # kept: its user data said so
    assert result["m2"].partitions() == [TP("t", 1), TP("t", 3)]
    assert result == StickyPartitionAssignor().assign(cluster, members)


def test_sticky_instances_keep_their_own_state(class_state: None) -> None:
    first, second = StickyPartitionAssignor(), StickyPartitionAssignor()
    first.on_assignment(ConsumerProtocolMemberAssignment(0, [("t", [1])], b""))
    first.on_generation_assignment(3)
    assert (first.member_assignment, first.generation) == ([TP("t", 1)], 3)
    assert (second.member_assignment, second.generation) == (None, -1)
    assert (StickyPartitionAssignor.member_assignment, StickyPartitionAssignor.generation) == (
        None,
        -1,
    )
    assert second.metadata(["t"]).user_data == b""
    owned = first.metadata(["t"]).user_data
    assert StickyAssignorUserDataV1.decode(owned).generation == 3
    StickyPartitionAssignor.on_generation_assignment(9)  # the class's own memory
    assert first.generation == 3 and second.generation == -1


def test_cooperative_sticky_generation_on_the_class_or_instance(class_state: None) -> None:
    instance = CooperativeStickyAssignor()
    instance.on_generation_assignment(4)
    assert instance.metadata(["t"]).generation_id == 4
    assert CooperativeStickyAssignor.metadata(["t"]).generation_id == -1
    CooperativeStickyAssignor.on_generation_assignment(8)
    assert CooperativeStickyAssignor.metadata(["t"]).generation_id == 8
    assert instance.generation == 4
    members = {"m": ConsumerProtocolMemberMetadata(0, ["t"], b"")}
    assert CooperativeStickyAssignor.assign(Cluster({"t": 2}), members)["m"].partitions() == [
        TP("t", 0),
        TP("t", 1),
    ]
