"""Version negotiation: highest common version, pinning, typed incompatibility, KIP-511."""

from __future__ import annotations

import pytest
from aiokafka_gen.messages._index import APIS
from aiokafka_gen.messages.api_versions_response import ApiVersion, ApiVersionsResponse

from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaProtocolError
from aiokafka_gen.protocol.negotiation import (
    ApiVersionsRetry,
    BrokerVersions,
    api_versions_request,
    client_range,
    first_api_versions_version,
    read_api_versions,
)


def test_highest_common_version() -> None:
    ours = client_range(3)
    versions = BrokerVersions({3: (0, ours[1] + 5), 0: (0, 7)})
    assert versions.version_for(3) == ours[1]
    assert versions.version_for(0) == 7


def test_no_overlap_names_the_api() -> None:
    versions = BrokerVersions({0: (0, 2)})  # Kafka 4 clients start at Produce v3
    with pytest.raises(IncompatibleBrokerVersion, match="Produce"):
        versions.version_for(0)
    with pytest.raises(IncompatibleBrokerVersion, match="Fetch"):
        versions.version_for(1)
    assert not versions.supports(1)


def test_pinned_version_must_be_in_range() -> None:
    versions = BrokerVersions({3: (0, 12)})
    assert versions.version_for(3, 4) == 4
    with pytest.raises(IncompatibleBrokerVersion, match="v13"):
        versions.version_for(3, 13)


def test_unstable_latest_is_never_negotiated() -> None:
    unstable = [k for k, info in APIS.items() if info.unstable_latest]
    for key in unstable:
        assert client_range(key)[1] == APIS[key].max_version - 1


def test_api_versions_request_names_the_client_from_v3() -> None:
    assert api_versions_request(first_api_versions_version()).client_software_name
    assert api_versions_request(2).client_software_name == ""


def test_read_unsupported_version_asks_for_retry() -> None:
    response = ApiVersionsResponse(
        error_code=35, api_keys=[ApiVersion(api_key=18, min_version=0, max_version=3)]
    )
    with pytest.raises(ApiVersionsRetry) as info:
        read_api_versions(response, 4)
    assert info.value.version == 3
    with pytest.raises(KafkaProtocolError):
        read_api_versions(response, 3)  # the broker refused what it claims to support


def test_read_ok_and_negotiated_table() -> None:
    response = ApiVersionsResponse(
        api_keys=[ApiVersion(api_key=3, min_version=0, max_version=12),
                  ApiVersion(api_key=9999, min_version=0, max_version=1)]
    )  # fmt: skip
    versions = read_api_versions(response, 4)
    assert versions.negotiated() == {"Metadata (key 3)": 12}
