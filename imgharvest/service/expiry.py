"""Data gone at expiry: a job past its link's lifetime keeps only a tombstone, later nothing.

At expiry the archive, scratch folder, image rows, events, outbox rows and
``.eml`` files go, and the job row is scrubbed down to a tombstone (id, kind,
status ``expired``, counts, dates; no query, request, address or client).
``RECORD_TTL_SECONDS`` later the tombstone is deleted too. A job whose mail is
still unsettled (not sent, not given up) loses its archive on time, but keeps
its address and request until that mail is settled: the finished mail then
still arrives, saying the link expired, with a re-submit link. On SQLite the
database runs with ``secure_delete`` and the WAL is checkpointed after the
deletes, so the removed bytes are gone from the files on disk.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.settings import Settings
from imgharvest.store.models import Email, Job, JobEvent, JobHash, JobImage, JobPart
from imgharvest.store.storage import Store

log = logging.getLogger("imgharvest.expiry")

EXPIRED = "expired"
ENDED = ("done", "short", "failed", "cancelled")
ENDED_AS = {
    "done": "It finished with every image asked for.",
    "short": "It finished with fewer images than asked for.",
    "failed": "It failed.",
    "cancelled": "It was cancelled.",
}


@dataclass(frozen=True, slots=True)
class Swept:
    """What one sweep did: jobs turned into tombstones, tombstones deleted."""

    expired: list[str]
    purged: list[str]


def outbox_files(folder: Path, job_id: str) -> list[Path]:
    """The ``.eml`` files of one job in the outbox folder (named ``<job id>-…``)."""
    return sorted(folder.glob(f"{job_id}-*.eml")) if folder.is_dir() else []


class Expiry:
    """Sweeps expired jobs: tombstones first, then deletion after ``RECORD_TTL_SECONDS``."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, clock: Clock, store: Store
    ) -> None:
        self.sessions, self.settings, self.clock, self.store = sessions, settings, clock, store

    def sweep(self) -> Swept:
        """Expire every ended job past its link's lifetime; delete old tombstones."""
        swept = Swept(self._expire(), self._purge())
        if swept.expired or swept.purged:
            self._checkpoint()
        for job_id in swept.expired:
            log.info("link expired: archive, images, events and emails deleted",
                     extra={"job_id": job_id})  # fmt: skip
        return swept

    def _expire(self) -> list[str]:
        now = self.clock.now()
        with self.sessions.begin() as session:
            jobs = session.scalars(
                select(Job).where(Job.status.in_(ENDED), Job.expires_at <= now)
            ).all()
            waiting = _mail_pending(session, [job.id for job in jobs])
            expired = []
            for job in jobs:
                if job.id in waiting:
                    self._hold(session, job)
                    continue
                self._files(job)
                self._rows(session, job.id)
                _tombstone(job)
                expired.append(job.id)
            return expired

    def _hold(self, session: Session, job: Job) -> None:
        """The link expires on time; the address waits for its mail (noted once)."""
        if not job.archive_key:
            return
        self.store.delete_prefix(f"{job.id}/")
        shutil.rmtree(self.settings.data_dir / "jobs" / job.id, ignore_errors=True)
        job.archive_key = None
        note = "link expired: archive deleted; email address kept until its pending mail is sent"
        session.add(JobEvent(job_id=job.id, at=self.clock.now(), level="info", message=note))

    def _files(self, job: Job) -> None:
        shutil.rmtree(self.settings.data_dir / "jobs" / job.id, ignore_errors=True)
        # Every object of the job: its archive, a lost run's, kept batches, shards, thumbnails.
        self.store.delete_prefix(f"{job.id}/")
        for path in outbox_files(self.settings.data_dir / "outbox", job.id):
            path.unlink(missing_ok=True)

    def _rows(self, session: Session, job_id: str) -> None:
        for table in (JobImage, JobEvent, Email, JobPart, JobHash):
            session.execute(delete(table).where(table.job_id == job_id))

    def _purge(self) -> list[str]:
        cutoff = self.clock.now() - timedelta(seconds=self.settings.record_ttl_seconds)
        with self.sessions.begin() as session:
            ids = list(
                session.scalars(
                    select(Job.id).where(Job.status == EXPIRED, Job.expires_at <= cutoff)
                )
            )
            if ids:
                session.execute(delete(Job).where(Job.id.in_(ids)))
        return ids

    def _checkpoint(self) -> None:
        # The WAL still holds the deleted rows' pages until it is checkpointed and truncated.
        with self.sessions() as session:
            if session.get_bind().dialect.name == "sqlite":
                session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _mail_pending(session: Session, job_ids: list[str]) -> set[str]:
    """Jobs with a message not yet settled (a given-up message counts as settled)."""
    if not job_ids:
        return set()
    query = select(Email.job_id).where(Email.sent_at.is_(None), Email.job_id.in_(job_ids))
    return set(session.scalars(query))


def _tombstone(job: Job) -> None:
    """Keep what happened (kind, counts, dates), drop every word the requester gave."""
    job.summary = ENDED_AS.get(job.status)
    job.status = EXPIRED
    # Only the shape of the request stays (a crawl that downloaded or listed links).
    shape = {"download": bool(job.request.get("download"))} if job.kind == "crawl" else {}
    job.query, job.request, job.email, job.client, job.error = "", shape, None, None, None
    job.archive_key, job.link_nonce, job.owner_nonce = None, None, None
    job.thumbs_key = None
