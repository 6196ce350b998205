"""Named sets of broker error codes that more than one part of the runtime acts on.

Every member comes from the generated ``ErrorCode``; where Kafka's own flags
(``RETRIABLE``, ``INVALID_METADATA``) say what is meant, code uses them directly. A set
here exists because no flag says it, and its comment says why it differs.
"""

from __future__ import annotations

from aiokafka_gen.messages.codes import INVALID_METADATA, RETRIABLE, ApiKey, ErrorCode

__all__ = ["COORDINATOR_MOVED", "INVALID_METADATA", "RETRIABLE", "ApiKey", "ErrorCode"]

# The group or transaction coordinator is elsewhere or not ready: look it up again and
# retry. The flags do not group these: all three are retriable, but so are many codes a
# new coordinator lookup would not help.
COORDINATOR_MOVED: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        ErrorCode.NOT_COORDINATOR,
    }
)
