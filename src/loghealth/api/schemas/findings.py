"""API schemas: findings, health, statistics and sources."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import ScoreOut, StrictIn

__all__ = [
    "FindingDetailOut",
    "FindingOut",
    "FindingPageOut",
    "HealthOut",
    "HistoryOut",
    "HitOut",
    "SnoozeIn",
    "SourceAddIn",
    "SourceAddedOut",
    "SourceOut",
    "StatisticsOut",
]


class FindingOut(BaseModel):
    """A stored finding with its catalog text (in the requested language)."""

    id: int
    fingerprint: str
    signature_id: str
    pack: str
    title: str
    severity: Literal["info", "warning", "error", "critical"]
    category: str
    area: str
    state: Literal["open", "resolved", "regressed", "ignored", "snoozed"]
    source_id: str
    count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    last_hit_at: datetime
    state_changed_at: datetime
    snoozed_until: datetime | None
    sample: str
    sample_line: int
    cause: str
    fix: str
    docs_url: str | None
    catalog_version: str


class HitOut(BaseModel):
    """A recent hit: record time (None if the line had none), receive time, line, sample."""

    seen_at: datetime | None
    received_at: datetime
    line: int
    sample: str


class HistoryOut(BaseModel):
    """A state transition: when, who (`engine`, `auto`, `token:<name>`…), from, to, note."""

    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    note: str | None


class FindingDetailOut(FindingOut):
    """One finding with its recent hits (newest first) and its state history (oldest first)."""

    hits: list[HitOut]
    history: list[HistoryOut]


class FindingPageOut(BaseModel):
    """One page of findings (newest hit first) and the total matching the filters."""

    items: list[FindingOut]
    total: int
    limit: int
    offset: int


class SnoozeIn(StrictIn):
    """Snooze a finding until `until` (aware, or naive meaning UTC; must be in the future)."""

    until: datetime


class HealthOut(ScoreOut):
    """Overall health from active findings hit within `window_secs`, and how many those are."""

    recent_count: int
    window_secs: int


class StatisticsOut(BaseModel):
    """Totals and distributions over stored findings; `*_last_5_min` count the last 300 s."""

    total_findings: int
    active_findings: int
    findings_last_5_min: int
    hits_last_5_min: int
    by_state: dict[str, int]
    by_severity: dict[str, int]
    by_category: dict[str, int]
    by_area: dict[str, int]
    monitored_sources: int
    is_monitoring: bool
    health: ScoreOut


# ---- sources ----------------------------------------------------------------------------------
class SourceOut(BaseModel):
    """A source with its counters (as last committed), drops by reason and health."""

    id: str
    kind: str
    format: str | None
    state: str
    is_running: bool
    records_read: int
    lines_read: int
    unparsed_lines: int
    bytes_read: int
    hits: int
    drops: dict[str, int]
    last_record_at: datetime | None
    lag_secs: float | None
    error: str | None
    updated_at: datetime | None
    active_findings: int
    health: ScoreOut


class SourceAddIn(StrictIn):
    """A file, directory or glob to follow (absolute path)."""

    path: str = Field(min_length=1, max_length=4096)


class SourceAddedOut(BaseModel):
    """Ids of the sources started for an added path (may be empty for a glob without files)."""

    source_ids: list[str]
