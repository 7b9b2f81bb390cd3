"""Store: the remediation audit — every action run, dry run and skip (the `remediation_runs` table).

Rows are written by the remediation runner (one when it decides, updated when a run ends) and
read by the API; `prune` bounds the table (by age and by count). Statuses are the values of
`loghealth.remediation.RunStatus` (kept as text here: the store does not depend on the
remediation stage). Times are aware UTC. The runtime pause of automatic remediation is kept
beside it (`remediation_pauses`, one row per flip) and cached in memory by `PauseSwitch`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Select, delete, func, select
from sqlalchemy.orm import Session

from loghealth.store.tables import RemediationPauseRow, RemediationRunRow

__all__ = [
    "PAUSE_REFRESH_SECS",
    "PauseState",
    "PauseSwitch",
    "RemediationStore",
    "RunFilter",
    "StoredRun",
]

PAUSE_REFRESH_SECS = 5.0
"""How long `PauseSwitch` trusts its cached state before reading the store again (a flip made by
another process is seen within this time; one made through this process's API at once)."""


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


@dataclass(frozen=True, slots=True)
class PauseState:
    """Whether automatic remediation is paused, and the flip that made it so.

    `actor` and `changed_at` (aware UTC) are None when nobody ever flipped it (not paused).
    """

    is_paused: bool = False
    reason: str = ""
    actor: str | None = None
    changed_at: datetime | None = None


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

    def prune(self, *, before: datetime, keep_count: int) -> int:
        """Delete runs started before `before` and all but the newest `keep_count` runs.

        Old pause flips go too, except the newest (it is the current state). Returns how many
        runs were deleted.

        Raises:
            ValueError: if `keep_count` < 1.
        """
        if keep_count < 1:
            raise ValueError("keep_count must be at least 1")
        newest = select(RemediationRunRow.id).order_by(RemediationRunRow.id.desc())
        runs = delete(RemediationRunRow)
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(runs.where(RemediationRunRow.started_at < before))
            count = int(deleted.rowcount)  # type: ignore[attr-defined]
            floor = session.scalar(newest.offset(keep_count - 1).limit(1))
            if floor is not None:
                deleted = session.execute(runs.where(RemediationRunRow.id < floor))
                count += int(deleted.rowcount)  # type: ignore[attr-defined]
            current = session.scalar(select(func.max(RemediationPauseRow.id)))
            if current is not None:
                session.execute(
                    delete(RemediationPauseRow)
                    .where(RemediationPauseRow.changed_at < before)
                    .where(RemediationPauseRow.id < current)
                )
        return count

    def pause_state(self) -> PauseState:
        """The newest pause flip (not paused when there is none)."""
        query = select(RemediationPauseRow).order_by(RemediationPauseRow.id.desc()).limit(1)
        with Session(self.engine) as session:
            row = session.scalar(query)
            if row is None:
                return PauseState()
            return PauseState(row.is_paused, row.reason, row.actor, row.changed_at)

    def set_paused(
        self, is_paused: bool, *, reason: str, actor: str, changed_at: datetime
    ) -> PauseState:
        """Record a flip (kept, so who paused and who resumed stays known) and return it."""
        row = RemediationPauseRow(
            is_paused=is_paused, reason=reason, actor=actor, changed_at=changed_at
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
        return PauseState(is_paused, reason, actor, changed_at)


class PauseSwitch:
    """The pause of automatic remediation, cached in memory (one per process, thread-safe).

    The runner asks `is_paused` before every automatic run: it reads the store only when the
    cache is older than `refresh_secs` (monotonic), so a flip by another process is seen within
    that time; `set` (the API) writes the store and the cache at once. Calls may block
    (database I/O): use them from a thread in async code.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: from `is_paused`/`state` when the state was never read
            and the store cannot be read (a later failure keeps the last state read).
    """

    def __init__(self, store: RemediationStore, refresh_secs: float = PAUSE_REFRESH_SECS) -> None:
        self.store = store
        self.refresh_secs = refresh_secs
        self._state: PauseState | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def load(self) -> PauseState:
        """Read the state from the store now (at start, and when the cache is stale)."""
        with self._lock:
            try:
                self._state = self.store.pause_state()
            except Exception:
                if self._state is None:
                    raise
            self._read_at = time.monotonic()
            return self._state

    def state(self) -> PauseState:
        """The cached state, read again when older than `refresh_secs`."""
        state = self._state
        if state is None or time.monotonic() - self._read_at >= self.refresh_secs:
            return self.load()
        return state

    def is_paused(self) -> bool:
        """True while automatic remediation is paused."""
        return self.state().is_paused

    def set(self, is_paused: bool, *, reason: str, actor: str, changed_at: datetime) -> PauseState:
        """Pause or resume: stored first, then cached (a failed write changes nothing)."""
        with self._lock:
            self._state = self.store.set_paused(
                is_paused, reason=reason, actor=actor, changed_at=changed_at
            )
            self._read_at = time.monotonic()
            return self._state
