"""Broker error classes generated from Kafka's Errors table, re-exported by aiokafka_gen.errors."""

from __future__ import annotations

import pytest
from aiokafka_gen.messages.errors import ERRORS_BY_CODE

from aiokafka_gen import errors


def test_for_code_and_fallback() -> None:
    assert errors.for_code(3) is errors.UnknownTopicOrPartitionError
    assert errors.for_code(3).errno == 3
    assert errors.for_code(32000) is errors.UnknownError
    assert errors.for_code(-1) is errors.UnknownError


def test_aiokafka_names_and_aliases() -> None:
    assert errors.for_code(6).__name__ == "NotLeaderForPartitionError"
    assert errors.for_code(7).__name__ == "RequestTimedOutError"
    assert errors.NotCoordinatorError is errors.NotCoordinatorForGroupError
    assert errors.for_code(0).__name__ == "NoError"


def test_flags_follow_the_java_client() -> None:
    assert errors.for_code(6).retriable and errors.for_code(6).invalid_metadata
    assert errors.for_code(7).retriable and not errors.for_code(7).invalid_metadata
    assert not errors.for_code(29).retriable  # TOPIC_AUTHORIZATION_FAILED
    assert errors.for_code(100).invalid_metadata  # UNKNOWN_TOPIC_ID


def test_every_class_is_a_broker_response_error_with_a_unique_code() -> None:
    assert len({cls.errno for cls in ERRORS_BY_CODE.values()}) == len(ERRORS_BY_CODE)
    for code, cls in ERRORS_BY_CODE.items():
        assert issubclass(cls, errors.BrokerResponseError)
        assert issubclass(cls, errors.KafkaError)
        assert cls.errno == code


def test_client_and_broker_variants_share_an_except_clause() -> None:
    with pytest.raises(errors.MessageSizeTooLargeError):
        raise errors.for_code(10)()
    with pytest.raises(errors.CorruptRecordError):
        raise errors.for_code(2)()


def test_str_names_code_and_description() -> None:
    text = str(errors.for_code(3)())
    assert text.startswith("[Error 3] UnknownTopicOrPartitionError: ")


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError):
        errors.NoSuchErrorClass  # noqa: B018
