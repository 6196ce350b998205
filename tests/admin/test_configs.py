"""Integration: describe, alter and incrementally alter configs on the session broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiokafka_gen.admin import (
    AIOKafkaAdminClient,
    AlterConfigOp,
    AlterConfigOpType,
    ConfigResource,
    ConfigResourceType,
    ConfigSource,
    ConfigType,
)
from aiokafka_gen.errors import InvalidConfigurationError, UnknownTopicOrPartitionError

from .support import settled

pytestmark = pytest.mark.integration


async def test_describe_topic_and_broker_configs(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1, configs={"retention.ms": "12345"})
    broker = str((await admin.describe_cluster()).brokers[0].node_id)
    wanted = [
        ConfigResource(ConfigResourceType.TOPIC, topic),
        ConfigResource("broker", broker, {"num.io.threads": None}),
    ]
    results = await admin.describe_configs(wanted, include_synonyms=True,
                                           include_documentation=True)  # fmt: skip
    entries = results[ConfigResource(ConfigResourceType.TOPIC, topic)].entries
    retention = entries["retention.ms"]
    assert retention.value == "12345" and retention.source is ConfigSource.DYNAMIC_TOPIC_CONFIG
    assert [s.source for s in retention.synonyms] == [ConfigSource.DYNAMIC_TOPIC_CONFIG]
    assert retention.config_type is ConfigType.LONG and retention.documentation
    broker_entries = results[ConfigResource(ConfigResourceType.BROKER, broker)].entries
    assert list(broker_entries) == ["num.io.threads"]
    io_threads = broker_entries["num.io.threads"]
    assert io_threads.synonyms and io_threads.synonyms[-1].source in (
        ConfigSource.STATIC_BROKER_CONFIG,
        ConfigSource.DEFAULT_CONFIG,
    )
    plain = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    only = plain[ConfigResource(ConfigResourceType.TOPIC, topic)].entries["retention.ms"]
    assert only.synonyms == () and only.documentation is None


async def test_describe_unknown_topic_fails_alone(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic()
    good = ConfigResource(ConfigResourceType.TOPIC, topic)
    bad = ConfigResource(ConfigResourceType.TOPIC, f"{topic}-missing")
    results = await admin.describe_configs([good, bad], raise_on_error=False)
    assert results[good].error is None and results[good].entries
    assert isinstance(results[bad].error, UnknownTopicOrPartitionError)
    with pytest.raises(UnknownTopicOrPartitionError):
        await admin.describe_configs([bad])


async def _value(admin: AIOKafkaAdminClient, resource: ConfigResource, name: str) -> str | None:
    return (await admin.describe_configs([resource]))[resource].entries[name].value


async def test_alter_configs_replaces_dynamic_configs(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1, configs={"retention.ms": "12345"})
    change = ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": "compact"})
    results = await admin.alter_configs([change])
    assert results[change].error is None
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    await _eventually(admin, resource, "cleanup.policy", "compact")
    await _eventually(admin, resource, "retention.ms", "604800000")  # reset to default
    bad = ConfigResource(ConfigResourceType.TOPIC, topic, {"cleanup.policy": "bogus"})
    with pytest.raises(InvalidConfigurationError):
        await admin.alter_configs([bad])
    checked = await admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": "1"})],
        validate_only=True,
    )
    assert all(r.error is None for r in checked.values())
    await _eventually(admin, resource, "retention.ms", "604800000")


async def test_incremental_alter_configs(
    admin: AIOKafkaAdminClient, kafka_topic: Callable[..., str]
) -> None:
    topic = kafka_topic(1, configs={"retention.ms": "12345"})
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    await admin.incremental_alter_configs({
        resource: [
            AlterConfigOp("max.message.bytes", "2000000"),
            AlterConfigOp("cleanup.policy", "compact", AlterConfigOpType.APPEND),
        ]
    })  # fmt: skip
    await _eventually(admin, resource, "max.message.bytes", "2000000")
    await _eventually(admin, resource, "retention.ms", "12345")  # untouched
    await _eventually(admin, resource, "cleanup.policy", "delete,compact")
    await admin.incremental_alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": None})]
    )
    await _eventually(admin, resource, "max.message.bytes", "1048588")  # default again
    missing = ConfigResource(ConfigResourceType.TOPIC, f"{topic}-missing")
    results = await admin.incremental_alter_configs(
        {resource: [AlterConfigOp("retention.ms", "not-a-number")],
         missing: [AlterConfigOp("retention.ms", "1000")]},
        raise_on_error=False,
    )  # fmt: skip
    assert isinstance(results[resource].error, InvalidConfigurationError)
    assert isinstance(results[missing].error, UnknownTopicOrPartitionError)


async def _eventually(
    admin: AIOKafkaAdminClient, resource: ConfigResource, name: str, value: str
) -> None:
    """Broker config changes apply when the broker replays the metadata record."""
    found = await settled(lambda: _value(admin, resource, name), lambda found: found == value)
    assert found == value


async def test_broker_config_goes_to_that_broker(admin: AIOKafkaAdminClient) -> None:
    broker = str((await admin.describe_cluster()).brokers[0].node_id)
    resource = ConfigResource(ConfigResourceType.BROKER, broker)
    await admin.incremental_alter_configs(
        {resource: [AlterConfigOp("log.cleaner.backoff.ms", "20000")]}
    )
    try:
        await _eventually(admin, resource, "log.cleaner.backoff.ms", "20000")
    finally:
        await admin.incremental_alter_configs(
            {resource: [AlterConfigOp("log.cleaner.backoff.ms", None, AlterConfigOpType.DELETE)]}
        )
    await _eventually(admin, resource, "log.cleaner.backoff.ms", "15000")
