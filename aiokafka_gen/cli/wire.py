"""``decode`` / ``encode``: raw Kafka protocol frames <-> JSON with the generated classes.

A request frame names its API and version in its header, so ``decode`` needs nothing
else; a response frame carries only a correlation id: give ``--api`` and ``--version``
(and ``--response``). The int32 size prefix is optional (found when it matches the data);
with ``--body`` the input is a body without a header. Input is hex (spaces, colons and
``0x`` are ignored: paste from Wireshark), base64 or raw bytes, as an argument, a
``--file`` or stdin. Several frames back to back (a captured stream) decode to a JSON list;
responses in such a stream find their API and version in ``--requests-from FILE`` (the
other direction of the capture), by correlation id. ``encode`` reads the JSON ``decode``
writes and prints the frame (hex by default); ``decode | encode`` gives back the same
bytes. Works offline.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import struct
import sys
from typing import TYPE_CHECKING, Any

from aiokafka_gen.cli.errors import UsageError
from aiokafka_gen.cli.jsonconv import from_json, to_json
from aiokafka_gen.cli.output import plain

if TYPE_CHECKING:  # the messages are imported when a command runs (--help stays fast)
    from aiokafka_gen.cli.settings import Settings
    from aiokafka_gen.messages import ApiInfo
    from aiokafka_gen.messages.request_header import RequestHeader
    from aiokafka_gen.messages.response_header import ResponseHeader

__all__ = ["decode_frame", "encode_document", "register"]

_HEXISH = re.compile(rb"^(?:0x)?[0-9a-fA-F\s:]+$")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    de = subparsers.add_parser(
        "decode",
        parents=[common],
        description=plain(__doc__),
        formatter_class=fmt,
        help="a raw request/response frame -> JSON",
    )
    de.add_argument("data", nargs="?", help="hex or base64 (default: --file or stdin)")
    de.add_argument("--file", help="read the input from a file")
    de.add_argument("--input", choices=("auto", "hex", "base64", "raw"), default="auto")
    _message_options(de)
    de.add_argument("--no-records", action="store_true", help="do not decode record batches")
    de.add_argument(
        "--show-secrets",
        action="store_true",
        help="show SASL auth bytes (a PLAIN password) and delegation token HMACs",
    )
    de.add_argument(
        "--requests-from",
        metavar="FILE",
        help="with --response: the captured request stream (for API and version)",
    )
    de.set_defaults(run=run_decode, offline=True)
    en = subparsers.add_parser(
        "encode",
        parents=[common],
        description=plain(__doc__),
        formatter_class=fmt,
        help="JSON (as decode writes it) -> a frame",
    )
    en.add_argument("document", nargs="?", help="the JSON (default: --file or stdin)")
    en.add_argument("--file", help="read the JSON from a file")
    en.add_argument("--output", choices=("hex", "base64", "raw"), default="hex")
    _message_options(en)
    en.set_defaults(run=run_encode, offline=True)  # fmt: skip


def _message_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--api", help="API name or key (needed for responses and --body)")
    p.add_argument("--version", dest="api_version", type=int, help="the API version")
    p.add_argument("--response", action="store_true", help="a response (default: a request)")
    p.add_argument("--body", action="store_true", help="no size prefix and no header")


def api_key_of(text: str) -> int:
    """An API key from its number or name (``Metadata``, ``metadata``, ``3``)."""
    from aiokafka_gen.messages import APIS

    if text.isdigit() and int(text) in APIS:
        return int(text)
    wanted = text.replace("-", "").replace("_", "").lower()
    for key, info in APIS.items():
        if info.name.lower() == wanted:
            return key
    raise UsageError(f"unknown API {text!r} (see `python -m aiokafka_gen.messages`)")


def read_input(data: str | None, path: str | None, how: str) -> bytes:
    """The bytes to decode, from the argument, the file or stdin."""
    if data is not None:
        raw = data.encode()
    elif path is not None:
        with open(path, "rb") as stream:
            raw = stream.read()
    else:
        raw = sys.stdin.buffer.read()
    if how == "auto":
        how = "hex" if _HEXISH.match(raw.strip() or b"-") else "raw"
        if how == "raw" and (data is not None or _is_base64(raw)):
            how = "base64"
    try:
        if how == "hex":
            return bytes.fromhex(re.sub(rb"0x|[\s:]", b"", raw).decode())
        if how == "base64":
            return base64.b64decode(b"".join(raw.split()), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise UsageError(f"the input is not {how}: {exc}") from None
    return raw


def _is_base64(raw: bytes) -> bool:
    return re.fullmatch(rb"[A-Za-z0-9+/=\s]+", raw) is not None


def _strip_size(data: bytes) -> bytes:
    if len(data) >= 4 and struct.unpack_from(">i", data)[0] == len(data) - 4:
        return data[4:]
    return data


def _version_of(args: argparse.Namespace, key: int) -> int:
    if args.api_version is None:
        raise UsageError("give --version with --response or --body")
    return int(args.api_version)


def split_frames(data: bytes) -> list[bytes]:
    """Size-prefixed frames back to back (a captured stream); else the data as it is."""
    frames, pos = [], 0
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">i", data, pos)
        if size < 0 or pos + 4 + size > len(data):
            return [data]
        frames.append(data[pos : pos + 4 + size])
        pos += 4 + size
    return frames if pos == len(data) and frames else [data]


def _response_api(
    frame: bytes, args: argparse.Namespace, sent: dict[int, tuple[int, int]] | None
) -> tuple[int, int]:
    if sent is not None and len(frame) >= 4:
        (correlation_id,) = struct.unpack_from(">i", frame)
        if correlation_id in sent:
            return sent[correlation_id]
    if args.api is None:
        raise UsageError("give --api and --version (or --requests-from) with --response or --body")
    key = api_key_of(args.api)
    return key, _version_of(args, key)


def decode_frame(
    data: bytes, args: argparse.Namespace, sent: dict[int, tuple[int, int]] | None = None
) -> dict[str, object]:
    """One frame (or body) -> the JSON document ``encode`` reads back. ``sent`` maps the
    correlation ids of requests to their (api key, version), for responses."""
    from aiokafka_gen.messages import api_info, request_class, response_class

    records = not getattr(args, "no_records", False)
    frame = data if args.body else _strip_size(data)
    if args.response or args.body:
        key, version = _response_api(frame, args, None if args.body else sent)
        header, offset = _decode_header(frame, key, version, args.response, args.body)
    else:
        key, version = struct.unpack_from(">hh", frame) if len(frame) >= 4 else (-1, -1)
        if key not in _apis():
            raise UsageError(f"not a request frame: API key {key} (a response? give --api)")
        header, offset = _decode_header(frame, key, version, False, False)
    cls = response_class(key) if args.response else request_class(key)
    body, end = cls.decode_from(frame, version, offset)
    doc: dict[str, object] = {
        "kind": "response" if args.response else "request",
        "api": api_info(key).name,
        "api_key": key,
        "version": version,
    }
    if header is not None:
        doc["header"] = header
    doc["body"] = to_json(body, version, decode_records=records)
    if end != len(frame):
        doc["trailing_bytes"] = len(frame) - end
    return doc  # fmt: skip


def _apis() -> dict[int, ApiInfo]:
    from aiokafka_gen.messages import APIS

    return APIS


def _header_class(response: bool) -> type[RequestHeader] | type[ResponseHeader]:
    if response:
        from aiokafka_gen.messages.response_header import ResponseHeader

        return ResponseHeader
    from aiokafka_gen.messages.request_header import RequestHeader

    return RequestHeader


def _header_version(key: int, version: int, response: bool) -> int:
    from aiokafka_gen.messages import request_header_version, response_header_version

    return (response_header_version if response else request_header_version)(key, version)


def _decode_header(
    frame: bytes, key: int, version: int, response: bool, body_only: bool
) -> tuple[dict[str, object] | None, int]:
    if body_only:
        return None, 0
    hv = _header_version(key, version, response)
    header, offset = _header_class(response).decode_from(frame, hv, 0)
    return to_json(header, hv), offset


def encode_document(doc: dict[str, Any], body_only: bool = False) -> bytes:
    """The JSON ``decode`` writes -> the frame (with its size prefix) or just the body.

    ``doc`` is parsed JSON, dynamically typed: its values go as they are to int(), dict()
    and the converters, whose own errors report a wrong type."""
    from aiokafka_gen.messages import request_class, response_class

    try:
        key = int(doc["api_key"]) if "api_key" in doc else api_key_of(str(doc["api"]))
        version = int(doc["version"])
        response = doc.get("kind", "request") == "response"
        cls = response_class(key) if response else request_class(key)
        body: bytes = from_json(cls, doc["body"], version).encode(version)
    except KeyError as exc:
        raise UsageError(f"the JSON lacks {exc}") from None
    if body_only or "header" not in doc:
        return body
    hv = _header_version(key, version, response)
    header_doc = dict(doc["header"])
    if not response:
        header_doc.setdefault("requestApiKey", key)
        header_doc.setdefault("requestApiVersion", version)
    header: bytes = from_json(_header_class(response), header_doc, hv).encode(hv)
    frame = header + body
    return struct.pack(">i", len(frame)) + frame


def _requests_sent(path: str | None, how: str) -> dict[int, tuple[int, int]] | None:
    """correlation id -> (api key, version) of every request frame in a capture file."""
    if path is None:
        return None
    sent = {}
    for frame in split_frames(read_input(None, path, how)):
        if len(frame) >= 12:
            key, version, correlation_id = struct.unpack_from(">hhi", frame, 4)
            sent[correlation_id] = (key, version)
    return sent


async def run_decode(args: argparse.Namespace, settings: Settings | None) -> int:
    data = read_input(args.data, args.file, args.input)
    sent = _requests_sent(args.requests_from, args.input)
    frames = [data] if args.body else split_frames(data)
    docs: list[object] = [decode_frame(frame, args, sent) for frame in frames]
    if not args.show_secrets:
        docs = [_masked(doc) for doc in docs]
    out = docs[0] if len(docs) == 1 else docs
    sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0


_SECRET_FIELDS = frozenset({"authBytes", "hmac"})  # SaslAuthenticate, delegation tokens
MASKED = "(secret: decode --show-secrets shows it)"


def _masked(node: object) -> object:
    """The document with the secret fields' values replaced by :data:`MASKED`."""
    if isinstance(node, dict):
        return {
            k: MASKED if k in _SECRET_FIELDS and v is not None else _masked(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_masked(v) for v in node]
    return node


def _read_document(args: argparse.Namespace) -> dict[str, Any] | list[dict[str, Any]]:
    """The JSON to encode: one document, or a list of them (a stream)."""
    if args.document is not None:
        text = args.document
    elif args.file is not None:
        with open(args.file, encoding="utf-8") as stream:
            text = stream.read()
    else:
        text = sys.stdin.read()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"not JSON: {exc}") from None
    if isinstance(doc, list) and all(isinstance(d, dict) for d in doc):
        return doc
    if not isinstance(doc, dict):
        raise UsageError("expected a JSON object (or a list of them)")
    for name, value in (("api", args.api), ("version", args.api_version)):
        if value is not None:
            doc[name] = value
    if args.api is not None:
        doc.pop("api_key", None)
    if args.response:
        doc["kind"] = "response"
    return doc


async def run_encode(args: argparse.Namespace, settings: Settings | None) -> int:
    doc = _read_document(args)
    if isinstance(doc, list):  # what decode writes for a stream: frames back to back
        data = b"".join(encode_document(d, body_only=args.body) for d in doc)
        _write(data, args.output)
        return 0
    if "body" not in doc:
        doc = {"kind": doc.pop("kind", "request"), "api": doc.pop("api", None),
               "version": doc.pop("version", None), "body": doc}  # fmt: skip
    _write(encode_document(doc, body_only=args.body), args.output)
    return 0


def _write(data: bytes, how: str) -> None:
    if how == "raw":
        sys.stdout.buffer.write(data)
    elif how == "base64":
        print(base64.b64encode(data).decode("ascii"))
    else:
        print(data.hex())
