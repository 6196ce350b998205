"""The (message, version, direction) pairs the vendored specs define, read straight from the
JSON files: an expectation computed without the generator, so P can be checked against it.
"""

from __future__ import annotations

from pathlib import Path

import json5

__all__ = ["SPEC_DIR", "expected_pairs"]

SPEC_DIR = Path(__file__).resolve().parents[2] / "kafka_messages_json"
MAX_VERSION = 32767


def expected_pairs(spec_dir: Path = SPEC_DIR) -> set[tuple[str, int, str]]:
    """{(spec name, version, request|response|header|data)} over every spec file."""
    pairs: set[tuple[str, int, str]] = set()
    for path in sorted(spec_dir.glob("*.json")):
        spec = json5.loads(path.read_text(encoding="utf-8"))
        for version in parse_versions(spec["validVersions"]):
            pairs.add((spec["name"], version, spec["type"]))
    return pairs


def parse_versions(text: str) -> range:
    """Kafka's version syntax: ``none``, ``N``, ``A-B`` (inclusive), ``A+``."""
    if text == "none":
        return range(0)
    if text.endswith("+"):
        return range(int(text[:-1]), MAX_VERSION + 1)
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)
