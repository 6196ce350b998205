"""Builds the SASL mechanism object for a connection from its config.

The OAUTHBEARER token comes from the user's async provider, so building is async. Must
not send anything: the connection carries the tokens.
"""

from __future__ import annotations

from aiokafka_gen.conn._config import ConnectionConfig
from aiokafka_gen.protocol.sasl import OAuthBearer, Plain, SaslMechanism, Scram

__all__ = ["make_mechanism"]


async def make_mechanism(config: ConnectionConfig, host: str) -> SaslMechanism:
    """A fresh mechanism for one (re-)authentication against ``host``."""
    name = config.sasl_mechanism
    if name == "PLAIN":
        return Plain(config.sasl_plain_username or "", config.sasl_plain_password or "")
    if name.startswith("SCRAM-"):
        return Scram(name, config.sasl_plain_username or "", config.sasl_plain_password or "")
    if name == "OAUTHBEARER":
        provider = config.sasl_oauth_token_provider
        assert provider is not None  # validate() guarantees it
        return OAuthBearer(await provider.token(), provider.extensions())
    from aiokafka_gen.protocol.sasl.gssapi import Gssapi

    return Gssapi(config.sasl_kerberos_service_name, config.sasl_kerberos_domain_name or host)
