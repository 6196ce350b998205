"""The differential checks against Kafka's Java classes, shared by pytest and the runner.

For one (message, version) pair and N seeded random instances (see generate.py):

1. bytes:   our ``encode`` == Java's bytes for the same message given as Kafka JSON;
2. decode:  our ``decode`` of Java's bytes == the instance as the version keeps it;
3. java:    Java decodes our bytes completely, and its JSON converts back to that instance
            (records compared on the wire only: Java's JSON drops their content);
4. tags:    (flexible versions) the instance with random unknown tagged fields: our decode
            keeps them and re-encodes the same bytes; Java skips them when decoding and
            writes them back unchanged;
5. refusal: a non-ignorable field the version lacks, set to a non-default value: our
            encoder raises FieldVersionError and Java refuses too (the latter for scalar
            fields only: Java's JSON reader cannot even read such a struct).

This module builds the examples and asks Java; checks.py says what the answers must be.
The Java work for up to CHUNK examples goes in one ``batch`` request (one pipe round trip).
Every disagreement becomes one line of text in the pair's result; nothing here raises on a
mismatch.
"""

from __future__ import annotations

import dataclasses
import os
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiokafka_gen.messages import APIS, CLASS_MODULES, load_class
from aiokafka_gen.messages import request_header_version as our_request_header_version
from aiokafka_gen.messages import response_header_version as our_response_header_version
from support.javaref import JavaRef, b64
from support.kafka_json import to_kafka_json

from aiokafka_gen.protocol import Message
from conformance.checks import (
    Example,
    Refusal,
    absent_required,
    check_bytes,
    check_java_decode,
    check_refusal,
    check_tags,
    set_at,
    try_encode,
)
from conformance.generate import add_unknown_tags, normalized, random_message

__all__ = [
    "Conformance",
    "Pair",
    "PairResult",
    "Tally",
    "all_pairs",
    "examples_per_pair",
    "seed_from_env",
]

DEFAULT_SEED = "aiokafka_gen"
DEFAULT_EXAMPLES = 20
CHUNK = 100  # examples per JVM round trip: bounds the JSON held in memory on both sides


def examples_per_pair() -> int:
    """CONFORMANCE_EXAMPLES (default 20; the opt-in thorough profile uses thousands)."""
    count = int(os.environ.get("CONFORMANCE_EXAMPLES", DEFAULT_EXAMPLES))
    if count < 1:
        raise ValueError("CONFORMANCE_EXAMPLES must be at least 1")
    return count


def seed_from_env() -> str:
    """CONFORMANCE_SEED (default fixed, so runs repeat); ``random`` picks a fresh one."""
    seed = os.environ.get("CONFORMANCE_SEED", DEFAULT_SEED)
    return secrets.token_hex(8) if seed == "random" else seed


@dataclass(frozen=True)
class Pair:
    """One message class at one version (``direction`` is request/response/header/data)."""

    cls: type[Message]
    version: int

    @property
    def direction(self) -> str:
        return self.cls.KIND

    @property
    def id(self) -> str:
        return f"{self.cls.NAME}-v{self.version}"


@dataclass
class PairResult:
    pair: Pair
    examples: int = 0
    mismatches: list[str] = dataclasses.field(default_factory=list)


def all_pairs() -> list[Pair]:
    """Every (generated class, version) the vendored specs define, sorted by name."""
    classes = [load_class(name) for name in sorted(CLASS_MODULES)]
    return [Pair(c, v) for c in classes for v in range(c.MIN_VERSION, c.MAX_VERSION + 1)]


@dataclass
class Tally:
    """Running totals for the summary line: pairs checked, examples, mismatches."""

    pairs: int = 0
    examples: int = 0
    mismatches: int = 0

    def add(self, result: PairResult) -> None:
        self.pairs += 1
        self.examples += result.examples
        self.mismatches += len(result.mismatches)

    def line(self) -> str:
        return (
            f"conformance: {self.pairs} api-version pairs, {self.examples} examples,"
            f" {self.mismatches} mismatches"
        )


class Conformance:
    """Runs the checks against one KafkaRef JVM; ``java_class`` maps our names to Java's."""

    def __init__(self, java: JavaRef, seed: str = DEFAULT_SEED) -> None:
        self.java = java
        self.seed = seed
        listing = java.request({"cmd": "list_messages"})["messages"]
        self.java_messages: dict[str, dict[str, Any]] = {}
        for entry in listing:
            self.java_messages[entry["name"]] = entry
            self.java_messages[entry["class"]] = entry

    def java_class(self, name: str) -> str:
        return str(self.java_messages[name]["class"])

    # --- one pair -----------------------------------------------------------------------

    def check_pair(self, pair: Pair, examples: int) -> PairResult:
        result = PairResult(pair)
        refused: set[str] = set()
        for start in range(0, examples, CHUNK):
            indexes = range(start, min(examples, start + CHUNK))
            built = [self._example(pair, i, result) for i in indexes]
            refusals = self._refusals(pair, built, refused)
            answers = self._java_batch(pair, built, refusals)
            self._collect(pair, built, refusals, answers, result)
        return result

    def _collect(
        self,
        pair: Pair,
        built: list[Example],
        refusals: list[Refusal],
        answers: dict[tuple[int, str], Any],
        result: PairResult,
    ) -> None:
        for example in built:
            result.examples += 1
            for problem in self._compare(pair, example, answers):
                result.mismatches.append(f"{pair.id} example {example.index}: {problem}")
        for refusal in refusals:
            for problem in check_refusal(
                pair.cls, pair.version, refusal, answers.get((refusal.index, "refuse"))
            ):
                result.mismatches.append(f"{pair.id} refusal {refusal.where}: {problem}")

    def _refusals(self, pair: Pair, built: list[Example], seen: set[str]) -> list[Refusal]:
        """One refusal case per non-ignorable absent field path not ``seen`` before."""
        cases: list[Refusal] = []
        for ex in built:
            base = normalized(ex.obj, pair.version)
            for path, schema in absent_required(base, pair.version, pair.cls.NAME):
                if path not in seen:
                    seen.add(path)
                    index = -len(seen)
                    obj = normalized(ex.obj, pair.version)
                    set_at(obj, path, schema, self._rng(pair, index))
                    assert isinstance(obj, Message)
                    cases.append(Refusal(index, path, obj, schema.struct is None))
        return cases

    def _rng(self, pair: Pair, index: int) -> random.Random:
        return random.Random(f"{self.seed}:{pair.id}:{index}")

    def _example(self, pair: Pair, index: int, result: PairResult) -> Example:
        rng = self._rng(pair, index)
        obj = random_message(pair.cls, pair.version, rng)
        ours, problem = try_encode(obj, pair.version)
        if problem is not None:
            result.mismatches.append(f"{pair.id} example {index}: {problem}")
        if not pair.cls.is_flexible(pair.version):
            return Example(index, obj, ours, None, None)
        tagged = add_unknown_tags(normalized(obj, pair.version), pair.version, rng)
        assert isinstance(tagged, Message)
        return Example(index, obj, ours, tagged, tagged.encode(pair.version))

    def _java_batch(
        self, pair: Pair, built: list[Example], refusals: list[Refusal]
    ) -> dict[tuple[int, str], Any]:
        base = {"message": self.java_class(pair.cls.NAME), "version": pair.version}
        keyed: list[tuple[tuple[int, str], dict[str, Any]]] = []
        for case in refusals:
            if case.java:
                json = to_kafka_json(case.obj, pair.version)
                keyed.append(((case.index, "refuse"), {**base, "cmd": "encode", "json": json}))
        for ex in built:
            json = to_kafka_json(ex.obj, pair.version)
            keyed.append(((ex.index, "encode"), {**base, "cmd": "encode", "json": json}))
            if ex.ours is not None:
                keyed.append(
                    ((ex.index, "decode"), {**base, "cmd": "decode", "bytes": b64(ex.ours)})
                )
            if ex.tagged_bytes is not None:
                req = {**base, "cmd": "reencode", "bytes": b64(ex.tagged_bytes)}
                keyed.append(((ex.index, "reencode"), req))
        answer = self.java.request({"cmd": "batch", "requests": [req for _, req in keyed]})
        return {key: res for (key, _), res in zip(keyed, answer["results"], strict=True)}

    def _compare(
        self, pair: Pair, ex: Example, answers: dict[tuple[int, str], Any]
    ) -> Iterator[str]:
        expected = normalized(ex.obj, pair.version)
        yield from check_bytes(pair.cls, pair.version, ex, answers[(ex.index, "encode")], expected)
        if (ex.index, "decode") in answers:
            yield from check_java_decode(
                pair.cls, pair.version, answers[(ex.index, "decode")], expected
            )
        if ex.tagged is not None:
            yield from check_tags(pair.cls, pair.version, ex, answers[(ex.index, "reencode")])

    # --- the message listing ---------------------------------------------------------

    def check_index(self) -> list[str]:
        """Java's generated classes vs ours: same set, version ranges, api keys and kinds."""
        problems = []
        ours = {load_class(name) for name in CLASS_MODULES}
        java_classes = {entry["class"] for entry in self.java_messages.values()}
        for cls in sorted(ours, key=lambda c: c.NAME):
            entry = self.java_messages.get(cls.NAME)
            if entry is None:
                problems.append(f"{cls.NAME}: no Java class")
                continue
            java_classes.discard(entry["class"])
            mine = (cls.MIN_VERSION, cls.MAX_VERSION, cls.API_KEY, _kind(cls))
            theirs = (entry["lowest"], entry["highest"], entry.get("api_key"), entry.get("kind"))
            if mine != theirs:
                problems.append(f"{cls.NAME}: ours {mine} java {theirs}")
        problems.extend(f"{name}: Java has it, we do not" for name in sorted(java_classes))
        return problems

    # --- header versions ----------------------------------------------------------------

    def check_header_versions(self) -> list[str]:
        """Ours vs ``ApiMessageType.request/responseHeaderVersion`` for every (key, version)."""
        keys = [(k, v) for k, info in sorted(APIS.items()) for v in _versions(info)]
        reqs = [{"cmd": "header_versions", "api_key": k, "version": v} for k, v in keys]
        answers = self.java.request({"cmd": "batch", "requests": reqs})["results"]
        problems = []
        for (key, version), answer in zip(keys, answers, strict=True):
            ours = (
                our_request_header_version(key, version),
                our_response_header_version(key, version),
            )
            java = (answer["ok"]["request"], answer["ok"]["response"]) if "ok" in answer else answer
            if ours != java:
                problems.append(f"api {key} v{version}: header versions ours {ours} java {java}")
        return problems


def _kind(cls: type[Message]) -> str | None:
    return cls.KIND if cls.KIND in ("request", "response") else None


def _versions(info: Any) -> range:
    return range(info.min_version, info.max_version + 1)
