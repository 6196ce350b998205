"""Unit tests (no broker): the oldest broker the client accepts, and the typed errors for
group features an old broker lacks (the compatibility matrix checks both on real brokers)."""

from __future__ import annotations

import pytest

from aiokafka_gen.conn._minimum import MINIMUM_KAFKA, check_minimum_broker
from aiokafka_gen.coordinator._features import KIP848, STATIC_MEMBERSHIP, feature_error
from aiokafka_gen.errors import IncompatibleBrokerVersion, UnsupportedVersionError

# Highest versions advertised by real brokers (read from 2.0.1 and 2.1.1 with ApiVersions).
KAFKA_201 = {0: (0, 6), 1: (0, 8), 3: (0, 6), 18: (0, 2), 23: (0, 1)}
KAFKA_211 = {0: (0, 7), 1: (0, 10), 3: (0, 7), 18: (0, 2), 23: (0, 2)}


def test_kafka_2_0_is_refused_naming_the_minimum() -> None:
    with pytest.raises(IncompatibleBrokerVersion) as caught:
        check_minimum_broker(KAFKA_201, "h:9092")
    text = str(caught.value)
    assert MINIMUM_KAFKA == "2.1"
    assert "the broker at h:9092 is older than Kafka 2.1" in text
    assert "Produce up to v6" in text and "Fetch up to v8" in text
    assert "needs Kafka 2.1 or newer" in text


def test_kafka_2_1_and_partial_api_lists_pass() -> None:
    check_minimum_broker(KAFKA_211, "h:9092")
    check_minimum_broker({18: (0, 3)}, "h:9092")  # APIs a broker does not list are not judged


def test_feature_errors_name_feature_kafka_and_broker() -> None:
    error = feature_error(KIP848, "h:1", "none")
    assert isinstance(error, UnsupportedVersionError)
    assert str(error).endswith(
        "KIP-848 consumer groups (group_protocol='consumer') need Kafka 4.0+; "
        "the broker at h:1 speaks ConsumerGroupHeartbeat none"
    )
    static = str(feature_error(STATIC_MEMBERSHIP, "h:1", "up to v3"))
    assert "static membership (group_instance_id, KIP-345) needs Kafka 2.3+" in static
    assert "speaks JoinGroup up to v3" in static
