"""Kafka record batches: build v2 batches, read v2 and legacy (magic 0/1) payloads.

Sans-I/O: bytes in, bytes or records out. ``BatchBuilder`` makes one producer batch
(CRC-32C, codecs, idempotent/transactional fields); ``BatchReader`` walks a fetched
payload batch by batch; ``AbortedTransactionFilter`` / ``visible_batches`` apply
read_committed and drop control batches. Codec libraries load lazily on first use.
"""

from aiokafka_gen.records._errors import (
    CrcMismatchError,
    DecompressionLimitError,
    RecordsCorruptError,
)
from aiokafka_gen.records._legacy import LegacyBatch
from aiokafka_gen.records._types import CREATE_TIME, LOG_APPEND_TIME, NO_TIMESTAMP_TYPE, Record
from aiokafka_gen.records._v2 import RecordBatch
from aiokafka_gen.records.builder import BATCH_HEADER_SIZE, BatchBuilder, Header, record_size
from aiokafka_gen.records.codecs import (
    CODEC_GZIP,
    CODEC_LZ4,
    CODEC_NONE,
    CODEC_SNAPPY,
    CODEC_ZSTD,
    DEFAULT_MAX_DECOMPRESSED,
)
from aiokafka_gen.records.control import (
    ABORT,
    COMMIT,
    AbortedTransactionFilter,
    ControlMarker,
    control_marker,
    control_markers,
    visible_batches,
)
from aiokafka_gen.records.reader import BatchReader, iter_records, read_batches

__all__ = [
    "ABORT",
    "BATCH_HEADER_SIZE",
    "CODEC_GZIP",
    "CODEC_LZ4",
    "CODEC_NONE",
    "CODEC_SNAPPY",
    "CODEC_ZSTD",
    "COMMIT",
    "CREATE_TIME",
    "DEFAULT_MAX_DECOMPRESSED",
    "LOG_APPEND_TIME",
    "NO_TIMESTAMP_TYPE",
    "AbortedTransactionFilter",
    "BatchBuilder",
    "BatchReader",
    "ControlMarker",
    "CrcMismatchError",
    "DecompressionLimitError",
    "Header",
    "LegacyBatch",
    "Record",
    "RecordBatch",
    "RecordsCorruptError",
    "control_marker",
    "control_markers",
    "iter_records",
    "read_batches",
    "record_size",
    "visible_batches",
]
