"""The fleet: which processes are alive (``workers`` table) and the settings they must share."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.errors import ConfigError
from imgharvest.settings import Settings
from imgharvest.store.models import FleetSetting, WorkerRow

ALIVE_SECONDS = 10.0
FLEET_LOCK = 7_144_801_924
FORGET_AFTER = timedelta(hours=1)
SHARED = ("SECRET_KEY", "PUBLIC_URL", "STORAGE_URL", "S3_ENDPOINT_URL", "QUEUE_URL",
          "QUEUE_NAME", "LINK_TTL_SECONDS", "MAX_IMAGES")  # fmt: skip


def worker_id() -> str:
    """This process as events and the ``workers`` table name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Member:
    """A process of the fleet and when it was last seen."""

    id: str
    host: str
    pid: int
    role: str
    started_at: datetime
    seen_at: datetime


class Fleet:
    """This process's row in ``workers``: written at start, refreshed by ``beat``."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, role: str, name: str | None = None
    ) -> None:
        self.sessions, self.clock, self.role = sessions, clock, role
        self.id = name or worker_id()
        self.started_at = clock.now()

    def beat(self) -> None:
        """Say this process is alive."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            result = session.execute(
                update(WorkerRow).where(WorkerRow.id == self.id).values(seen_at=now, role=self.role)
            )
            if getattr(result, "rowcount", 0) == 1:
                return
        host, pid = self.id.rsplit(":", 1)
        row = WorkerRow(id=self.id, host=host, pid=int(pid), role=self.role,
                        started_at=self.started_at, seen_at=now)  # fmt: skip
        try:
            with self.sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            pass  # written by a beat of ours a moment ago

    def leave(self) -> None:
        """Remove this process's row (a clean stop)."""
        with self.sessions.begin() as session:
            session.execute(delete(WorkerRow).where(WorkerRow.id == self.id))

    def alive(self, within: float = ALIVE_SECONDS) -> list[Member]:
        """Processes seen in the last ``within`` seconds."""
        since = self.clock.now() - timedelta(seconds=within)
        with self.sessions() as session:
            rows = session.scalars(
                select(WorkerRow).where(WorkerRow.seen_at >= since).order_by(WorkerRow.id)
            ).all()
        return [Member(r.id, r.host, r.pid, r.role, r.started_at, r.seen_at) for r in rows]

    def forget_gone(self) -> int:
        """Drop rows of processes not seen for an hour (housekeeping)."""
        with self.sessions.begin() as session:
            old = self.clock.now() - FORGET_AFTER
            result = session.execute(delete(WorkerRow).where(WorkerRow.seen_at < old))
        return int(getattr(result, "rowcount", 0) or 0)


def shared_database(settings: Settings) -> bool:
    """Whether processes on several machines can share this database (not SQLite)."""
    return not settings.database_url.startswith("sqlite")


def require_shared(settings: Settings) -> None:
    """With a shared database, settings that must agree cannot be derived per machine."""
    if not shared_database(settings):
        return
    if not settings.secret_key:
        raise ConfigError("SECRET_KEY must be set (the same on every process) with a shared "
                          "DATABASE_URL; a key generated per DATA_DIR would differ")  # fmt: skip
    if "public_url" in settings.derived:
        raise ConfigError("PUBLIC_URL must be set (the address users reach the web tier at) "
                          "with a shared DATABASE_URL")  # fmt: skip
    if "storage_url" in settings.derived:
        raise ConfigError("STORAGE_URL must be set with a shared DATABASE_URL: s3://bucket/prefix, "
                          "or a file:// folder every process shares")  # fmt: skip
    if settings.queue_url.startswith("sqlite"):
        raise ConfigError("QUEUE_URL must be redis:// or postgresql:// with a shared DATABASE_URL")


def fingerprint(settings: Settings) -> dict[str, str]:
    """A digest of each fleet-wide setting (the secret itself is never stored)."""
    values = {
        "SECRET_KEY": settings.secret(), "PUBLIC_URL": settings.public_url,
        "STORAGE_URL": settings.storage_url, "S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
        "QUEUE_URL": settings.queue_url, "QUEUE_NAME": settings.queue_name,
        "LINK_TTL_SECONDS": str(settings.link_ttl_seconds),
        "MAX_IMAGES": str(settings.max_images),
    }  # fmt: skip
    return {k: hashlib.sha256(f"{k}\0{v}".encode()).hexdigest() for k, v in values.items()}


def check_settings(settings: Settings, fleet: Fleet) -> None:
    """Refuse to join a live fleet whose shared settings differ; else record ours and join.

    Processes starting together take turns (an advisory lock on PostgreSQL), so the first
    one's settings are recorded and every later one is compared with them."""
    mine = fingerprint(settings)
    with fleet.sessions.begin() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FLEET_LOCK})
        kept = {r.name: r for r in session.scalars(select(FleetSetting))}
        since = fleet.clock.now() - timedelta(seconds=ALIVE_SECONDS)
        others = session.scalars(
            select(WorkerRow.id).where(WorkerRow.seen_at >= since, WorkerRow.id != fleet.id)
        ).all()
        differ = [n for n in SHARED if n in kept and kept[n].digest != mine[n]]
        if others and differ:
            raise ConfigError(
                f"{differ[0]} differs from the running fleet's ({len(others)} live processes, "
                f"e.g. {others[0]}); every process needs the same {', '.join(differ)}"
            )
        _record(session, kept, mine, fleet.clock.now())
    fleet.beat()


def _record(
    session: Session, kept: dict[str, FleetSetting], digests: dict[str, str], now: datetime
) -> None:
    for name, digest in digests.items():
        row = kept.get(name)
        if row is None:
            session.add(FleetSetting(name=name, digest=digest, updated_at=now))
        elif row.digest != digest:
            row.digest, row.updated_at = digest, now
