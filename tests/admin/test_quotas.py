"""Integration: client quotas on the session broker (unique entity names per test)."""

from __future__ import annotations

import os

import pytest

from aiokafka_gen.admin import (
    AIOKafkaAdminClient,
    ClientQuotaAlteration,
    ClientQuotaFilterComponent,
)
from aiokafka_gen.admin.results import ClientQuotaEntry
from aiokafka_gen.errors import InvalidRequestError

from .support import settled

pytestmark = pytest.mark.integration


async def _quotas(admin: AIOKafkaAdminClient, user: str, expected: int) -> list[ClientQuotaEntry]:
    """Quota changes are metadata records: wait until the broker has applied them."""
    component = ClientQuotaFilterComponent.of_entity("user", user)
    return await settled(
        lambda: admin.describe_client_quotas([component]), lambda found: len(found) == expected
    )


async def test_alter_and_describe_client_quotas(admin: AIOKafkaAdminClient) -> None:
    user, client = f"quota-user-{os.urandom(4).hex()}", f"quota-client-{os.urandom(4).hex()}"
    set_user = ClientQuotaAlteration({"user": user}, {"producer_byte_rate": 1024.0})
    set_pair = ClientQuotaAlteration(
        {"user": user, "client-id": client}, {"consumer_byte_rate": 2048.0}
    )
    results = await admin.alter_client_quotas([set_user, set_pair])
    assert [r.error for r in results] == [None, None]
    found = await _quotas(admin, user, 2)
    values = {tuple(sorted(e.entity.items())): dict(e.values) for e in found}
    assert values == {
        (("user", user),): {"producer_byte_rate": 1024.0},
        (("client-id", client), ("user", user)): {"consumer_byte_rate": 2048.0},
    }
    strict = await admin.describe_client_quotas(
        [ClientQuotaFilterComponent.of_entity("user", user)], strict=True
    )
    assert [e.entity for e in strict] == [{"user": user}]
    by_type = await admin.describe_client_quotas(
        [ClientQuotaFilterComponent.of_entity_type("client-id")]
    )
    assert any(e.entity.get("client-id") == client for e in by_type)

    await admin.alter_client_quotas([
        ClientQuotaAlteration({"user": user}, {"producer_byte_rate": None}),
        ClientQuotaAlteration({"user": user, "client-id": client}, {"consumer_byte_rate": None}),
    ])  # fmt: skip
    assert await _quotas(admin, user, 0) == []


async def test_invalid_quota_fails_alone(admin: AIOKafkaAdminClient) -> None:
    good, bad = f"quota-good-{os.urandom(4).hex()}", f"quota-bad-{os.urandom(4).hex()}"
    results = await admin.alter_client_quotas(
        [
            ClientQuotaAlteration({"user": good}, {"request_percentage": 50.0}),
            ClientQuotaAlteration({"user": bad}, {"no_such_quota": 1.0}),
        ],
        validate_only=True,
        raise_on_error=False,
    )
    assert results[0].error is None
    assert isinstance(results[1].error, InvalidRequestError)
    assert (
        await admin.describe_client_quotas([ClientQuotaFilterComponent.of_entity("user", good)])
        == []
    )
    with pytest.raises(InvalidRequestError):
        await admin.alter_client_quotas(
            [ClientQuotaAlteration({"user": bad}, {"no_such_quota": 1.0})]
        )
