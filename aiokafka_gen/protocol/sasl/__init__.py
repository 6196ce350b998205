"""Sans-IO SASL mechanisms for Kafka's SaslHandshake + SaslAuthenticate exchange.

A mechanism is a small state object: ``first_message()`` gives the client's first token,
``step(server_token)`` returns the next client token or None when the client has nothing
more to send; ``complete`` says whether the exchange succeeded from the client's side.
The connection carries tokens in SaslAuthenticate requests. Nothing here does I/O, and no
mechanism may put a secret in its repr, in a log line or in an exception message.
"""

from aiokafka_gen.protocol.sasl._base import SaslError, SaslMechanism
from aiokafka_gen.protocol.sasl.oauth import OAuthBearer
from aiokafka_gen.protocol.sasl.plain import Plain
from aiokafka_gen.protocol.sasl.scram import Scram

__all__ = ["OAuthBearer", "Plain", "SaslError", "SaslMechanism", "Scram"]
