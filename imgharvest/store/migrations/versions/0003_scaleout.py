"""Scale-out: idempotency keys, the worker of a run, leases, live processes, fleet settings.

Revision ID: 0003_scaleout
Revises: 0002_compat_ids_and_expiry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imgharvest.store.models import UtcDateTime

revision: str = "0003_scaleout"
down_revision: str | Sequence[str] | None = "0002_compat_ids_and_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("jobs", sa.Column("idempotency_key", sa.String(length=255), nullable=True))
    op.add_column("jobs", sa.Column("request_hash", sa.String(length=64), nullable=True))
    op.add_column("jobs", sa.Column("worker", sa.String(length=128), nullable=True))
    op.create_index("ix_jobs_idempotency_key", "jobs", ["idempotency_key"], unique=True)
    op.add_column("job_events", sa.Column("worker", sa.String(length=128), nullable=True))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=128), primary_key=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_workers_seen_at", "workers", ["seen_at"])
    op.create_table(
        "fleet_settings",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("fleet_settings")
    op.drop_index("ix_workers_seen_at", table_name="workers")
    op.drop_table("workers")
    op.drop_table("leases")
    op.drop_column("job_events", "worker")
    op.drop_index("ix_jobs_idempotency_key", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("worker")
        batch.drop_column("request_hash")
        batch.drop_column("idempotency_key")
