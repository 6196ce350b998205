"""Which transaction protocol a transaction uses: classic (KIP-98) or version 2 (KIP-890).

A cluster offers transaction version 2 when its finalized feature ``transaction.version``
is at least 2 (ApiVersions v3+, ``finalized_features``; valid when the features epoch is
non-negative) and the coordinator speaks EndTxn v5 and Produce v12. Under version 2:
Produce v12+ adds a partition to the transaction implicitly (no AddPartitionsToTxn),
TxnOffsetCommit v5 adds the offsets partition implicitly (no AddOffsetsToTxn), and EndTxn
v5 bumps the epoch on every commit or abort and returns the new producer id and epoch.
The classic protocol keeps Produce <= v11, EndTxn <= v4 and TxnOffsetCommit <= v4 (a
higher version inside a transaction means version 2 to the broker).
The choice is made per transaction, at ``begin``, from features read at most
``FEATURES_MAX_AGE`` seconds earlier. Pure data and one read helper; no state machine.
"""

from __future__ import annotations

import dataclasses

from aiokafka_gen.client import AIOKafkaClient, ConnectionGroup
from aiokafka_gen.messages.api_versions_response import ApiVersionsResponse
from aiokafka_gen.protocol.negotiation import api_versions_request

__all__ = ["CLASSIC", "FEATURES_MAX_AGE", "V2", "TxnProtocol", "read_transaction_version"]

FEATURES_MAX_AGE = 60.0
_API_VERSIONS, _PRODUCE, _END_TXN = 18, 0, 26
_FEATURE = "transaction.version"


@dataclasses.dataclass(frozen=True)
class TxnProtocol:
    """Highest versions a transaction may use (None: the negotiated one)."""

    version: int
    produce: int | None
    end_txn: int
    txn_offset_commit: int
    explicit_partitions: bool  # AddPartitionsToTxn / AddOffsetsToTxn before use


CLASSIC = TxnProtocol(1, produce=11, end_txn=4, txn_offset_commit=4, explicit_partitions=True)
# TxnOffsetCommit v6 identifies topics by id only (KIP-1319); names keep it at v5.
V2 = TxnProtocol(2, produce=None, end_txn=5, txn_offset_commit=5, explicit_partitions=False)


def finalized_level(response: ApiVersionsResponse, feature: str = _FEATURE) -> int:
    """The finalized max level of ``feature`` in an ApiVersions response (0 if absent)."""
    if response.finalized_features_epoch < 0:
        return 0
    for item in response.finalized_features:
        if item.name == feature:
            return item.max_version_level
    return 0


async def read_transaction_version(client: AIOKafkaClient, node: int) -> TxnProtocol:
    """Ask ``node`` (the transaction coordinator) for the finalized transaction version."""
    group = ConnectionGroup.COORDINATION
    await client.ready(node, group=group)
    version = client.api_version_for(node, _API_VERSIONS) or 0
    if version < 3:  # no features before ApiVersions v3
        return CLASSIC
    response = await client.send(node, api_versions_request(version), group=group)
    produce = client.api_version_for(node, _PRODUCE) or 0
    end_txn = client.api_version_for(node, _END_TXN) or 0
    if finalized_level(response) >= 2 and produce >= 12 and end_txn >= 5:
        return V2
    return CLASSIC
