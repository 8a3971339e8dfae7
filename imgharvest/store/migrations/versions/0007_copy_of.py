"""A listed link that is another copy of a picture names the picture's URL (``copy_of``).

Revision ID: 0007_copy_of
Revises: 0006_owner_nonce
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_copy_of"
down_revision: str | Sequence[str] | None = "0006_owner_nonce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (existing rows get an empty value: each is a picture of its own)."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copy_of", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("job_images", schema=None) as batch_op:
        batch_op.drop_column("copy_of")
