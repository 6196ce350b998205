"""Named sets of broker error codes that more than one part of the runtime acts on.

Every member comes from the generated ``ErrorCode``; where Kafka's own flags
(``RETRIABLE``, ``INVALID_METADATA``) say what is meant, code uses them directly. A set
here exists because no flag says it, and its comment says why it differs.
"""

from __future__ import annotations

from aiokafka_gen.messages.codes import INVALID_METADATA, RETRIABLE, ApiKey, ErrorCode

__all__ = [
    "COORDINATOR_MOVED",
    "EPOCH_MEMBER_LOST",
    "INVALID_METADATA",
    "RETRIABLE",
    "ApiKey",
    "ErrorCode",
]

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

# A KIP-848 consumer or KIP-932 share member the coordinator no longer knows at this epoch:
# it rejoins with epoch 0 (giving up what it holds). Not retriable as such, so no flag.
EPOCH_MEMBER_LOST: frozenset[ErrorCode] = frozenset(
    {ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_MEMBER_EPOCH}
)
