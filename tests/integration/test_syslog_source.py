"""Syslog listeners on 127.0.0.1 with an ephemeral port, fed by Python's SysLogHandler, the
`logger` command (util-linux) and raw sockets (RFC 6587 framings, oversized and broken input)."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import secrets
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from loghealth.sources.base import SourceState
from loghealth.sources.syslog import SyslogTcpSource, SyslogUdpSource

from .conftest import Collector, run

HOST = "127.0.0.1"
RFC5424, RFC3164 = "syslog_rfc5424", "syslog_rfc3164"
Listener = SyslogUdpSource | SyslogTcpSource


@asynccontextmanager
async def listening(
    source: Listener, collector: Collector | None = None
) -> AsyncIterator[Collector]:
    """Run `source` on an ephemeral port for the block; re-raise anything it raised."""
    collector = collector or Collector()
    await source.bind()
    task = asyncio.create_task(source.run(collector.sink))
    try:
        yield collector
    finally:
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    assert source.stats.state is SourceState.STOPPED


async def send_tcp(port: int, *chunks: bytes) -> None:
    """Open one connection, send each chunk separately (drained), then close."""
    _, writer = await asyncio.open_connection(HOST, port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def send_udp(port: int, datagram: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(datagram, (HOST, port))


def octet_counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def python_logger(handler: logging.Handler) -> logging.Logger:
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger(f"lhtest{secrets.token_hex(3)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger


def test_source_ids_name_the_listener() -> None:
    assert SyslogUdpSource(HOST, 5514).id == "syslog:udp:127.0.0.1:5514"
    assert SyslogTcpSource("::1", 5514).id == "syslog:tcp:[::1]:5514"
    assert SyslogUdpSource().host == HOST  # loopback unless told otherwise


def test_udp_from_python_syslog_handler() -> None:
    async def scenario() -> None:
        source = SyslogUdpSource(HOST, 0)
        async with listening(source) as collector:
            port = source.port
            assert port != 0 and source.id == f"syslog:udp:{HOST}:{port}"
            handler = logging.handlers.SysLogHandler(address=(HOST, port))
            logger = python_logger(handler)
            try:
                logger.error("disk full on /var")
                logger.warning("first line\nsecond line")
            finally:
                handler.close()
            await collector.wait_for(lambda: len(collector.lines) == 3)
            name = logger.name
            assert collector.texts() == [
                f"<11>{name}: disk full on /var",
                f"<12>{name}: first line",
                "second line",
            ]
            assert {(ln.source_id, ln.format_hint) for ln in collector.lines} == {
                (source.id, RFC3164)
            }
            assert source.stats.state is SourceState.RUNNING
            assert source.stats.lines_read == 3 and source.stats.last_line_at is not None
            assert source.stats.bytes_read == sum(len(ln.text) for ln in collector.lines) + 2 + 1

    run(scenario())


def test_tcp_from_python_syslog_handler() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0)
        async with listening(source) as collector:

            def emit() -> str:  # blocking connect and send: in a thread, off the event loop
                handler = logging.handlers.SysLogHandler(
                    address=(HOST, source.port), socktype=socket.SOCK_STREAM
                )
                logger = python_logger(handler)
                try:
                    logger.critical("database is locked")
                    logger.error('Traceback (most recent call last):\n  File "app.py", line 1')
                finally:
                    handler.close()
                return logger.name

            name = await asyncio.to_thread(emit)
            await collector.wait_for(lambda: len(collector.lines) == 3)
            assert collector.texts() == [
                f"<10>{name}: database is locked",
                f"<11>{name}: Traceback (most recent call last):",
                '  File "app.py", line 1',
            ]
            assert all(ln.source_id == f"syslog:tcp:{HOST}:{source.port}" for ln in collector.lines)

    run(scenario())


@pytest.mark.skipif(shutil.which("logger") is None, reason="util-linux `logger` not installed")
@pytest.mark.parametrize(
    ("transport", "flags", "hint"),
    [
        ("udp", ["--rfc5424"], RFC5424),
        ("udp", ["--rfc3164"], RFC3164),
        ("tcp", ["--rfc5424"], RFC5424),
        ("tcp", ["--rfc3164"], RFC3164),
        ("tcp", ["--rfc5424", "--octet-count"], RFC5424),
        ("tcp", ["--rfc3164", "--octet-count"], RFC3164),
    ],
)
def test_logger_command(transport: str, flags: list[str], hint: str) -> None:
    token = secrets.token_hex(4)

    async def scenario() -> None:
        source = SyslogUdpSource(HOST, 0) if transport == "udp" else SyslogTcpSource(HOST, 0)
        async with listening(source) as collector:
            for text in (f"first {token}", f"second {token}"):
                process = await asyncio.create_subprocess_exec(
                    "logger", "--server", HOST, "--port", str(source.port), f"--{transport}",
                    *flags, "-t", "lhtest", "-p", "daemon.err", text,
                )  # fmt: skip
                assert await process.wait() == 0
            await collector.wait_for(lambda: len(collector.lines) == 2)
        first, second = collector.lines
        assert first.text.startswith("<27>1 " if hint == RFC5424 else "<27>")
        assert first.text.endswith(f"first {token}") and second.text.endswith(f"second {token}")
        assert "lhtest" in first.text
        assert first.format_hint == second.format_hint == hint

    run(scenario())


def test_tcp_octet_counting_across_reads_with_multiline_and_oversized_messages() -> None:
    five = b"<13>1 2024-05-01T10:00:00Z host app 12 - - line one\nline two"
    bsd = b"<14>May  1 10:00:00 host app[12]: bsd message"
    oversized = b"<13>1 - host app - - - " + "é".encode() * 100
    stream = b"".join(octet_counted(m) for m in (five, bsd, oversized, bsd))

    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0, max_message_bytes=64)
        async with listening(source) as collector:
            # Cut inside a MSG-LEN, right after it, and inside a payload.
            await send_tcp(source.port, stream[:1], stream[1:3], stream[3:40], stream[40:])
            await collector.wait_for(lambda: len(collector.lines) == 5)
        assert [(ln.text, ln.format_hint) for ln in collector.lines] == [
            (five.split(b"\n")[0].decode(), RFC5424),
            ("line two", RFC5424),
            (bsd.decode(), RFC3164),
            ("<13>1 - host app - - - " + "é" * 20, RFC5424),  # 64 bytes, cut before a split "é"
            (bsd.decode(), RFC3164),
        ]
        assert source.stats.drops == {"message_too_long": 1}
        assert source.stats.bytes_read == len(stream)

    run(scenario())


def test_tcp_non_transparent_framing_with_lf_crlf_nul_and_no_trailer() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0, max_message_bytes=42)
        async with listening(source) as collector:
            await send_tcp(
                source.port,
                b"<13>May  1 10:00:00 host app: one\r\n<13>1 - host app - - - two\n",
                b"<13>May  1 10:00:00 host app: three\x00<13>May  1 10:00:00 host app: "
                + b"x" * 100
                + b"\n<13>May  1 10:00:00 host app: unterminated",
            )
            await collector.wait_for(lambda: len(collector.lines) == 5)
        assert collector.texts() == [
            "<13>May  1 10:00:00 host app: one",
            "<13>1 - host app - - - two",
            "<13>May  1 10:00:00 host app: three",
            "<13>May  1 10:00:00 host app: xxxxxxxxxxxx",
            "<13>May  1 10:00:00 host app: unterminated",  # 42 bytes, at the peer's close
        ]
        assert [ln.format_hint for ln in collector.lines][:2] == [RFC3164, RFC5424]
        assert source.stats.drops == {"message_too_long": 1}

    run(scenario())


def test_tcp_bad_octet_count_closes_only_that_connection() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0)
        async with listening(source) as collector:
            reader, writer = await asyncio.open_connection(HOST, source.port)
            writer.write(octet_counted(b"<13>May  1 10:00:00 host app: good") + b"12x <13>bad")
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the listener
            writer.close()
            await writer.wait_closed()
            await send_tcp(source.port, b"<13>May  1 10:00:00 host app: next connection\n")
            await collector.wait_for(lambda: len(collector.lines) == 2)
        assert collector.texts() == [
            "<13>May  1 10:00:00 host app: good",
            "<13>May  1 10:00:00 host app: next connection",
        ]
        assert source.stats.drops == {"framing_error": 1}

    run(scenario())


def test_tcp_connections_beyond_the_limit_are_refused() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0, max_connections=1)
        async with listening(source) as collector:
            _, first = await asyncio.open_connection(HOST, source.port)
            first.write(b"<13>May  1 10:00:00 host app: held open\n")
            await first.drain()
            await collector.wait_for(lambda: len(collector.lines) == 1)
            reader, second = await asyncio.open_connection(HOST, source.port)
            assert await asyncio.wait_for(reader.read(), 10) == b""
            assert source.stats.drops == {"too_many_connections": 1}
            for writer in (first, second):
                writer.close()
                await writer.wait_closed()

    run(scenario())


def test_tcp_lines_of_one_message_are_never_interleaved() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0)
        async with listening(source, Collector(yields=True)) as collector:
            frames = [
                b"".join(
                    octet_counted(f"<13>m{c}-{i}\nc{c}-{i}-a\nc{c}-{i}-b".encode())
                    for i in range(50)
                )
                for c in range(4)
            ]
            await asyncio.gather(*(send_tcp(source.port, data) for data in frames))
            await collector.wait_for(lambda: len(collector.lines) == 4 * 50 * 3)
        texts = collector.texts()
        for start in range(0, len(texts), 3):
            head = texts[start].removeprefix("<13>m")
            assert texts[start + 1 : start + 3] == [f"c{head}-a", f"c{head}-b"]

    run(scenario())


def test_udp_oversized_datagram_is_truncated_and_counted() -> None:
    async def scenario() -> None:
        source = SyslogUdpSource(HOST, 0, max_message_bytes=32)
        async with listening(source) as collector:
            send_udp(source.port, b"<13>1 - h a - - - " + b"y" * 300)
            send_udp(source.port, b"<13>May  1 10:00:00 h a: fits\n")
            await collector.wait_for(lambda: len(collector.lines) == 2)
        assert collector.texts() == [
            "<13>1 - h a - - - yyyyyyyyyyyyyy",
            "<13>May  1 10:00:00 h a: fits",
        ]
        assert source.stats.drops == {"message_too_long": 1}

    run(scenario())


def test_a_port_in_use_is_an_error() -> None:
    async def scenario() -> None:
        first = SyslogTcpSource(HOST, 0)
        port = await first.bind()
        try:
            second = SyslogTcpSource(HOST, port)
            with pytest.raises(OSError):
                await second.bind()
            assert second.stats.state is SourceState.ERROR
            assert f"{HOST}:{port}/tcp" in (second.stats.error or "")
        finally:
            await first.aclose()

    run(scenario())


def test_cancelled_listener_closes_open_connections() -> None:
    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0)
        async with listening(source) as collector:
            reader, writer = await asyncio.open_connection(HOST, source.port)
            writer.write(b"<13>May  1 10:00:00 host app: still connected\n")
            await collector.wait_for(lambda: len(collector.lines) == 1)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # the listener hung up
        writer.close()
        await writer.wait_closed()

    run(scenario())


def test_a_failing_sink_stops_the_tcp_listener() -> None:
    async def failing_sink(line: object) -> None:
        raise RuntimeError("sink broke")

    async def scenario() -> None:
        source = SyslogTcpSource(HOST, 0)
        await source.bind()
        task = asyncio.create_task(source.run(failing_sink))
        await send_tcp(source.port, b"<13>May  1 10:00:00 host app: boom\n")
        with pytest.raises(RuntimeError, match="sink broke"):
            await asyncio.wait_for(task, 10)
        assert source.stats.state is SourceState.STOPPED

    run(scenario())
