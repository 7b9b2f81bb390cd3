"""container log cursors (resume container tails after a restart)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loghealth.store.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "container_cursors",
        sa.Column("container_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("timestamp_ns", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", loghealth.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("container_id"),
    )
    with op.batch_alter_table("container_cursors", schema=None) as batch_op:
        batch_op.create_index("ix_container_cursors_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("container_cursors", schema=None) as batch_op:
        batch_op.drop_index("ix_container_cursors_updated_at")
    op.drop_table("container_cursors")
