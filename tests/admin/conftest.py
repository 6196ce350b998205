"""Fixtures for the admin tests: an admin client on the session broker, and one cluster
with SASL and ACLs (admin is a super user, alice is not) for ACL, SCRAM and authorization
tests. (The harness's ``kafka_topic`` creates topics with our admin client too.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from aiokafka_gen.admin import AIOKafkaAdminClient
from aiokafka_gen.testing import KafkaCluster


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client on the session broker."""
    async with AIOKafkaAdminClient(
        bootstrap_servers=kafka_bootstrap, request_timeout_ms=30000
    ) as client:
        yield client


@pytest.fixture(scope="session")
def acl_cluster() -> Iterator[KafkaCluster]:
    """One node with SASL_PLAINTEXT (PLAIN and SCRAM) and StandardAuthorizer ACLs."""
    cluster = KafkaCluster(security="sasl_plaintext", acls=True)
    with cluster:
        yield cluster
