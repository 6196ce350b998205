"""An in-process asyncio TCP proxy in front of Kafka brokers, controlled by the test.

Theory of operation: ``KafkaProxy`` listens on 127.0.0.1 and pipes every accepted
connection to one upstream broker, one Kafka frame at a time in each direction (size
prefix + payload). Because it sees frames it can fault at protocol points: reset a
connection in the middle of a request, or after the broker took a request but before the
client sees the answer. ``ProxyCluster`` puts one proxy in front of each broker and
rewrites every broker address in responses (Metadata, FindCoordinator, DescribeCluster,
KIP-951 node endpoints of Produce/Fetch...) to the matching proxy, so a client bootstrapped
through the proxies never talks to a broker directly.

Faults (per proxy): ``reset_connections()`` (RST every open connection now),
``arm(Trigger(...))`` (reset on chosen requests), ``set_mode(UNREACHABLE_*)`` (black hole:
accept and swallow everything; refuse: reset every connection at once), ``stall(direction)``
(stop forwarding on the open connections, in one or both directions) and ``restore()``.

Must not be put in front of TLS or SASL listeners (their bytes are not plain Kafka frames).
Not thread-safe: one event loop owns a proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, cast

from aiokafka_gen.messages import APIS, response_class, response_header_version
from aiokafka_gen.messages.codes import ApiKey
from aiokafka_gen.messages.response_header import ResponseHeader

if TYPE_CHECKING:
    from aiokafka_gen.protocol._message import Struct

__all__ = ["C2S", "S2C", "Direction", "KafkaProxy", "Mode", "ProxyCluster", "Trigger", "When"]

_SIZE = struct.Struct(">i")
_REQUEST_HEAD = struct.Struct(">hhi")  # api_key, api_version, correlation_id
_MAX_FRAME = 256 * 1024 * 1024
_MAX_PENDING = 4096  # correlation ids remembered per connection (acks=0 never answers)
_UNKNOWN = (-1, -1)


class Direction(enum.Flag):
    """Which way bytes flow: client to server, server to client."""

    C2S = enum.auto()
    S2C = enum.auto()
    BOTH = C2S | S2C


C2S = Direction.C2S
S2C = Direction.S2C


class Mode(enum.Enum):
    """What a proxy does with connections."""

    PASS = "pass"  # forward everything
    BLACKHOLE = "blackhole"  # accept, forward nothing, answer nothing (dropped packets)
    REFUSE = "refuse"  # reset every connection at once (a closed port)


class When(enum.Enum):
    """Where a triggered reset lands in a request's life."""

    BEFORE = "before"  # nothing of the request reaches the broker
    MIDDLE = "middle"  # the broker gets half a frame
    AFTER = "after"  # the broker handles it; its response is dropped with the connection


@dataclass
class Trigger:
    """Reset the connection on requests of ``api_key`` (None: any request after the
    ApiVersions handshake): every ``every``-th one, at most ``count`` times."""

    api_key: int | None
    when: When = When.AFTER
    count: int = 1
    every: int = 1
    seen: int = 0
    fired: int = 0

    def matches(self, api_key: int) -> bool:
        """Count a request; True when this one must be reset."""
        if self.fired >= self.count or api_key == ApiKey.API_VERSIONS:
            return False
        if self.api_key is not None and api_key != self.api_key:
            return False
        self.seen += 1
        if self.seen % self.every:
            return False
        self.fired += 1
        return True


@dataclass
class ProxyStats:
    """What went through a proxy: connections, resets, frames per api key."""

    accepted: int = 0
    resets: int = 0
    requests: Counter[int] = field(default_factory=Counter)
    responses: Counter[int] = field(default_factory=Counter)
    rewritten: int = 0
    swallowed: int = 0


class _Link:
    """One proxied connection: the client side, the upstream side, two pump tasks."""

    def __init__(self, proxy: KafkaProxy, client: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.flow = {C2S: asyncio.Event(), S2C: asyncio.Event()}
        for event in self.flow.values():
            event.set()
        self.pending: dict[int, tuple[int, int]] = {}
        self.doomed: set[int] = set()
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = False
        self.swallowing = False

    def stall(self, direction: Direction) -> None:
        for side, event in self.flow.items():
            if side in direction:
                event.clear()

    def resume(self) -> None:
        for event in self.flow.values():
            event.set()

    def reset(self) -> None:
        """Abort both sides with an RST (SO_LINGER 0); the pumps end on their own."""
        if self.closed:
            return
        self.closed = True
        self.proxy.stats.resets += 1
        for writer in (self.client, self.upstream):
            if writer is not None:
                _abort(writer)
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.close()
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()


def _abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    (size,) = _SIZE.unpack(head)
    if size < 0 or size > _MAX_FRAME:
        raise ConnectionError(f"frame size {size} out of range")
    return head + await reader.readexactly(size)


class KafkaProxy:
    """A frame-aware TCP proxy to one upstream ``host:port``; ``address`` is where to connect.

    ``rewrite`` maps upstream (host, port) to proxy (host, port) in responses; a
    ``ProxyCluster`` fills it for all its proxies."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        node_id: int | None = None,
        rewrite: dict[tuple[str, int], tuple[str, int]] | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.node_id = node_id
        self.rewrite = rewrite if rewrite is not None else {}
        self.mode = Mode.PASS
        self.stats = ProxyStats()
        self.triggers: list[Trigger] = []
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> KafkaProxy:
        """Listen on an ephemeral port of 127.0.0.1."""
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        """Stop listening and close every connection (idempotent)."""
        server, self._server = self._server, None
        links = list(self._links)
        for link in links:
            link.close()
        tasks = [task for link in links for task in link.tasks]
        await asyncio.gather(*tasks, return_exceptions=True)
        for link in links:  # a side that stopped reading cannot flush: drop what is left
            for writer in (link.client, link.upstream):
                if writer is not None:
                    writer.transport.abort()
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5.0)

    async def __aenter__(self) -> KafkaProxy:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        """The listening port."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> str:
        """``127.0.0.1:port`` to give clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        """How many proxied connections are open."""
        return len(self._links)

    # ---- faults ----------------------------------------------------------------------
    def reset_connections(self) -> int:
        """RST every open connection now; returns how many."""
        links = list(self._links)
        for link in links:
            link.reset()
        return len(links)

    def arm(self, trigger: Trigger) -> Trigger:
        """Reset connections on requests matching ``trigger``; returns it (``fired`` counts)."""
        self.triggers.append(trigger)
        return trigger

    def set_mode(self, mode: Mode) -> None:
        """BLACKHOLE stalls every open connection both ways and swallows new ones; REFUSE
        resets them all; PASS lets new connections through (see ``restore``)."""
        self.mode = mode
        if mode is Mode.BLACKHOLE:
            self.stall(Direction.BOTH)
        elif mode is Mode.REFUSE:
            self.reset_connections()

    def stall(self, direction: Direction = Direction.BOTH) -> None:
        """Stop forwarding on the open connections (new connections are not stalled)."""
        for link in self._links:
            link.stall(direction)

    def restore(self) -> None:
        """Back to PASS; stalled connections flow again; triggers are disarmed."""
        self.mode = Mode.PASS
        self.triggers.clear()
        for link in list(self._links):
            if link.swallowing:
                link.reset()  # it never reached the broker: the client must reconnect
            else:
                link.resume()

    @contextlib.asynccontextmanager
    async def outage(self, mode: Mode = Mode.BLACKHOLE) -> AsyncIterator[KafkaProxy]:
        """``async with proxy.outage():`` the broker is unreachable inside the block."""
        self.set_mode(mode)
        try:
            yield self
        finally:
            self.restore()

    # ---- the pumps -------------------------------------------------------------------
    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.accepted += 1
        link = _Link(self, writer)
        if self.mode is Mode.REFUSE:
            self.stats.resets += 1
            _abort(writer)
            return
        self._links.add(link)
        task = asyncio.get_running_loop().create_task(self._serve(link, reader))
        link.tasks.append(task)

    async def _serve(self, link: _Link, reader: asyncio.StreamReader) -> None:
        try:
            if self.mode is Mode.BLACKHOLE:
                link.swallowing = True
                await self._swallow(reader)
                return
            up_reader, link.upstream = await asyncio.open_connection(*self.upstream)
            if link.closed:
                _abort(link.upstream)
                return
            back = asyncio.get_running_loop().create_task(self._s2c(link, up_reader))
            link.tasks.append(back)
            await self._c2s(link, reader)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            link.close()
            self._links.discard(link)

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        while await reader.read(65536):
            self.stats.swallowed += 1

    async def _c2s(self, link: _Link, reader: asyncio.StreamReader) -> None:
        assert link.upstream is not None
        while True:
            await link.flow[C2S].wait()
            frame = await _read_frame(reader)
            await link.flow[C2S].wait()
            api_key, version, correlation_id = _request_head(frame)
            self.stats.requests[api_key] += 1
            if len(link.pending) >= _MAX_PENDING:
                link.pending.clear()
            link.pending[correlation_id] = (api_key, version)
            when = self._fire(api_key)
            if when is When.BEFORE:
                link.reset()
                return
            if when is When.MIDDLE:
                link.upstream.write(frame[: max(5, len(frame) // 2)])
                await link.upstream.drain()
                link.reset()
                return
            if when is When.AFTER:
                link.doomed.add(correlation_id)
            link.upstream.write(frame)
            await link.upstream.drain()

    def _fire(self, api_key: int) -> When | None:
        for trigger in self.triggers:
            if trigger.matches(api_key):
                return trigger.when
        return None

    async def _s2c(self, link: _Link, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                await link.flow[S2C].wait()
                frame = await _read_frame(reader)
                await link.flow[S2C].wait()
                correlation_id = _SIZE.unpack_from(frame, 4)[0] if len(frame) >= 8 else -1
                if correlation_id in link.doomed:
                    link.reset()
                    return
                api_key, version = link.pending.pop(correlation_id, _UNKNOWN)
                self.stats.responses[api_key] += 1
                link.client.write(self._rewritten(frame, api_key, version))
                await link.client.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            link.close()

    def _rewritten(self, frame: bytes, api_key: int, version: int) -> bytes:
        if not self.rewrite or not _carries_addresses(api_key):
            return frame
        header_version = response_header_version(api_key, version)
        payload = memoryview(frame)[4:]
        header, offset = ResponseHeader.decode_from(payload, header_version, 0)
        body, _ = response_class(api_key).decode_from(payload, version, offset)
        if not _rewrite_addresses(body, self.rewrite):
            return frame
        self.stats.rewritten += 1
        data = header.encode(header_version) + body.encode(version)
        return _SIZE.pack(len(data)) + data

    def __repr__(self) -> str:
        where = self.address if self._server is not None else "closed"
        return (
            f"<KafkaProxy {where} -> {self.upstream[0]}:{self.upstream[1]} node={self.node_id} "
            f"mode={self.mode.value} links={len(self._links)} resets={self.stats.resets}>"
        )


def _request_head(frame: bytes) -> tuple[int, int, int]:
    if len(frame) < 4 + _REQUEST_HEAD.size:
        return (-1, -1, -1)
    api_key, version, correlation_id = _REQUEST_HEAD.unpack_from(frame, 4)
    return api_key, version, correlation_id


@functools.cache
def _carries_addresses(api_key: int) -> bool:
    """Does this API's response hold a (host, port) pair anywhere?"""
    if api_key not in APIS:
        return False
    return _schema_has_address(response_class(api_key), set())


def _schema_has_address(cls: type[Struct], seen: set[type[Struct]]) -> bool:
    if cls in seen:
        return False
    seen.add(cls)
    names = {f.name for f in cls.FIELDS}
    if {"host", "port"} <= names:
        return True
    return any(f.struct is not None and _schema_has_address(f.struct, seen) for f in cls.FIELDS)


class _Address(Protocol):
    host: str
    port: int


def _rewrite_addresses(node: Struct, table: dict[tuple[str, int], tuple[str, int]]) -> bool:
    """Replace every (host, port) found in ``table``, in place; True if anything changed."""
    changed = False
    names = {f.name for f in node.FIELDS}
    if {"host", "port"} <= names:
        # its schema has host and port fields, so the generated class has the attributes
        address = cast(_Address, node)
        target = table.get((address.host, address.port))
        if target is not None:
            address.host, address.port = target
            changed = True
    for schema in node.FIELDS:
        if schema.struct is None:
            continue
        value = getattr(node, schema.name, None)
        for child in value if isinstance(value, list) else [value]:
            if child is not None:
                changed |= _rewrite_addresses(child, table)
    return changed


class ProxyCluster:
    """One ``KafkaProxy`` per broker address, rewriting broker addresses to the proxies.

    ``ProxyCluster(cluster.bootstrap())`` or any ``host:port,...`` list, in node order;
    ``node_ids`` names the brokers (default 1, 2, 3... as the harness numbers them)."""

    def __init__(
        self, bootstrap: str | Iterable[str], node_ids: Iterable[int] | None = None
    ) -> None:
        items = bootstrap.split(",") if isinstance(bootstrap, str) else list(bootstrap)
        addresses = [_split(item) for item in items if item.strip()]
        ids = list(node_ids) if node_ids is not None else list(range(1, len(addresses) + 1))
        self._table: dict[tuple[str, int], tuple[str, int]] = {}
        self.proxies = [
            KafkaProxy(host, port, node_id=nid, rewrite=self._table)
            for (host, port), nid in zip(addresses, ids, strict=True)
        ]

    async def start(self) -> ProxyCluster:
        """Start every proxy and fill the address table."""
        for proxy in self.proxies:
            await proxy.start()
            self._table[proxy.upstream] = ("127.0.0.1", proxy.port)
        return self

    async def close(self) -> None:
        """Close every proxy."""
        await asyncio.gather(*(proxy.close() for proxy in self.proxies))

    async def __aenter__(self) -> ProxyCluster:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def bootstrap(self) -> str:
        """Every proxy's address, comma-separated."""
        return ",".join(proxy.address for proxy in self.proxies)

    def node(self, node_id: int) -> KafkaProxy:
        """The proxy in front of broker ``node_id``."""
        for proxy in self.proxies:
            if proxy.node_id == node_id:
                return proxy
        raise KeyError(node_id)

    def __iter__(self) -> Iterator[KafkaProxy]:
        return iter(self.proxies)

    def restore(self) -> None:
        """``restore()`` every proxy."""
        for proxy in self.proxies:
            proxy.restore()

    def __repr__(self) -> str:
        return f"<ProxyCluster {self.proxies!r}>"


def _split(item: str) -> tuple[str, int]:
    host, _, port = item.strip().rpartition(":")
    return host.strip("[]"), int(port)
