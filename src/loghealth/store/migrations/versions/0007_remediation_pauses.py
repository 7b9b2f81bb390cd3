"""remediation pause (a runtime switch of automatic remediation) and audit retention index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loghealth.store.tables

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "remediation_pauses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("changed_at", loghealth.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # the audit's retention deletes by age (and the audit pages are ordered by start)
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.create_index("ix_remediation_runs_started", ["started_at"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_remediation_runs_started")
    op.drop_table("remediation_pauses")
