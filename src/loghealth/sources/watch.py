"""Sources: wake file tailers when their files change — inotify where available, else polling.

One `FileWatcher` serves every tailer of a process (one inotify instance, one watch per directory),
so hundreds of files cost a handful of file descriptors. Tailers still poll at a slow interval as
a safety net (network filesystems do not deliver inotify events).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

__all__ = ["FileWatcher"]


class FileWatcher:
    """Maps file paths to asyncio events set when something happens in their directory.

    `uses_inotify` is False where inotify cannot be used (not Linux, no `asyncinotify`, or the
    instance limit is reached); `wait` then simply times out at the poll interval.
    """

    def __init__(self) -> None:
        self._events: dict[Path, asyncio.Event] = {}
        self._watched: set[Path] = set()
        self._inotify: Any = None
        self._task: asyncio.Task[None] | None = None
        self.uses_inotify = False

    async def start(self) -> None:
        """Open the inotify instance (no-op where unavailable)."""
        if sys.platform != "linux":
            return
        try:
            from asyncinotify import Inotify
        except ImportError:  # pragma: no cover - asyncinotify is a Linux dependency
            return
        try:
            self._inotify = Inotify()
        except OSError:
            return
        self.uses_inotify = True
        self._task = asyncio.create_task(self._dispatch(), name="loghealth-inotify")

    async def close(self) -> None:
        """Stop dispatching and close the inotify instance."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inotify is not None:
            self._inotify.close()

    def event_for(self, path: Path) -> asyncio.Event:
        """The event set on any change to `path` (created, written, moved, deleted)."""
        path = path.absolute()
        event = self._events.get(path)
        if event is None:
            event = self._events[path] = asyncio.Event()
            self._watch_directory(path.parent)
        return event

    def _watch_directory(self, directory: Path) -> None:
        if self._inotify is None or directory in self._watched:
            return
        from asyncinotify import Mask

        mask = (
            Mask.MODIFY
            | Mask.CREATE
            | Mask.MOVED_FROM
            | Mask.MOVED_TO
            | Mask.DELETE
            | Mask.CLOSE_WRITE
            | Mask.ATTRIB
            | Mask.DELETE_SELF
            | Mask.MOVE_SELF
        )
        try:
            self._inotify.add_watch(directory, mask)
            self._watched.add(directory)
        except OSError:
            pass  # a missing directory is polled until it appears

    async def _dispatch(self) -> None:
        async for change in self._inotify:
            if change.path is None:
                continue
            path = Path(change.path).absolute()
            targets = [path] if change.name else [p for p in self._events if p.parent == path]
            for target in targets:
                event = self._events.get(target)
                if event is not None:
                    event.set()

    async def wait(self, event: asyncio.Event, timeout_secs: float) -> None:
        """Wait until `event` is set or `timeout_secs` pass, then clear it."""
        try:
            async with asyncio.timeout(timeout_secs):
                await event.wait()
        except TimeoutError:
            pass
        event.clear()

    def ensure_watched(self, path: Path) -> None:
        """Retry watching `path`'s directory (it may have been created since)."""
        self._watch_directory(path.absolute().parent)
