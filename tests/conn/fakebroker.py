"""A scripted fake Kafka broker for what a real broker cannot do (hostile bytes, stalls).

Each accepted connection runs ``script(peer)``; ``Peer`` reads framed requests and writes
framed responses or raw bytes. ``answer_api_versions`` serves the opening ApiVersions with
every range this client knows (or the ranges given).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka_gen.messages._index import APIS, request_class, request_header_version
from aiokafka_gen.messages.api_versions_response import ApiVersion, ApiVersionsResponse
from aiokafka_gen.messages.request_header import RequestHeader
from aiokafka_gen.messages.response_header import ResponseHeader

from aiokafka_gen.protocol._message import Message
from aiokafka_gen.protocol.negotiation import client_range


@dataclass
class Request:
    api_key: int
    api_version: int
    correlation_id: int
    body: Message


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def response_bytes(correlation_id: int, message: Message, version: int, header: int) -> bytes:
    head = ResponseHeader(correlation_id=correlation_id).encode(header)
    return frame(head + message.encode(version))


@dataclass
class Peer:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    requests: list[Request] = field(default_factory=list)

    async def read_request(self) -> Request:
        (size,) = struct.unpack(">i", await self.reader.readexactly(4))
        data = await self.reader.readexactly(size)
        api_key, api_version = struct.unpack_from(">hh", data, 0)
        hv = request_header_version(api_key, api_version)
        header, offset = RequestHeader.decode_from(data, hv, 0)
        body = request_class(api_key).decode_from(data, api_version, offset)[0]
        request = Request(api_key, api_version, header.correlation_id, body)
        self.requests.append(request)
        return request

    async def reply(self, request: Request, message: Message, *, version: int | None = None,
                    correlation_id: int | None = None) -> None:  # fmt: skip
        from aiokafka_gen.messages._index import response_header_version

        v = request.api_version if version is None else version
        cid = request.correlation_id if correlation_id is None else correlation_id
        hv = response_header_version(request.api_key, request.api_version)
        await self.write(response_bytes(cid, message, v, hv))

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


def all_ranges() -> dict[int, tuple[int, int]]:
    return {key: client_range(key) for key in APIS}


def api_versions_response(ranges: Mapping[int, tuple[int, int]] | None = None) -> Message:
    items = [ApiVersion(api_key=k, min_version=lo, max_version=hi)
             for k, (lo, hi) in sorted((ranges or all_ranges()).items())]  # fmt: skip
    return ApiVersionsResponse(error_code=0, api_keys=items)


async def answer_api_versions(
    peer: Peer, ranges: Mapping[int, tuple[int, int]] | None = None
) -> Request:
    request = await peer.read_request()
    assert request.api_key == 18
    await peer.reply(request, api_versions_response(ranges))
    return request


Script = Callable[[Peer], Awaitable[Any]]


class FakeBroker:
    """``async with FakeBroker(script) as broker:`` -> ``broker.port``; peers recorded."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.peers: list[Peer] = []
        self.errors: list[BaseException] = []
        self.closed_by_client = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(reader, writer)
        self.peers.append(peer)
        try:
            await self.script(peer)
        except asyncio.IncompleteReadError:
            self.closed_by_client += 1
        except (ConnectionError, asyncio.CancelledError):
            pass
        except BaseException as exc:  # reported by the test through broker.errors
            self.errors.append(exc)
        finally:
            writer.close()

    async def __aenter__(self) -> FakeBroker:
        self._server = await asyncio.start_server(self._track, "127.0.0.1", 0)
        return self

    def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


async def forever(peer: Peer) -> None:
    """Read and ignore requests until the client goes away."""
    while True:
        await peer.read_request()
