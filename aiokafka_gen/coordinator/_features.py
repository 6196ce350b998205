"""Typed errors for group features the coordinator's broker is too old for.

A feature a broker lacks must fail with an error that names the feature, the Kafka release
that brought it and the broker, never with a retry loop or a protocol error. The checks
read the API versions negotiated with the coordinator's connection.
Must not do I/O besides asking the client for a ready connection.
"""

from __future__ import annotations

from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup
from aiokafka_gen.errors import IncompatibleBrokerVersion, UnsupportedVersionError
from aiokafka_gen.messages._index import APIS

__all__ = ["KIP848", "STATIC_MEMBERSHIP", "Feature", "feature_error", "require"]


class Feature:
    """A group feature: the API (key, lowest version) it needs and the Kafka that has it."""

    def __init__(self, name: str, kafka: str, api_key: int, min_version: int, verb: str) -> None:
        self.name = name
        self.verb = verb
        self.kafka = kafka
        self.api_key = api_key
        self.min_version = min_version


KIP848 = Feature("KIP-848 consumer groups (group_protocol='consumer')", "4.0", 68, 0, "need")
STATIC_MEMBERSHIP = Feature("static membership (group_instance_id, KIP-345)", "2.3", 11, 5, "needs")


def feature_error(feature: Feature, address: str, speaks: str) -> UnsupportedVersionError:
    """``UnsupportedVersionError`` "<feature> needs Kafka X+; the broker at h:p speaks ..."."""
    return UnsupportedVersionError(
        f"{feature.name} {feature.verb} Kafka {feature.kafka}+; the broker at {address} speaks "
        f"{APIS[feature.api_key].name} {speaks}"
    )


def _address(client: AIOKafkaClient, node: int) -> str:
    broker = client.cluster.broker_metadata(node)
    return f"node {node}" if broker is None else f"{broker.host}:{broker.port}"


async def require(client: AIOKafkaClient, node: int, feature: Feature) -> None:
    """Raise ``UnsupportedVersionError`` when ``node`` lacks ``feature``."""
    if not await client.ready(node, group=ConnectionGroup.COORDINATION):
        return  # no connection: the request that follows reports that
    try:
        version = client.api_version_for(node, feature.api_key)
    except IncompatibleBrokerVersion:
        version = None
        speaks = "none"
    else:
        speaks = "none" if version is None else f"up to v{version}"
    if version is None or version < feature.min_version:
        raise feature_error(feature, _address(client, node), speaks)
