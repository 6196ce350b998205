"""Broker-free tests: the fetch-session state machine, the record decoder's fast and general
paths, the subscription state's contract side, and the public surface against aiokafka."""

from __future__ import annotations

import inspect
import re

import pytest
from aiokafka_gen.messages.fetch_response import EpochEndOffset, PartitionData

from aiokafka_gen.abc import ConsumerRebalanceListener
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.consumer import AIOKafkaConsumer, NoOffsetForPartitionError
from aiokafka_gen.consumer._records import CompletedFetch, decode_batch
from aiokafka_gen.consumer.fetch_session import FetchSession, FetchTarget
from aiokafka_gen.consumer.fetcher import Fetcher, LogTruncationError
from aiokafka_gen.consumer.subscription_state import EARLIEST, SubscriptionState
from aiokafka_gen.coordinator.contract import CommittedOffset
from aiokafka_gen.errors import IllegalStateError
from aiokafka_gen.records import BatchBuilder, RecordBatch, read_batches
from aiokafka_gen.structs import TopicPartition

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


def _target(offset: int) -> FetchTarget:
    return FetchTarget(offset, 3, -1, 1024)


def test_fetch_session_full_then_incremental_then_reset() -> None:
    session = FetchSession()
    plan = session.build({TP0: _target(0), TP1: _target(0)}, uses_ids=True)
    assert (plan.session_id, plan.epoch, plan.full) == (0, 0, True) and len(plan.send) == 2
    assert session.handle_response(0, 77)
    plan = session.build({TP0: _target(5), TP1: _target(0)}, uses_ids=True)
    assert (plan.session_id, plan.epoch) == (77, 1)
    assert list(plan.send) == [TP0] and plan.forgotten == []  # only the changed partition
    assert session.handle_response(0, 77)
    plan = session.build({TP0: _target(5)}, uses_ids=True)
    assert (plan.epoch, plan.send, plan.forgotten) == (2, {}, [TP1])
    assert not session.handle_response(71, 0)  # INVALID_FETCH_SESSION_EPOCH: start over
    plan = session.build({TP0: _target(5)}, uses_ids=True)
    assert (plan.session_id, plan.epoch, list(plan.send)) == (0, 0, [TP0])


def test_fetch_session_without_broker_session_and_disabled() -> None:
    session = FetchSession()
    session.build({TP0: _target(0)}, uses_ids=False)
    assert session.handle_response(0, 0)  # the broker created none: stay full
    assert session.build({TP0: _target(1)}, uses_ids=False).full
    session.handle_failure()
    assert session.build({TP0: _target(1)}, uses_ids=True).epoch == 0
    off = FetchSession(enabled=False)
    plan = off.build({TP0: _target(0)}, uses_ids=True)
    assert (plan.session_id, plan.epoch) == (0, -1)
    off.handle_response(0, 0)
    assert off.build({TP0: _target(9)}, uses_ids=True).epoch == -1


def test_fetch_session_switching_to_topic_ids_resets() -> None:
    session = FetchSession()
    session.build({TP0: _target(0)}, uses_ids=False)
    session.handle_response(0, 5)
    assert session.build({TP0: _target(1)}, uses_ids=True).full


def _batch(records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
           base: int = 0, compression: str | None = None) -> RecordBatch:  # fmt: skip
    builder = BatchBuilder(compression=compression, max_batch_size=1 << 20)
    for i, (key, value, headers) in enumerate(records):
        builder.append(timestamp=1_700_000_000_000 + i * 10_000, key=key, value=value,
                       headers=headers or None)  # fmt: skip
    batch = next(iter(read_batches(builder.close(base))))
    assert isinstance(batch, RecordBatch)
    return batch


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_decoder_fast_and_general_paths_agree(compression: str | None) -> None:
    plain = [(None, b"v" * 100, []), (b"k", b"", []), (b"k" * 70, b"x" * 9000, []), (b"", None, [])]
    headers = [(b"k", b"v", [("h", b"1"), ("h", None)])]
    for records in (plain, headers, plain + headers):
        batch = _batch(records, base=40, compression=compression)
        got = decode_batch(batch, "t", 3)
        assert [(r.key, r.value) for r in got] == [(k, v) for k, v, _ in records]
        assert [r.offset for r in got] == list(range(40, 40 + len(records)))
        assert [r.timestamp for r in got] == [
            1_700_000_000_000 + i * 10_000 for i in range(len(records))
        ]
        assert [r.serialized_value_size for r in got] == [
            -1 if v is None else len(v) for _, v, _ in records
        ]
        assert [list(r.headers) for r in got] == [h for _, _, h in records]
        assert all(r.topic == "t" and r.partition == 3 and r.timestamp_type == 0 for r in got)


def test_completed_fetch_moves_position_and_skips_below_it() -> None:
    subs = SubscriptionState()
    subs.assign_from_user([TP0])
    state = subs.state(TP0)
    state.seek(42)
    batches = [_batch([(None, b"a", [])] * 5, base=40), _batch([(None, b"b", [])] * 5, base=45)]
    fetch = CompletedFetch(TP0, state.seq, list(batches), None, 100, (None, None))
    assert fetch.next_fetch_offset == 50
    assert [r.offset for r in fetch.take(2, state)] == [42, 43] and state.position == 44
    assert [r.offset for r in fetch.take(10, state)] == [44, 45, 46, 47, 48, 49]
    assert state.position == 50 and fetch.exhausted


def test_completed_fetch_deserializer_error_stops_at_the_record() -> None:
    subs = SubscriptionState()
    subs.assign_from_user([TP0])
    state = subs.state(TP0)
    state.seek(0)

    def value(data: bytes | None) -> str:
        if data == b"bad":
            raise UnicodeError("bad value")
        return (data or b"").decode()

    batch = _batch([(None, b"a", []), (None, b"bad", []), (None, b"c", [])])
    fetch = CompletedFetch(TP0, state.seq, [batch], None, 10, (None, value))
    assert [r.value for r in fetch.take(10, state)] == ["a"]
    for _ in range(2):  # raised again until the application seeks past it
        with pytest.raises(UnicodeError):
            fetch.take(10, state)
    assert state.position == 1


def test_subscription_state_contract_side() -> None:
    subs = SubscriptionState(auto_offset_reset="none")
    subs.subscribe_pattern(re.compile(r"orders-.*"))
    version = subs.version
    assert subs.update_pattern_matches(["orders-1", "payments", "orders-2"])
    assert subs.subscribed_topics() == {"orders-1", "orders-2"} and subs.version > version
    assert not subs.update_pattern_matches(["orders-2", "orders-1"])
    a, b = TopicPartition("orders-1", 0), TopicPartition("orders-2", 0)
    subs.set_group_assignment([a, b])
    assert subs.partitions_needing_committed() == {a, b}
    subs.apply_committed({a: CommittedOffset(7, "m", 3), b: None})
    assert subs.state(a).position == 7 and subs.consumed_offsets() == {a: CommittedOffset(7, "", 3)}
    assert isinstance(subs.state(b).error, NoOffsetForPartitionError)
    subs.set_group_assignment([a])
    assert subs.assigned_partitions() == {a} and subs.state(a).position == 7  # kept
    with pytest.raises(IllegalStateError):
        subs.assign_from_user([a])
    with pytest.raises(IllegalStateError):
        subs.state(b)
    reset = SubscriptionState(auto_offset_reset="earliest")
    reset.assign_from_user([a])
    reset.apply_committed({a: None})
    assert reset.state(a).reset == EARLIEST


def test_bad_arguments_are_refused_before_start() -> None:
    consumer = AIOKafkaConsumer()
    with pytest.raises(TypeError):
        consumer.subscribe(["a"], pattern="b.*")
    with pytest.raises(TypeError):
        consumer.subscribe()
    with pytest.raises(ValueError):
        consumer.subscribe(pattern="(")
    with pytest.raises(TypeError):
        consumer.subscribe(["a"], listener=object())  # type: ignore[arg-type]
    consumer.assign([TP0])
    with pytest.raises(ValueError):
        consumer.seek(TP0, -1)
    with pytest.raises(IllegalStateError):
        consumer.seek(TP1, 1)
    with pytest.raises(IllegalStateError):
        consumer.subscribe(["a"])
    with pytest.raises(ValueError):
        AIOKafkaConsumer(auto_offset_reset="sometimes")
    with pytest.raises(ValueError):
        AIOKafkaConsumer(isolation_level="serializable")
    with pytest.raises(ValueError):
        AIOKafkaConsumer(max_poll_records=0)
    with pytest.raises(ValueError):
        AIOKafkaConsumer(group_protocol="zookeeper")


class _Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        pass


def test_subscribe_and_unsubscribe_before_start() -> None:
    consumer = AIOKafkaConsumer("a", "b")
    assert consumer.subscription() == {"a", "b"}
    consumer.subscribe(pattern="x.*", listener=_Listener())
    assert consumer.subscription() == frozenset()
    consumer.unsubscribe()
    consumer.assign([TP0])
    assert consumer.assignment() == {TP0}


aiokafka = pytest.importorskip("aiokafka")


def test_constructor_parameters_and_defaults_match_aiokafka() -> None:
    ours = inspect.signature(AIOKafkaConsumer).parameters
    theirs = inspect.signature(aiokafka.AIOKafkaConsumer).parameters
    for name, param in theirs.items():
        assert name in ours, name
        assert ours[name].kind == param.kind, name
        if name not in ("loop", "client_id", "partition_assignment_strategy"):
            assert ours[name].default == param.default, name
    assert [a.__name__ for a in ours["partition_assignment_strategy"].default] == [
        a.__name__ for a in theirs["partition_assignment_strategy"].default
    ]


def test_methods_match_aiokafka() -> None:
    wanted = {
        name for name, value in vars(aiokafka.AIOKafkaConsumer).items()
        if not name.startswith("_") and callable(value)
    }  # fmt: skip
    assert wanted <= set(dir(AIOKafkaConsumer))
    for name in wanted:
        ours = list(inspect.signature(getattr(AIOKafkaConsumer, name)).parameters)
        theirs = list(inspect.signature(getattr(aiokafka.AIOKafkaConsumer, name)).parameters)
        assert ours == theirs, name


def _fetcher(reset: str) -> tuple[Fetcher, SubscriptionState]:
    subs = SubscriptionState(auto_offset_reset=reset)
    client = AIOKafkaClient(bootstrap_servers="127.0.0.1:1")
    fetcher = Fetcher(
        client, subs, key_deserializer=None, value_deserializer=None, fetch_min_bytes=1,
        fetch_max_bytes=1 << 20, fetch_max_wait_ms=100, max_partition_fetch_bytes=1 << 20,
        check_crcs=True, retry_backoff_ms=100, request_timeout_ms=1000, isolation_level=0,
        client_rack=None,
    )  # fmt: skip
    subs.assign_from_user([TP0])
    subs.seek(TP0, 100, 4)
    return fetcher, subs


@pytest.mark.parametrize("reset", ["earliest", "none"])
def test_diverging_epoch_in_a_fetch_response_means_truncation(reset: str) -> None:
    """KIP-320: the leader says our last fetched epoch ended at offset 90, below the fetch
    position 100: the position moves back to 90, or (reset none) the poll raises."""
    fetcher, subs = _fetcher(reset)
    state = subs.state(TP0)
    part = PartitionData(partition_index=0, high_watermark=120,
                         diverging_epoch=EpochEndOffset(epoch=3, end_offset=90))  # fmt: skip
    target = FetchTarget(100, 5, 4, 1 << 20)
    fetcher._handle_partition(1, TP0, part, state.seq, target, 0.0)
    if reset == "none":
        assert isinstance(state.error, LogTruncationError) and state.error.divergent == {TP0: 90}
        with pytest.raises(LogTruncationError):
            fetcher._raise_errors(None)
    else:
        assert (state.position, state.fetch_offset, state.fetch_epoch) == (90, 90, 3)


@pytest.mark.parametrize("reset", ["earliest", "none"])
def test_truncation_past_the_position_keeps_the_position(reset: str) -> None:
    """Fetched ahead to 100 but the application is at 95: a log truncated at 98 only
    invalidates buffered records. The position stays (moving it to 98 would skip 95..97),
    the buffer is dropped and fetching starts again from 95; nothing is raised."""
    fetcher, subs = _fetcher(reset)
    state = subs.state(TP0)
    state.position, state.position_epoch = 95, 4  # records 95..99 are buffered
    seq = state.seq
    part = PartitionData(partition_index=0, high_watermark=120,
                         diverging_epoch=EpochEndOffset(epoch=4, end_offset=98))  # fmt: skip
    fetcher._handle_partition(1, TP0, part, seq, FetchTarget(100, 5, 4, 1 << 20), 0.0)
    assert (state.position, state.fetch_offset, state.error) == (95, 95, None)
    assert state.seq != seq  # what was buffered is stale
    fetcher._raise_errors(None)


def test_stale_and_failed_partitions_in_a_fetch_response() -> None:
    fetcher, subs = _fetcher("earliest")
    state = subs.state(TP0)
    target = FetchTarget(100, 5, 4, 1 << 20)
    fetcher._handle_partition(1, TP0, PartitionData(partition_index=0, high_watermark=7),
                              state.seq - 1, target, 0.0)  # fmt: skip
    assert state.highwater is None  # fetched before a seek: ignored
    fetcher._handle_partition(1, TP0, PartitionData(partition_index=0, error_code=1),
                              state.seq, target, 0.0)  # fmt: skip
    assert state.reset == EARLIEST and state.position is None  # out of range: reset
    subs.seek(TP0, 100)
    fetcher._handle_partition(1, TP0, PartitionData(partition_index=0, preferred_read_replica=3,
                              high_watermark=150), state.seq, target, 0.0)  # fmt: skip
    assert fetcher._preferred[TP0][0] == 3 and state.highwater == 150  # KIP-392


async def test_drain_after_several_partitions_were_unassigned() -> None:
    # Two revoked partitions still have buffered fetches when the next poll drains: the
    # first one purges both, the second must not fail with KeyError.
    from aiokafka_gen.consumer.fetch_buffer import FetchBuffer

    subs = SubscriptionState("earliest")
    a, b, c = (TopicPartition("t", p) for p in range(3))
    subs.assign_from_user([a, b, c])
    for tp in (a, b, c):
        subs.seek(tp, 0)
    buffer = FetchBuffer(subs, on_drained=lambda: None, check_usable=lambda: None)
    buffer.start()
    for tp in (a, b):
        state = subs.state(tp)
        assert state is not None
        buffer.add(CompletedFetch(tp, state.seq, [], None, 10, (None, None), state))
    subs.assign_from_user([c])
    assert buffer.drain(None, 10) == {}
    assert buffer.bytes == 0


def test_a_reassigned_partition_never_reuses_a_stale_seq() -> None:
    # Revoked and assigned again before the fetcher ran: data fetched for the old state
    # must look stale to the new one.
    subs = SubscriptionState("earliest")
    tp = TopicPartition("t", 0)
    subs.assign_from_user([tp])
    subs.seek(tp, 0)
    old = subs.state(tp)
    old_seq = old.seq  # what a fetch sent now carries
    subs.assign_from_user([])
    subs.assign_from_user([tp])
    new = subs.state(tp)
    assert new is not old
    subs.seek(tp, 0)  # the same history as the old state: once assigned, once sought
    assert new.seq != old_seq


async def test_a_blocked_poll_keeps_telling_the_coordinator_it_polls() -> None:
    from aiokafka_gen.consumer.fetch_buffer import FetchBuffer

    subs = SubscriptionState("earliest")
    buffer = FetchBuffer(subs, on_drained=lambda: None, check_usable=lambda: None)
    buffer.start()
    calls: list[float] = []
    buffer.while_waiting = lambda: calls.append(0.0)
    buffer.wait_slice = 0.05
    assert await buffer.fetched_records(None, 0.3, 10) == {}
    assert len(calls) >= 3  # one per wait slice, not just once at entry


async def test_held_partitions_give_no_records_until_released() -> None:
    from aiokafka_gen.consumer.fetch_buffer import FetchBuffer

    subs = SubscriptionState("earliest")
    tp = TopicPartition("t", 0)
    subs.assign_from_user([tp])
    subs.seek(tp, 0)
    batch = _batch([(None, b"v%d" % i, []) for i in range(3)])
    buffer = FetchBuffer(subs, on_drained=lambda: None, check_usable=lambda: None)
    buffer.start()
    state = subs.state(tp)
    buffer.add(CompletedFetch(tp, state.seq, [batch], None, 10, (None, None), state))
    subs.hold([tp], True)
    assert buffer.drain(None, 10) == {} and buffer.poll_one() is None
    subs.hold([tp], False)
    assert [r.value for r in buffer.drain(None, 10)[tp]] == [b"v0", b"v1", b"v2"]


@pytest.mark.parametrize("version", [10, 11, 12, 13])
def test_fetch_topics_carry_only_the_fields_the_version_has(version: int) -> None:
    """Kafka 2.1-2.6 speak Fetch v10/v11, which lack last_fetched_epoch (v12+): a position
    with a known epoch must still encode there (it stalled consumers on those brokers)."""
    import uuid

    from aiokafka_gen.messages.fetch_request import FetchRequest

    from aiokafka_gen.consumer import fetcher

    tp = TopicPartition("t", 0)
    target = FetchTarget(fetch_offset=42, current_leader_epoch=3, last_fetched_epoch=5,
                         max_bytes=1024)  # fmt: skip
    topics = fetcher._topics({tp: target}, {"t": uuid.uuid4()}, version)
    [partition] = topics[0].partitions
    assert partition.last_fetched_epoch == (5 if version >= 12 else -1)
    request = FetchRequest(
        replica_id=-1, max_wait_ms=100, min_bytes=1, max_bytes=1 << 20, isolation_level=0,
        session_id=0, session_epoch=-1, topics=topics,
    )  # fmt: skip
    decoded = FetchRequest.decode(request.encode(version), version)
    assert decoded.topics[0].partitions[0].fetch_offset == 42
    assert decoded.topics[0].partitions[0].current_leader_epoch == 3


async def test_an_encode_error_is_fatal_to_the_fetcher_not_retried() -> None:
    """A request our own encoder refuses is a bug: the fetch task fails and pollers see it
    (it used to be logged and retried every backoff, silently)."""
    from aiokafka_gen.consumer import fetcher as fetcher_module
    from aiokafka_gen.errors import FieldVersionError

    fetch = object.__new__(Fetcher)
    fetch.sessions = {}
    fetch._sessions_enabled = True

    async def refused(*_: object) -> None:
        raise FieldVersionError("FetchPartition", "last_fetched_epoch", 10)

    fetch._send_fetch = refused  # type: ignore[method-assign]
    with pytest.raises(FieldVersionError):
        await fetcher_module.Fetcher._fetch(fetch, 1, {}, {})
