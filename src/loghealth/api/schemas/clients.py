"""API schemas: fleet clients — registration, heartbeats, pushed log entries, overview."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import StrictIn

__all__ = [
    "ClientIn",
    "ClientKeyOut",
    "ClientLevelCounts",
    "ClientOut",
    "ClientStatus",
    "ClientSummaryItem",
    "ClientSummaryOut",
    "HeartbeatIn",
    "IngestOut",
    "IngestStatusOut",
    "LogBatchIn",
    "LogEntryIn",
    "LogEntryOut",
    "OverviewClientOut",
    "OverviewOut",
    "OverviewTotalsOut",
]


class ClientIn(StrictIn):
    """Register or update a client's description (a PUT replaces these fields)."""

    hostname: str | None = Field(None, max_length=256)
    description: str | None = Field(None, max_length=512)
    ip: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=128)
    group: str | None = Field(None, max_length=128)
    is_active: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


ClientStatus = Literal["healthy", "warning", "critical", "offline"]


class ClientOut(BaseModel):
    """A client: description, last heartbeat (`last_seen_at`), process and app status."""

    id: str
    hostname: str | None
    description: str | None
    ip: str | None
    model: str | None
    group: str | None
    is_active: bool
    is_alive: bool
    status: ClientStatus
    process_status: str | None
    app_status: str | None
    process_name: str | None
    pid: int | None
    metadata: dict[str, Any]
    last_seen_at: datetime | None
    created_at: datetime | None
    has_ingest_key: bool


class ClientKeyOut(BaseModel):
    """A client's new ingest key: shown once, only its hash is stored."""

    client_id: str
    ingest_key: str


class HeartbeatIn(StrictIn):
    """A client's heartbeat: process status, app/screen health (`OK`, `BLACK`, `FROZEN`…)."""

    process_status: Literal["running", "starting", "stopped", "crashed"] | None = None
    app_status: str | None = Field(None, max_length=32)
    process_name: str | None = Field(None, max_length=256)
    pid: int | None = Field(None, ge=0, le=2**31)
    hostname: str | None = Field(None, max_length=256)
    metadata: dict[str, Any] | None = None


class LogEntryIn(StrictIn):
    """One pushed entry. `level`: ERROR, WARN (or WARNING), INFO, DEBUG, any case.

    `timestamp` defaults to the receive time; naive means UTC. `context` is a JSON object, or a
    string holding one (a string that is not JSON is kept as `{"raw": "<text>"}`).
    """

    timestamp: datetime | None = None
    level: str = Field("INFO", max_length=16)
    message: str = Field(max_length=65_536)
    logger: str | None = Field(None, max_length=256)
    context: dict[str, Any] | str | None = None


class LogBatchIn(StrictIn):
    """A batch of entries (at most `api.max_batch_entries`, default 1000)."""

    entries: list[LogEntryIn]


class IngestOut(BaseModel):
    """How many entries were stored and matched."""

    client_id: str
    accepted: int


class LogEntryOut(BaseModel):
    """A stored client entry."""

    id: int
    client_id: str
    timestamp: datetime
    level: Literal["ERROR", "WARN", "INFO", "DEBUG"]
    message: str
    logger: str | None
    context: dict[str, Any]
    hostname: str | None = None
    description: str | None = None


class ClientLevelCounts(BaseModel):
    """Entry counts per level."""

    error: int = 0
    warn: int = 0
    info: int = 0
    debug: int = 0


class ClientSummaryItem(BaseModel):
    """One client's counts over the summary window."""

    client_id: str
    hostname: str | None
    description: str | None
    counts: ClientLevelCounts


class ClientSummaryOut(BaseModel):
    """Counts per client and level over the last `hours` (since `since_at`)."""

    hours: int
    since_at: datetime
    clients: list[ClientSummaryItem]


class OverviewClientOut(BaseModel):
    """A client in the overview: status, window counts, latest entry and latest error."""

    client: ClientOut
    counts: ClientLevelCounts
    latest_entry: LogEntryOut | None
    latest_error: LogEntryOut | None
    active_findings: int


class OverviewTotalsOut(BaseModel):
    """Fleet totals (entries counted over the status window)."""

    clients: int
    online: int
    offline: int
    healthy: int
    warning: int
    critical: int
    error_entries: int
    warning_entries: int


class OverviewOut(BaseModel):
    """Every client (by group, description, hostname) and the fleet totals."""

    clients: list[OverviewClientOut]
    totals: OverviewTotalsOut
    heartbeat_grace_secs: int
    window_secs: int


class IngestStatusOut(BaseModel):
    """Whether pushed logs arrive (counts only: never log contents)."""

    clients: int
    online: int
    entries_last_5_min: int
    is_ingest_working: bool
