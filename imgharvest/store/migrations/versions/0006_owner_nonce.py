"""The owner's credential of a job: a random nonce its owner token is derived from.

Revision ID: 0006_owner_nonce
Revises: 0005_chosen_copy
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_owner_nonce"
down_revision: str | Sequence[str] | None = "0005_chosen_copy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column (jobs made before it have none: only the My-jobs cookie manages them)."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_nonce", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("owner_nonce")
