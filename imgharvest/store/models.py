"""Database tables of the job service (SQLAlchemy 2, typed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base; ``type_annotation_map`` makes every datetime a UTC one."""

    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Job(Base):
    """A search or crawl request, its schedule, status, counts and link."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    query: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]]
    email: Mapped[str | None] = mapped_column(String(320))
    client: Mapped[str | None] = mapped_column(String(64))
    wanted: Mapped[int] = mapped_column(Integer)
    pages_total: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    tried: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[dict[str, Any]]
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    archive_key: Mapped[str | None] = mapped_column(String(255))
    link_nonce: Mapped[str | None] = mapped_column(String(64))
    link_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    pages_active: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archive_bytes: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(128))
    owner_nonce: Mapped[str | None] = mapped_column(String(64))
    # A job in parts (a URL list in shards): how many, how many finished.
    shards_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    shards_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    thumbs_key: Mapped[str | None] = mapped_column(String(255))


class JobEvent(Base):
    """One line of a job's event log."""

    __tablename__ = "job_events"
    __table_args__ = (Index("ix_job_events_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))


class JobImage(Base):
    """One kept image (a manifest row) or, for crawls without download, one found link."""

    __tablename__ = "job_images"
    __table_args__ = (Index("ix_job_images_job_id_position", "job_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(255), default="")
    url: Mapped[str] = mapped_column(Text)
    page_url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str] = mapped_column(String(16), default="")
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    phash: Mapped[str] = mapped_column(String(64), default="")
    licence: Mapped[str] = mapped_column(Text, default="")
    licence_url: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(Text, default="", server_default="")
    rank: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    caption: Mapped[str] = mapped_column(Text, default="", server_default="")
    fetched_at: Mapped[str] = mapped_column(Text, default="", server_default="")
    label: Mapped[str] = mapped_column(Text, default="", server_default="")
    split: Mapped[str] = mapped_column(Text, default="", server_default="")
    chosen: Mapped[str] = mapped_column(Text, default="", server_default="")
    # a found link that is another copy of a picture: the picture's (largest) URL
    copy_of: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The stored part (a search run's kept batch, a shard) holding the image; None once the
    # job's archive holds it.
    part: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[str] = mapped_column(Text, default="", server_default="")  # input columns, JSON


class JobPart(Base):
    """One stored part of a job: a batch of a search run's kept images (``kept``), a shard of
    a URL list (``shard``), or a job's end step (``end``); shards and the end step are claimed
    and fenced by ``attempts`` like a run."""

    __tablename__ = "job_parts"
    __table_args__ = (
        UniqueConstraint("job_id", "kind", "number", name="uq_job_parts_job_kind_number"),
        Index("ix_job_parts_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    key: Mapped[str | None] = mapped_column(String(255))
    thumbs_key: Mapped[str | None] = mapped_column(String(255))
    items: Mapped[int] = mapped_column(Integer, default=0)
    # a shard's items: this byte range of the job's stored input list
    input_start: Mapped[int] = mapped_column(BigInteger, default=0)
    input_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    tried: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[dict[str, Any]]
    bytes: Mapped[int | None] = mapped_column(Integer)


class JobHash(Base):
    """The exact-duplicate index of a job in parts: each kept image's SHA-256 once per job."""

    __tablename__ = "job_hashes"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    part: Mapped[int] = mapped_column(Integer)


class Email(Base):
    """The outbox: at most one message of each kind per job; ``sent_at`` set after sending."""

    __tablename__ = "emails"
    __table_args__ = (UniqueConstraint("job_id", "kind", name="uq_emails_job_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class CompatJob(Base):
    """The original crawler API's integer job id (``id - 1``, from 0) of a crawl job."""

    __tablename__ = "compat_jobs"
    # AUTOINCREMENT: a number is never reused, even after its job was deleted.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)


class Lease(Base):
    """A named lease (e.g. housekeeping): one holder at a time until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class WorkerRow(Base):
    """A running process (web or worker) and when it last said it was alive."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)


class FleetSetting(Base):
    """A digest of one setting every process of the fleet must agree on."""

    __tablename__ = "fleet_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
