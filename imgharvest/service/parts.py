"""Jobs in parts (a URL list in shards): each shard, and the job's end step, is claimed by any
worker and fenced by its own attempt number, like a run; a finished shard's rows, hashes and
counts land in one transaction, and the last one makes the end step due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, select, update

from imgharvest.service import links
from imgharvest.service.jobdata import ACTIVE, FAILED, RUNNING, SCHEDULED, JobData, table
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.reasons import count_of
from imgharvest.store.models import Job, JobEvent, JobHash, JobImage, JobPart
from imgharvest.store.retry import retrying

SHARD, END = "shard", "end"
PENDING, WAITING, DONE = "pending", "waiting", "done"
FETCH = "fetch"
HASH_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PartClaim:
    """A shard (or end step) a worker now owns, fenced by ``attempt``, with what it needs."""

    job_id: str
    kind: str
    number: int
    attempt: int
    request: dict[str, Any]
    items: int
    input_start: int
    input_bytes: int
    shards: int


class PartLifecycle(JobData):
    """The worker's side of a job in parts."""

    def _part(self, job_id: str, kind: str, number: int) -> Any:
        return and_(JobPart.job_id == job_id, JobPart.kind == kind, JobPart.number == number)

    def _fenced_part(self, claim: PartClaim) -> Any:
        owned = and_(JobPart.status == RUNNING, JobPart.attempts == claim.attempt)
        return and_(self._part(claim.job_id, claim.kind, claim.number), owned)

    def _running(self, job_id: str) -> Any:
        return exists().where(Job.id == job_id, Job.status == RUNNING)

    @retrying
    def claim_part(self, job_id: str, kind: str, number: int, worker: str) -> PartClaim | None:
        """Take a pending part of an active, due job, or a running one gone silent."""
        now = self.clock.now()
        stale = now - self.stale_after
        due = exists().where(Job.id == job_id, Job.status.in_(ACTIVE), Job.run_at <= now)
        runnable = or_(JobPart.status == PENDING,
                       and_(JobPart.status == RUNNING, JobPart.heartbeat_at < stale))  # fmt: skip
        take = update(JobPart).where(self._part(job_id, kind, number), runnable, due)
        take = take.values(status=RUNNING, attempts=JobPart.attempts + 1, worker=worker,
                           heartbeat_at=now)  # fmt: skip
        start = update(Job).where(Job.id == job_id, Job.status == SCHEDULED)
        start = start.values(status=RUNNING, started_at=now, heartbeat_at=now, attempts=1,
                             worker=worker)  # fmt: skip
        read = select(
            JobPart.attempts, JobPart.items, JobPart.input_start, JobPart.input_bytes,
            Job.request, Job.shards_total,
        ).join(Job, Job.id == JobPart.job_id).where(self._part(job_id, kind, number))  # fmt: skip
        with self.writes.transaction() as conn:
            if getattr(conn.execute(take), "rowcount", 0) != 1:
                return None
            conn.execute(start)
            row = conn.execute(read).one()
        return PartClaim(
            job_id, kind, number, row.attempts, dict(row.request), row.items, row.input_start,
            row.input_bytes, row.shards_total,
        )  # fmt: skip

    @retrying
    def beat_part(self, claim: PartClaim, tried: int = 0, kept: int = 0) -> bool:
        """Mark the part's run alive (with its counts); False once it lost the part or job."""
        beat = update(JobPart).where(self._fenced_part(claim), self._running(claim.job_id))
        beat = beat.values(heartbeat_at=self.clock.now(), tried=tried, kept=kept)
        return self.writes.one(beat) == 1

    def known_hashes(self, job_id: str, digests: Sequence[str]) -> set[str]:
        """Which of ``digests`` another shard of the job kept already."""
        found: set[str] = set()
        with self.sessions() as session:
            for start in range(0, len(digests), HASH_CHUNK):
                chunk = list(digests[start : start + HASH_CHUNK])
                query = select(JobHash.sha256).where(JobHash.job_id == job_id,
                                                     JobHash.sha256.in_(chunk))  # fmt: skip
                found |= set(session.scalars(query))
        return found

    @retrying
    def finish_shard(
        self,
        claim: PartClaim,
        stored: tuple[str, int, str],
        rows: Sequence[Mapping[str, Any]],
        counts: tuple[int, int, Mapping[str, int]],
    ) -> bool | None:
        """Record a finished shard: its objects (key, size, thumbnails' key), rows, hashes (an
        ``IntegrityError``
        if another shard kept one of them meanwhile) and counts; True when it was the last
        (the end step is due now), None if the run lost the shard."""
        tried, kept, rejected = counts
        key, size, thumbs = stored
        now = self.clock.now()
        done = update(JobPart).where(self._fenced_part(claim), self._running(claim.job_id))
        done = done.values(status=DONE, key=key, bytes=size, thumbs_key=thumbs, tried=tried,
                           kept=kept, rejected=dict(rejected), finished_at=now,
                           heartbeat_at=now)  # fmt: skip
        counted = update(Job).where(Job.id == claim.job_id).values(
            shards_done=Job.shards_done + 1, tried=Job.tried + tried, kept=Job.kept + kept,
            heartbeat_at=now,
        )  # fmt: skip
        hashes = [{"job_id": claim.job_id, "sha256": r["sha256"], "part": claim.number}
                  for r in rows]  # fmt: skip
        with self.writes.transaction() as conn:
            if getattr(conn.execute(done), "rowcount", 0) != 1:
                conn.rollback()
                return None
            if rows:
                conn.execute(insert(table(JobHash)), hashes)  # type: ignore[arg-type]
                conn.execute(insert(table(JobImage)), shard_rows(claim, rows))
            conn.execute(counted)
            conn.execute(insert(table(JobEvent)), shard_event(claim, now, tried, kept))
            left = conn.execute(select(Job.shards_total - Job.shards_done).where(
                Job.id == claim.job_id)).scalar_one()  # fmt: skip
            if left > 0:
                return False
            end = update(JobPart).where(self._part(claim.job_id, END, 0), JobPart.status == WAITING)
            return getattr(conn.execute(end.values(status=PENDING)), "rowcount", 0) == 1

    @retrying
    def release_part(self, claim: PartClaim, at: datetime, why: str) -> bool:
        """Give the part back for another attempt at ``at``; False if it was lost already."""
        back = update(JobPart).where(self._fenced_part(claim))
        owned = self.writes.one(back.values(status=PENDING, heartbeat_at=None)) == 1
        if owned:
            self.event(claim.job_id, "warning", f"{_named(claim)}: {why}; again at {at:%H:%M:%S}")
            if self.dispatcher is not None:
                self.dispatcher.run_part(claim.job_id, claim.kind, claim.number, at)
        return owned

    @retrying
    def fail_parts(self, claim: PartClaim, error: str) -> bool:
        """The job fails (a part failed too often); False if the part was lost already."""
        now = self.clock.now()
        failed = update(Job).where(Job.id == claim.job_id, Job.status == RUNNING,
                                   exists().where(self._fenced_part(claim)))  # fmt: skip
        failed = failed.values(status=FAILED, error=error, finished_at=now,
                               expires_at=self.expiry(now))  # fmt: skip
        owned = self.writes.one(failed) == 1
        if owned:
            self.event(claim.job_id, "error", f"job failed: {error}")
        return owned

    @retrying
    def finish_parts(self, claim: PartClaim, outcome: Outcome) -> bool:
        """Record the end of a job in parts (its end step's outcome and download link)."""
        now = self.clock.now()
        link = links.mint(self.secret())
        values = {**outcome.values(now, link), "expires_at": self.expiry(now), "finished_at": now}
        values.pop("pages_done", None)
        owned = exists().where(self._fenced_part(claim))
        done = update(Job).where(Job.id == claim.job_id, Job.status == RUNNING, owned)
        done = done.values(**values)
        part = update(JobPart).where(self._fenced_part(claim)).values(status=DONE, finished_at=now)
        with self.writes.transaction() as conn:
            if getattr(conn.execute(done), "rowcount", 0) != 1:
                conn.rollback()
                return False
            conn.execute(part)
        self.event(claim.job_id, "info", f"job {outcome.status}: {outcome.summary}")
        return True

    def part_rows(self, job_id: str) -> list[dict[str, Any]]:
        """Every image row of a job in parts, in the list's order (with its id and part)."""
        names = [c.name for c in JobImage.__table__.columns]
        query = select(JobImage).where(JobImage.job_id == job_id).order_by(JobImage.position)
        with self.sessions() as session:
            return [{n: getattr(r, n) for n in names} for r in session.scalars(query)]

    def parts(self, job_id: str, kind: str = SHARD) -> list[JobPart]:
        """The job's parts of ``kind``, by number."""
        query = select(JobPart).where(JobPart.job_id == job_id, JobPart.kind == kind)
        with self.sessions() as session:
            return list(session.scalars(query.order_by(JobPart.number)))

    @retrying
    def drop_rows(self, claim: PartClaim, ids: Sequence[int], per_part: Mapping[int, int]) -> bool:
        """Remove near-duplicate rows found across shards (fenced by the end step)."""
        alive = (
            update(JobPart).where(self._fenced_part(claim)).values(heartbeat_at=self.clock.now())
        )
        with self.writes.transaction() as conn:
            if getattr(conn.execute(alive), "rowcount", 0) != 1:
                conn.rollback()
                return False
            conn.execute(delete(JobImage).where(JobImage.id.in_(list(ids))))
            for number, count in per_part.items():
                conn.execute(update(JobPart).where(self._part(claim.job_id, SHARD, number))
                             .values(kept=JobPart.kept - count))  # fmt: skip
            total = sum(per_part.values())
            conn.execute(update(Job).where(Job.id == claim.job_id).values(kept=Job.kept - total))
        return True

    def parts_due(self) -> list[tuple[str, str, int, datetime, bool]]:
        """Parts to (re)start: pending ones of due active jobs, and running ones (when their
        heartbeat goes stale): job id, kind, number, when, running."""
        query = select(
            JobPart.job_id,
            JobPart.kind,
            JobPart.number,
            JobPart.status,
            JobPart.heartbeat_at,
            Job.run_at,
        ).join(Job, Job.id == JobPart.job_id)
        query = query.where(Job.status.in_(ACTIVE), JobPart.status.in_((PENDING, RUNNING)))
        with self.sessions() as session:
            rows = session.execute(query).all()
        return [(r.job_id, r.kind, r.number, self._part_when(r), r.status == RUNNING)
                for r in rows]  # fmt: skip

    def _part_when(self, row: Any) -> datetime:
        if row.status == RUNNING and row.heartbeat_at is not None:
            beat: datetime = row.heartbeat_at
            return beat + self.stale_after + timedelta(seconds=1)
        run_at: datetime = row.run_at
        return run_at


def shard_rows(claim: PartClaim, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Image rows of a shard: positions from the list's order (``rank``), the part's number."""
    found = []
    for row in rows:
        values = {k: row.get(k, _DEFAULTS.get(k, "")) for k in _COLUMNS}
        values.update(job_id=claim.job_id, position=int(row["rank"]), part=claim.number)
        found.append(values)
    return found


def _named(claim: PartClaim) -> str:
    return "the end step" if claim.kind == END else f"shard {claim.number + 1} of {claim.shards}"


_COLUMNS = [c.name for c in JobImage.__table__.columns if c.name not in ("id",)]
_DEFAULTS: dict[str, Any] = {"width": 0, "height": 0, "bytes": 0, "rank": 0, "part": None}


def shard_event(claim: PartClaim, at: datetime, tried: int, kept: int) -> dict[str, Any]:
    """The job event of a finished shard (one a shard: the job's log shows the newest)."""
    counts = f"{count_of(kept, 'image')} kept of {count_of(tried, 'URL')}"
    message = f"shard {claim.number + 1} of {claim.shards} done: {counts}"
    return {"job_id": claim.job_id, "at": at, "level": "info", "message": message}
