"""Sources: standard input as a live source (`loghealth serve -` reads a pipe).

Pipes, sockets and terminals are read through the event loop (`connect_read_pipe`); a regular
file redirected to stdin is read in a worker thread (its reads never block for long).
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from typing import BinaryIO

from loghealth.clock import Clock, SystemClock
from loghealth.sources._line_buffer import LineBuffer
from loghealth.sources.base import LineSink, SourceLine, SourceState, SourceStats

__all__ = ["StdinSource"]

_READ_BYTES = 64 * 1024
_MAX_LINE_BYTES = 1024 * 1024


class StdinSource:
    """Reads lines from standard input (or another readable binary file) until end of input.

    Source id `stdin`. Lines are split on LF (a CR before it dropped) and decoded as UTF-8 with
    invalid bytes replaced; a last line without LF is delivered at end of input, then `run`
    returns (state `stopped`). Lines longer than `max_line_bytes` are truncated and counted in
    `stats.drops["line_too_long"]`. The stream is closed when `run` ends.

    Raises (from `run`):
        OSError: if reading fails (`stats.state` is then `error`).
    """

    id = "stdin"
    kind = "stdin"

    def __init__(
        self,
        stream: BinaryIO | None = None,
        *,
        max_line_bytes: int = _MAX_LINE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        self.stats = SourceStats()
        self._stream = stream if stream is not None else sys.stdin.buffer
        self._lines = LineBuffer(max_line_bytes)
        self._clock = clock or SystemClock()

    async def run(self, sink: LineSink) -> None:
        """Deliver every line of the stream, then return at end of input."""
        self.stats.state = SourceState.RUNNING
        try:
            if stat.S_ISREG(os.fstat(self._stream.fileno()).st_mode):
                await self._read_file(sink)
            else:
                await self._read_pipe(sink)
            rest = self._lines.flush()
            if rest is not None:
                await self._deliver(*rest, sink=sink)
        except OSError as error:
            self.stats.state = SourceState.ERROR
            self.stats.error = str(error)
            raise
        finally:
            self._stream.close()
            if self.stats.state is not SourceState.ERROR:
                self.stats.state = SourceState.STOPPED  # end of input, or cancelled

    async def _read_file(self, sink: LineSink) -> None:
        while chunk := await asyncio.to_thread(self._stream.read, _READ_BYTES):
            await self._feed(chunk, sink)

    async def _read_pipe(self, sink: LineSink) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=_READ_BYTES)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), self._stream
        )
        try:
            while chunk := await reader.read(_READ_BYTES):
                await self._feed(chunk, sink)
        finally:
            transport.close()

    async def _feed(self, chunk: bytes, sink: LineSink) -> None:
        self.stats.bytes_read += len(chunk)
        for line, is_truncated in self._lines.feed(chunk):
            await self._deliver(line, is_truncated, sink=sink)

    async def _deliver(self, line: bytes, is_truncated: bool, *, sink: LineSink) -> None:
        if is_truncated:
            self.stats.drops["line_too_long"] += 1
        await sink(SourceLine(source_id=self.id, text=line.decode("utf-8", errors="replace")))
        self.stats.lines_read += 1
        self.stats.last_line_at = self._clock.now()
