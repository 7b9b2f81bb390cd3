"""Sources: the contract of a live source — it reads lines somewhere and hands them to a sink.

Sources are asyncio tasks. The runtime gives each one an async `sink`; a source awaits the sink
for every line (that is the back-pressure) and keeps its own `SourceStats`. A source never parses:
it may only say which format its lines are in (`format_hint`), e.g. syslog listeners.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["LineSink", "Position", "Source", "SourceLine", "SourceState", "SourceStats"]


class SourceState(enum.StrEnum):
    """Life cycle of a source."""

    STARTING = "starting"
    RUNNING = "running"
    IDLE = "idle"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a file source stands: identity (device, inode) and the byte offset after a line."""

    path: str
    device: int
    inode: int
    offset: int


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line from a source.

    `source_id` names the stream the line belongs to (records are framed per stream): e.g.
    `file:/var/log/app.log`, `docker:web-1`, `syslog:udp:127.0.0.1:5514`, `stdin`.
    `text` is decoded (UTF-8, invalid bytes replaced) without its line ending. `position` is set
    by file sources (for checkpoints). `received_at` is a time the transport gave (Docker's
    timestamps), aware UTC, else None. `format_hint` is the parser to use, if the transport knows.
    """

    source_id: str
    text: str
    position: Position | None = None
    received_at: datetime | None = None
    format_hint: str | None = None


LineSink = Callable[[SourceLine], Awaitable[None]]


@dataclass(slots=True)
class SourceStats:
    """Counters every source reports (the API's sources view shows them)."""

    state: SourceState = SourceState.STARTING
    lines_read: int = 0
    bytes_read: int = 0
    last_line_at: datetime | None = None
    drops: Counter[str] = field(default_factory=Counter)
    error: str | None = None


class Source(Protocol):
    """A live source: `run` reads until cancelled, awaiting `sink` for every line."""

    id: str
    kind: str
    stats: SourceStats

    async def run(self, sink: LineSink) -> None:
        """Read and deliver lines until cancelled; set `stats.state` along the way."""
        ...
