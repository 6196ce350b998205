"""Pydantic v2 models of Kafka's JSON message specs, exactly as the files spell them.

Models are frozen and forbid extra keys, so a key that a new Kafka release introduces
fails loudly instead of being ignored. This module only describes the input; naming,
typing and per-version decisions belong to codegen.model, cross-field rules to
codegen.validate.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic.alias_generators import to_camel

MAX_VERSION = 32767


class VersionRange(BaseModel):
    """An inclusive version range; ``none`` is the empty range (lo > hi)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lo: int
    hi: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_versions(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return {"lo": value, "hi": value}
        return value

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def __contains__(self, version: object) -> bool:
        return isinstance(version, int) and self.lo <= version <= self.hi

    def versions(self) -> range:
        return range(self.lo, self.hi + 1)

    def intersect(self, other: VersionRange) -> VersionRange:
        return VersionRange(lo=max(self.lo, other.lo), hi=min(self.hi, other.hi))

    def contains_range(self, other: VersionRange) -> bool:
        return other.empty or (self.lo <= other.lo and other.hi <= self.hi)

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.hi == MAX_VERSION:
            return f"{self.lo}+"
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


NONE = VersionRange(lo=1, hi=0)


def parse_versions(text: str) -> dict[str, int]:
    """Parse ``N``, ``A-B``, ``A+`` or ``none`` into lo/hi bounds."""
    text = text.strip()
    if text == "none":
        return {"lo": 1, "hi": 0}
    if text.endswith("+"):
        return {"lo": _version_number(text[:-1]), "hi": MAX_VERSION}
    lo, sep, hi = text.partition("-")
    low = _version_number(lo)
    high = _version_number(hi) if sep else low
    if high < low:
        raise ValueError(f"version range {text!r} is backwards")
    return {"lo": low, "hi": high}


def _version_number(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_VERSION:
        raise ValueError(f"bad version number {text!r}")
    return int(text)


class _Spec(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class FieldSpec(_Spec):
    """One entry of a ``fields`` list."""

    name: str
    type: str
    versions: VersionRange | None = None
    about: str = ""
    fields: tuple[FieldSpec, ...] | None = None
    default: str | int | float | bool | None = None
    entity_type: str | None = None
    nullable_versions: VersionRange | None = None
    ignorable: bool = False
    map_key: bool = False
    tag: int | None = None
    tagged_versions: VersionRange | None = None
    zero_copy: bool = False
    flexible_versions: VersionRange | None = None

    @field_validator("tag", mode="before")
    @classmethod
    def _tag_may_be_string(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return value

    @property
    def effective_versions(self) -> VersionRange:
        """``versions`` falls back to ``taggedVersions`` when absent."""
        return self.versions or self.tagged_versions or NONE


class StructSpec(_Spec):
    """One ``commonStructs`` entry."""

    name: str
    versions: VersionRange
    fields: tuple[FieldSpec, ...]


class MessageSpec(_Spec):
    """A whole spec file."""

    api_key: int | None = None
    type: Literal["request", "response", "header", "data", "metadata"]
    listeners: tuple[str, ...] | None = None
    name: str
    valid_versions: VersionRange
    deprecated_versions: VersionRange | None = None
    flexible_versions: VersionRange = NONE
    latest_version_unstable: bool = False
    fields: tuple[FieldSpec, ...] = ()
    common_structs: tuple[StructSpec, ...] = ()
