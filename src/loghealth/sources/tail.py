"""Sources: follow a file like `tail -F`, surviving every kind of rotation, with checkpoints.

Handles rename rotation (`app.log` → `app.log.1`, new `app.log`), copytruncate (same inode, size
drops), delete-and-recreate, and a partial last line (held until its newline, or emitted when the
file is rotated away). Each line carries its `Position` (identity + offset after the line) so the
runtime can checkpoint exactly; on restart a checkpoint whose file was rotated meanwhile is found
again among the siblings by inode, so lines written before the rotation are not lost.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from loghealth.clock import Clock
from loghealth.sources.base import LineSink, Position, SourceLine, SourceState, SourceStats
from loghealth.sources.watch import FileWatcher

__all__ = ["CHUNK_BYTES", "MAX_LINE_BYTES", "FileSource", "StartPosition"]

CHUNK_BYTES = 256 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
"""A line longer than this is cut (the rest is dropped and counted as `line_too_long`)."""


@dataclass(frozen=True, slots=True)
class StartPosition:
    """Where to start: a checkpoint (identity + offset + line number) or the start/end of file."""

    device: int = 0
    inode: int = 0
    offset: int = 0
    line_no: int = 0
    at_end: bool = False


class _OpenFile:
    def __init__(self, handle: BinaryIO, path: Path, line_no: int) -> None:
        stat = os.fstat(handle.fileno())
        self.handle = handle
        self.path = path
        self.device, self.inode = stat.st_dev, stat.st_ino
        self.offset = handle.tell()
        self.line_no = line_no
        self.partial = bytearray()

    def position(self) -> Position:
        return Position(str(self.path), self.device, self.inode, self.offset - len(self.partial))


def _find_rotated(path: Path, device: int, inode: int) -> Path | None:
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return None
    for sibling in siblings:
        if sibling.name.startswith(path.name) and sibling != path:
            try:
                stat = sibling.stat()
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) == (device, inode):
                return sibling
    return None


class FileSource:
    """A live file source (id `file:<path>`).

    Args:
        path: the file to follow (it may not exist yet).
        watcher: the process's `FileWatcher`.
        clock: for `stats.last_line_at`.
        start: a checkpoint, or `StartPosition(at_end=True)` to skip existing content.
        poll_secs: safety-net polling interval (default: 5 s with inotify, 1 s without).
    """

    kind = "file"

    def __init__(
        self,
        path: Path,
        watcher: FileWatcher,
        clock: Clock,
        start: StartPosition | None = None,
        poll_secs: float | None = None,
    ) -> None:
        self.path = path
        self.id = f"file:{path}"
        self.stats = SourceStats()
        self._watcher = watcher
        self._clock = clock
        self._start = start or StartPosition()
        self._poll_secs = poll_secs

    async def run(self, sink: LineSink) -> None:
        """Follow the file until cancelled."""
        event = self._watcher.event_for(self.path)
        poll_secs = self._poll_secs or (5.0 if self._watcher.uses_inotify else 1.0)
        current = self._resume_rotated()
        if current is not None:  # lines written before a rotation while we were down
            await self._drain(current, sink)
            await self._finish(current, sink)
        current = None
        first = True
        try:
            while True:
                if current is None:
                    current = self._open(first)
                    first = current is None and first
                if current is not None:
                    self.stats.state = SourceState.RUNNING
                    await self._drain(current, sink)
                    current = await self._after_eof(current, sink)
                else:
                    self.stats.state = SourceState.IDLE
                    self._watcher.ensure_watched(self.path)
                await self._watcher.wait(event, poll_secs)
        finally:
            if current is not None:
                current.handle.close()
            self.stats.state = SourceState.STOPPED

    def _resume_rotated(self) -> _OpenFile | None:
        start = self._start
        if not start.inode:
            return None
        try:
            stat = self.path.stat()
            if (stat.st_dev, stat.st_ino) == (start.device, start.inode):
                return None
        except OSError:
            pass
        rotated = _find_rotated(self.path, start.device, start.inode)
        if rotated is None:
            self.stats.drops["rotated_while_stopped"] += 1
            self._start = StartPosition()
            return None
        handle = rotated.open("rb")
        handle.seek(start.offset)
        self._start = StartPosition(line_no=0)
        return _OpenFile(handle, self.path, start.line_no)

    def _open(self, first: bool) -> _OpenFile | None:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return None
        except OSError as error:
            self.stats.state, self.stats.error = SourceState.ERROR, str(error)
            return None
        stat = os.fstat(handle.fileno())
        start = self._start
        line_no = 0
        if (
            first
            and start.inode
            and (stat.st_dev, stat.st_ino) == (start.device, start.inode)
            and start.offset <= stat.st_size
        ):
            handle.seek(start.offset)
            line_no = start.line_no
        elif first and start.at_end:
            handle.seek(0, os.SEEK_END)
        self._start = StartPosition()
        self.stats.error = None
        return _OpenFile(handle, self.path, line_no)

    async def _drain(self, current: _OpenFile, sink: LineSink) -> None:
        while True:
            chunk = current.handle.read(CHUNK_BYTES)
            if not chunk:
                return
            current.offset += len(chunk)
            self.stats.bytes_read += len(chunk)
            data = bytes(current.partial) + chunk if current.partial else chunk
            lines = data.split(b"\n")
            current.partial = bytearray(lines.pop())
            position = current.offset - len(data)  # where `data` starts in the file
            for piece in lines:
                position += len(piece) + 1
                await self._emit(current, bytes(piece), position, sink)
            if len(current.partial) > MAX_LINE_BYTES:
                self.stats.drops["line_too_long"] += 1
                await self._emit(
                    current, bytes(current.partial[:MAX_LINE_BYTES]), current.offset, sink
                )
                current.partial.clear()
            await asyncio.sleep(0)

    async def _emit(self, current: _OpenFile, raw: bytes, after: int, sink: LineSink) -> None:
        current.line_no += 1
        text = raw.rstrip(b"\r").replace(b"\x00", b"").decode("utf-8", errors="replace")
        self.stats.lines_read += 1
        self.stats.last_line_at = self._clock.now()
        await sink(
            SourceLine(
                self.id, text, Position(str(self.path), current.device, current.inode, after)
            )
        )

    async def _finish(self, current: _OpenFile, sink: LineSink) -> None:
        """The file will not grow any more: emit a partial last line and close it."""
        if current.partial:
            await self._emit(current, bytes(current.partial), current.offset, sink)
            current.partial.clear()
        current.handle.close()

    async def _after_eof(self, current: _OpenFile, sink: LineSink) -> _OpenFile | None:
        """Detect rotation or truncation at EOF; return the file to keep reading (or None)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return current  # deleted or renamed away: keep draining until it reappears
        if (stat.st_dev, stat.st_ino) != (current.device, current.inode):
            await self._drain(current, sink)  # rotated: finish the old file, then switch
            await self._finish(current, sink)
            opened = self._open(first=False)
            if opened is not None:
                opened.line_no = 0
                await self._drain(opened, sink)
            return opened
        if stat.st_size < current.offset:  # copytruncate
            current.handle.seek(0)
            current.offset = 0
            current.partial.clear()
            current.line_no = 0
            await self._drain(current, sink)
        return current
