"""Store: notification triggers, their deliveries and per-finding re-alert state.

A trigger row keeps its filters and notifier as JSON (secrets included: they are needed to
send; the API masks them). Each delivery is recorded (status, attempts, last error, times);
`DELIVERIES_PER_TRIGGER` newest are kept. A finished delivery updates the trigger's health:
failures in a row are counted and the trigger is marked failing at a threshold; a success
clears both. Times are aware UTC.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loghealth.store.tables import TriggerAlertStateRow, TriggerDeliveryRow, TriggerRow

__all__ = [
    "DELIVERIES_PER_TRIGGER",
    "TRIGGER_FIELDS",
    "DeliveryStatus",
    "StoredAlertState",
    "StoredDelivery",
    "StoredTrigger",
    "TriggerStore",
]

DELIVERIES_PER_TRIGGER = 500
"""Deliveries kept per trigger (older ones are pruned when a new one is recorded)."""

TRIGGER_FIELDS = frozenset(
    {"name", "enabled", "filters", "events", "notifier", "min_interval_secs",
     "max_interval_secs", "group_window_secs"}
)  # fmt: skip
"""Columns a trigger's definition consists of (what `create`/`update` accept)."""


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StoredTrigger:
    """A trigger as stored: definition (JSON parts as dicts) and delivery health."""

    id: int
    name: str
    enabled: bool
    filters: dict[str, Any]
    events: list[str]
    notifier: dict[str, Any]
    min_interval_secs: float
    max_interval_secs: float
    group_window_secs: float
    consecutive_failures: int
    is_failing: bool
    last_error: str | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """One delivery: the message's event and findings, its status and attempts."""

    id: int
    trigger_id: int
    event: str
    finding_ids: list[int]
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    status_code: int | None
    is_test: bool
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredAlertState:
    """The re-alert memory of one trigger about one finding (see `alerts.policy.AlertState`)."""

    streak: int
    suppressed_count: int
    has_announced: bool
    last_sent_at: datetime | None
    last_fired_at: datetime | None


def _trigger(row: TriggerRow) -> StoredTrigger:
    return StoredTrigger(
        row.id, row.name, row.enabled, dict(row.filters or {}), list(row.events or []),
        dict(row.notifier or {}), row.min_interval_secs, row.max_interval_secs,
        row.group_window_secs, row.consecutive_failures, row.is_failing, row.last_error,
        row.last_failure_at, row.last_success_at, row.created_at, row.updated_at,
    )  # fmt: skip


def _delivery(row: TriggerDeliveryRow) -> StoredDelivery:
    return StoredDelivery(
        row.id, row.trigger_id, row.event, list(row.finding_ids or []),
        DeliveryStatus(row.status), row.attempts, row.last_error, row.status_code, row.is_test,
        row.created_at, row.updated_at, row.delivered_at,
    )  # fmt: skip


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - TRIGGER_FIELDS
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    return dict(fields)


class TriggerStore:
    """Create, read, change and delete triggers; record deliveries and re-alert state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- triggers ---------------------------------------------------------------------------
    def list(self) -> list[StoredTrigger]:
        """Every trigger, by id."""
        with Session(self.engine) as session:
            rows = session.scalars(select(TriggerRow).order_by(TriggerRow.id))
            return [_trigger(row) for row in rows]

    def get(self, trigger_id: int) -> StoredTrigger | None:
        """The trigger with this id, or None."""
        with Session(self.engine) as session:
            row = session.get(TriggerRow, trigger_id)
            return _trigger(row) if row is not None else None

    def version(self) -> tuple[int, int, datetime | None]:
        """(count, highest id, newest `updated_at`): changes whenever a definition changes."""
        query = select(func.count(), func.max(TriggerRow.id), func.max(TriggerRow.updated_at))
        with Session(self.engine) as session:
            count, top, newest = session.execute(query).one()
            return int(count or 0), int(top or 0), newest

    def create(self, fields: Mapping[str, Any], now: datetime) -> StoredTrigger:
        """Store a new trigger from `TRIGGER_FIELDS` (`created_at`/`updated_at` = `now`).

        Raises:
            KeyError: a field outside `TRIGGER_FIELDS`.
        """
        row = TriggerRow(**_checked(fields), created_at=now, updated_at=now)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
        return _trigger(row)

    def update(self, trigger_id: int, changes: Mapping[str, Any], now: datetime) -> StoredTrigger:
        """Set some definition fields; `updated_at` becomes `now`.

        Raises:
            KeyError: no trigger with this id, or a field outside `TRIGGER_FIELDS`.
        """
        values = _checked(changes)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(TriggerRow, trigger_id)
            if row is None:
                raise KeyError(trigger_id)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
        return _trigger(row)

    def delete(self, trigger_id: int) -> bool:
        """Delete a trigger with its deliveries and re-alert state; False when there was none."""
        with Session(self.engine) as session, session.begin():
            row = session.get(TriggerRow, trigger_id)
            if row is None:
                return False
            for table in (TriggerDeliveryRow, TriggerAlertStateRow):
                session.execute(delete(table).where(table.trigger_id == trigger_id))
            session.delete(row)
        return True

    # ---- deliveries -------------------------------------------------------------------------
    def start_delivery(
        self, trigger_id: int, event: str, finding_ids: Sequence[int], now: datetime,
        *, is_test: bool = False,
    ) -> int:  # fmt: skip
        """Record a pending delivery; return its id (older ones beyond the cap are pruned)."""
        row = TriggerDeliveryRow(
            trigger_id=trigger_id, event=event, finding_ids=list(finding_ids),
            status=str(DeliveryStatus.PENDING), attempts=0, is_test=is_test,
            created_at=now, updated_at=now,
        )  # fmt: skip
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            keep = (
                select(TriggerDeliveryRow.id)
                .where(TriggerDeliveryRow.trigger_id == trigger_id)
                .order_by(TriggerDeliveryRow.id.desc())
                .limit(DELIVERIES_PER_TRIGGER)
            )
            session.execute(
                delete(TriggerDeliveryRow).where(
                    TriggerDeliveryRow.trigger_id == trigger_id, TriggerDeliveryRow.id.not_in(keep)
                )
            )
            return row.id

    def record_attempt(
        self, delivery_id: int, attempts: int, error: str | None, status_code: int | None,
        now: datetime,
    ) -> None:  # fmt: skip
        """Note a try of a pending delivery (its count, error and HTTP status)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(TriggerDeliveryRow, delivery_id)
            if row is not None:
                row.attempts, row.last_error, row.status_code = attempts, error, status_code
                row.updated_at = now

    def finish_delivery(
        self, delivery_id: int, *, is_delivered: bool, attempts: int, error: str | None,
        status_code: int | None, now: datetime, failing_after: int,
    ) -> StoredDelivery | None:  # fmt: skip
        """Close a delivery and update its trigger's health (not for test deliveries).

        A failure adds one to `consecutive_failures` (the trigger `is_failing` from
        `failing_after` on); a success resets both. Returns the delivery (None if deleted).
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(TriggerDeliveryRow, delivery_id)
            if row is None:
                return None
            status = DeliveryStatus.DELIVERED if is_delivered else DeliveryStatus.FAILED
            row.status, row.attempts, row.updated_at = str(status), attempts, now
            row.last_error, row.status_code = error, status_code
            row.delivered_at = now if is_delivered else None
            trigger = session.get(TriggerRow, row.trigger_id)
            if trigger is not None and not row.is_test:
                if is_delivered:
                    trigger.consecutive_failures, trigger.is_failing = 0, False
                    trigger.last_success_at = now
                else:
                    trigger.consecutive_failures += 1
                    trigger.is_failing = trigger.consecutive_failures >= failing_after
                    trigger.last_error, trigger.last_failure_at = error, now
            return _delivery(row)

    def deliveries(
        self, trigger_id: int | None = None, limit: int = 100, status: DeliveryStatus | None = None
    ) -> builtins.list[StoredDelivery]:
        """Deliveries, newest first (of one trigger, of one status, when given)."""
        query = select(TriggerDeliveryRow).order_by(TriggerDeliveryRow.id.desc()).limit(limit)
        if trigger_id is not None:
            query = query.where(TriggerDeliveryRow.trigger_id == trigger_id)
        if status is not None:
            query = query.where(TriggerDeliveryRow.status == str(status))
        with Session(self.engine) as session:
            return [_delivery(row) for row in session.scalars(query)]

    # ---- re-alert state ---------------------------------------------------------------------
    def alert_state(self, trigger_id: int, finding_id: int) -> StoredAlertState | None:
        """The re-alert memory of a trigger about a finding, or None."""
        with Session(self.engine) as session:
            row = session.get(TriggerAlertStateRow, (trigger_id, finding_id))
            if row is None:
                return None
            return StoredAlertState(
                row.streak, row.suppressed_count, row.has_announced, row.last_sent_at,
                row.last_fired_at,
            )  # fmt: skip

    def save_alert_state(self, trigger_id: int, finding_id: int, state: StoredAlertState) -> bool:
        """Write the re-alert memory; False when the trigger or finding no longer exists."""
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(TriggerRow, trigger_id) is None:
                    return False
                session.merge(
                    TriggerAlertStateRow(
                        trigger_id=trigger_id, finding_id=finding_id, streak=state.streak,
                        suppressed_count=state.suppressed_count,
                        has_announced=state.has_announced, last_sent_at=state.last_sent_at,
                        last_fired_at=state.last_fired_at,
                    )
                )  # fmt: skip
        except IntegrityError:  # the finding was deleted meanwhile
            return False
        return True
