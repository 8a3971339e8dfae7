"""Dataset fields on job images: query, rank, caption, fetch time, class label, split.

Revision ID: 0004_dataset_fields
Revises: 0003_scaleout
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_dataset_fields"
down_revision: str | Sequence[str] | None = "0003_scaleout"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = ("query", "caption", "fetched_at", "label", "split")


def upgrade() -> None:
    """Add the columns (existing rows get empty values)."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        for name in _TEXT:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rank", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop the columns again."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        for name in (*_TEXT, "rank"):
            batch_op.drop_column(name)
