"""AIOKafkaClient's constructor: numeric arguments checked against their legal range
(KafkaConfigurationError, a ValueError), and ``loop`` accepted like aiokafka's client
(which, unlike its producer and consumer, does not warn). No broker."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.errors import KafkaConfigurationError

# (argument, the first illegal value, the legal boundary): Java's ranges (>= 0 for the
# ages and backoffs, >= 1 in flight), tighter for the two timeouts (0 fails everything)
RANGES = [
    ("metadata_max_age_ms", -1, 0),
    ("request_timeout_ms", 0, 1),
    ("retry_backoff_ms", -1, 0),
    ("connection_setup_timeout_ms", 0, 1),
    ("reconnect_backoff_ms", -1, 0),
    ("reconnect_backoff_max_ms", -1, 0),
    ("max_in_flight_requests", 0, 1),
]


@pytest.mark.parametrize(("name", "outside", "boundary"), RANGES)
def test_numeric_ranges(name: str, outside: int, boundary: int) -> None:
    with pytest.raises(KafkaConfigurationError, match=name):
        AIOKafkaClient(**{name: outside})  # type: ignore[arg-type]
    AIOKafkaClient(**{name: boundary})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("request_timeout_ms", "40000"),
        ("metadata_max_age_ms", None),
        ("retry_backoff_ms", False),
        ("max_in_flight_requests", 2.5),
        ("connections_max_idle_ms", "never"),
    ],
)
def test_numeric_types(name: str, value: object) -> None:
    with pytest.raises(KafkaConfigurationError, match=name):
        AIOKafkaClient(**{name: value})  # type: ignore[arg-type]


def test_idle_close_can_be_disabled() -> None:
    client = AIOKafkaClient(connections_max_idle_ms=-1)
    assert client._config.connections_max_idle_ms == -1


def test_backoff_cap_below_the_base_means_a_constant_base() -> None:
    client = AIOKafkaClient(reconnect_backoff_ms=2000, reconnect_backoff_max_ms=1000)
    delays = {round(client._backoff.delay(n), 3) for n in range(1, 6)}
    assert max(delays) <= 2.0 and min(delays) >= 1.6  # 2 s, -20 % jitter at most


def test_loop_is_accepted_without_a_warning_like_aiokafka() -> None:
    loop = asyncio.new_event_loop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            AIOKafkaClient(loop=loop)
    finally:
        loop.close()
