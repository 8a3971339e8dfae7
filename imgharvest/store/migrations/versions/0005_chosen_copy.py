"""Why a kept image's copy was chosen among the copies its page names (``chosen``).

Revision ID: 0005_chosen_copy
Revises: 0004_dataset_fields
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_chosen_copy"
down_revision: str | Sequence[str] | None = "0004_dataset_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (existing rows get an empty value)."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        batch_op.drop_column("chosen")
