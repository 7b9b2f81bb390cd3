"""Core value types shared by every pipeline stage: records, signatures' enums, hits, findings.

Frozen dataclasses and Enums only; no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "Area",
    "Category",
    "Finding",
    "FindingState",
    "HealthScore",
    "HealthStatus",
    "Hit",
    "Level",
    "LogRecord",
    "Severity",
]


class Level(enum.IntEnum):
    """A record's log level, ordered as Python `logging` orders them (same numbers)."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


class Severity(enum.IntEnum):
    """How bad a finding is: `info < warning < error < critical`."""

    INFO = 1
    WARNING = 2
    ERROR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in YAML, JSON and the CLI (`error`)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read `info|warning|error|critical` (any case).

        Raises:
            ValueError: for any other word.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: use info, warning, error or critical"
            ) from None


class Category(enum.StrEnum):
    """Who has to act on a finding, in report order."""

    LAYER8 = "layer8"
    ENVIRONMENT = "environment"
    BUG = "bug"
    SECURITY = "security"


class Area(enum.StrEnum):
    """What broke."""

    DATABASE = "database"
    MEMORY = "memory"
    DISK = "disk"
    FILESYSTEM = "filesystem"
    NETWORK = "network"
    TLS = "tls"
    AUTH = "auth"
    HTTP = "http"
    PROCESS = "process"
    CONFIG = "config"
    PERFORMANCE = "performance"
    DEPENDENCY = "dependency"
    SECURITY = "security"


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One parsed log entry.

    `message` may span lines (continuation lines are folded in with newlines). `timestamp` is aware
    UTC or None when the line carries none. `line` is the 1-based line number of the record's first
    line in its source; `raw` is that first line as read. `format` names the parser that produced
    the record, or `raw` for a line no parser understood.
    """

    timestamp: datetime | None
    level: Level | None
    logger: str | None
    message: str
    fields: dict[str, Any]
    raw: str
    format: str
    source: str
    line: int

    @property
    def is_unparsed(self) -> bool:
        """True for a line no parser understood (kept as a raw record, never dropped)."""
        return self.format == "raw"


@dataclass(frozen=True, slots=True)
class Hit:
    """One record matched by one signature or rule (after the level/logger/format gates)."""

    signature_id: str
    record: LogRecord


@dataclass(slots=True)
class Finding:
    """Hits of one signature in one source, aggregated.

    `first_seen`/`last_seen` are the records' own timestamps (aware UTC; None if no hit had one).
    `sample` is the redacted first line of the newest matching record, at most 400 characters.
    """

    signature_id: str
    pack: str
    severity: Severity
    category: Category
    area: Area
    source: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sample: str = ""
    sample_line: int = 0


class FindingState(enum.StrEnum):
    """Life cycle of a stored finding (`open → resolved → regressed`; `ignored`/`snoozed` stick)."""

    OPEN = "open"
    RESOLVED = "resolved"
    REGRESSED = "regressed"
    IGNORED = "ignored"
    SNOOZED = "snoozed"

    @property
    def is_active(self) -> bool:
        """True for states that count towards health and alerting (open, regressed)."""
        return self in (FindingState.OPEN, FindingState.REGRESSED)


class HealthStatus(enum.StrEnum):
    """Health status bands of a 0-100 score."""

    HEALTHY = "healthy"
    WARNING = "warning"
    DEGRADED = "degraded"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class HealthScore:
    """A 0-100 health score and its status band."""

    score: int
    status: HealthStatus
