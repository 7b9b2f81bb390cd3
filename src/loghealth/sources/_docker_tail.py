"""Sources: follow one container's log stream through the Docker Engine API.

`ContainerSource` is the tail of one container (source id `docker:<name>`); `LogCursor` is where
it stands, so a restarted tail reads no line twice. Facts from
../shared/specs/container-scanner.md ("Container tailing").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from loghealth.clock import Clock, SystemClock
from loghealth.sources._docker_api import ContainerInfo, DockerClient, DockerError
from loghealth.sources._docker_stream import (
    ContainerStream,
    DockerStreamError,
    LogDemuxer,
    RawLine,
)
from loghealth.sources.base import LineSink, SourceLine, SourceState, SourceStats

__all__ = [
    "ALL_STREAMS",
    "MAX_LINE_BYTES",
    "ContainerLine",
    "ContainerSource",
    "LogCursor",
]

MAX_LINE_BYTES = 1024 * 1024
"""Default line reassembly cap (spec: 1 MiB); longer lines are truncated (`line_too_long`)."""
ALL_STREAMS: frozenset[ContainerStream] = frozenset(ContainerStream)


@dataclass(frozen=True, slots=True)
class LogCursor:
    """Where a container's tail stands, to resume without reading a line twice.

    `timestamp_ns` is the newest engine timestamp delivered (UNIX nanoseconds); `count` is how
    many delivered lines carry exactly that timestamp (engines with whole-second timestamps give
    many lines the same one). A cursor with `count=0` means "lines at or after `timestamp_ns`".
    """

    timestamp_ns: int
    count: int = 0

    @classmethod
    def starting_at(cls, instant: datetime) -> LogCursor:
        """A cursor that reads lines from `instant` (aware) on, floored to the whole second.

        The floor keeps lines of engines that print whole seconds (podman) from being lost.
        """
        return cls(int(instant.timestamp()) * 1_000_000_000)

    def advanced(self, timestamp_ns: int) -> LogCursor:
        """Return the cursor after delivering a line stamped `timestamp_ns`."""
        if timestamp_ns > self.timestamp_ns:
            return LogCursor(timestamp_ns, 1)
        if timestamp_ns == self.timestamp_ns:
            return LogCursor(timestamp_ns, self.count + 1)
        return self


@dataclass(frozen=True, slots=True)
class ContainerLine(SourceLine):
    """A `SourceLine` from a container, with the stream (`stdout`/`stderr`) it was written to.

    `container_id` is the engine's id of the container; `cursor` is where its tail stands once
    this line is handled (None while no line had an engine timestamp): the runtime commits it
    with the line's effects, so a restart resumes right after the last committed line.
    """

    stream: ContainerStream = ContainerStream.STDOUT
    container_id: str = ""
    cursor: LogCursor | None = None


class ContainerSource:
    """Follows one container's logs (`GET /containers/{id}/logs?follow=1&timestamps=1`).

    Lines are `ContainerLine`s: text decoded as UTF-8 (invalid bytes replaced), the engine's
    RFC 3339 timestamp stripped into `received_at` (aware UTC). Lines longer than
    `max_line_bytes` are truncated and counted in `stats.drops["line_too_long"]`. With a `cursor`
    the tail asks the engine for lines since its second and skips those already delivered.
    `run` returns when the container stops (state `stopped`).

    Raises (from `run`):
        DockerError: the engine is unreachable, the container is gone, or the stream is not a
            Docker log stream (`stats.state` is then `error`).
    """

    kind = "docker"

    def __init__(
        self,
        client: DockerClient,
        container: ContainerInfo,
        *,
        streams: Collection[ContainerStream] = ALL_STREAMS,
        max_line_bytes: int = MAX_LINE_BYTES,
        cursor: LogCursor | None = None,
        clock: Clock | None = None,
        parent_stats: SourceStats | None = None,
    ) -> None:
        if not streams:
            raise ValueError("select at least one of stdout, stderr")
        self.id = f"docker:{container.name}"
        self.container = container
        self.stats = SourceStats()
        self.cursor = cursor
        self._client = client
        self._streams = frozenset(streams)
        self._max_line_bytes = max_line_bytes
        self._clock = clock or SystemClock()
        self._parent = parent_stats
        self._skip: LogCursor | None = cursor

    async def run(self, sink: LineSink) -> None:
        """Follow the container's log stream until it ends (container stopped) or cancelled."""
        self.stats.state = SourceState.STARTING
        try:
            is_tty = await self._client.is_tty(self.container.id)
            demuxer = LogDemuxer(
                is_tty=is_tty, has_timestamps=True, max_line_bytes=self._max_line_bytes
            )
            since = None if self.cursor is None else self.cursor.timestamp_ns // 1_000_000_000
            async with self._client.follow_logs(
                self.container.id,
                stdout=ContainerStream.STDOUT in self._streams,
                stderr=ContainerStream.STDERR in self._streams,
                since_secs=since,
            ) as chunks:
                self.stats.state = SourceState.RUNNING
                async for chunk in chunks:
                    self._count(bytes_read=len(chunk))
                    for raw in demuxer.feed(chunk):
                        await self._deliver(raw, sink)
                    self._count_drops(demuxer)
            for raw in demuxer.flush():
                await self._deliver(raw, sink)
        except DockerStreamError as error:
            self._fail(str(error))
            raise DockerError(f"{self.id}: {error}") from error
        except DockerError as error:
            self._fail(str(error))
            raise
        finally:
            if self.stats.state is not SourceState.ERROR:
                self.stats.state = SourceState.STOPPED  # the stream ended, or cancelled

    def _fail(self, error: str) -> None:
        self.stats.state = SourceState.ERROR
        self.stats.error = error

    def _is_seen(self, raw: RawLine) -> bool:
        """True for a line delivered before the cursor this tail resumed from."""
        if self._skip is None or raw.timestamp_ns is None:
            return False
        if raw.timestamp_ns < self._skip.timestamp_ns:
            return True
        if raw.timestamp_ns == self._skip.timestamp_ns and self._skip.count > 0:
            self._skip = LogCursor(self._skip.timestamp_ns, self._skip.count - 1)
            return True
        self._skip = None
        return False

    async def _deliver(self, raw: RawLine, sink: LineSink) -> None:
        if raw.stream not in self._streams or self._is_seen(raw):
            return
        if raw.is_truncated:
            self._count(drop="line_too_long")
        cursor = self.cursor
        if raw.timestamp_ns is not None:
            cursor = (cursor or LogCursor(raw.timestamp_ns)).advanced(raw.timestamp_ns)
        line = ContainerLine(
            source_id=self.id,
            text=raw.data.decode("utf-8", errors="replace"),
            received_at=raw.received_at,
            stream=raw.stream,
            container_id=self.container.id,
            cursor=cursor,
        )
        await sink(line)
        self.cursor = cursor
        self._count(lines_read=1)

    def _count_drops(self, demuxer: LogDemuxer) -> None:
        for reason, count in demuxer.take_drops().items():
            self._count(drop=reason, drop_count=count)

    def _count(
        self, *, lines_read: int = 0, bytes_read: int = 0, drop: str = "", drop_count: int = 1
    ) -> None:
        now = self._clock.now() if lines_read else None
        for stats in (self.stats, self._parent):
            if stats is None:
                continue
            stats.lines_read += lines_read
            stats.bytes_read += bytes_read
            if now is not None:
                stats.last_line_at = now
            if drop:
                stats.drops[drop] += drop_count
