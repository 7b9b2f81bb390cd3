"""Store: read-side queries for the API — filtered, paged findings, recent hits, counts.

Times are aware UTC; every filter is optional and filters are AND-composed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.orm import Session

from loghealth.model import FindingState, Severity
from loghealth.store.repository import StoredFinding, _stored
from loghealth.store.tables import FindingRow, HitRow

__all__ = ["FindingFilter", "FindingReader", "StoredHit"]


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Which findings to read. `since` compares with the last hit time (`last_hit_at`).

    `text` is a case-insensitive substring of the signature id, the source or the sample.
    `min_severity` keeps findings at or above it (e.g. `error` for the critical view).
    """

    states: Sequence[FindingState] = ()
    severities: Sequence[Severity] = ()
    min_severity: Severity | None = None
    categories: Sequence[str] = ()
    areas: Sequence[str] = ()
    source: str | None = None
    source_prefix: str | None = None
    signature: str | None = None
    since: datetime | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class StoredHit:
    """A recent hit: record time (may be None), receive time, line number, redacted sample."""

    seen_at: datetime | None
    received_at: datetime
    line: int
    sample: str


def _where(query: Select[FindingRow], spec: FindingFilter) -> Select[FindingRow]:
    if spec.states:
        query = query.where(FindingRow.state.in_([str(s) for s in spec.states]))
    severities = list(spec.severities)
    if spec.min_severity is not None:
        allowed = [s for s in Severity if s >= spec.min_severity]
        severities = [s for s in severities if s in allowed] if severities else allowed
        if not severities:
            return query.where(FindingRow.id < 0)
    if severities:
        query = query.where(FindingRow.severity.in_([s.label for s in severities]))
    if spec.categories:
        query = query.where(FindingRow.category.in_(list(spec.categories)))
    if spec.areas:
        query = query.where(FindingRow.area.in_(list(spec.areas)))
    if spec.source is not None:
        query = query.where(FindingRow.source_id == spec.source)
    if spec.source_prefix is not None:
        query = query.where(FindingRow.source_id.startswith(spec.source_prefix, autoescape=True))
    if spec.signature is not None:
        query = query.where(FindingRow.signature_id == spec.signature)
    if spec.since is not None:
        query = query.where(FindingRow.last_hit_at >= spec.since)
    if spec.text:
        needle = f"%{spec.text.lower()}%"
        query = query.where(
            or_(
                func.lower(FindingRow.signature_id).like(needle),
                func.lower(FindingRow.source_id).like(needle),
                func.lower(FindingRow.sample).like(needle),
            )
        )
    return query


class FindingReader:
    """Read-only finding queries (safe to run in threads beside the pipeline's writer)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(
        self, spec: FindingFilter, limit: int = 50, offset: int = 0
    ) -> tuple[list[StoredFinding], int]:
        """One page of matching findings, newest hit first (then id), and the total count."""
        query = _where(select(FindingRow), spec)
        counted = select(func.count()).select_from(query.subquery())
        query = query.order_by(FindingRow.last_hit_at.desc(), FindingRow.id.desc())
        with Session(self.engine) as session:
            total = session.scalar(counted) or 0
            rows = session.scalars(query.limit(limit).offset(offset))
            return [_stored(r) for r in rows], total

    def all(self, spec: FindingFilter) -> list[StoredFinding]:
        """Every matching finding (for statistics and health; findings are few, hits are not)."""
        query = _where(select(FindingRow), spec).order_by(FindingRow.last_hit_at.desc())
        with Session(self.engine) as session:
            return [_stored(r) for r in session.scalars(query)]

    def hits(self, finding_id: int, limit: int = 20) -> list[StoredHit]:
        """A finding's most recent stored hits, newest first."""
        query = (
            select(HitRow)
            .where(HitRow.finding_id == finding_id)
            .order_by(HitRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [
                StoredHit(r.seen_at, r.received_at, r.line, r.sample)
                for r in session.scalars(query)
            ]

    def hits_since(self, since: datetime) -> int:
        """Stored hits received at or after `since` (recent hits are capped per finding)."""
        query = select(func.count()).select_from(HitRow).where(HitRow.received_at >= since)
        with Session(self.engine) as session:
            return session.scalar(query) or 0
