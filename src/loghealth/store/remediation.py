"""Store: the remediation audit — every action run, dry run and skip (the `remediation_runs` table).

Rows are written by the remediation runner (one when it decides, updated when a run ends) and
read by the API. Statuses are the values of `loghealth.remediation.RunStatus` (kept as text here:
the store does not depend on the remediation stage). Times are aware UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from loghealth.store.tables import RemediationRunRow

__all__ = ["RemediationStore", "RunFilter", "StoredRun"]


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One audited decision. `finished_at` is None while the action runs.

    `exit_code`: the process exit code (`command`) or the HTTP status (`http`,
    `container_restart`). `output` is redacted and capped; `error` says what went wrong or why
    nothing ran.
    """

    id: int
    action: str
    action_type: str | None
    finding_id: int | None
    signature_id: str | None
    source_id: str | None
    event: str
    actor: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    exit_code: int | None
    output: str
    error: str | None


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs to read; every field is optional and they are AND-composed."""

    finding_id: int | None = None
    action: str | None = None
    statuses: Sequence[str] = ()


def _stored(row: RemediationRunRow) -> StoredRun:
    return StoredRun(
        row.id,
        row.action,
        row.action_type,
        row.finding_id,
        row.signature_id,
        row.source_id,
        row.event,
        row.actor,
        row.status,
        row.started_at,
        row.finished_at,
        row.duration_ms,
        row.exit_code,
        row.output,
        row.error,
    )


def _where(query: Select[RemediationRunRow], spec: RunFilter) -> Select[RemediationRunRow]:
    if spec.finding_id is not None:
        query = query.where(RemediationRunRow.finding_id == spec.finding_id)
    if spec.action is not None:
        query = query.where(RemediationRunRow.action == spec.action)
    if spec.statuses:
        query = query.where(RemediationRunRow.status.in_(list(spec.statuses)))
    return query


class RemediationStore:
    """Write and read the remediation audit (safe to use from threads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(
        self,
        *,
        action: str,
        action_type: str | None,
        event: str,
        finding_id: int | None,
        signature_id: str | None,
        source_id: str | None,
        actor: str,
        status: str,
        started_at: datetime,
        output: str = "",
        error: str | None = None,
        finished_at: datetime | None = None,
    ) -> int:
        """Record a decision and return its id (`finished_at` None: a run that goes on)."""
        row = RemediationRunRow(
            action=action,
            action_type=action_type,
            finding_id=finding_id,
            signature_id=signature_id,
            source_id=source_id,
            event=event,
            actor=actor,
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            duration_ms=0 if finished_at is not None else None,
            output=output,
            error=error,
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            return row.id

    def finish(
        self,
        run_id: int,
        *,
        status: str,
        finished_at: datetime,
        duration_ms: int | None,
        exit_code: int | None,
        output: str,
        error: str | None,
    ) -> None:
        """Record how a run ended.

        Raises:
            KeyError: no run with this id.
        """
        with Session(self.engine) as session, session.begin():
            row = session.get(RemediationRunRow, run_id)
            if row is None:
                raise KeyError(run_id)
            row.status, row.finished_at, row.duration_ms = status, finished_at, duration_ms
            row.exit_code, row.output, row.error = exit_code, output, error

    def last_started_at(self, action: str, statuses: Collection[str]) -> datetime | None:
        """When the newest run of `action` with one of `statuses` started (None: never)."""
        query = (
            select(RemediationRunRow.started_at)
            .where(RemediationRunRow.action == action)
            .where(RemediationRunRow.status.in_(list(statuses)))
            .order_by(RemediationRunRow.started_at.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            return session.scalar(query)

    def get(self, run_id: int) -> StoredRun | None:
        """One run by id."""
        with Session(self.engine) as session:
            row = session.get(RemediationRunRow, run_id)
            return _stored(row) if row is not None else None

    def page(
        self, spec: RunFilter, limit: int = 50, offset: int = 0
    ) -> tuple[list[StoredRun], int]:
        """One page of matching runs, newest first, and the total count."""
        query = _where(select(RemediationRunRow), spec)
        counted = select(func.count()).select_from(query.subquery())
        query = query.order_by(RemediationRunRow.started_at.desc(), RemediationRunRow.id.desc())
        with Session(self.engine) as session:
            total = session.scalar(counted) or 0
            rows = session.scalars(query.limit(limit).offset(offset))
            return [_stored(row) for row in rows], total
