"""Error helpers shared by the admin modules: broker codes to typed errors, retry policy."""

from __future__ import annotations

from aiokafka_gen._codes import ErrorCode
from aiokafka_gen.errors import KafkaError, for_code

# Retriable in Kafka's table, but repeating the request would not change the answer (unknown
# topic or id, election not needed) or could mislead (a timed-out creation may still finish).
# Retriable for Kafka, but an admin call that met them once gains nothing by asking the
# same node again: a missing topic (by name or id), a timed-out request, an election
# that is not needed.
_NOT_RETRIED = frozenset(
    {
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.REQUEST_TIMED_OUT,
        ErrorCode.ELECTION_NOT_NEEDED,
        ErrorCode.UNKNOWN_TOPIC_ID,
    }
)


def result_error(code: int, message: str | None, what: str) -> KafkaError | None:
    """The typed error for ``code`` naming ``what`` (None for 0)."""
    if not code:
        return None
    text = f"{what}: {message}" if message else what
    return for_code(code)(text)


def should_retry(error: KafkaError | None) -> bool:
    """Is ``error`` worth another attempt (retriable and not in ``_NOT_RETRIED``)?"""
    if error is None or not error.retriable:
        return False
    return getattr(error, "errno", None) not in _NOT_RETRIED
