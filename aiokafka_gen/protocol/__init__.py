"""Runtime primitives for the generated Kafka messages (aiokafka_gen.messages).

Generated code imports only this package, the stdlib and aiokafka_gen.errors. Nothing here
does I/O or knows a particular API.

The message class API (stable; other layers build on it)
--------------------------------------------------------
Every spec becomes a ``Message`` subclass; nested structs become ``Struct`` subclasses in the
same module, named by their spec struct type (struct names are scoped per spec file, so each
spec file is its own module: ``aiokafka_gen.messages.metadata_response``).

- ``Cls(**fields)`` or ``Cls(*values)``: keywords, or positional arguments in ``FIELDS``
  order (the spec's field order; about 2x faster than keywords, but a later spec may insert
  a field in the middle); Kafka's defaults for omitted fields (ints 0, strings "", arrays
  a new empty list, structs a new default instance, ``"null"`` -> None).
  Instances use ``__slots__``; attributes are the snake_case field names and are mutable.
- ``obj.encode(version) -> bytes`` and ``obj.encode_into(parts, version)`` (appends pieces
  to a list, record data is not copied; join them once or hand them to a socket writer).
- ``Cls.decode(data, version)`` and ``Cls.decode_from(data, version, offset) -> (obj, end)``;
  ``data`` may be any buffer: bytes, or a memoryview spanning a whole bytes object, is
  decoded in place and ``records`` fields are memoryview slices of it (zero copy); any
  other buffer (bytearray, partial view) is copied once first. ``bytes`` fields decode to
  bytes.
- Errors: DecodeError for any malformed input (never IndexError/struct.error),
  EncodeError for unencodable values, FieldVersionError (an EncodeError) when a non-default,
  non-ignorable field is set for a version that lacks it, UnknownMessageVersionError for a
  version the spec does not have.
- ``==`` compares all fields and unknown tagged fields; ``repr`` shows the fields.
- Class attributes: API_KEY (None for headers/data), NAME, KIND (request, response,
  header, data), VALID_VERSIONS, MIN_VERSION, MAX_VERSION, FLEXIBLE_MIN (None if never
  flexible), UNSTABLE_LATEST, FIELDS (a tuple of FieldSchema: python name, Kafka JSON
  name, type, version spans, tag, default, ignorable, nested struct class).
- Unknown tagged fields read from the wire are kept (``obj.unknown_tagged_fields``) and
  written back in tag order.
- A request class is a ``Request[R]``: ``RESPONSE`` is its response class and ``R`` is what
  ``AIOKafkaClient.send`` returns for it (``ProduceRequest``: ``ProduceResponse | None``,
  None for acks=0). Fields a spec marks with an ``entityType`` are annotated with the
  aliases of ``aiokafka_gen.messages.entities`` (``TopicName``, ``BrokerId``, ...), which
  are plain ``str`` / ``int``.
"""

from aiokafka_gen.protocol._codec import ZERO_UUID, Buffer, UnknownTags, read_uvarint, uvarint
from aiokafka_gen.protocol._message import FieldSchema, Message, Request, Struct, VersionSpan

__all__ = [
    "ZERO_UUID",
    "Buffer",
    "FieldSchema",
    "Message",
    "Request",
    "Struct",
    "UnknownTags",
    "VersionSpan",
    "read_uvarint",
    "uvarint",
]
