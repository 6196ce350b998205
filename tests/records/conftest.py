"""Shared helpers for record-batch tests: building batches through the Java reference."""

from __future__ import annotations

from typing import Any

from support.javaref import JavaRef, b64, unb64

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def java_build(java_ref: JavaRef, records: list[dict[str, Any]], **options: Any) -> bytes:
    """A batch built by Kafka's MemoryRecordsBuilder; records use raw bytes here."""
    wire = [
        {
            "timestamp": r["timestamp"],
            "key": b64(r.get("key")),
            "value": b64(r.get("value")),
            "headers": [[k, b64(v)] for k, v in r.get("headers", [])],
        }
        for r in records
    ]
    result = java_ref.request({"cmd": "build_records", "records": wire, **options})
    data = unb64(result["bytes"])
    assert data is not None
    return data


def java_read(java_ref: JavaRef, data: bytes) -> list[dict[str, Any]]:
    """Kafka's view of a payload: batch metadata and records (bytes decoded)."""
    batches: list[dict[str, Any]] = java_ref.request({"cmd": "read_records", "bytes": b64(data)})[
        "batches"
    ]
    for batch in batches:
        for rec in batch.get("records", []):
            rec["key"] = unb64(rec["key"])
            rec["value"] = unb64(rec["value"])
            rec["headers"] = [(k, unb64(v)) for k, v in rec["headers"]]
    return batches


def marker_batch(base_offset: int, producer_id: int, *, commit: bool, epoch: int = 0) -> bytes:
    """An end-transaction control batch built by hand (brokers write these, never clients)."""
    import struct

    import crc32c

    from aiokafka_gen.records import BatchBuilder

    builder = BatchBuilder(producer_id=producer_id, producer_epoch=epoch, transactional=True)
    builder.append(0, struct.pack(">hh", 0, 1 if commit else 0), struct.pack(">hi", 0, 5))
    data = bytearray(builder.close(base_offset))
    data[21:23] = struct.pack(">h", 0x30)  # transactional + control
    data[17:21] = struct.pack(">I", crc32c.crc32c(bytes(data[21:])))
    return bytes(data)
