"""SCRAM users and client quotas: describe and alter both.

All four APIs go to any broker (KRaft forwards the alterations to the controller).
Passwords are salted and hashed here (PBKDF2-HMAC, SCRAM's Hi function, RFC 5802) with a
fresh random salt; only the salted hash is sent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping

from aiokafka_gen.admin._base import AdminBase, result_error
from aiokafka_gen.admin.results import (
    ClientQuotaAlterResult,
    ClientQuotaEntry,
    ScramCredentialInfo,
    UserResult,
    UserScramCredentialsDescription,
    raise_for_errors,
)
from aiokafka_gen.admin.types import (
    ClientQuotaAlteration,
    ClientQuotaFilterComponent,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from aiokafka_gen.errors import KafkaError
from aiokafka_gen.messages import alter_client_quotas_request as alter_quotas
from aiokafka_gen.messages import alter_user_scram_credentials_request as alter_scram
from aiokafka_gen.messages.alter_client_quotas_response import EntryData as AlteredEntry
from aiokafka_gen.messages.describe_client_quotas_request import (
    ComponentData,
    DescribeClientQuotasRequest,
)
from aiokafka_gen.messages.describe_client_quotas_response import EntryData as DescribedEntry
from aiokafka_gen.messages.describe_user_scram_credentials_request import (
    DescribeUserScramCredentialsRequest,
    UserName,
)

_HASHES = {ScramMechanism.SCRAM_SHA_256: "sha256", ScramMechanism.SCRAM_SHA_512: "sha512"}
Alteration = UserScramCredentialUpsertion | UserScramCredentialDeletion


def salted_password(
    mechanism: ScramMechanism, password: str, salt: bytes, iterations: int
) -> bytes:
    """SCRAM's SaltedPassword: Hi(password, salt, iterations) for the mechanism's hash."""
    return hashlib.pbkdf2_hmac(_HASHES[mechanism], password.encode(), salt, iterations)


def _entity(raw: DescribedEntry | AlteredEntry) -> dict[str, str | None]:
    return {e.entity_type: e.entity_name for e in raw.entity}


def _mechanism(value: int) -> ScramMechanism:
    try:
        return ScramMechanism(value)
    except ValueError:
        return ScramMechanism.UNKNOWN


class QuotasMixin(AdminBase):
    """describe/alter_user_scram_credentials, describe/alter_client_quotas."""

    async def describe_user_scram_credentials(
        self, users: Iterable[str] | None = None, *, raise_on_error: bool = True
    ) -> dict[str, UserScramCredentialsDescription]:
        """The mechanisms and iteration counts of users' SCRAM credentials (None: every
        user that has one). A user without credentials fails with ResourceNotFoundError."""
        # An empty list also means every user; null would trip a broker bug (Kafka 4.4
        # answers an unauthorized null request with nothing: an NPE in its error path).
        names = [UserName(name=u) for u in users or ()]
        response = await self._send(DescribeUserScramCredentialsRequest(users=names))
        if error := result_error(response.error_code, response.error_message, "scram users"):
            raise error
        results = {
            r.user: UserScramCredentialsDescription(
                r.user,
                tuple(ScramCredentialInfo(_mechanism(c.mechanism), c.iterations)
                      for c in r.credential_infos),
                result_error(r.error_code, r.error_message, f"user {r.user!r}"),
            )
            for r in response.results
        }  # fmt: skip
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def alter_user_scram_credentials(
        self, alterations: Iterable[Alteration], *, raise_on_error: bool = True
    ) -> dict[str, UserResult]:
        """Create, replace (upsertion) or delete (deletion) SCRAM credentials, by user.

        The controller answers before the brokers have applied the change: a describe or a
        SCRAM login right after success may still see the old credentials for a moment."""
        deletions, upsertions = [], []
        for change in alterations:
            if isinstance(change, UserScramCredentialDeletion):
                deletions.append(
                    alter_scram.ScramCredentialDeletion(
                        name=change.user, mechanism=int(change.mechanism)
                    )
                )
                continue
            salt = change.salt or os.urandom(32)
            secret = salted_password(change.mechanism, change.password, salt, change.iterations)
            upsertions.append(alter_scram.ScramCredentialUpsertion(
                name=change.user, mechanism=int(change.mechanism), iterations=change.iterations,
                salt=salt, salted_password=secret,
            ))  # fmt: skip
        request = alter_scram.AlterUserScramCredentialsRequest(
            deletions=deletions, upsertions=upsertions
        )
        response = await self._send(request)
        results = {
            r.user: UserResult(
                r.user, result_error(r.error_code, r.error_message, f"user {r.user!r}")
            )
            for r in response.results
        }
        return dict(raise_for_errors(results)) if raise_on_error else results

    async def describe_client_quotas(
        self, components: Iterable[ClientQuotaFilterComponent] = (), *, strict: bool = False
    ) -> list[ClientQuotaEntry]:
        """Quotas of the entities matching every component (``strict``: entities with no
        other entity types than those named)."""
        data = [
            ComponentData(entity_type=c.entity_type, match_type=int(c.match_type), match=c.match)
            for c in components
        ]
        response = await self._send(DescribeClientQuotasRequest(components=data, strict=strict))
        if error := result_error(response.error_code, response.error_message, "client quotas"):
            raise error
        return [
            ClientQuotaEntry(_entity(e), {v.key: v.value for v in e.values})
            for e in response.entries or ()
        ]

    async def alter_client_quotas(
        self,
        alterations: Iterable[ClientQuotaAlteration],
        *,
        validate_only: bool = False,
        raise_on_error: bool = True,
    ) -> list[ClientQuotaAlterResult]:
        """Set (a value) or remove (None) quotas per entity; one result per alteration, in
        order. An unknown quota key fails with InvalidRequestError for that entity."""
        items = list(alterations)
        entries = [
            alter_quotas.EntryData(
                entity=[
                    alter_quotas.EntityData(entity_type=t, entity_name=n)
                    for t, n in a.entity.items()
                ],
                ops=[
                    alter_quotas.OpData(
                        key=k, value=0.0 if v is None else float(v), remove=v is None
                    )
                    for k, v in a.ops.items()
                ],
            )
            for a in items
        ]
        request = alter_quotas.AlterClientQuotasRequest(
            entries=entries, validate_only=validate_only
        )
        response = await self._send(request)
        answers = {_key(_entity(e)): e for e in response.entries}
        results = [_altered(a, answers.get(_key(a.entity))) for a in items]
        if raise_on_error:
            raise_for_errors(dict(enumerate(results)))
        return results


def _key(entity: Mapping[str, str | None]) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted(entity.items()))


def _altered(alteration: ClientQuotaAlteration, raw: AlteredEntry | None) -> ClientQuotaAlterResult:
    if raw is None:
        return ClientQuotaAlterResult(alteration.entity, KafkaError("no answer for this entity"))
    error = result_error(
        raw.error_code, raw.error_message, f"quota entity {dict(alteration.entity)}"
    )
    return ClientQuotaAlterResult(alteration.entity, error)
