"""Jobs in parts: stored batches of kept images, URL-list shards and their end step; the exact
duplicate index of a job in parts; thumbnails beside the archive.

Revision ID: 0008_parts_and_shards
Revises: 0007_copy_of
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imgharvest.store.models import UtcDateTime

revision: str = "0008_parts_and_shards"
down_revision: str | Sequence[str] | None = "0007_copy_of"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JOB_NUMBERS = ("shards_total", "shards_done")


def upgrade() -> None:
    """Add the tables and columns (existing rows get empty values)."""
    with op.batch_alter_table("jobs") as batch:
        for name in _JOB_NUMBERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("thumbs_key", sa.String(length=255), nullable=True))
    with op.batch_alter_table("job_images") as batch:
        batch.add_column(sa.Column("part", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("extra", sa.Text(), nullable=False, server_default=""))
    _parts()
    op.create_table(
        "job_hashes",
        sa.Column("job_id", sa.String(length=32), _job(), primary_key=True),
        sa.Column("sha256", sa.String(length=64), primary_key=True),
        sa.Column("part", sa.Integer(), nullable=False),
    )


def _job() -> sa.ForeignKey:
    return sa.ForeignKey("jobs.id", ondelete="CASCADE")


def _parts() -> None:
    op.create_table(
        "job_parts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(length=32), _job(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("thumbs_key", sa.String(length=255), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("input_start", sa.BigInteger(), nullable=False),
        sa.Column("input_bytes", sa.BigInteger(), nullable=False),
        sa.Column("tried", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.UniqueConstraint("job_id", "kind", "number", name="uq_job_parts_job_kind_number"),
    )
    op.create_index("ix_job_parts_status", "job_parts", ["status"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("job_hashes")
    op.drop_index("ix_job_parts_status", table_name="job_parts")
    op.drop_table("job_parts")
    with op.batch_alter_table("job_images") as batch:
        batch.drop_column("extra")
        batch.drop_column("part")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("thumbs_key")
        for name in _JOB_NUMBERS:
            batch.drop_column(name)
