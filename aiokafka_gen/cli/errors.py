"""How the command line reports failures: one line naming the typed error and what to do.

``UsageError`` is a mistake in the command line (exit code 2); any other failure is
reported by :func:`describe` (exit code 1). Neither ever shows a config value.
"""

from __future__ import annotations

import re
import ssl

__all__ = ["EXIT_ERROR", "EXIT_USAGE", "NoCommittedOffset", "UsageError", "describe", "short"]

EXIT_ERROR = 1
EXIT_USAGE = 2

# error class name -> what the user can do about it
_HINTS: dict[str, str] = {
    "KafkaConnectionError": "check -b/--bootstrap and that security.protocol matches the listener",
    "NodeNotReadyError": "check -b/--bootstrap and that the broker is up",
    "KafkaTimeoutError": "the broker did not answer in time: check it is up, or raise --timeout",
    "UnknownTopicOrPartitionError": "list topics with `aiokafka-gen topics list`",
    "TopicAlreadyExistsError": "pick another name, or delete the topic first",
    "TopicAuthorizationFailedError": "the principal lacks an ACL on this topic (see `acls list`)",
    "GroupAuthorizationFailedError": "the principal lacks an ACL on this group (see `acls list`)",
    "ClusterAuthorizationFailedError": "the principal lacks a CLUSTER ACL (see `acls list`)",
    "SaslAuthenticationFailed": "check sasl.username/sasl.password and sasl.mechanism",
    "AuthenticationFailedError": "check the SASL/TLS settings in --config or -X",
    "UnsupportedSaslMechanismError": "set sasl.mechanism to one the listener enables",
    "NonEmptyGroup": "stop the group's consumers first",
    "GroupIdNotFound": "list groups with `aiokafka-gen groups list`",
    "InvalidReplicationFactorError": "use a replication factor <= the number of brokers",
    "IncompatibleBrokerVersion": "the broker is too old for this command",
    "SecurityDisabled": "the broker has no authorizer configured",
}


class UsageError(Exception):
    """The command line itself is wrong (exit code 2)."""


class NoCommittedOffset(Exception):
    """``groups reset-offsets --shift-by`` on a partition the group never committed."""


def short(exc: BaseException) -> str:
    """``Name: message`` on one line (the class name once, even when the message starts
    with it as KafkaError's do)."""
    name = type(exc).__name__
    text = _message(exc)
    return " ".join((f"{name}: {text}" if text else name).split())


def describe(exc: BaseException) -> str:
    """``Name: message (what to do)`` on one line."""
    line = short(exc)
    hint = None if "hint:" in line else _hint(exc)
    return f"{line} ({hint})" if hint else line


def _message(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    # KafkaError.__str__ starts with the class name, BrokerResponseError's follows [Error N]
    return re.sub(rf"^(\[Error -?\d+\] )?{re.escape(type(exc).__name__)}: ", r"\1", str(exc))


def _hint(exc: BaseException) -> str | None:
    for cls in type(exc).__mro__:
        if cls.__name__ in _HINTS:
            return _HINTS[cls.__name__]
    if isinstance(exc, ssl.SSLError):
        return "check ssl.ca.location and the broker's certificate"
    return None
