"""ConsumerConfig: the consumer's arguments checked once; the coordinator's settings derived
from it (no broker)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.consumer import AIOKafkaConsumer
from aiokafka_gen.consumer import config as config_module
from aiokafka_gen.consumer.config import ConsumerConfig
from aiokafka_gen.consumer.subscription_state import SubscriptionState
from aiokafka_gen.coordinator import (
    ClassicCoordinator,
    ConsumerGroupCoordinator,
    create_coordinator,
)
from aiokafka_gen.coordinator.assignors import RangePartitionAssignor, RoundRobinPartitionAssignor
from aiokafka_gen.errors import KafkaConfigurationError


def test_config_holds_the_settings_and_the_client_config() -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers="h:1", client_id="c", group_id="g", request_timeout_ms=1500,
        retry_backoff_ms=7, isolation_level="read_committed", max_poll_records=10,
    )  # fmt: skip
    config = consumer._config
    assert isinstance(config, ConsumerConfig) and isinstance(config.client, ClientConfig)
    assert (config.group_id, config.isolation, config.read_committed) == ("g", 1, True)
    assert (config.request_timeout_ms, config.retry_backoff_ms) == (1500, 7)
    assert config.client.bootstrap_servers == "h:1"
    assert consumer._client.client_id == "c" and consumer._request_timeout == 1.5
    assert config.assignors == (RoundRobinPartitionAssignor,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.group_id = "h"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "rebalance"),
    [
        ({"session_timeout_ms": 6000}, 6000),  # classic: the session timeout, as aiokafka
        ({"group_protocol": "consumer", "max_poll_interval_ms": 9000}, 9000),  # as Java
        ({"group_protocol": "consumer", "rebalance_timeout_ms": 123}, 123),
        ({"rebalance_timeout_ms": 0}, 0),
    ],
)
def test_coordinator_config_resolves_the_rebalance_timeout(
    settings: dict[str, Any], rebalance: int
) -> None:
    config = AIOKafkaConsumer(group_id="g", **settings)._config.coordinator_config()
    assert config.rebalance_timeout_ms == rebalance
    assert config.group_protocol == settings.get("group_protocol", "classic")


def test_coordinator_config_is_what_create_coordinator_builds() -> None:
    consumer = AIOKafkaConsumer(
        group_id="g", group_instance_id="i", session_timeout_ms=7000,
        heartbeat_interval_ms=700, max_poll_interval_ms=70000, retry_backoff_ms=70,
        request_timeout_ms=7000, enable_auto_commit=False, auto_commit_interval_ms=77,
        exclude_internal_topics=False, partition_assignment_strategy=(RangePartitionAssignor,),
    )  # fmt: skip
    config = consumer._config
    made = create_coordinator(
        AIOKafkaClient(), SubscriptionState(), group_id="g", group_instance_id="i",
        group_protocol="classic", session_timeout_ms=7000, heartbeat_interval_ms=700,
        rebalance_timeout_ms=None, max_poll_interval_ms=70000, retry_backoff_ms=70,
        request_timeout_ms=7000, assignors=config.assignors, enable_auto_commit=False,
        auto_commit_interval_ms=77, exclude_internal_topics=False, group_remote_assignor=None,
    )  # fmt: skip
    assert isinstance(made, ClassicCoordinator)
    assert made.config == config.coordinator_config()
    assert config.assignors == (RangePartitionAssignor,)


def test_make_coordinator_uses_the_config_without_checking_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = AIOKafkaConsumer(group_id="g", group_protocol="consumer")
    monkeypatch.setattr(config_module, "GROUP_PROTOCOLS", ())  # a second check would fail
    coordinator = consumer._make_coordinator()
    assert isinstance(coordinator, ConsumerGroupCoordinator)
    assert coordinator.config == consumer._config.coordinator_config()


def test_no_group_id_has_no_coordinator_config() -> None:
    for group_id in (None, ""):
        with pytest.raises(ValueError, match="group coordination needs a group_id"):
            AIOKafkaConsumer(group_id=group_id)._config.coordinator_config()


def test_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = ConsumerConfig.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[ConsumerConfig], options: Any) -> ConsumerConfig:
        calls.append("consumer")
        return original(cls, options)  # type: ignore[no-any-return]

    original_client = ClientConfig.create.__func__  # type: ignore[attr-defined]

    def create_client(cls: type[ClientConfig], *args: Any) -> ClientConfig:
        calls.append("client")
        return original_client(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(ConsumerConfig, "create", classmethod(create))
    monkeypatch.setattr(ClientConfig, "create", classmethod(create_client))
    consumer = AIOKafkaConsumer(group_id="g")
    consumer._make_coordinator()
    assert calls == ["consumer", "client"]


# (arguments, the expected error and its message): the consumer's checks, first one wins
ERRORS = [
    ({"fetch_max_wait_ms": -1}, KafkaConfigurationError, "fetch_max_wait_ms must be at least"),
    ({"max_poll_records": 0}, KafkaConfigurationError, "max_poll_records must be at least 1"),
    ({"max_buffer_bytes": 1.5}, KafkaConfigurationError, "max_buffer_bytes must be an int"),
    ({"metrics_num_samples": 0}, KafkaConfigurationError, "metrics_num_samples"),
    ({"group_protocol": "x"}, ValueError, "invalid group_protocol: 'x'"),
    ({"isolation_level": "x"}, ValueError, "invalid isolation_level: 'x'"),
    ({"request_timeout_ms": 0}, KafkaConfigurationError, "request_timeout_ms must be at least"),
    ({"tracing_span": "x"}, ValueError, "tracing_span must be 'record' or 'poll', not 'x'"),
    ({"auto_offset_reset": "x"}, ValueError, "invalid auto_offset_reset: 'x'"),
    # several bad: the order of the checks
    ({"session_timeout_ms": 0, "group_protocol": "x"}, KafkaConfigurationError, "session"),
    ({"group_protocol": "x", "isolation_level": "y"}, ValueError, "group_protocol"),
    ({"isolation_level": "y", "request_timeout_ms": 0}, ValueError, "isolation_level"),
    ({"request_timeout_ms": 0, "auto_offset_reset": "x"}, KafkaConfigurationError, "request"),
]


@pytest.mark.parametrize(("bad", "error", "message"), ERRORS)
def test_checks_and_their_order(bad: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        AIOKafkaConsumer(**bad)
    if error is ValueError:
        assert type(caught.value) is ValueError


def test_module_has_the_checks_once() -> None:
    import aiokafka_gen.consumer.consumer as consumer_module

    assert not hasattr(consumer_module, "_check_ranges")
    assert not hasattr(consumer_module, "_GROUP_PROTOCOLS")
    assert config_module.TRACING_SPANS == ("record", "poll")
