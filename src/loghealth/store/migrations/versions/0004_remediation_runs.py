"""remediation action runs (audit)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loghealth.store.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "remediation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("action_type", sa.String(length=32), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.String(length=128), nullable=True),
        sa.Column("source_id", sa.String(length=512), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", loghealth.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", loghealth.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_remediation_runs_action_started", ["action", "started_at"], unique=False
        )
        batch_op.create_index("ix_remediation_runs_finding", ["finding_id"], unique=False)
        batch_op.create_index("ix_remediation_runs_status", ["status"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_remediation_runs_status")
        batch_op.drop_index("ix_remediation_runs_finding")
        batch_op.drop_index("ix_remediation_runs_action_started")
    op.drop_table("remediation_runs")
