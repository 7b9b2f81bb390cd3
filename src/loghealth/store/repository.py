"""Store: read and write findings, their history, hits, sources and checkpoints.

One writer: the runtime calls `commit` with a batch (one transaction per batch). The finding
life cycle is decided by `engine.lifecycle` on the state read inside that transaction, so a state
set by the CLI or the API in another process is respected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from loghealth.engine.lifecycle import Action, EventKind, on_action, on_hits, should_auto_resolve
from loghealth.model import Area, Category, Finding, FindingState, Severity
from loghealth.store.tables import (
    CheckpointRow,
    ContainerCursorRow,
    FindingEventRow,
    FindingRow,
    HitRow,
    SourceRow,
)

__all__ = [
    "CONTAINER_CURSORS_KEPT",
    "Batch",
    "CheckpointData",
    "ContainerCursorData",
    "FindingDelta",
    "FindingEvent",
    "SourceSnapshot",
    "Store",
    "StoredFinding",
    "fingerprint",
]

HITS_PER_FINDING = 50
"""Recent hits kept per finding (older ones are pruned at every commit)."""

CONTAINER_CURSORS_KEPT = 4096
"""Container cursors kept, the most recently updated first (older rows go at every commit that
writes cursors). A count, not an age: a container that is quiet for months keeps its cursor, and
containers recreated again and again (each a new id) cannot grow the table without bound."""


def fingerprint(signature_id: str, source_id: str) -> str:
    """The finding key: sha256 of `signature_id` and `source_id` (64 hex characters)."""
    return hashlib.sha256(f"{signature_id}\x00{source_id}".encode()).hexdigest()


@dataclass(slots=True)
class FindingDelta:
    """Counted hits of one fingerprint within one batch."""

    signature_id: str
    pack: str
    severity: Severity
    category: Category
    area: Area
    source_id: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sample: str = ""
    sample_line: int = 0
    hits: list[tuple[datetime | None, int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckpointData:
    """Position of a file source after its last committed line."""

    path: str
    device: int
    inode: int
    offset: int
    line_no: int


@dataclass(frozen=True, slots=True)
class ContainerCursorData:
    """Where a container's tail stands after its last committed line (a `LogCursor`).

    `timestamp_ns` is the engine timestamp of that line (UNIX nanoseconds); `count` is how many
    delivered lines carry exactly that timestamp; `name` is the container's name.
    """

    name: str
    timestamp_ns: int
    count: int


@dataclass(slots=True)
class SourceSnapshot:
    """A source's counters at batch time."""

    kind: str
    format: str | None
    state: str
    records_read: int
    lines_read: int
    unparsed_lines: int
    bytes_read: int
    hits: int
    drops: dict[str, int]
    last_record_at: datetime | None
    error: str | None = None


@dataclass(slots=True)
class Batch:
    """Everything one commit writes."""

    deltas: dict[str, FindingDelta] = field(default_factory=dict)
    checkpoints: dict[str, CheckpointData] = field(default_factory=dict)
    container_cursors: dict[str, ContainerCursorData] = field(default_factory=dict)  # by id
    sources: dict[str, SourceSnapshot] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.deltas or self.checkpoints or self.container_cursors or self.sources)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as stored: the scan-shaped `Finding` plus id, state and times."""

    id: int
    fingerprint: str
    finding: Finding
    state: FindingState
    snoozed_until: datetime | None
    state_changed_at: datetime
    last_hit_at: datetime
    catalog_version: str


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """Published on the event bus after the commit that caused it."""

    kind: EventKind
    finding: StoredFinding
    actor: str = "engine"


def _stored(row: FindingRow) -> StoredFinding:
    finding = Finding(
        signature_id=row.signature_id,
        pack=row.pack,
        severity=Severity[row.severity.upper()],
        category=Category(row.category),
        area=Area(row.area),
        source=row.source_id,
        count=row.count,
        first_seen=row.first_seen_at,
        last_seen=row.last_seen_at,
        sample=row.sample,
        sample_line=row.sample_line,
    )
    return StoredFinding(
        row.id,
        row.fingerprint,
        finding,
        FindingState(row.state),
        row.snoozed_until,
        row.state_changed_at,
        row.last_hit_at,
        row.catalog_version,
    )


def _merge_times(row: FindingRow, delta: FindingDelta) -> None:
    if delta.first_seen is not None and (
        row.first_seen_at is None or delta.first_seen < row.first_seen_at
    ):
        row.first_seen_at = delta.first_seen
    newest = (
        row.last_seen_at is None or delta.last_seen is None or delta.last_seen >= row.last_seen_at
    )
    if delta.last_seen is not None and (
        row.last_seen_at is None or delta.last_seen > row.last_seen_at
    ):
        row.last_seen_at = delta.last_seen
    if newest and delta.sample:
        row.sample, row.sample_line = delta.sample, delta.sample_line


class Store:
    """Repository over one SQLAlchemy engine (already migrated)."""

    def __init__(self, engine: Engine, catalog_version: str = "") -> None:
        self.engine = engine
        self.catalog_version = catalog_version

    # ---- writes (the runtime's single writer) ---------------------------------------------
    def commit(self, batch: Batch, now: datetime) -> list[FindingEvent]:
        """Write a batch in one transaction; return the events to publish after it."""
        events: list[FindingEvent] = []
        with Session(self.engine) as session, session.begin():
            for key, delta in batch.deltas.items():
                event = self._apply_delta(session, key, delta, now)
                if event is not None:
                    events.append(event)
            for source_id, checkpoint in batch.checkpoints.items():
                session.merge(
                    CheckpointRow(
                        source_id=source_id,
                        path=checkpoint.path,
                        device=checkpoint.device,
                        inode=checkpoint.inode,
                        offset=checkpoint.offset,
                        line_no=checkpoint.line_no,
                        updated_at=now,
                    )
                )
            if batch.container_cursors:
                self._write_container_cursors(session, batch.container_cursors, now)
            for source_id, snapshot in batch.sources.items():
                session.merge(
                    SourceRow(
                        id=source_id,
                        kind=snapshot.kind,
                        format=snapshot.format,
                        state=snapshot.state,
                        records_read=snapshot.records_read,
                        lines_read=snapshot.lines_read,
                        unparsed_lines=snapshot.unparsed_lines,
                        bytes_read=snapshot.bytes_read,
                        hits=snapshot.hits,
                        drops=dict(snapshot.drops),
                        last_record_at=snapshot.last_record_at,
                        error=snapshot.error,
                        updated_at=now,
                    )
                )
        return events

    @staticmethod
    def _write_container_cursors(
        session: Session, cursors: dict[str, ContainerCursorData], now: datetime
    ) -> None:
        for container_id, cursor in cursors.items():
            session.merge(
                ContainerCursorRow(
                    container_id=container_id,
                    name=cursor.name,
                    timestamp_ns=cursor.timestamp_ns,
                    count=cursor.count,
                    updated_at=now,
                )
            )
        session.flush()
        keep = (
            select(ContainerCursorRow.container_id)
            .order_by(ContainerCursorRow.updated_at.desc(), ContainerCursorRow.container_id)
            .limit(CONTAINER_CURSORS_KEPT)
        )
        session.execute(
            delete(ContainerCursorRow).where(ContainerCursorRow.container_id.not_in(keep))
        )

    def _apply_delta(
        self, session: Session, key: str, delta: FindingDelta, now: datetime
    ) -> FindingEvent | None:
        row = session.scalars(select(FindingRow).where(FindingRow.fingerprint == key)).one_or_none()
        state = FindingState(row.state) if row is not None else None
        transition = on_hits(state, row.snoozed_until if row is not None else None, now)
        if row is None:
            row = FindingRow(
                fingerprint=key,
                signature_id=delta.signature_id,
                pack=delta.pack,
                catalog_version=self.catalog_version,
                source_id=delta.source_id,
                severity=delta.severity.label,
                category=str(delta.category),
                area=str(delta.area),
                state=str(transition.state),
                count=0,
                last_hit_at=now,
                state_changed_at=now,
                created_at=now,
                sample="",
                sample_line=0,
            )
            session.add(row)
        row.count += delta.count
        row.last_hit_at = now
        _merge_times(row, delta)
        if transition.changed:
            row.state_changed_at = now
            row.snoozed_until = None
            self._history(session, row, state, transition.state, "engine", now)
            row.state = str(transition.state)
        session.flush()
        for seen_at, line, sample in delta.hits[-HITS_PER_FINDING:]:
            session.add(
                HitRow(
                    finding_id=row.id, seen_at=seen_at, received_at=now, line=line, sample=sample
                )
            )
        self._cap_hits(session, row.id)
        return FindingEvent(transition.event, _stored(row)) if transition.event else None

    @staticmethod
    def _history(
        session: Session,
        row: FindingRow,
        old: FindingState | None,
        new: FindingState,
        actor: str,
        now: datetime,
        note: str | None = None,
    ) -> None:
        session.flush()
        session.add(
            FindingEventRow(
                finding_id=row.id,
                at=now,
                actor=actor,
                from_state=str(old) if old else None,
                to_state=str(new),
                note=note,
            )
        )

    @staticmethod
    def _cap_hits(session: Session, finding_id: int) -> None:
        keep = (
            select(HitRow.id)
            .where(HitRow.finding_id == finding_id)
            .order_by(HitRow.id.desc())
            .limit(HITS_PER_FINDING)
        )
        session.execute(
            delete(HitRow).where(HitRow.finding_id == finding_id, HitRow.id.not_in(keep))
        )

    def auto_resolve(self, now: datetime, quiet_secs: int) -> list[FindingEvent]:
        """Resolve active findings quiet for `quiet_secs` (actor `auto`); return the events."""
        if quiet_secs <= 0:
            return []
        cutoff = now - timedelta(seconds=quiet_secs)
        events = []
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(
                select(FindingRow).where(
                    FindingRow.state.in_([str(FindingState.OPEN), str(FindingState.REGRESSED)]),
                    FindingRow.last_hit_at <= cutoff,
                )
            ).all()
            for row in rows:
                if should_auto_resolve(FindingState(row.state), row.last_hit_at, now, quiet_secs):
                    self._history(
                        session,
                        row,
                        FindingState(row.state),
                        FindingState.RESOLVED,
                        "auto",
                        now,
                        f"no hit for {quiet_secs} s",
                    )
                    row.state, row.state_changed_at = str(FindingState.RESOLVED), now
                    events.append(FindingEvent(EventKind.RESOLVED, _stored(row), "auto"))
        return events

    def act(
        self,
        finding_id: int,
        action: Action,
        actor: str,
        now: datetime,
        until: datetime | None = None,
    ) -> FindingEvent:
        """Apply a person's action to a finding.

        Raises:
            KeyError: no finding with this id.
            ValueError: the action does not apply in the finding's state, or snooze without `until`.
        """
        if action is Action.SNOOZE and (until is None or until <= now):
            raise ValueError("snooze needs a time in the future")
        with Session(self.engine) as session, session.begin():
            row = session.get(FindingRow, finding_id)
            if row is None:
                raise KeyError(finding_id)
            old = FindingState(row.state)
            transition = on_action(old, action)
            self._history(
                session,
                row,
                old,
                transition.state,
                actor,
                now,
                f"until {until.isoformat()}" if until else None,
            )
            row.state, row.state_changed_at = str(transition.state), now
            row.snoozed_until = until if action is Action.SNOOZE else None
            return FindingEvent(transition.event or EventKind.STATE_CHANGED, _stored(row), actor)

    # ---- reads ------------------------------------------------------------------------------
    def findings(
        self, states: Sequence[FindingState] = (), limit: int = 1000
    ) -> list[StoredFinding]:
        """Findings, newest hit first, optionally only in `states`."""
        query = select(FindingRow).order_by(FindingRow.last_hit_at.desc()).limit(limit)
        if states:
            query = query.where(FindingRow.state.in_([str(s) for s in states]))
        with Session(self.engine) as session:
            return [_stored(row) for row in session.scalars(query)]

    def finding(self, finding_id: int) -> StoredFinding | None:
        """One finding by id."""
        with Session(self.engine) as session:
            row = session.get(FindingRow, finding_id)
            return _stored(row) if row is not None else None

    def history(self, finding_id: int) -> list[dict[str, Any]]:
        """State transitions of a finding, oldest first."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(FindingEventRow)
                .where(FindingEventRow.finding_id == finding_id)
                .order_by(FindingEventRow.id)
            )
            return [
                {
                    "at": r.at,
                    "actor": r.actor,
                    "from": r.from_state,
                    "to": r.to_state,
                    "note": r.note,
                }
                for r in rows
            ]

    def hit_count(self, finding_id: int) -> int:
        """Stored (recent) hits of a finding."""
        with Session(self.engine) as session:
            return (
                session.scalar(
                    select(func.count()).select_from(HitRow).where(HitRow.finding_id == finding_id)
                )
                or 0
            )

    def fingerprints(self) -> set[str]:
        """Every stored fingerprint (thresholds were met for these)."""
        with Session(self.engine) as session:
            return set(session.scalars(select(FindingRow.fingerprint)))

    def finding_keys(self) -> set[tuple[str, str]]:
        """(signature_id, source_id) of every stored finding (their thresholds were met)."""
        with Session(self.engine) as session:
            rows = session.execute(select(FindingRow.signature_id, FindingRow.source_id))
            return {(signature_id, source_id) for signature_id, source_id in rows}

    def checkpoints(self) -> dict[str, CheckpointData]:
        """Saved positions of file sources, by source id."""
        with Session(self.engine) as session:
            return {
                r.source_id: CheckpointData(r.path, r.device, r.inode, r.offset, r.line_no)
                for r in session.scalars(select(CheckpointRow))
            }

    def container_cursors(self) -> dict[str, ContainerCursorData]:
        """Saved cursors of container tails, by container id."""
        with Session(self.engine) as session:
            return {
                r.container_id: ContainerCursorData(r.name, r.timestamp_ns, r.count)
                for r in session.scalars(select(ContainerCursorRow))
            }

    def sources(self) -> list[SourceRow]:
        """Every source row (detached)."""
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(SourceRow).order_by(SourceRow.id)))
