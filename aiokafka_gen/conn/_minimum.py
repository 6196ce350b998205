"""The oldest broker this client talks to: Kafka 2.1 (KIP-896's baseline).

Kafka 4's clients dropped the protocol versions older than what Kafka 2.1 speaks. A 2.0
broker still answers most requests at versions both sides know (it answers Metadata,
CreateTopics and Produce v3+), so without a check it would seem to work and then fail in
the middle of a consumer's offset validation (OffsetForLeaderEpoch: 2.0 speaks v0-1, this
client v2+). The check runs once per connection, right after ApiVersions, on the highest
version the broker advertises for APIs every Kafka broker has; an API the broker does not
list is not judged (Kafka-compatible brokers list only what they implement).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka_gen.errors import IncompatibleBrokerVersion

__all__ = ["MINIMUM_KAFKA", "check_minimum_broker"]

MINIMUM_KAFKA = "2.1"

# API key -> (name, the highest version Kafka 2.1 added): Produce v7 (zstd), Fetch v10,
# OffsetForLeaderEpoch v2 (current leader epoch). A 2.0 broker tops out at v6, v8, v1.
_MARKERS: Mapping[int, tuple[str, int]] = {
    0: ("Produce", 7),
    1: ("Fetch", 10),
    23: ("OffsetForLeaderEpoch", 2),
}


def check_minimum_broker(ranges: Mapping[int, tuple[int, int]], address: str) -> None:
    """Raise IncompatibleBrokerVersion when ``ranges`` (from ApiVersions) come from a broker
    older than Kafka 2.1."""
    short = [
        f"{name} up to v{ranges[key][1]} (2.1 has v{needed})"
        for key, (name, needed) in _MARKERS.items()
        if key in ranges and ranges[key][1] < needed
    ]
    if short:
        raise IncompatibleBrokerVersion(
            f"the broker at {address} is older than Kafka {MINIMUM_KAFKA}: it speaks "
            + ", ".join(short)
            + f"; aiokafka_gen needs Kafka {MINIMUM_KAFKA} or newer (KIP-896 removed the "
            "older protocol versions)"
        )
