"""Class names for Kafka error codes: aiokafka's names where aiokafka has the code.

Data only. Names are API facts kept for drop-in compatibility (aiokafka 0.14 errors
module); codes not listed get the CamelCase of Kafka's enum name plus ``Error``.
"""

from __future__ import annotations

# code -> aiokafka class name
AIOKAFKA_NAMES: dict[int, str] = {
    -1: "UnknownError",
    0: "NoError",
    1: "OffsetOutOfRangeError",
    2: "CorruptRecordException",
    3: "UnknownTopicOrPartitionError",
    4: "InvalidFetchRequestError",
    5: "LeaderNotAvailableError",
    6: "NotLeaderForPartitionError",
    7: "RequestTimedOutError",
    8: "BrokerNotAvailableError",
    9: "ReplicaNotAvailableError",
    10: "MessageSizeTooLargeError",
    11: "StaleControllerEpochError",
    12: "OffsetMetadataTooLargeError",
    13: "StaleLeaderEpochCodeError",
    14: "GroupLoadInProgressError",
    15: "GroupCoordinatorNotAvailableError",
    16: "NotCoordinatorForGroupError",
    17: "InvalidTopicError",
    18: "RecordListTooLargeError",
    19: "NotEnoughReplicasError",
    20: "NotEnoughReplicasAfterAppendError",
    21: "InvalidRequiredAcksError",
    22: "IllegalGenerationError",
    23: "InconsistentGroupProtocolError",
    24: "InvalidGroupIdError",
    25: "UnknownMemberIdError",
    26: "InvalidSessionTimeoutError",
    27: "RebalanceInProgressError",
    28: "InvalidCommitOffsetSizeError",
    29: "TopicAuthorizationFailedError",
    30: "GroupAuthorizationFailedError",
    31: "ClusterAuthorizationFailedError",
    32: "InvalidTimestampError",
    33: "UnsupportedSaslMechanismError",
    34: "IllegalSaslStateError",
    35: "UnsupportedVersionError",
    36: "TopicAlreadyExistsError",
    37: "InvalidPartitionsError",
    38: "InvalidReplicationFactorError",
    39: "InvalidReplicationAssignmentError",
    40: "InvalidConfigurationError",
    41: "NotControllerError",
    42: "InvalidRequestError",
    43: "UnsupportedForMessageFormatError",
    44: "PolicyViolationError",
    45: "OutOfOrderSequenceNumber",
    46: "DuplicateSequenceNumber",
    47: "InvalidProducerEpoch",
    48: "InvalidTxnState",
    49: "InvalidProducerIdMapping",
    50: "InvalidTransactionTimeout",
    51: "ConcurrentTransactions",
    52: "TransactionCoordinatorFenced",
    53: "TransactionalIdAuthorizationFailed",
    54: "SecurityDisabled",
    55: "OperationNotAttempted",
    56: "KafkaStorageError",
    57: "LogDirNotFound",
    58: "SaslAuthenticationFailed",
    59: "UnknownProducerId",
    60: "ReassignmentInProgress",
    61: "DelegationTokenAuthDisabled",
    62: "DelegationTokenNotFound",
    63: "DelegationTokenOwnerMismatch",
    64: "DelegationTokenRequestNotAllowed",
    65: "DelegationTokenAuthorizationFailed",
    66: "DelegationTokenExpired",
    67: "InvalidPrincipalType",
    68: "NonEmptyGroup",
    69: "GroupIdNotFound",
    70: "FetchSessionIdNotFound",
    71: "InvalidFetchSessionEpoch",
    72: "ListenerNotFound",
    79: "MemberIdRequired",
}

# Extra names aiokafka exports for the same classes.
ALIASES: dict[str, str] = {
    "InvalidMessageError": "CorruptRecordException",
    "CoordinatorLoadInProgressError": "GroupLoadInProgressError",
    "CoordinatorNotAvailableError": "GroupCoordinatorNotAvailableError",
    "NotCoordinatorError": "NotCoordinatorForGroupError",
    "UnknownServerError": "UnknownError",
}

# Codes the client raises too. aiokafka_gen.errors defines a class for each (a
# BrokerResponseError with that errno, raised client-side); the generated class subclasses
# it instead of BrokerResponseError, so one ``except`` catches the broker's and the
# client's error and the class has a single, consistent base chain.
CLIENT_BASES: dict[int, str] = {
    2: "CorruptRecordError",
    10: "MessageSizeTooLargeError",
}


def base_class(code: int) -> str:
    """The aiokafka_gen.errors class the generated class for ``code`` subclasses."""
    return CLIENT_BASES.get(code, "BrokerResponseError")


def class_name(code: int, kafka_name: str) -> str:
    if code in AIOKAFKA_NAMES:
        return AIOKAFKA_NAMES[code]
    camel = "".join(part.capitalize() for part in kafka_name.split("_"))
    return camel if camel.endswith("Error") else camel + "Error"
