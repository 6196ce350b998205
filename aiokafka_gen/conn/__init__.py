"""Broker connections: one asyncio connection per broker and purpose, pipelined.

``BrokerConnection`` (``_connection``) moves bytes for the sans-IO framing in
``aiokafka_gen.protocol.framing``; ``ConnectionConfig`` holds the settings, ``Lifecycle``
the state table, ``ReconnectBackoff`` the KIP-601 delays. Must not pick brokers, retry or
refresh metadata: that is ``aiokafka_gen.client``'s job.
"""

from aiokafka_gen.conn._backoff import ReconnectBackoff
from aiokafka_gen.conn._config import SASL_MECHANISMS, SECURITY_PROTOCOLS, ConnectionConfig
from aiokafka_gen.conn._connection import BrokerConnection
from aiokafka_gen.conn._state import ConnectionEvent, ConnectionState, Lifecycle

__all__ = [
    "SASL_MECHANISMS",
    "SECURITY_PROTOCOLS",
    "BrokerConnection",
    "ConnectionConfig",
    "ConnectionEvent",
    "ConnectionState",
    "Lifecycle",
    "ReconnectBackoff",
]
