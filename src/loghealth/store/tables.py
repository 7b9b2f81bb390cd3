"""Store: the database schema (SQLAlchemy 2, typed `Mapped[]` columns).

Times are stored as aware UTC (`DateTime(timezone=True)`). Enums are stored as their string values.
Migrations in `store/migrations/` create exactly these tables (`loghealth db upgrade`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiTokenRow",
    "Base",
    "CheckpointRow",
    "ClientLogEntryRow",
    "ClientRow",
    "ContainerCursorRow",
    "FindingEventRow",
    "FindingRow",
    "HitRow",
    "RemediationPauseRow",
    "RemediationRunRow",
    "RuleRow",
    "SourceRow",
    "TriggerAlertStateRow",
    "TriggerDeliveryRow",
    "TriggerRow",
    "UiSessionRow",
    "UserRow",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone: it is added back on read).

    Raises:
        ValueError: on write of a naive datetime (a bug: every time in loghealth is aware).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before writing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime written to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC when the backend returned a naive value."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class SourceRow(Base):
    """A source seen by `serve`, with its counters (updated with every batch)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    records_read: Mapped[int] = mapped_column(BigInteger, default=0)
    lines_read: Mapped[int] = mapped_column(BigInteger, default=0)
    unparsed_lines: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    hits: Mapped[int] = mapped_column(BigInteger, default=0)
    drops: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_record_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class CheckpointRow(Base):
    """Where a file source stopped: file identity and the offset after the last committed line."""

    __tablename__ = "checkpoints"

    source_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    line_no: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class ContainerCursorRow(Base):
    """Where a container's tail stopped: the `LogCursor` after its last committed line.

    Keyed by container id (a recreated container has a new id and starts afresh); `name` is the
    container's name when the cursor was written (its source id is `docker:<name>`).
    """

    __tablename__ = "container_cursors"
    __table_args__ = (Index("ix_container_cursors_updated_at", "updated_at"),)

    container_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    timestamp_ns: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class FindingRow(Base):
    """One finding: hits of one signature in one source (the fingerprint), with its state."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_state_last_hit", "state", "last_hit_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(128), unique=True)
    signature_id: Mapped[str] = mapped_column(String(128), index=True)
    pack: Mapped[str] = mapped_column(String(64))
    catalog_version: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(512), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    last_hit_at: Mapped[datetime]
    sample: Mapped[str] = mapped_column(Text, default="")
    sample_line: Mapped[int] = mapped_column(BigInteger, default=0)
    snoozed_until: Mapped[datetime | None]
    state_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]


class FindingEventRow(Base):
    """A state transition of a finding: when, who (`engine`, `auto`, `cli`, a user), from, to."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class HitRow(Base):
    """A recent hit of a finding (capped per finding, pruned by retention)."""

    __tablename__ = "hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    seen_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    line: Mapped[int] = mapped_column(BigInteger, default=0)
    sample: Mapped[str] = mapped_column(Text, default="")


class RuleRow(Base):
    """A user rule stored through the API (same schema as a signature, kept as JSON)."""

    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scope: Mapped[str] = mapped_column(String(512), default="global")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ClientRow(Base):
    """A remote machine that pushes logs and heartbeats over HTTP."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32), default="unknown")
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    ingest_key_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    hostname: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(512))
    ip: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    group_name: Mapped[str | None] = mapped_column(String(128))
    is_active: Mapped[bool] = mapped_column(default=True)
    process_status: Mapped[str | None] = mapped_column(String(16))
    app_status: Mapped[str | None] = mapped_column(String(32))
    process_name: Mapped[str | None] = mapped_column(String(256))
    pid: Mapped[int | None] = mapped_column(BigInteger)


class ClientLogEntryRow(Base):
    """A log entry pushed by a client (kept for the retention period)."""

    __tablename__ = "client_log_entries"
    __table_args__ = (
        Index("ix_client_log_entries_client_at", "client_id", "at"),
        Index("ix_client_log_entries_level_at", "level", "at"),
        Index("ix_client_log_entries_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    level: Mapped[str | None] = mapped_column(String(16))
    logger: Mapped[str | None] = mapped_column(String(256))
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TriggerRow(Base):
    """A notification trigger: filters, events, re-alert policy, a notifier and its health.

    `filters` and `notifier` are JSON (`alerts.routing.TriggerFilters`, `alerts.config`; the
    notifier keeps its secrets). `consecutive_failures` counts failed deliveries in a row;
    `is_failing` is set when it reaches `notifications.failing_after`.
    """

    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256))
    enabled: Mapped[bool] = mapped_column(default=True)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notifier: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_interval_secs: Mapped[float] = mapped_column(Float, default=300.0)
    max_interval_secs: Mapped[float] = mapped_column(Float, default=86_400.0)
    group_window_secs: Mapped[float] = mapped_column(Float, default=5.0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    is_failing: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_failure_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


class ApiTokenRow(Base):
    """An API token: only the sha256 of the secret is kept, with its role and use times."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RemediationRunRow(Base):
    """A remediation decision: an action run (or dry run, or skipped, and why), for the audit.

    `exit_code` is the process exit code (`command`) or the HTTP status (`http`,
    `container_restart`); `output` is redacted and capped. `finished_at` is None while running.
    """

    __tablename__ = "remediation_runs"
    __table_args__ = (
        Index("ix_remediation_runs_action_started", "action", "started_at"),
        Index("ix_remediation_runs_finding", "finding_id"),
        Index("ix_remediation_runs_status", "status"),
        Index("ix_remediation_runs_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(64))
    action_type: Mapped[str | None] = mapped_column(String(32))
    finding_id: Mapped[int | None] = mapped_column(Integer)
    signature_id: Mapped[str | None] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(512))
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    output: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)


class RemediationPauseRow(Base):
    """One flip of the runtime pause of automatic remediation (append-only; the newest row wins).

    No row means never paused. `actor` is who flipped it (`token:<name>`, `user:<name>`).
    """

    __tablename__ = "remediation_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    is_paused: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime]


class UserRow(Base):
    """A dashboard user: unique name, argon2id password hash (PHC string), role, use times.

    A disabled user (`disabled_at` set) cannot log in and its sessions stop working.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]


class UiSessionRow(Base):
    """A dashboard session of a user or of an API token; only the cookie secret's sha256 is kept.

    `csrf_token` is the synchronizer token its forms must send back; `expires_at` is absolute.
    """

    __tablename__ = "ui_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class TriggerDeliveryRow(Base):
    """One notification sent (or tried) for a trigger: status, attempts, last error, times.

    `status` is `pending`, `delivered` or `failed` (`store.triggers.DeliveryStatus`);
    `finding_ids` lists the findings in the message; `is_test` marks `POST /triggers/{id}/test`.
    """

    __tablename__ = "trigger_deliveries"
    __table_args__ = (Index("ix_trigger_deliveries_trigger_id_id", "trigger_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(16))
    finding_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    is_test: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class TriggerAlertStateRow(Base):
    """What a trigger remembers about a finding for its re-alert policy (`alerts.policy`)."""

    __tablename__ = "trigger_alert_states"

    trigger_id: Mapped[int] = mapped_column(
        ForeignKey("triggers.id", ondelete="CASCADE"), primary_key=True
    )
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True
    )
    streak: Mapped[int] = mapped_column(Integer, default=0)
    suppressed_count: Mapped[int] = mapped_column(Integer, default=0)
    has_announced: Mapped[bool] = mapped_column(default=False)
    last_sent_at: Mapped[datetime | None]
    last_fired_at: Mapped[datetime | None]
