"""Base classes of every generated struct and message, and the per-field schema record.

Generated classes only add slots, a constructor, FIELDS and per-version codec
tables; the version dispatch, error translation, equality and repr live here once.
This module must not know any particular message.
"""

from __future__ import annotations

import builtins
import struct
from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar

from aiokafka_gen.errors import (
    DecodeError,
    EncodeError,
    FieldVersionError,
    UnknownMessageVersionError,
)
from aiokafka_gen.protocol._codec import Buffer, UnknownTags

# Loosely typed: each generated codec takes or returns its own class (a Callable of Message would
# refuse them: parameters are contravariant); ``decode_from`` returns it as ``Self``
Encoder = Callable[[Any, list[Buffer]], None]
Decoder = Callable[[bytes, int], tuple[Any, int]]
VersionSpan = tuple[int, int] | None


class FieldSchema(NamedTuple):
    """What the spec says about one field, as data (for tests and JSON converters).

    ``type`` is Kafka's spelling (``int32``, ``[]string``, ``[]MetadataResponseTopic``);
    version spans are inclusive ``(lo, hi)`` pairs or None for "never"; ``struct`` is the
    element class for struct and struct-array fields. ``default`` is the Python default
    for scalars (None when the default is null); arrays default to a new empty list and
    structs to a new default instance unless ``default_is_null``.
    """

    name: str
    json_name: str
    type: str
    versions: VersionSpan
    nullable_versions: VersionSpan
    tagged_versions: VersionSpan
    tag: int | None
    default: object
    default_is_null: bool
    ignorable: bool
    struct: builtins.type[Struct] | None
    flexible_versions: VersionSpan | None = None

    def in_version(self, version: int) -> bool:
        """Does ``version`` have this field (as a regular or a tagged field)?"""
        return _has(self.versions, version) or _has(self.tagged_versions, version)

    def nullable_in(self, version: int) -> bool:
        return _has(self.nullable_versions, version)

    def tagged_in(self, version: int) -> bool:
        return _has(self.tagged_versions, version)

    def make_default(self) -> object:
        """A fresh default value (a new list or struct instance where needed)."""
        if self.default_is_null:
            return None
        if self.type.startswith("[]"):
            return []
        if self.struct is not None:
            return self.struct()
        return self.default


def as_bytes(data: Buffer) -> bytes:
    """``data`` as bytes: the object a whole-bytes memoryview exposes, else a copy."""
    if isinstance(data, memoryview):
        base = data.obj
        if type(base) is bytes and data.c_contiguous and data.nbytes == len(base):
            return base
    return bytes(data)


def _has(span: VersionSpan, version: int) -> bool:
    return span is not None and span[0] <= version <= span[1]


class Struct:
    """A Kafka struct: slots per field plus unknown tagged fields (kept for re-encoding)."""

    __slots__ = ("_unknown_tags",)
    FIELDS: ClassVar[tuple[FieldSchema, ...]] = ()
    _unknown_tags: UnknownTags | None

    def _values(self) -> tuple[object, ...]:
        return (*(getattr(self, f.name) for f in self.FIELDS), self._unknown_tags)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Struct)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.FIELDS)
        return f"{type(self).__name__}({inner})"

    @property
    def unknown_tagged_fields(self) -> UnknownTags | None:
        """Tagged fields this version did not know, as (tag, raw bytes), in wire order."""
        return self._unknown_tags


class Message(Struct):
    """A top-level spec (request, response, header or data) with per-version codecs."""

    __slots__ = ()
    API_KEY: ClassVar[int | None] = None
    NAME: ClassVar[str] = ""
    KIND: ClassVar[str] = ""
    VALID_VERSIONS: ClassVar[tuple[int, int]] = (0, -1)
    MIN_VERSION: ClassVar[int] = 0
    MAX_VERSION: ClassVar[int] = -1
    FLEXIBLE_MIN: ClassVar[int | None] = None
    UNSTABLE_LATEST: ClassVar[bool] = False
    _ENCODERS: ClassVar[dict[int, Encoder]] = {}
    _DECODERS: ClassVar[dict[int, Decoder]] = {}

    @classmethod
    def is_flexible(cls, version: int) -> bool:
        return cls.FLEXIBLE_MIN is not None and version >= cls.FLEXIBLE_MIN

    def encode(self, version: int) -> bytes:
        """The message body at ``version`` (no size prefix, no header)."""
        parts: list[Buffer] = []
        self.encode_into(parts, version)
        return b"".join(parts)

    def encode_into(self, parts: list[Buffer], version: int) -> None:
        """Append the encoded pieces to ``parts`` (record data is appended, not copied)."""
        encoder = self._ENCODERS.get(version)
        if encoder is None:
            raise UnknownMessageVersionError(f"{self.NAME} has no version {version}")
        try:
            encoder(self, parts)
        except struct.error as exc:
            raise EncodeError(f"{self.NAME} v{version}: value out of range: {exc}") from None
        except FieldVersionError as exc:
            raise FieldVersionError(exc.struct, exc.field, version) from None
        except EncodeError as exc:
            raise EncodeError(f"{self.NAME} v{version}: {exc}") from None

    @classmethod
    def decode(cls, data: Buffer, version: int) -> Self:
        """Decode a whole body; trailing bytes are ignored (as Kafka's Java client does)."""
        return cls.decode_from(data, version, 0)[0]

    @classmethod
    def decode_from(cls, data: Buffer, version: int, offset: int = 0) -> tuple[Self, int]:
        """Decode at ``offset``; return the message and the offset just after it.

        ``bytes``, or a memoryview spanning a whole ``bytes`` object, is decoded in place
        (``records`` fields are memoryview slices of it); any other buffer is copied once.
        """
        decoder = cls._DECODERS.get(version)
        if decoder is None:
            raise UnknownMessageVersionError(f"{cls.NAME} has no version {version}")
        buf = data if type(data) is bytes else as_bytes(data)
        try:
            obj, end = decoder(buf, offset)
        except (DecodeError, struct.error, IndexError, ValueError, OverflowError) as exc:
            if isinstance(exc, DecodeError):
                raise DecodeError(f"{cls.NAME} v{version}: {exc}") from None
            if isinstance(exc, UnicodeDecodeError):
                raise DecodeError(f"{cls.NAME} v{version}: invalid UTF-8: {exc.reason}") from None
            raise DecodeError(f"{cls.NAME} v{version}: {type(exc).__name__}: {exc}") from None
        return obj, end


R = TypeVar("R", covariant=True)


class Request(Message, Generic[R]):
    """A request message linked to its response type: ``R`` is what sending it returns.

    ``RESPONSE`` is the class its answer decodes to; ``R`` is that class, or that class or
    None where the request may get no answer (Produce with acks=0)."""

    __slots__ = ()
    RESPONSE: ClassVar[type[Message]]
