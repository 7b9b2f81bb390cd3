"""Sources: container logs through the Docker Engine API — discovery of running containers.

`ContainerDiscovery` lists running containers every few seconds and starts and stops one
`ContainerSource` (source id `docker:<name>`) per container. This module is the public face of
the Docker source. Facts from ../shared/specs/container-scanner.md ("Container tailing").
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from loghealth.clock import Clock, SystemClock
from loghealth.sources._docker_api import (
    ContainerInfo,
    DockerClient,
    DockerError,
    DockerNotFoundError,
    socket_path_from_host,
)
from loghealth.sources._docker_stream import ContainerStream
from loghealth.sources._docker_tail import (
    ALL_STREAMS,
    MAX_LINE_BYTES,
    ContainerLine,
    ContainerSource,
    LogCursor,
)
from loghealth.sources.base import LineSink, SourceState, SourceStats

__all__ = [
    "ALL_STREAMS",
    "MAX_LINE_BYTES",
    "ContainerDiscovery",
    "ContainerInfo",
    "ContainerLine",
    "ContainerSource",
    "ContainerStream",
    "DockerClient",
    "DockerError",
    "DockerNotFoundError",
    "LogCursor",
    "socket_path_from_host",
]

_MAX_CURSORS = 4096  # cursors kept for stopped containers (oldest forgotten first)


class ContainerDiscovery:
    """Tails every running container that passes the filters; re-lists every `interval_secs`.

    Filters: `names` (globs on the container name; empty = all), `exclude_names` (globs) and
    `labels` (Docker terms `key` or `key=value`, all required). Containers that are not running
    are skipped. A new container gets a `ContainerSource`; the tail of a container that stopped
    or vanished is given `stop_grace_secs` to drain, then cancelled. When a container's tail
    restarts (container restarted, stream dropped) it resumes from its `LogCursor`, so no line is
    read twice. Lines older than `start_at` (default: when `run` starts, floored to the second)
    are not read, except that a container with a cursor in `cursors` (by container id: those the
    store kept from an earlier run) resumes right after it. `stats` sums all tails; `tails` maps
    container id to its live source.

    Raises (from `run`):
        Exception: whatever the sink raises; engine errors are kept in `stats.error` and retried.
    """

    id = "docker"
    kind = "docker"

    def __init__(
        self,
        client: DockerClient,
        *,
        interval_secs: float = 5.0,
        names: Sequence[str] = (),
        exclude_names: Sequence[str] = (),
        labels: Sequence[str] = (),
        streams: Collection[ContainerStream] = ALL_STREAMS,
        max_line_bytes: int = MAX_LINE_BYTES,
        start_at: datetime | None = None,
        stop_grace_secs: float = 2.0,
        clock: Clock | None = None,
        cursors: Mapping[str, LogCursor] | None = None,
    ) -> None:
        self.stats = SourceStats()
        self.tails: dict[str, ContainerSource] = {}
        self.interval_secs = interval_secs
        self._client = client
        self._names, self._exclude, self._labels = tuple(names), tuple(exclude_names), labels
        self._streams = frozenset(streams)
        self._max_line_bytes = max_line_bytes
        self._start_at = start_at
        self._stop_grace_secs = stop_grace_secs
        self._clock = clock or SystemClock()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cursors: OrderedDict[str, LogCursor] = OrderedDict(cursors or {})

    def _is_selected(self, container: ContainerInfo) -> bool:
        name = container.name
        if self._names and not any(fnmatch.fnmatchcase(name, p) for p in self._names):
            return False
        if any(fnmatch.fnmatchcase(name, p) for p in self._exclude):
            return False
        for term in self._labels:
            key, has_value, value = term.partition("=")
            if key not in container.labels or (has_value and container.labels[key] != value):
                return False
        return container.state == "running"

    async def run(self, sink: LineSink) -> None:
        """List, reconcile tails, sleep `interval_secs`; repeat until cancelled."""
        start = LogCursor.starting_at(self._start_at or self._clock.now())
        try:
            while True:
                await self._poll(sink, start)
                await asyncio.sleep(self.interval_secs)
        finally:
            await self._retire(list(self._tasks), grace_secs=0.0)  # errors are moot now
            self.stats.state = SourceState.STOPPED

    async def _poll(self, sink: LineSink, start: LogCursor) -> None:
        try:
            listed = await self._client.list_running(self._labels)
        except DockerError as error:
            self.stats.state, self.stats.error = SourceState.ERROR, str(error)
            return
        self.stats.error = None
        running = {c.id: c for c in listed if self._is_selected(c)}
        gone = [cid for cid in self._tasks if cid not in running]
        errors = await self._retire(gone, self._stop_grace_secs)
        for cid, container in running.items():
            task = self._tasks.get(cid)
            if task is not None and task.done():
                # The stream ended (container restarted in between) or failed: tail it again.
                errors.append(self._forget(cid))
            if cid not in self._tasks:
                self._start(container, sink, self._cursors.pop(cid, start))
        self.stats.state = SourceState.RUNNING if self._tasks else SourceState.IDLE
        for failure in errors:
            if failure is not None and not isinstance(failure, DockerError):
                raise failure  # the sink's or our own bug: never swallowed

    def _start(self, container: ContainerInfo, sink: LineSink, cursor: LogCursor) -> None:
        source = ContainerSource(
            self._client,
            container,
            streams=self._streams,
            max_line_bytes=self._max_line_bytes,
            cursor=cursor,
            clock=self._clock,
            parent_stats=self.stats,
        )
        self.tails[container.id] = source
        self._tasks[container.id] = asyncio.create_task(source.run(sink), name=source.id)

    async def _retire(
        self, container_ids: list[str], grace_secs: float
    ) -> list[BaseException | None]:
        """Let tails drain for `grace_secs`, cancel the rest; return what each one raised."""
        tasks = [self._tasks[cid] for cid in container_ids]
        if not tasks:
            return []
        if grace_secs > 0:
            await asyncio.wait(tasks, timeout=grace_secs)
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        return [self._forget(cid) for cid in container_ids]

    def _forget(self, container_id: str) -> BaseException | None:
        """Drop a finished tail and keep its cursor; return what the tail raised, if anything."""
        task = self._tasks.pop(container_id)
        source = self.tails.pop(container_id)
        if source.cursor is not None:
            self._cursors[container_id] = source.cursor
            while len(self._cursors) > _MAX_CURSORS:
                self._cursors.popitem(last=False)
        return None if task.cancelled() else task.exception()
