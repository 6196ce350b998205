"""ProducerConfig: the constructor's arguments checked once into a frozen object (no broker)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import warnings

import pytest

from aiokafka_gen.errors import IllegalArgumentError, KafkaConfigurationError
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
    connection = producer.client._config
    assert producer.client.client_id == "mine" and connection.sasl_mechanism == "SCRAM-SHA-256"
    assert connection.sasl_plain_password == "secret-pw"
    assert AIOKafkaProducer().client.client_id.startswith("aiokafka-producer-")


@pytest.mark.parametrize(
    "bad",
    [
        {"max_batch_size": -1},
        {"buffer_memory": -1},
        {"max_in_flight_requests_per_connection": 0},
        {"enable_idempotence": True, "max_in_flight_requests_per_connection": 6},
        {"transactional_id": "t", "acks": 0},
        {"acks": "some"},
    ],
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(KafkaConfigurationError):  # a ValueError too
        AIOKafkaProducer(**bad)  # type: ignore[arg-type]


# (argument, the first illegal value, the legal boundary): Java's ProducerConfig ranges,
# tighter where ours needs it (request_timeout_ms, transaction_timeout_ms, buffer_memory)
RANGES = [
    ("metadata_max_age_ms", -1, 0),
    ("request_timeout_ms", 0, 1),
    ("request_timeout_ms", 2**31, 2**31 - 1),
    ("max_batch_size", -1, 0),
    ("max_request_size", -1, 0),
    ("linger_ms", -1, 0),
    ("linger_ms", -0.5, 0.5),
    ("retry_backoff_ms", -1, 0),
    ("transaction_timeout_ms", 0, 1),
    ("transaction_timeout_ms", 2**31, 2**31 - 1),
    ("buffer_memory", 16383, 16384),  # at least max_batch_size (16384 by default)
    ("max_block_ms", -1, 0),
    ("delivery_timeout_ms", -1, 0),
    ("max_in_flight_requests_per_connection", 0, 1),
]


@pytest.mark.parametrize(("name", "outside", "boundary"), RANGES)
def test_numeric_ranges(name: str, outside: float, boundary: float) -> None:
    with pytest.raises(KafkaConfigurationError, match=name):
        AIOKafkaProducer(**{name: outside})  # type: ignore[arg-type]
    producer = AIOKafkaProducer(**{name: boundary})  # type: ignore[arg-type]
    config = producer._config
    for held in (config, config.client):  # a producer setting, or a connection one
        if name in {f.name for f in dataclasses.fields(held)}:
            assert getattr(held, name) == boundary


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("linger_ms", "5"),
        ("linger_ms", True),
        ("linger_ms", float("nan")),
        ("max_batch_size", 1024.0),  # sizes are ints
        ("request_timeout_ms", 1500.5),  # written into Produce requests as an int32
        ("connections_max_idle_ms", None),
        ("max_block_ms", "1"),
    ],
)
def test_numeric_types(name: str, value: object) -> None:
    with pytest.raises(KafkaConfigurationError, match=name):
        AIOKafkaProducer(**{name: value})  # type: ignore[arg-type]


def test_numbers_java_allows_are_accepted() -> None:
    producer = AIOKafkaProducer(
        connections_max_idle_ms=-1, max_block_ms=None, linger_ms=0.5, max_batch_size=0,
        buffer_memory=0,
    )  # fmt: skip
    assert producer._config.max_batch_size == 0 and producer._config.max_block == 40.0


def test_loop_argument_is_deprecated() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.warns(DeprecationWarning, match="loop") as caught:
            AIOKafkaProducer(loop=loop)
        assert [w.filename for w in caught] == [__file__]  # points at the caller
    finally:
        loop.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AIOKafkaProducer()  # no loop: no warning


def test_unstarted_producer_is_collected_silently() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        producer = AIOKafkaProducer()
        del producer
        gc.collect()
        with pytest.raises(KafkaConfigurationError):
            AIOKafkaProducer(linger_ms=-1)  # __init__ raised: __del__ must not fail either
        gc.collect()
    assert caught == []


@pytest.mark.parametrize(("timestamp", "error"), [(-5, IllegalArgumentError), (1.5, TypeError)])
def test_create_batch_refuses_bad_timestamps(timestamp: object, error: type[Exception]) -> None:
    batch = AIOKafkaProducer().create_batch()
    with pytest.raises(error, match="timestamp"):
        batch.append(timestamp=timestamp, key=None, value=b"v")  # type: ignore[arg-type]
    assert batch.record_count() == 0
    assert batch.append(timestamp=0, key=None, value=b"v") is not None


def test_api_version_warns_at_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AIOKafkaProducer(api_version="2.8")
    assert [w.filename for w in caught] == [__file__]
    assert ProducerConfig.__dataclass_params__.frozen  # type: ignore[attr-defined]
