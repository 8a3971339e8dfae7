"""The run lifecycle of a job: claim, fencing, heartbeat, progress, found links, finish, fail,
which active jobs are due to (re)start, and giving up on one that keeps losing its worker."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select, update

from imgharvest.redact import mask_credentials, redact
from imgharvest.service import links, reasons
from imgharvest.service.jobdata import (
    ACTIVE,
    FAILED,
    RUNNING,
    SCHEDULED,
    JobData,
    image_rows,
    table,
)
from imgharvest.service.scratch import attempt_folder
from imgharvest.store.models import Job, JobEvent, JobImage, JobPart
from imgharvest.store.retry import retrying

log = logging.getLogger("imgharvest.jobs")


@dataclass(frozen=True, slots=True)
class Claim:
    """A run a worker now owns: the job's request and its attempt number (the fence)."""

    job_id: str
    attempt: int
    kind: str
    request: dict[str, Any]
    email: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a finished run delivers: status, counts, summary, archive, images."""

    status: str
    summary: str
    tried: int
    kept: int
    rejected: Mapping[str, int]
    archive_key: str | None = None
    images: Sequence[Mapping[str, Any]] = ()
    pages_done: int = 0
    archive_bytes: int | None = None
    thumbs_key: str | None = None
    kept_batches: bool = False  # the run stored kept batches (or started from them)

    def values(self, now: datetime, link: links.Link | None) -> dict[str, Any]:
        """Column values of the finished job."""
        return {
            "status": self.status, "summary": self.summary, "tried": self.tried,
            "kept": self.kept, "rejected": dict(self.rejected), "archive_key": self.archive_key,
            "pages_done": self.pages_done, "heartbeat_at": now, "pages_active": 0,
            "archive_bytes": self.archive_bytes, "thumbs_key": self.thumbs_key,
            "link_nonce": link.nonce if link else None,
            "link_digest": link.digest if link else None,
        }  # fmt: skip


class RunLifecycle(JobData):
    """The worker's side of a job: every write of a run is fenced by its attempt."""

    @retrying
    def claim(self, job_id: str, worker: str | None = None) -> Claim | None:
        """Take the job if it is due and scheduled, or running with a stale heartbeat."""
        now = self.clock.now()
        stale = now - self.stale_after
        runnable = or_(
            Job.status == SCHEDULED,
            and_(Job.status == RUNNING, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale)),
        )
        # A new attempt starts from what earlier ones stored (their kept batches), not zero.
        stored = (
            select(func.count())
            .select_from(JobImage)
            .where(JobImage.job_id == job_id, JobImage.part.is_not(None))
            .scalar_subquery()
        )
        take = update(Job).where(Job.id == job_id, Job.run_at <= now, runnable, Job.kind != "fetch")
        take = take.values(
            status=RUNNING, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1,
            worker=worker, tried=stored, kept=stored, rejected={}, pages_done=0,
        )  # fmt: skip
        taken = select(Job.attempts, Job.kind, Job.request, Job.email).where(Job.id == job_id)
        with self.writes.transaction() as conn:
            if getattr(conn.execute(take), "rowcount", 0) != 1:
                return None
            # The other rows of an earlier attempt (found links, a lost archive's) go.
            conn.execute(delete(JobImage).where(JobImage.job_id == job_id, JobImage.part.is_(None)))
            row = conn.execute(taken).one()
        claim = Claim(job_id, row.attempts, row.kind, dict(row.request), row.email)
        note = "" if claim.attempt == 1 else f" (attempt {claim.attempt}, after a lost worker)"
        where = f" on {worker}" if worker else ""
        self.run_event(claim, "info", f"job started{where}{note}", worker)
        return claim

    @retrying
    def give_up_lost(self, job_id: str) -> bool:
        """Fail a running job whose heartbeat went stale after ``MAX_ATTEMPTS`` runs: each one
        lost its worker, so another would most likely too (and take the worker with it)."""
        now = self.clock.now()
        limit = self.settings.max_attempts
        lost = and_(
            Job.id == job_id, Job.status == RUNNING, Job.attempts >= limit,
            or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - self.stale_after),
        )  # fmt: skip
        error = reasons.workers_lost(limit)
        failed = (
            update(Job)
            .where(lost)
            .values(status=FAILED, error=error, finished_at=now, expires_at=self.expiry(now))
        )
        if self.writes.one(failed) != 1:
            return False
        self.event(job_id, "error", f"job failed: {error}")
        return True

    def _fenced(self, claim: Claim) -> Any:
        return and_(Job.id == claim.job_id, Job.status == RUNNING, Job.attempts == claim.attempt)

    @retrying
    def heartbeat(self, claim: Claim) -> bool:
        """Mark the run alive; False when it no longer owns the job (cancelled or replaced)."""
        beat = update(Job).where(self._fenced(claim)).values(heartbeat_at=self.clock.now())
        return self.writes.one(beat) == 1

    @retrying
    def progress(
        self,
        claim: Claim,
        tried: int,
        kept: int,
        rejected: Mapping[str, int],
        pages: int = 0,
        active: int = 0,
    ) -> None:
        """Store live counts of a run (``active``: pages being read right now)."""
        values = {"tried": tried, "kept": kept, "rejected": dict(rejected), "pages_done": pages,
                  "pages_active": active}  # fmt: skip
        self.writes.one(update(Job).where(self._fenced(claim)).values(**values))

    @retrying
    def add_links(self, claim: Claim, rows: Sequence[Mapping[str, Any]], start: int) -> bool:
        """Store found links while the run goes on (positions from ``start``); False if lost."""
        found = image_rows(claim.job_id, rows, start)
        alive = update(Job).where(self._fenced(claim)).values(heartbeat_at=self.clock.now())
        with self.writes.transaction() as conn:
            # Rows first (one statement), then the fence: the beat's row lock keeps a takeover
            # from slipping between the check and the commit.
            conn.execute(insert(table(JobImage)), found)
            if getattr(conn.execute(alive), "rowcount", 0) != 1:
                conn.rollback()
                return False
        return True

    @retrying
    def run_event(
        self,
        claim: Claim,
        level: str,
        message: str,
        worker: str | None,
        private: Sequence[str] = (),
    ) -> bool:
        """An event of one run, kept only while that run owns the job (a stale run writes none);
        its log line hides ``private`` words, both hide URL credentials."""
        message = mask_credentials(message)
        row = select(
            literal(claim.job_id), literal(self.clock.now(), Job.started_at.type), literal(level),
            literal(message), literal(worker),
        ).where(self._fenced(claim))  # fmt: skip
        columns = ["job_id", "at", "level", "message", "worker"]
        kept = self.writes.one(insert(JobEvent).from_select(columns, row)) == 1
        if kept:
            extra = {"job_id": claim.job_id, "worker": worker}
            line = redact(message, private) if private else message
            log.log(logging.getLevelName(level.upper()), "%s", line, extra=extra)
        return kept

    @retrying
    def finish(self, claim: Claim, outcome: Outcome) -> bool:
        """Record a finished run (images, archive, link); False if the run lost the job."""
        now = self.clock.now()
        link = links.mint(self.secret()) if outcome.archive_key else None
        done = update(Job).where(self._fenced(claim)).values(**outcome.values(now, link))
        done = done.values(expires_at=self.expiry(now), finished_at=now)
        rows = image_rows(claim.job_id, outcome.images)
        with self.writes.transaction() as conn:
            # The rows first, prepared above and sent as one statement: SQLite's write lock is
            # taken there and held for two statements, not for a flush of one INSERT per row.
            if outcome.kept_batches:  # their rows and parts give way to the archive's
                mine = JobImage.job_id == claim.job_id
                conn.execute(delete(JobImage).where(mine, JobImage.part.is_not(None)))
                conn.execute(delete(JobPart).where(JobPart.job_id == claim.job_id,
                                                   JobPart.kind == "kept"))  # fmt: skip
            if rows:
                conn.execute(insert(table(JobImage)), rows)
            if getattr(conn.execute(done), "rowcount", 0) != 1:
                conn.rollback()  # the run lost the job: none of its rows stay
                return False
        self.event(claim.job_id, "info", f"job {outcome.status}: {outcome.summary}")
        return True

    @retrying
    def fail(self, claim: Claim, error: str) -> bool:
        """Record a failed run; False if the run no longer owned the job."""
        now = self.clock.now()
        failed = (
            update(Job)
            .where(self._fenced(claim))
            .values(status=FAILED, error=error, finished_at=now, expires_at=self.expiry(now))
        )
        owned = self.writes.one(failed) == 1
        if owned:
            self.event(claim.job_id, "error", f"job failed: {error}")
        return owned

    @retrying
    def release(self, claim: Claim, at: datetime, why: str) -> bool:
        """Give the job back to the queue for another attempt at ``at`` (its work could not be
        kept now); False if the run no longer owned the job."""
        back = update(Job).where(self._fenced(claim))
        back = back.values(status=SCHEDULED, run_at=at, heartbeat_at=None, pages_active=0)
        owned = self.writes.one(back) == 1
        if owned:
            self.event(claim.job_id, "warning", f"{why}; the job runs again at {at:%H:%M:%S} UTC")
            if self.dispatcher is not None:
                self.dispatcher.run_job(claim.job_id, at)
        return owned

    def due(self) -> list[tuple[str, datetime, bool]]:
        """Active jobs: id, when a run should (re)start, and whether one is running now."""
        with self.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.run_at, Job.status, Job.heartbeat_at).where(
                    Job.status.in_(ACTIVE),
                    Job.kind != "fetch",  # its parts run, not the job
                )
            ).all()
        return [
            (r.id, self._when(r.status, r.run_at, r.heartbeat_at), r.status == RUNNING)
            for r in rows
        ]

    def _when(self, status: str, run_at: datetime, heartbeat: datetime | None) -> datetime:
        if status == RUNNING and heartbeat is not None:
            return heartbeat + self.stale_after + timedelta(seconds=1)
        return run_at

    def workdir(self, job_id: str, attempt: int | None = None) -> Path:
        """The scratch folder of a job, or of one attempt (a stale attempt never shares one)."""
        folder = self.settings.data_dir / "jobs" / job_id
        return folder if attempt is None else folder / attempt_folder(attempt)
