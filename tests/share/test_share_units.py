"""Sans-IO tests of the share-group state machines with hand-built answers (no broker)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from aiokafka_gen.messages.share_acknowledge_request import ShareAcknowledgeRequest
from aiokafka_gen.messages.share_fetch_request import ShareFetchRequest
from aiokafka_gen.messages.share_fetch_response import AcquiredRecords
from aiokafka_gen.messages.share_group_heartbeat_request import ShareGroupHeartbeatRequest
from aiokafka_gen.messages.share_group_heartbeat_response import (
    Assignment,
    ShareGroupHeartbeatResponse,
    TopicPartitions,
)

from aiokafka_gen.errors import (
    GroupAuthorizationFailedError,
    UnsupportedVersionError,
)
from aiokafka_gen.records.builder import BatchBuilder
from aiokafka_gen.share.acks import (
    GAP,
    AckBatch,
    AcknowledgeType,
    ShareConsumerRecord,
    ack_batches,
)
from aiokafka_gen.share.errors import UnacknowledgedRecordsError
from aiokafka_gen.share.membership import Action, MemberState, ShareMembership, new_member_id
from aiokafka_gen.share.session import (
    CLOSE_EPOCH,
    ShareSession,
    acquired_records,
    next_epoch,
)

T1, T2 = uuid.uuid4(), uuid.uuid4()


def answer(code: int = 0, epoch: int = 1, assignment: Any = None, **kw: Any) -> Any:
    return ShareGroupHeartbeatResponse(
        error_code=code,
        member_epoch=epoch,
        heartbeat_interval_ms=5000,
        assignment=assignment,
        **kw,
    )


def assigned(**parts: list[int]) -> Any:
    ids = {"t1": T1, "t2": T2}
    return Assignment(
        topic_partitions=[TopicPartitions(topic_id=ids[k], partitions=v) for k, v in parts.items()]
    )


# ---- membership ------------------------------------------------------------------------


def joined(topics: frozenset[str] = frozenset({"a", "b"})) -> ShareMembership:
    m = ShareMembership("g")
    m.subscribe(topics)
    request = m.request()
    m.on_response(request, answer(epoch=3, assignment=assigned(t1=[0, 1])))
    return m


def test_member_id_is_a_client_chosen_uuid() -> None:
    m = ShareMembership("g")
    raw = m.member_id + "=" * (-len(m.member_id) % 4)
    assert len(__import__("base64").urlsafe_b64decode(raw)) == 16
    assert new_member_id() != new_member_id()


def test_join_sends_epoch_zero_and_names_then_only_changes() -> None:
    m = ShareMembership("g", rack_id="r1")
    m.subscribe(frozenset({"b", "a"}))
    first = m.request()
    assert isinstance(first, ShareGroupHeartbeatRequest)
    assert (first.member_epoch, first.subscribed_topic_names, first.rack_id) == (
        0,
        ["a", "b"],
        "r1",
    )
    assert m.state is MemberState.JOINING
    outcome = m.on_response(first, answer(epoch=3, assignment=assigned(t1=[0, 1])))
    assert outcome.action is Action.OK and outcome.assignment == {T1: frozenset({0, 1})}
    assert (m.epoch, m.state) == (3, MemberState.STABLE)
    second = m.request()
    assert (second.member_epoch, second.subscribed_topic_names, second.rack_id) == (3, None, None)
    assert m.on_response(second, answer(epoch=3)).assignment is None  # unchanged
    m.subscribe(frozenset({"a"}))
    assert m.request().subscribed_topic_names == ["a"]
    for version in (1,):
        first.encode(version)


@pytest.mark.parametrize("code", [25, 110])
def test_unknown_member_or_fenced_epoch_rejoins_with_epoch_zero(code: int) -> None:
    m = joined()
    request = m.request()
    outcome = m.on_response(request, answer(code=code))
    assert outcome.action is Action.REJOIN and outcome.assignment == {}
    assert (m.epoch, m.state, m.assignment) == (0, MemberState.UNJOINED, {})
    again = m.request()
    assert again.member_epoch == 0 and again.subscribed_topic_names == ["a", "b"]


@pytest.mark.parametrize("code", [14, 15, 16])
def test_coordinator_errors_rediscover_and_resend_the_subscription(code: int) -> None:
    m = joined()
    outcome = m.on_response(m.request(), answer(code=code))
    assert outcome.action is Action.REDISCOVER
    assert m.epoch == 3  # still a member
    assert m.request().subscribed_topic_names == ["a", "b"]


def test_group_authorization_is_fatal_and_typed() -> None:
    m = joined()
    outcome = m.on_response(m.request(), answer(code=30, error_message="no"))
    assert outcome.action is Action.FATAL
    assert isinstance(outcome.error, GroupAuthorizationFailedError)
    assert m.state is MemberState.FATAL


def test_unsupported_version_names_what_is_missing() -> None:
    m = ShareMembership("g")
    m.subscribe(frozenset({"a"}))
    outcome = m.on_response(m.request(), answer(code=35), where="h:9092")
    assert outcome.action is Action.FATAL
    assert isinstance(outcome.error, UnsupportedVersionError)
    text = str(outcome.error)
    assert "4.1" in text and "4.2" in text and "ShareGroupHeartbeat" in text and "h:9092" in text
    # the broker listed the API (else no heartbeat was sent): the feature is off
    assert "has share.version off" in text and "does not speak" not in text


def test_other_retriable_codes_retry() -> None:
    m = joined()
    assert m.on_response(m.request(), answer(code=7)).action is Action.RETRY  # timed out


def test_leave_sends_epoch_minus_one() -> None:
    m = joined()
    leave = m.leave_request()
    assert leave.member_epoch == -1 and m.state is MemberState.LEAVING
    m.left()
    assert (m.state, m.epoch) == (MemberState.LEFT, 0)


def test_quick_heartbeats_only_until_an_assignment_arrives() -> None:
    m = ShareMembership("g")
    m.subscribe(frozenset({"a"}))
    m.on_response(m.request(), answer(epoch=1, assignment=Assignment(topic_partitions=[])))
    assert m.next_delay() == 0.25
    m.joined_at = time.monotonic() - 10
    assert m.next_delay() == 5.0
    m.on_response(m.request(), answer(epoch=2, assignment=assigned(t1=[0])))
    assert m.next_delay() == 5.0


# ---- acknowledgement batches -----------------------------------------------------------


def test_ack_batches_are_ranges_with_one_type_or_one_per_offset() -> None:
    accept, release = int(AcknowledgeType.ACCEPT), int(AcknowledgeType.RELEASE)
    batches = ack_batches({5: accept, 6: accept, 7: accept, 9: release, 10: GAP, 11: release})
    assert batches == [
        AckBatch(5, 7, (accept,)),
        AckBatch(9, 11, (release, GAP, release)),
    ]
    assert list(batches[1].expand()) == [(9, release), (10, GAP), (11, release)]
    assert ack_batches({}) == []
    # one consecutive range of one type (a settled poll), inserted in any order
    assert ack_batches(dict.fromkeys([12, 10, 11, 13], accept)) == [AckBatch(10, 13, (accept,))]
    # consecutive but two types; one type but a hole: not one batch
    assert ack_batches({10: accept, 11: release}) == [AckBatch(10, 11, (accept, release))]
    assert ack_batches({10: accept, 12: accept, 13: accept}) == [
        AckBatch(10, 10, (accept,)),
        AckBatch(12, 13, (accept,)),
    ]
    assert ack_batches([(3, release), (2, release)]) == [AckBatch(2, 3, (release,))]


# ---- share sessions --------------------------------------------------------------------


def fetch(session: ShareSession, wanted: Any, acks: Any = None) -> Any:
    return session.fetch_request(
        "g",
        "m",
        wanted,
        acks or {},
        max_wait_ms=500,
        min_bytes=1,
        max_bytes=1 << 20,
        max_records=500,
        batch_size=500,
    )


def sent(request: Any) -> set[tuple[uuid.UUID, int]]:
    return {(t.topic_id, p.partition_index) for t in request.topics for p in t.partitions}


def forgotten(request: Any) -> set[tuple[uuid.UUID, int]]:
    return {(t.topic_id, p) for t in request.forgotten_topics_data for p in t.partitions}


def test_session_opens_full_then_goes_incremental() -> None:
    s = ShareSession(1)
    full = fetch(s, [(T1, 0), (T1, 1)])
    assert isinstance(full, ShareFetchRequest)
    assert full.share_session_epoch == 0 and sent(full) == {(T1, 0), (T1, 1)}
    full.encode(1)
    full.encode(2)
    s.answered(0)
    assert s.epoch == 1 and s.partitions == {(T1, 0), (T1, 1)}
    ack = {(T1, 0): [AckBatch(3, 4, (1,))]}
    inc = fetch(s, [(T1, 0), (T2, 0)], ack)
    assert inc.share_session_epoch == 1
    assert sent(inc) == {(T1, 0), (T2, 0)}  # the new one and the one with acks
    assert forgotten(inc) == {(T1, 1)}
    (t1,) = [t for t in inc.topics if t.topic_id == T1]
    (batch,) = t1.partitions[0].acknowledgement_batches
    assert (batch.first_offset, batch.last_offset, batch.acknowledge_types) == (3, 4, [1])
    s.answered(0)
    assert s.epoch == 2 and s.partitions == {(T1, 0), (T2, 0)}
    quiet = fetch(s, [(T1, 0), (T2, 0)])
    assert sent(quiet) == set() and forgotten(quiet) == set()


@pytest.mark.parametrize("code", [122, 123])
def test_session_errors_reset_to_a_full_fetch(code: int) -> None:
    s = ShareSession(1)
    fetch(s, [(T1, 0)])
    s.answered(0)
    fetch(s, [(T1, 0)])
    s.answered(code)
    assert s.epoch == 0 and s.partitions == set()
    assert fetch(s, [(T1, 0)]).share_session_epoch == 0


def test_other_top_level_errors_keep_the_session_epoch() -> None:
    s = ShareSession(1)
    fetch(s, [(T1, 0)])
    s.answered(0)
    fetch(s, [(T1, 0), (T1, 1)])
    s.answered(42)
    assert s.epoch == 1 and s.partitions == {(T1, 0)}


def test_acknowledge_needs_a_session_and_close_uses_minus_one() -> None:
    s = ShareSession(1)
    acks = {(T1, 0): [AckBatch(0, 0, (1,))]}
    assert s.acknowledge_request("g", "m", acks) is None
    fetch(s, [(T1, 0)])
    s.answered(0)
    request = s.acknowledge_request("g", "m", acks)
    assert isinstance(request, ShareAcknowledgeRequest) and request.share_session_epoch == 1
    request.encode(1)
    s.answered(0)
    closing = s.acknowledge_request("g", "m", acks, close=True)
    assert closing is not None and closing.share_session_epoch == CLOSE_EPOCH
    s.closed()
    assert s.epoch == 0


def test_acknowledgements_for_partitions_not_fetched_are_refused() -> None:
    with pytest.raises(ValueError):
        fetch(ShareSession(1), [(T1, 0)], {(T2, 0): [AckBatch(0, 0, (1,))]})


def test_epochs_wrap_to_one() -> None:
    assert next_epoch(0) == 1 and next_epoch(2**31 - 1) == 1 and next_epoch(-1) == 0


# ---- acquired records ------------------------------------------------------------------


def batch(base: int, values: list[bytes | None]) -> bytes:
    builder = BatchBuilder()
    for v in values:
        builder.append(1_700_000_000_000, None, v)
    return builder.close(base_offset=base)


def test_only_acquired_offsets_are_delivered_with_their_delivery_counts() -> None:
    data = batch(0, [b"a", b"b", b"c"]) + batch(3, [b"d", b"e"])
    acquired = [
        AcquiredRecords(first_offset=1, last_offset=2, delivery_count=1),
        AcquiredRecords(first_offset=4, last_offset=6, delivery_count=3),
    ]
    got = acquired_records("t", 0, data, acquired)
    assert [(r.offset, r.value, r.delivery_count) for r in got.records] == [
        (1, b"b", 1),
        (2, b"c", 1),
        (4, b"e", 3),
    ]
    assert got.gaps == [] and got.releases == [5, 6]  # past the data: released
    assert got.records[0].topic == "t" and got.records[0].partition == 0
    # the decoder builds the share records itself (no ConsumerRecord copied)
    assert all(type(r) is ShareConsumerRecord for r in got.records)


def test_missing_offsets_inside_the_data_are_gaps() -> None:
    data = batch(0, [b"a"]) + batch(5, [b"f"])
    acquired = [AcquiredRecords(first_offset=0, last_offset=5, delivery_count=1)]
    got = acquired_records("t", 0, data, acquired)
    assert [r.offset for r in got.records] == [0, 5]
    assert got.gaps == [1, 2, 3, 4]


def test_undeserializable_records_are_rejected_not_delivered() -> None:
    data = batch(0, [b"1", b"x", b"3"])
    acquired = [AcquiredRecords(first_offset=0, last_offset=2, delivery_count=1)]
    got = acquired_records("t", 0, data, acquired, (None, lambda v: int(v)))
    assert [r.value for r in got.records] == [1, 3]
    assert got.rejects == [1] and isinstance(got.error, ValueError)


def test_unacknowledged_error_lists_the_records() -> None:
    error = UnacknowledgedRecordsError([("t", 0, 5), ("t", 1, 7)])
    assert error.records == (("t", 0, 5), ("t", 1, 7))
    assert "t-0@5" in str(error) and "2 record(s)" in str(error)


# ---- the consumer's checks, before any I/O ---------------------------------------------


def test_constructor_checks_its_arguments() -> None:
    from aiokafka_gen.errors import InvalidTopicError, KafkaConfigurationError
    from aiokafka_gen.share import AIOKafkaShareConsumer

    with pytest.raises(KafkaConfigurationError):
        AIOKafkaShareConsumer("t", group_id="")
    with pytest.raises(KafkaConfigurationError):
        AIOKafkaShareConsumer("t", group_id="g", share_acknowledgement_mode="sometimes")
    with pytest.raises(KafkaConfigurationError):
        AIOKafkaShareConsumer("t", group_id="g", max_poll_records=0)
    with pytest.raises(InvalidTopicError):
        AIOKafkaShareConsumer("bad topic!", group_id="g")
    member = AIOKafkaShareConsumer("a", "b", group_id="g")
    assert member.subscription() == frozenset({"a", "b"})
    member.unsubscribe()
    assert member.subscription() == frozenset()


def test_acknowledge_refuses_bad_types_and_records_it_does_not_hold() -> None:
    from aiokafka_gen.share import (
        AIOKafkaShareConsumer,
        InvalidAcknowledgeTypeError,
        RecordNotAcquiredError,
        ShareConsumerRecord,
    )

    member = AIOKafkaShareConsumer("t", group_id="g")
    record = ShareConsumerRecord("t", 0, 5, 0, 0, None, b"v", None, -1, 1, (), 1)
    for bad in (0, 5, 9, "ACCEPT", None, True, 1.0):
        with pytest.raises(InvalidAcknowledgeTypeError):
            member.acknowledge(record, bad)  # type: ignore[arg-type]
    with pytest.raises(RecordNotAcquiredError):
        member.acknowledge(record)


def test_a_range_covering_whole_batches_takes_the_fast_path() -> None:
    data = batch(0, [b"a", b"b", b"c"]) + batch(3, [b"d", b"e"])
    acquired = [AcquiredRecords(first_offset=0, last_offset=4, delivery_count=2)]
    got = acquired_records("t", 0, data, acquired)
    assert [(r.offset, r.delivery_count) for r in got.records] == [(i, 2) for i in range(5)]
    assert (got.gaps, got.rejects, got.releases) == ([], [], [])
    assert all(type(r) is ShareConsumerRecord for r in got.records)
    wider = [AcquiredRecords(first_offset=0, last_offset=7, delivery_count=1)]
    got = acquired_records("t", 0, data, wider)
    assert len(got.records) == 5 and got.releases == [5, 6, 7] and got.gaps == []


# ---- lazy parts: whole batches decoded as polls take them --------------------------------


def big_batch(base: int, count: int) -> bytes:
    builder = BatchBuilder(max_batch_size=1 << 20)
    for i in range(count):
        assert builder.append(1_700_000_000_000 + i, None, b"v%d" % i) is not None
    return builder.close(base_offset=base)


def test_a_whole_batch_stays_undecoded_until_taken() -> None:
    from aiokafka_gen.consumer._records import RecordChunks

    data = batch(0, [b"a", b"b"]) + big_batch(2, 1200)
    acquired = [
        AcquiredRecords(first_offset=0, last_offset=0, delivery_count=1),  # part of a batch
        AcquiredRecords(first_offset=1, last_offset=1201, delivery_count=2),
    ]
    eager = acquired_records("t", 0, data, acquired)
    got = acquired_records("t", 0, data, acquired, lazy=True)
    assert (got.gaps, got.rejects, got.releases, got.error) == ([], [], [], None)
    first, chunks = got.parts
    assert [(r.offset, r.delivery_count) for r in first] == [(0, 1), (1, 2)]
    assert isinstance(chunks, RecordChunks) and len(chunks) == 1200
    assert chunks.offsets() == range(2, 1202)
    taken = chunks.take(500)
    assert [r.offset for r in taken] == list(range(2, 502)) and len(chunks) == 700
    rest = chunks.take(10_000)
    assert len(rest) == 700 and len(chunks) == 0 and chunks.take(5) == []
    view = [(type(r), r.offset, r.value, r.timestamp, r.delivery_count) for r in taken + rest]
    assert view == [(type(r), r.offset, r.value, r.timestamp, r.delivery_count)
                    for r in eager.records[2:]]  # fmt: skip
    assert all(type(r) is ShareConsumerRecord and r.delivery_count == 2 for r in rest)
    # deserializers, or more than one delivery count in the batch: decoded at once
    got = acquired_records("t", 0, data, acquired, (None, bytes.upper), lazy=True)
    assert len(got.parts) == 1 and got.records[-1].value == b"V1199"


def test_lazy_records_of_a_malformed_batch_are_a_typed_error() -> None:
    from consumer.test_decode_fast import _record
    from records.test_hostile import raw_batch

    from aiokafka_gen.records import RecordsCorruptError

    # offsets that are not the batch's own (deltas 1..3 in a batch of 3 at 0) and a cut
    # record: both pass the batch checks and fail when taken
    shifted = raw_batch(b"".join(_record(d, 0, None, b"x", []) for d in (1, 2, 3)), 3)
    cut = raw_batch(b"".join(_record(d, 0, None, b"x", []) for d in (0, 1, 2))[:-2], 3)
    # first and last offsets right, the middle one repeated or foreign
    twice = raw_batch(b"".join(_record(d, 0, None, b"x", []) for d in (0, 0, 2)), 3)
    foreign = raw_batch(b"".join(_record(d, 0, None, b"x", []) for d in (0, 5, 2)), 3)
    for data in (shifted, cut, twice, foreign):
        acquired = [AcquiredRecords(first_offset=0, last_offset=2, delivery_count=1)]
        [chunks] = acquired_records("t", 0, data, acquired, lazy=True).parts
        with pytest.raises(RecordsCorruptError):
            chunks.take(3)


def test_a_corrupt_lazy_part_is_rejected_and_raised_by_the_next_poll() -> None:
    from consumer.test_decode_fast import _record
    from records.test_hostile import raw_batch

    from aiokafka_gen.records import RecordsCorruptError
    from aiokafka_gen.share import AIOKafkaShareConsumer
    from aiokafka_gen.structs import TopicPartition

    tp = TopicPartition("t", 0)
    good = big_batch(0, 3)
    bad = raw_batch(b"".join(_record(d, 0, None, b"x", []) for d in (1, 2, 3)), 3, base_offset=3)
    acquired = [AcquiredRecords(first_offset=0, last_offset=5, delivery_count=1)]
    member = AIOKafkaShareConsumer("t", group_id="g")
    member._assigned = {tp: (T1, 0)}
    for part in acquired_records("t", 0, good + bad, acquired, lazy=True).parts:
        member._buffer.append((tp, part))
    taken = member._take(10)
    assert [r.offset for r in taken[tp]] == [0, 1, 2]  # the good batch still delivered
    assert member._pending == {tp: {3: AcknowledgeType.REJECT, 4: AcknowledgeType.REJECT,
                                    5: AcknowledgeType.REJECT}}  # fmt: skip
    assert isinstance(member._errors[0], RecordsCorruptError)
    assert not member._buffer


def test_a_corrupt_batch_decoded_at_once_is_rejected_not_raised() -> None:
    from consumer.test_decode_fast import _record
    from records.test_hostile import raw_batch

    from aiokafka_gen.records import RecordsCorruptError

    good = batch(0, [b"1", b"2"])
    cut = raw_batch(b"".join(_record(d, 0, None, b"3", []) for d in (0, 1))[:-2], 2, base_offset=2)
    acquired = [AcquiredRecords(first_offset=0, last_offset=3, delivery_count=1)]
    # a deserializer makes every batch decode at once: the cut one must not raise
    got = acquired_records("t", 0, good + cut, acquired, (None, lambda v: int(v)), lazy=True)
    assert [r.value for r in got.records] == [1, 2]
    assert got.rejects == [2, 3] and isinstance(got.error, RecordsCorruptError)
    assert got.gaps == [] and got.releases == []
