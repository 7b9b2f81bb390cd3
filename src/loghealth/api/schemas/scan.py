"""API schemas: `POST /scan` (the same JSON as `loghealth scan --output json`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from loghealth.api.schemas.common import ScoreOut, SeverityName

__all__ = [
    "ScanFindingOut",
    "ScanOut",
    "ScanSourceOut",
    "ScanSummaryOut",
]


class ScanSourceOut(BaseModel):
    """One scanned input: detected format, records, unparsed lines, health."""

    path: str
    format: str
    records: int
    unparsed_lines: int
    health: ScoreOut | None


class ScanFindingOut(BaseModel):
    """A finding of a scan with its text (`first_seen`/`last_seen`: record times, UTC)."""

    signature_id: str
    pack: str
    title: str
    severity: SeverityName
    category: str
    area: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    sample: str
    sample_line: int
    source: str
    cause: str
    fix: str
    docs_url: str | None


class ScanSummaryOut(BaseModel):
    """Finding counts: total, by category, by severity."""

    total: int
    by_category: dict[str, int]
    by_severity: dict[str, int]


class ScanOut(BaseModel):
    """The JSON of `loghealth scan --output json` (README "Scan your own logs")."""

    scanned_records: int
    unparsed_lines: int
    sources: list[ScanSourceOut]
    findings: list[ScanFindingOut]
    summary: ScanSummaryOut
    health: ScoreOut
    below_min_count: dict[str, int]
    errors: list[str]
