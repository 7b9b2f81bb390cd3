"""Store: user rules kept in the database (the `rules` table), written through the API.

A row is one rule: its id, its body (the fields of a signature except `id` and `enabled`, as
JSON), its scope (`global` or a source id) and whether it is enabled. A row with an empty body
only switches a shipped signature (or a rule-file rule) of that id off or on. Ids are unique
across scopes. Times are aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loghealth.store.tables import FindingRow, RuleRow

__all__ = ["GLOBAL_SCOPE", "RuleExistsError", "RuleStore", "StoredRule"]

GLOBAL_SCOPE = "global"
"""The scope of a rule that applies to every source."""


class RuleExistsError(Exception):
    """A rule with this id is already stored."""


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A stored rule. `body` is empty for a row that only switches a signature off or on."""

    id: str
    body: dict[str, Any]
    scope: str
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @property
    def is_switch_only(self) -> bool:
        """True when the row carries no rule of its own (it only disables or enables an id)."""
        return not self.body


def _stored(row: RuleRow) -> StoredRule:
    return StoredRule(
        row.id, dict(row.body or {}), row.scope, row.enabled, row.created_at, row.updated_at
    )


class RuleStore:
    """Create, read, change and delete stored rules."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(self, scope: str | None = None) -> list[StoredRule]:
        """Every stored rule (of `scope` when given), by id."""
        query = select(RuleRow).order_by(RuleRow.id)
        if scope is not None:
            query = query.where(RuleRow.scope == scope)
        with Session(self.engine) as session:
            return [_stored(row) for row in session.scalars(query)]

    def get(self, rule_id: str) -> StoredRule | None:
        """The stored rule with this id, or None."""
        with Session(self.engine) as session:
            row = session.get(RuleRow, rule_id)
            return _stored(row) if row is not None else None

    def create(self, rule: StoredRule) -> StoredRule:
        """Store a new rule (its `created_at`/`updated_at` are kept as given).

        Raises:
            RuleExistsError: a rule with this id is already stored.
        """
        row = RuleRow(
            id=rule.id, body=dict(rule.body), scope=rule.scope, enabled=rule.enabled,
            created_at=rule.created_at, updated_at=rule.updated_at,
        )  # fmt: skip
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                if session.get(RuleRow, rule.id) is not None:
                    raise RuleExistsError(rule.id)
                session.add(row)
        except IntegrityError:  # a concurrent create of the same id
            raise RuleExistsError(rule.id) from None
        return _stored(row)

    def update(self, rule_id: str, changes: Mapping[str, Any], now: datetime) -> StoredRule:
        """Set some of `body`, `scope`, `enabled` of a stored rule; `updated_at` becomes `now`.

        Raises:
            KeyError: no rule with this id, or a change names another column.
        """
        unknown = set(changes) - {"body", "scope", "enabled"}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(RuleRow, rule_id)
            if row is None:
                raise KeyError(rule_id)
            for name, value in changes.items():
                setattr(row, name, dict(value) if name == "body" else value)
            row.updated_at = now
        return _stored(row)

    def delete(self, rule_id: str) -> bool:
        """Delete a stored rule; False when there was none."""
        with Session(self.engine) as session, session.begin():
            row = session.get(RuleRow, rule_id)
            if row is None:
                return False
            session.delete(row)
        return True

    def hits_by_signature(self) -> dict[str, int]:
        """Hits counted so far per signature or rule id, summed over the stored findings."""
        query = select(FindingRow.signature_id, func.sum(FindingRow.count)).group_by(
            FindingRow.signature_id
        )
        with Session(self.engine) as session:
            return {str(sid): int(total or 0) for sid, total in session.execute(query)}
