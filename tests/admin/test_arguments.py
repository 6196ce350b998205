"""Argument checks of the admin client: topic names (Kafka's rule, refused before any
request), numeric ranges (Kafka's AdminClientConfig and the protocol field widths),
NewTopic's argument mix (aiokafka's IllegalArgumentError), and ``loop``/``api_version``
as aiokafka's admin client treats them."""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aiokafka.admin as peer_admin
import aiokafka.errors as peer_errors
import pytest

from aiokafka_gen.admin import (
    AbortTransactionSpec,
    AIOKafkaAdminClient,
    AlterConfigOp,
    ConfigResource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    RecordsToDelete,
)
from aiokafka_gen.errors import (
    IllegalArgumentError,
    InvalidReplicationFactorError,
    InvalidTopicError,
    KafkaConfigurationError,
)
from aiokafka_gen.structs import TopicPartition
from aiokafka_gen.testing import KafkaCluster

BAD = "bad name"
TP = TopicPartition(BAD, 0)

# ---- numbers -----------------------------------------------------------------------------
# (keyword, the value just outside the legal range, the boundary next to it)
CONSTRUCTOR_RANGES = [
    ("request_timeout_ms", 0, 1),  # Java allows 0; AIOKafkaClient refuses it (every request
    # would time out at once), so the admin client does too
    ("request_timeout_ms", 2**31, 2**31 - 1),  # an int32 on the wire (CreateTopics timeout)
    ("metadata_max_age_ms", -1, 0),
    ("metadata_max_age_ms", 2**63, 2**63 - 1),
    ("retry_backoff_ms", -1, 0),
    ("retry_backoff_ms", 2**63, 2**63 - 1),
    ("connections_max_idle_ms", -(2**63) - 1, -(2**63)),  # a Java long, no other bound
    ("connections_max_idle_ms", 2**63, 2**63 - 1),
]


@pytest.mark.parametrize(("keyword", "outside", "boundary"), CONSTRUCTOR_RANGES)
def test_constructor_ranges(keyword: str, outside: int, boundary: int) -> None:
    with pytest.raises(KafkaConfigurationError, match=keyword):
        AIOKafkaAdminClient(**{keyword: outside})
    AIOKafkaAdminClient(**{keyword: boundary})


@pytest.mark.parametrize("keyword", sorted({k for k, _, _ in CONSTRUCTOR_RANGES}))
@pytest.mark.parametrize("value", ["1000", True, float("nan"), None])
def test_constructor_numbers_must_be_numbers(keyword: str, value: Any) -> None:
    with pytest.raises(KafkaConfigurationError, match=keyword):
        AIOKafkaAdminClient(**{keyword: value})


ASSIGNED = {0: [1]}
VALUE_RANGES: list[tuple[str, Callable[[Any], object], Any, Any]] = [
    ("num_partitions", lambda v: NewTopic("t", v, 1), 0, 1),
    ("num_partitions", lambda v: NewTopic("t", v, -1, replica_assignments=ASSIGNED), -2, -1),
    ("num_partitions", lambda v: NewTopic("t", v, 1), 2**31, 2**31 - 1),
    ("num_partitions", lambda v: NewTopic("t", v, 1), 1.5, 1),
    ("replication_factor", lambda v: NewTopic("t", 1, v), 0, 1),
    ("replication_factor", lambda v: NewTopic("t", -1, v, replica_assignments=ASSIGNED), -2, -1),
    ("replication_factor", lambda v: NewTopic("t", 1, v), 2**15, 2**15 - 1),  # an int16
    ("total_count", NewPartitions, 0, 1),
    ("total_count", NewPartitions, 2**31, 2**31 - 1),
    ("before_offset", RecordsToDelete, -2, -1),
    ("before_offset", RecordsToDelete, 2**63, 2**63 - 1),
]


@pytest.mark.parametrize(("name", "make", "outside", "boundary"), VALUE_RANGES)
def test_value_type_ranges(
    name: str, make: Callable[[Any], object], outside: Any, boundary: Any
) -> None:
    with pytest.raises(KafkaConfigurationError, match=name):
        make(outside)
    make(boundary)


# aiokafka's rule: counts, or assignments with a count of -1; both or neither is refused.
PAIRINGS = [
    (3, 1, None),
    (3, 1, ASSIGNED),
    (-1, -1, None),
    (-1, -1, ASSIGNED),
    (-1, 1, None),
    (-1, 1, ASSIGNED),
    (3, -1, None),
    (3, -1, ASSIGNED),
]


@pytest.mark.parametrize(("partitions", "replication", "assignments"), PAIRINGS)
def test_new_topic_refuses_what_aiokafka_refuses(
    partitions: int, replication: int, assignments: dict[int, list[int]] | None
) -> None:
    try:
        peer_admin.NewTopic("t", partitions, replication, replica_assignments=assignments)
        refused = False
    except peer_errors.IllegalArgumentError:
        refused = True
    if refused:
        with pytest.raises(IllegalArgumentError):
            NewTopic("t", partitions, replication, replica_assignments=assignments)
    else:
        made = NewTopic("t", partitions, replication, replica_assignments=assignments)
        assert made.replica_assignments == (assignments or {})


# ---- loop and api_version ----------------------------------------------------------------
async def test_loop_is_accepted_silently_as_aiokafka_does(kafka_bootstrap: str) -> None:
    loop = asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails here
        theirs = peer_admin.AIOKafkaAdminClient(loop=loop, bootstrap_servers=kafka_bootstrap)
        ours = AIOKafkaAdminClient(loop=loop, bootstrap_servers=kafka_bootstrap)
    await theirs.close()
    async with ours:
        assert isinstance(await ours.list_topics(), list)


async def test_api_version_warns_as_aiokafka_does(kafka_bootstrap: str) -> None:
    with pytest.warns(DeprecationWarning, match="api_version"):
        theirs = peer_admin.AIOKafkaAdminClient(
            bootstrap_servers=kafka_bootstrap, api_version="2.8"
        )
    await theirs.close()
    with pytest.warns(DeprecationWarning, match="api_version") as caught:
        AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, api_version="2.8")
    assert caught[0].filename == __file__  # blames the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, api_version=None)


# ---- topic names -------------------------------------------------------------------------
ILLEGAL = [
    ("", "must not be empty"),
    (".", "cannot be '.'"),
    ("..", "cannot be '..'"),
    ("a" * 250, "at most 249"),
    ("bad name", "ASCII letters, digits"),
    ("bad/name", "ASCII letters, digits"),
    ("caf\u00e9", "ASCII letters, digits"),
]


def _unchecked(name: str) -> NewTopic:
    """A NewTopic whose name was changed after construction (the constructor checks it)."""
    topic = NewTopic("placeholder", 1, 1)
    topic.name = name
    return topic


@pytest.mark.integration
@pytest.mark.parametrize(("name", "rule"), ILLEGAL)
async def test_illegal_names_are_refused_as_the_broker_refuses_them(
    admin: AIOKafkaAdminClient, name: str, rule: str
) -> None:
    from aiokafka_gen.messages.create_topics_request import CreatableTopic, CreateTopicsRequest

    with pytest.raises(InvalidTopicError, match=rule) as caught:
        NewTopic(name, 1, 1)
    assert caught.value.errno == 17
    with pytest.raises(InvalidTopicError, match=rule):
        await admin.create_topics([_unchecked(name)])
    # The broker applies the same rule: it answers INVALID_TOPIC_EXCEPTION (17).
    node = next(iter(admin.client.cluster.brokers())).nodeId
    request = CreateTopicsRequest(
        topics=[CreatableTopic(name=name, num_partitions=1, replication_factor=1)],
        timeout_ms=10000, validate_only=True,
    )  # fmt: skip
    answer = await admin.client.send(node, request)
    assert [t.error_code for t in answer.topics] == [17]


@pytest.mark.integration
async def test_longest_legal_name_is_accepted(admin: AIOKafkaAdminClient) -> None:
    name = "a" * 249
    checked = await admin.create_topics([NewTopic(name, 1, 1)], validate_only=True)
    assert checked[name].error is None


CALLS: dict[str, Callable[[AIOKafkaAdminClient], Awaitable[object]]] = {
    "create_topics": lambda a: a.create_topics([NewTopic("ok-topic", 1, 1), _unchecked(BAD)]),
    "delete_topics": lambda a: a.delete_topics([uuid.uuid4(), "ok-topic", BAD]),
    "describe_topics": lambda a: a.describe_topics(["ok-topic", BAD]),
    "create_partitions": lambda a: a.create_partitions({BAD: NewPartitions(2)}),
    "delete_records": lambda a: a.delete_records({TP: RecordsToDelete(1)}),
    "list_offsets": lambda a: a.list_offsets({TP: OffsetSpec.LATEST}),
    "elect_leaders": lambda a: a.elect_leaders(partitions=[TP]),
    "alter_partition_reassignments": lambda a: a.alter_partition_reassignments({TP: [1]}),
    "list_partition_reassignments": lambda a: a.list_partition_reassignments([TP]),
    "describe_configs": lambda a: a.describe_configs([ConfigResource("topic", BAD)]),
    "alter_configs": lambda a: a.alter_configs([ConfigResource("topic", BAD, {"a": "1"})]),
    "incremental_alter_configs": lambda a: a.incremental_alter_configs(
        {ConfigResource("topic", BAD): [AlterConfigOp("retention.ms", "1")]}
    ),
    "list_consumer_group_offsets": lambda a: a.list_consumer_group_offsets("g", None, [TP]),
    "alter_consumer_group_offsets": lambda a: a.alter_consumer_group_offsets("g", {TP: 1}),
    "delete_consumer_group_offsets": lambda a: a.delete_consumer_group_offsets("g", [TP]),
    "describe_log_dirs": lambda a: a.describe_log_dirs(topic_partitions=[TP]),
    "describe_producers": lambda a: a.describe_producers([TP]),
    "abort_transaction": lambda a: a.abort_transaction(AbortTransactionSpec(BAD, 0, 1, 0, 0)),
}


@pytest.mark.integration
@pytest.mark.parametrize("method", sorted(CALLS))
async def test_every_call_refuses_illegal_names_before_any_request(
    admin: AIOKafkaAdminClient, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    sent: list[object] = []
    real_send = admin.client.send

    async def counting(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[1])
        return await real_send(*args, **kwargs)

    monkeypatch.setattr(admin.client, "send", counting)
    with pytest.raises(InvalidTopicError, match="ASCII letters, digits"):
        await CALLS[method](admin)
    assert sent == []
    await admin.list_topics()  # the counter sees requests that do go out
    assert len(sent) == 1


@pytest.mark.integration
def test_harness_create_topic_refuses_illegal_names(kafka_cluster: KafkaCluster) -> None:
    with pytest.raises(InvalidTopicError, match="ASCII letters, digits"):
        kafka_cluster.create_topic("bad name")
    with pytest.raises(InvalidTopicError, match="at most 249"):
        kafka_cluster.create_topic("a" * 250)


# ---- boundaries against the broker -------------------------------------------------------
@pytest.mark.integration
async def test_largest_settings_work_against_the_broker(kafka_bootstrap: str) -> None:
    name = f"admin-args-{os.urandom(4).hex()}"
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_bootstrap, request_timeout_ms=2**31 - 1,
        metadata_max_age_ms=2**63 - 1, connections_max_idle_ms=2**63 - 1, retry_backoff_ms=0,
    ) as admin:  # fmt: skip
        made = await admin.create_topics([NewTopic(name, 1, 1)])  # timeout_ms = 2**31-1
        assert made[name].error is None
        # The largest replication factor fits its int16 field; the broker refuses it.
        too_many = await admin.create_topics(
            [NewTopic(name + "-r", 1, 2**15 - 1)], timeout_ms=2**31 - 1, raise_on_error=False
        )
        assert isinstance(too_many[name + "-r"].error, InvalidReplicationFactorError)
        await admin.delete_topics([name])


@pytest.mark.integration
async def test_call_timeouts(admin: AIOKafkaAdminClient) -> None:
    name = f"admin-args-{os.urandom(4).hex()}"
    with pytest.raises(KafkaConfigurationError, match="timeout_ms"):
        await admin.create_topics([NewTopic(name, 1, 1)], timeout_ms=-1)
    with pytest.raises(KafkaConfigurationError, match="timeout_ms"):
        await admin.create_topics([NewTopic(name, 1, 1)], timeout_ms=2**31)
    # 0 means the request timeout, as in aiokafka (the broker would time a 0 out at once).
    made = await admin.create_topics([NewTopic(name, 1, 1)], timeout_ms=0)
    assert made[name].error is None
    deleted = await admin.delete_topics([name], timeout_ms=0)
    assert deleted[name].error is None
