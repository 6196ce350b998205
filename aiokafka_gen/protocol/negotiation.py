"""Sans-IO API version negotiation: what ApiVersions to send, and which version to use.

Every connection opens with ApiVersions. We send our highest stable version; a broker that
does not know it answers with a v0 body carrying UNSUPPORTED_VERSION and its own ApiVersions
range (KIP-511), and we retry with the highest version both sides know. For every other API
the version used is the highest in the intersection of the broker's range and the vendored
specs' stable range; an empty intersection raises ``IncompatibleBrokerVersion`` naming the
API. This module must not do I/O; it only reads and builds message objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka_gen import __version__
from aiokafka_gen.errors import IncompatibleBrokerVersion, KafkaProtocolError, for_code
from aiokafka_gen.messages._index import APIS, ApiInfo
from aiokafka_gen.messages.api_versions_request import ApiVersionsRequest
from aiokafka_gen.messages.api_versions_response import ApiVersionsResponse
from aiokafka_gen.messages.codes import ErrorCode

__all__ = [
    "API_VERSIONS_KEY",
    "ApiVersionsRetry",
    "BrokerVersions",
    "api_versions_request",
    "client_range",
    "first_api_versions_version",
    "read_api_versions",
]

API_VERSIONS_KEY = 18
_SOFTWARE_NAME = "aiokafka-gen"


def client_range(api_key: int) -> tuple[int, int]:
    """The stable [min, max] versions the vendored specs define for ``api_key``."""
    info: ApiInfo = APIS[api_key]
    top = info.max_version - 1 if info.unstable_latest else info.max_version
    return info.min_version, top


def first_api_versions_version() -> int:
    return client_range(API_VERSIONS_KEY)[1]


def api_versions_request(version: int) -> ApiVersionsRequest:
    """ApiVersions with our software name and version (used from v3 on; KIP-511)."""
    if version < 3:
        return ApiVersionsRequest()
    return ApiVersionsRequest(
        client_software_name=_SOFTWARE_NAME, client_software_version=__version__
    )


class ApiVersionsRetry(Exception):
    """The broker refused our ApiVersions version: retry at ``version``."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


@dataclass(frozen=True)
class BrokerVersions:
    """The API ranges one broker advertised, and the choices made from them."""

    ranges: Mapping[int, tuple[int, int]]
    _chosen: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def supports(self, api_key: int) -> bool:
        try:
            self.version_for(api_key)
        except IncompatibleBrokerVersion:
            return False
        return True

    def version_for(self, api_key: int, pinned: int | None = None) -> int:
        """The highest version both sides support (or ``pinned`` when both allow it)."""
        if pinned is None and api_key in self._chosen:
            return self._chosen[api_key]
        low, high = self._intersection(api_key)
        if pinned is not None:
            if not low <= pinned <= high:
                raise IncompatibleBrokerVersion(
                    f"{_name(api_key)} v{pinned} is outside the common range {low}-{high}"
                )
            return pinned
        self._chosen[api_key] = high
        return high

    def _intersection(self, api_key: int) -> tuple[int, int]:
        if api_key not in APIS:
            raise IncompatibleBrokerVersion(f"this client does not know API key {api_key}")
        ours = client_range(api_key)
        theirs = self.ranges.get(api_key)
        if theirs is None:
            raise IncompatibleBrokerVersion(f"the broker does not support {_name(api_key)}")
        low, high = max(ours[0], theirs[0]), min(ours[1], theirs[1])
        if low > high:
            raise IncompatibleBrokerVersion(
                f"{_name(api_key)}: broker supports v{theirs[0]}-{theirs[1]}, "
                f"this client v{ours[0]}-{ours[1]}"
            )
        return low, high

    def negotiated(self) -> dict[str, int]:
        """API name -> chosen version for every API both sides share (for logs and tests)."""
        return {
            _name(key): self.version_for(key)
            for key in sorted(self.ranges)
            if key in APIS and self.supports(key)
        }


def read_api_versions(response: ApiVersionsResponse, sent_version: int) -> BrokerVersions:
    """Interpret an ApiVersions response; raise ApiVersionsRetry on UNSUPPORTED_VERSION."""
    ranges = {item.api_key: (item.min_version, item.max_version) for item in response.api_keys}
    if response.error_code == ErrorCode.UNSUPPORTED_VERSION:
        return _retry(ranges, sent_version)
    if response.error_code != 0:
        raise for_code(response.error_code)("ApiVersions failed")
    return BrokerVersions(ranges)


def _retry(ranges: Mapping[int, tuple[int, int]], sent_version: int) -> BrokerVersions:
    theirs = ranges.get(API_VERSIONS_KEY, (0, 0))
    version = min(theirs[1], client_range(API_VERSIONS_KEY)[1])
    if version >= sent_version or version < 0:
        raise KafkaProtocolError(
            f"ApiVersions v{sent_version} refused, broker range {theirs[0]}-{theirs[1]}"
        )
    raise ApiVersionsRetry(version)


def _name(api_key: int) -> str:
    info = APIS.get(api_key)
    return f"{info.name} (key {api_key})" if info else f"API key {api_key}"
