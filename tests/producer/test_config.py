"""ProducerConfig: the constructor's arguments checked once into a frozen object (no broker)."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.producer.config import ProducerConfig


def test_derived_values() -> None:
    config = AIOKafkaProducer(request_timeout_ms=1500, transactional_id="t")._config
    assert (config.acks, config.idempotent, config.max_block) == (-1, True, 1.5)
    assert AIOKafkaProducer(max_block_ms=200)._config.max_block == 0.2
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.acks = 1  # type: ignore[misc]


def test_client_options_carry_security_and_ids() -> None:
    producer = AIOKafkaProducer(
        client_id="mine", security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
        sasl_plain_username="u", sasl_plain_password="secret-pw",
    )  # fmt: skip
    options = producer._config.client_options("default-id")
    assert options["client_id"] == "mine" and options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["sasl_plain_password"] == "secret-pw"
    assert AIOKafkaProducer()._config.client_options("default-id")["client_id"] == "default-id"


@pytest.mark.parametrize(
    "bad",
    [
        {"max_batch_size": 0},
        {"buffer_memory": -1},
        {"max_in_flight_requests_per_connection": 0},
        {"enable_idempotence": True, "max_in_flight_requests_per_connection": 6},
        {"transactional_id": "t", "acks": 0},
        {"acks": "some"},
    ],
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AIOKafkaProducer(**bad)  # type: ignore[arg-type]


def test_api_version_warns_at_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AIOKafkaProducer(api_version="2.8")
    assert [w.filename for w in caught] == [__file__]
    assert ProducerConfig.__dataclass_params__.frozen  # type: ignore[attr-defined]
