"""Store: read-side queries over finding history — state transitions in time, for charts and feeds.

Times are aware UTC. History rows are few (one per state change), so callers bucket in Python
and the queries stay portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from loghealth.model import FindingState, Severity
from loghealth.store.repository import StoredFinding, _stored
from loghealth.store.tables import FindingEventRow, FindingRow

__all__ = ["FindingTimeline", "FindingTransition"]


@dataclass(frozen=True, slots=True)
class FindingTransition:
    """One recorded state change: when, who (`engine`, `auto`, `user:…`, `token:…`), from, to."""

    finding_id: int
    at: datetime
    actor: str
    from_state: FindingState | None
    to_state: FindingState
    note: str | None


def _transition(row: FindingEventRow) -> FindingTransition:
    return FindingTransition(
        row.finding_id,
        row.at,
        row.actor,
        FindingState(row.from_state) if row.from_state else None,
        FindingState(row.to_state),
        row.note,
    )


class FindingTimeline:
    """Read-only history queries (safe to run in threads beside the pipeline's writer)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def transitions_since(
        self, since: datetime, to_states: Sequence[FindingState] = ()
    ) -> list[tuple[FindingTransition, Severity]]:
        """Transitions at or after `since`, oldest first, each with its finding's severity.

        With `to_states`, only transitions into one of them.
        """
        query = (
            select(FindingEventRow, FindingRow.severity)
            .join(FindingRow, FindingRow.id == FindingEventRow.finding_id)
            .where(FindingEventRow.at >= since)
            .order_by(FindingEventRow.at, FindingEventRow.id)
        )
        if to_states:
            query = query.where(FindingEventRow.to_state.in_([str(s) for s in to_states]))
        with Session(self.engine) as session:
            return [
                (_transition(event), Severity[severity.upper()])
                for event, severity in session.execute(query)
            ]

    def recent(self, limit: int = 20) -> list[tuple[FindingTransition, StoredFinding]]:
        """The newest `limit` transitions of any finding, newest first, with their finding."""
        query = (
            select(FindingEventRow, FindingRow)
            .join(FindingRow, FindingRow.id == FindingEventRow.finding_id)
            .order_by(FindingEventRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [(_transition(event), _stored(row)) for event, row in session.execute(query)]
