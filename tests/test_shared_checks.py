"""Kafka's topic-name rule and the numeric range checks shared by every client."""

from __future__ import annotations

import pytest

from aiokafka_gen._validate import MAX_TOPIC_LENGTH, check_range, check_topic
from aiokafka_gen.errors import BrokerResponseError, KafkaConfigurationError


@pytest.mark.parametrize("name", ["a", "A-b_c.9", "x" * MAX_TOPIC_LENGTH, "...", "__consumer"])
def test_legal_topic_names_pass(name: str) -> None:
    assert check_topic(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        (".", "cannot be '.'"),
        ("..", "cannot be '..'"),
        ("x" * (MAX_TOPIC_LENGTH + 1), "at most 249"),
        ("bad topic!", "' !'"),
        ("caf\u00e9", "'\u00e9'"),
        ("a/b", "'/'"),
    ],
)
def test_illegal_topic_names_raise_invalid_topic_error(name: str, words: str) -> None:
    with pytest.raises(BrokerResponseError) as info:
        check_topic(name)
    assert type(info.value).__name__ == "InvalidTopicError"
    assert info.value.errno == 17
    assert words in str(info.value)


def test_topic_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        check_topic(b"topic")


def test_range_checks() -> None:
    check_range("linger_ms", 0, at_least=0)
    check_range("linger_ms", 0.5, at_least=0)
    check_range("max_poll_records", None, at_least=1, integral=True, allow_none=True)
    for bad in (-1, True, "5", float("nan"), None):
        with pytest.raises(KafkaConfigurationError):
            check_range("linger_ms", bad, at_least=0)
    with pytest.raises(ValueError, match="at most 10, not 11"):
        check_range("x", 11, at_most=10)
    with pytest.raises(KafkaConfigurationError, match="must be an int"):
        check_range("max_poll_records", 1.5, at_least=1, integral=True)
