"""Store: fleet clients — registration, heartbeats, pushed log entries (with retention), overview.

Entry levels are the four of the fleet spec (`ERROR | WARN | INFO | DEBUG`); times are aware UTC.
Reads are shaped for the API (one query per aspect, never one per client).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from loghealth.store.tables import ClientLogEntryRow, ClientRow
from loghealth.store.tokens import CLIENT_KEY_PREFIX, hash_secret, new_secret

__all__ = ["ClientInfo", "ClientLevel", "ClientStore", "EntryData", "Heartbeat", "StoredEntry"]


class ClientLevel(enum.StrEnum):
    """Level of a pushed entry (fleet spec: exactly these four)."""

    ERROR = "ERROR"
    WARN = "WARN"
    INFO = "INFO"
    DEBUG = "DEBUG"


@dataclass(slots=True)
class ClientInfo:
    """A client as registered and last heard of (`last_seen_at`: last heartbeat, aware UTC)."""

    id: str
    hostname: str | None = None
    description: str | None = None
    ip: str | None = None
    model: str | None = None
    group: str | None = None
    is_active: bool = True
    process_status: str | None = None
    app_status: str | None = None
    process_name: str | None = None
    pid: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    last_seen_at: datetime | None = None
    created_at: datetime | None = None
    has_ingest_key: bool = False


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What a heartbeat reports; None leaves a field as it was."""

    process_status: str | None = None
    app_status: str | None = None
    process_name: str | None = None
    pid: int | None = None
    hostname: str | None = None
    ip: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EntryData:
    """One pushed entry to store. `context` is a JSON object (`{"raw": text}` for non-JSON)."""

    client_id: str
    at: datetime
    level: ClientLevel
    message: str
    logger: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A stored entry with its id (ids grow with insertion order)."""

    id: int
    client_id: str
    at: datetime
    level: str
    message: str
    logger: str | None
    context: dict[str, Any]


_INFO_FIELDS = ("hostname", "description", "ip", "model", "is_active")


def _info(row: ClientRow) -> ClientInfo:
    return ClientInfo(
        id=row.id,
        hostname=row.hostname,
        description=row.description,
        ip=row.ip,
        model=row.model,
        group=row.group_name,
        is_active=row.is_active,
        process_status=row.process_status,
        app_status=row.app_status,
        process_name=row.process_name,
        pid=row.pid,
        metadata=dict(row.metadata_json or {}),
        last_seen_at=row.last_seen_at,
        created_at=row.created_at,
        has_ingest_key=row.ingest_key_hash is not None,
    )


def _entry(row: ClientLogEntryRow) -> StoredEntry:
    return StoredEntry(
        row.id, row.client_id, row.at, row.level or "INFO", row.message, row.logger,
        dict(row.fields or {}),
    )  # fmt: skip


def _new_row(client_id: str, now: datetime) -> ClientRow:
    return ClientRow(id=client_id, status="unknown", metadata_json={}, created_at=now)


class ClientStore:
    """Repository of clients and their pushed entries over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- clients ------------------------------------------------------------------------------
    def upsert(self, info: ClientInfo, now: datetime) -> ClientInfo:
        """Register a client or update its descriptive fields (hostname … group, is_active)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(ClientRow, info.id)
            if row is None:
                row = _new_row(info.id, now)
                session.add(row)
            for name in _INFO_FIELDS:
                setattr(row, name, getattr(info, name))
            row.group_name = info.group
            row.metadata_json = dict(info.metadata)
        return _info(row)

    def rotate_key(self, client_id: str, now: datetime) -> str:
        """Give a client (registered now if new) a fresh ingest key; return the key (shown once)."""
        secret = new_secret(CLIENT_KEY_PREFIX)
        with Session(self.engine) as session, session.begin():
            row = session.get(ClientRow, client_id)
            if row is None:
                row = _new_row(client_id, now)
                session.add(row)
            row.ingest_key_hash = hash_secret(secret)
        return secret

    def get(self, client_id: str) -> ClientInfo | None:
        """One client, or None."""
        with Session(self.engine) as session:
            row = session.get(ClientRow, client_id)
            return _info(row) if row is not None else None

    def all(self) -> list[ClientInfo]:
        """Every client, ordered by group, description, hostname, id (the overview order)."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ClientRow))
            infos = [_info(r) for r in rows]
        return sorted(
            infos, key=lambda c: (c.group or "", c.description or "", c.hostname or "", c.id)
        )

    def delete(self, client_id: str) -> bool:
        """Delete a client and its entries; False if it did not exist."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(ClientLogEntryRow).where(ClientLogEntryRow.client_id == client_id)
            )
            result = session.execute(delete(ClientRow).where(ClientRow.id == client_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def heartbeat(self, client_id: str, beat: Heartbeat, now: datetime) -> ClientInfo | None:
        """Record a heartbeat (`last_seen_at = now`); None for an unknown client."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(ClientRow, client_id)
            if row is None:
                return None
            row.last_seen_at = now
            for name in ("process_status", "app_status", "process_name", "pid", "hostname", "ip"):
                value = getattr(beat, name)
                if value is not None:
                    setattr(row, name, value)
            if beat.metadata is not None:
                row.metadata_json = {**(row.metadata_json or {}), **beat.metadata}
        return _info(row)

    # ---- entries ------------------------------------------------------------------------------
    def add_entries(self, entries: Sequence[EntryData]) -> None:
        """Insert entries (of any clients) in one transaction."""
        if not entries:
            return
        with Session(self.engine) as session, session.begin():
            session.execute(
                insert(ClientLogEntryRow),
                [
                    {
                        "client_id": e.client_id,
                        "at": e.at,
                        "level": str(e.level),
                        "logger": e.logger,
                        "message": e.message,
                        "fields": e.context,
                    }
                    for e in entries
                ],
            )

    def entries(
        self,
        client_id: str,
        level: ClientLevel | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[StoredEntry]:
        """A client's entries, newest first (by time, then insertion), skipping `offset`."""
        query = select(ClientLogEntryRow).where(ClientLogEntryRow.client_id == client_id)
        if level is not None:
            query = query.where(ClientLogEntryRow.level == str(level))
        if since is not None:
            query = query.where(ClientLogEntryRow.at >= since)
        query = (
            query.order_by(ClientLogEntryRow.at.desc(), ClientLogEntryRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_entry(r) for r in session.scalars(query)]

    def recent_errors(self, limit: int = 20) -> list[StoredEntry]:
        """The newest ERROR entries across all clients."""
        query = (
            select(ClientLogEntryRow)
            .where(ClientLogEntryRow.level == str(ClientLevel.ERROR))
            .order_by(ClientLogEntryRow.at.desc(), ClientLogEntryRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_entry(r) for r in session.scalars(query)]

    def level_counts(
        self, since: datetime, client_id: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Entry counts per client and level at or after `since`: {client_id: {level: n}}."""
        query = (
            select(ClientLogEntryRow.client_id, ClientLogEntryRow.level, func.count())
            .where(ClientLogEntryRow.at >= since)
            .group_by(ClientLogEntryRow.client_id, ClientLogEntryRow.level)
        )
        if client_id is not None:
            query = query.where(ClientLogEntryRow.client_id == client_id)
        counts: dict[str, dict[str, int]] = {}
        with Session(self.engine) as session:
            for client_id, level, count in session.execute(query):
                counts.setdefault(client_id, {})[level or "INFO"] = count
        return counts

    def latest(
        self, level: ClientLevel | None = None, client_id: str | None = None
    ) -> dict[str, StoredEntry]:
        """The most recently stored entry of each client (of `level` only, if given), by id."""
        newest = select(func.max(ClientLogEntryRow.id)).group_by(ClientLogEntryRow.client_id)
        if level is not None:
            newest = newest.where(ClientLogEntryRow.level == str(level))
        if client_id is not None:
            newest = newest.where(ClientLogEntryRow.client_id == client_id)
        query = select(ClientLogEntryRow).where(ClientLogEntryRow.id.in_(newest))
        with Session(self.engine) as session:
            return {r.client_id: _entry(r) for r in session.scalars(query)}

    def prune(self, before: datetime) -> int:
        """Delete entries older than `before` (retention); return how many went."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(delete(ClientLogEntryRow).where(ClientLogEntryRow.at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]
