"""triggers, notifier deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loghealth.store.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = loghealth.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    """Apply this migration."""
    # triggers (table of 0001) get events, the re-alert policy and their delivery health;
    # server defaults fill rows stored before this revision
    with op.batch_alter_table("triggers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("events", sa.JSON(), nullable=False, server_default='["opened", "regressed"]')
        )
        batch_op.add_column(
            sa.Column("min_interval_secs", sa.Float(), nullable=False, server_default="300")
        )
        batch_op.add_column(
            sa.Column("max_interval_secs", sa.Float(), nullable=False, server_default="86400")
        )
        batch_op.add_column(
            sa.Column("group_window_secs", sa.Float(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("is_failing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_failure_at", _TIME, nullable=True))
        batch_op.add_column(sa.Column("last_success_at", _TIME, nullable=True))
    op.create_table(
        "trigger_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trigger_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("finding_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["trigger_id"], ["triggers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trigger_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trigger_deliveries_trigger_id_id", ["trigger_id", "id"], unique=False
        )
    op.create_table(
        "trigger_alert_states",
        sa.Column("trigger_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("suppressed_count", sa.Integer(), nullable=False),
        sa.Column("has_announced", sa.Boolean(), nullable=False),
        sa.Column("last_sent_at", _TIME, nullable=True),
        sa.Column("last_fired_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["trigger_id"], ["triggers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trigger_id", "finding_id"),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("trigger_alert_states")
    with op.batch_alter_table("trigger_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_trigger_deliveries_trigger_id_id")
    op.drop_table("trigger_deliveries")
    with op.batch_alter_table("triggers", schema=None) as batch_op:
        for column in (
            "last_success_at", "last_failure_at", "last_error", "is_failing",
            "consecutive_failures", "group_window_secs", "max_interval_secs",
            "min_interval_secs", "events",
        ):  # fmt: skip
            batch_op.drop_column(column)
