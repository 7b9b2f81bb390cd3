"""Sources: syslog listeners — UDP (RFC 5426: one datagram, one message) and TCP (RFC 6587).

Messages are passed on line by line with `format_hint` `syslog_rfc5424` (`<PRI>1 ` at the start,
RFC 5424 §6) or `syslog_rfc3164` (RFC 3164, everything else); the parser reads the fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress

from loghealth.clock import Clock, SystemClock
from loghealth.sources._line_buffer import utf8_prefix
from loghealth.sources._syslog_framing import TcpFramer, format_hint, message_lines
from loghealth.sources.base import LineSink, SourceLine, SourceState, SourceStats

__all__ = [
    "DEFAULT_SYSLOG_PORT",
    "MAX_MESSAGE_BYTES",
    "SyslogTcpSource",
    "SyslogUdpSource",
]

DEFAULT_SYSLOG_PORT = 5514
"""Unprivileged stand-in for 514 (binding 514 needs root or CAP_NET_BIND_SERVICE)."""
MAX_MESSAGE_BYTES = 64 * 1024
"""Default cap per message; longer ones are truncated (RFC 5424 §6.1) and counted as drops."""
_READ_BYTES = 64 * 1024


class _SyslogListener:
    """What both listeners share: id, stats, the size cap and in-order delivery of a message."""

    kind = "syslog"
    transport = ""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_SYSLOG_PORT,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        if max_message_bytes < 1:
            raise ValueError(f"max_message_bytes must be >= 1, got {max_message_bytes}")
        self.host = host
        self.port = port
        self.max_message_bytes = max_message_bytes
        self.stats = SourceStats()
        self.id = self._make_id()
        self._clock = clock or SystemClock()
        self._lock = asyncio.Lock()

    def _make_id(self) -> str:
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(self.host).version == 6:
                return f"syslog:{self.transport}:[{self.host}]:{self.port}"
        return f"syslog:{self.transport}:{self.host}:{self.port}"

    def _bound(self, port: int) -> None:
        self.port = port
        self.id = self._make_id()
        self.stats.state = SourceState.RUNNING

    def _fail(self, error: OSError) -> None:
        self.stats.state = SourceState.ERROR
        self.stats.error = f"cannot listen on {self.host}:{self.port}/{self.transport}: {error}"

    async def _deliver(self, message: bytes, is_truncated: bool, sink: LineSink) -> None:
        """Pass one message's lines to the sink, with no other message's lines in between."""
        if is_truncated:
            self.stats.drops["message_too_long"] += 1
        lines = message_lines(message)
        if not lines:
            return
        hint = format_hint(message)
        async with self._lock:
            for text in lines:
                await sink(SourceLine(source_id=self.id, text=text, format_hint=hint))
                self.stats.lines_read += 1
                self.stats.last_line_at = self._clock.now()


class _DatagramQueue(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[bytes], stats: SourceStats) -> None:
        self._queue = queue
        self._stats = stats

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self._stats.drops["queue_full"] += 1

    def error_received(self, exc: Exception) -> None:
        self._stats.error = str(exc)


class SyslogUdpSource(_SyslogListener):
    """Syslog over UDP (RFC 5426): each datagram is one message, possibly of several lines.

    Source id `syslog:udp:<host>:<port>` (the bound port once `bind` ran; port 0 = ephemeral).
    Datagrams wait in a queue of `queue_size`; when the sink falls behind and the queue is full,
    datagrams are dropped (`queue_full`) — UDP has no back-pressure. Drops: `message_too_long`
    (truncated to `max_message_bytes`), `queue_full`.

    Raises (from `bind` and `run`):
        OSError: if the address cannot be bound (`stats.state` is then `error`).
    """

    transport = "udp"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_SYSLOG_PORT,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        queue_size: int = 10_000,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(host, port, max_message_bytes=max_message_bytes, clock=clock)
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        self._transport: asyncio.DatagramTransport | None = None

    async def bind(self) -> int:
        """Bind the socket (once) and return the bound port; datagrams queue up from now on."""
        if self._transport is None:
            loop = asyncio.get_running_loop()
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _DatagramQueue(self._queue, self.stats),
                    local_addr=(self.host, self.port),
                )
            except OSError as error:
                self._fail(error)
                raise
            self._transport = transport
            self._bound(transport.get_extra_info("sockname")[1])
        return self.port

    async def run(self, sink: LineSink) -> None:
        """Bind if needed, then deliver every datagram's lines until cancelled."""
        await self.bind()
        try:
            while True:
                datagram = await self._queue.get()
                self.stats.bytes_read += len(datagram)
                is_truncated = len(datagram) > self.max_message_bytes
                if is_truncated:
                    datagram = utf8_prefix(datagram, self.max_message_bytes)
                await self._deliver(datagram, is_truncated, sink)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the socket (idempotent)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self.stats.state = SourceState.STOPPED


class SyslogTcpSource(_SyslogListener):
    """Syslog over TCP with RFC 6587 framing, octet counting or LF/NUL-terminated, per connection.

    Source id `syslog:tcp:<host>:<port>` for all connections. Connections are read concurrently;
    a message's lines reach the sink together. At most `max_connections` are served at once
    (more are closed at once, `too_many_connections`). Drops: `message_too_long` (truncated),
    `framing_error` (a bad octet count closes that connection).

    Raises (from `bind` and `run`):
        OSError: if the address cannot be bound (`stats.state` is then `error`).
        Exception: whatever the sink raised while a connection was being read.
    """

    transport = "tcp"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_SYSLOG_PORT,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        max_connections: int = 256,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(host, port, max_message_bytes=max_message_bytes, clock=clock)
        self.max_connections = max_connections
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._sink: LineSink | None = None
        self._has_sink = asyncio.Event()
        self._failed: asyncio.Future[None] | None = None

    async def bind(self) -> int:
        """Bind and listen (once) and return the bound port; connections wait for `run`."""
        if self._server is None:
            try:
                self._server = await asyncio.start_server(
                    self._serve_connection, self.host, self.port
                )
            except OSError as error:
                self._fail(error)
                raise
            self._bound(self._server.sockets[0].getsockname()[1])
        return self.port

    async def run(self, sink: LineSink) -> None:
        """Bind if needed, then serve connections until cancelled (or the sink raises)."""
        await self.bind()
        self._failed = asyncio.get_running_loop().create_future()
        self._sink = sink
        self._has_sink.set()
        try:
            await self._failed
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop listening and close every open connection (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in self._connections:
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections)
        if server is not None:
            await server.wait_closed()
        self.stats.state = SourceState.STOPPED

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 (asyncio runs the callback in a task)
        self._connections.add(task)
        try:
            if len(self._connections) > self.max_connections:
                self.stats.drops["too_many_connections"] += 1
                return
            await self._read_connection(reader)
        except ConnectionError:
            pass  # the peer reset the connection: what it sent before was delivered
        except Exception as error:
            if self._failed is not None and not self._failed.done():
                self._failed.set_exception(error)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _read_connection(self, reader: asyncio.StreamReader) -> None:
        await self._has_sink.wait()
        assert self._sink is not None  # noqa: S101 (set with _has_sink)
        framer = TcpFramer(self.max_message_bytes)
        while data := await reader.read(_READ_BYTES):
            self.stats.bytes_read += len(data)
            for message, is_truncated in framer.feed(data):
                await self._deliver(message, is_truncated, self._sink)
            if framer.failure is not None:
                break
        else:
            for message, is_truncated in framer.flush():
                await self._deliver(message, is_truncated, self._sink)
        if framer.failure is not None:
            self.stats.drops["framing_error"] += 1
