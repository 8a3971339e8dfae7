"""Crawler-API integer ids (compat_jobs), pages being read now, archive size.

Revision ID: 0002_compat_ids_and_expiry
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_compat_ids_and_expiry"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pages_active", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("archive_bytes", sa.Integer(), nullable=True))
    op.create_table(
        "compat_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("compat_jobs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("archive_bytes")
        batch_op.drop_column("pages_active")
