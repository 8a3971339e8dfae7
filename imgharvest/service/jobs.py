"""The job lifecycle in the database: create, read, claim, progress, finish, fail, expire.

The database is the source of truth. A job runs only after a conditional
``UPDATE … SET status='running'`` succeeded (``claim``), so a job queued twice
still runs once; every later write of a run is fenced by its attempt number,
so a run that was presumed dead cannot overwrite the run that replaced it.
"""

from __future__ import annotations

import logging
import secrets
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from sqlalchemy import Table, and_, delete, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.errors import InputError
from imgharvest.extract.page import is_image_path
from imgharvest.pipeline.records import MANIFEST_FIELDS
from imgharvest.redact import mask_credentials, redact
from imgharvest.service import links
from imgharvest.service.expiry import Expiry
from imgharvest.service.resubmit import make_token
from imgharvest.service.schemas import CrawlRequest, SearchRequest
from imgharvest.settings import Settings
from imgharvest.store.models import Job, JobEvent, JobImage
from imgharvest.store.retry import retrying
from imgharvest.store.storage import Store
from imgharvest.store.writes import Writes

log = logging.getLogger("imgharvest.jobs")

SCHEDULED, RUNNING, DONE, SHORT = "scheduled", "running", "done", "short"
FAILED, CANCELLED, EXPIRED = "failed", "cancelled", "expired"
STATUSES = (SCHEDULED, RUNNING, DONE, SHORT, FAILED, CANCELLED, EXPIRED)
ACTIVE = (SCHEDULED, RUNNING)
DELIVERED = (DONE, SHORT)
EVENTS_SHOWN = 500


class Dispatcher(Protocol):
    """Puts work on the queue (implemented by ``imgharvest.service.tasks.Tasks``)."""

    def run_job(self, job_id: str, at: datetime) -> None:
        """Run ``job_id`` at ``at`` (the claim decides whether it really runs)."""


@dataclass(frozen=True, slots=True)
class EventView:
    """One event-log line of a job."""

    at: datetime
    level: str
    message: str
    worker: str | None = None  # host:pid of the process whose run wrote it


@dataclass(frozen=True, slots=True)
class JobView:
    """Everything a page, the API or an email shows about a job."""

    id: str
    kind: str
    status: str
    query: str
    run_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wanted: int
    tried: int
    kept: int
    rejected: dict[str, int]
    pages_total: int
    pages_done: int
    summary: str | None
    error: str | None
    has_email: bool
    job_url: str
    download_url: str | None
    expires_at: datetime | None
    resubmit_url: str | None
    request: dict[str, Any]
    events: list[EventView] = field(default_factory=list)
    images: list[dict[str, str | int]] = field(default_factory=list)
    pages_active: int = 0
    archive_bytes: int | None = None

    @property
    def links_only(self) -> bool:
        """A crawl that lists image links without downloading them (no "wanted" count)."""
        return self.kind == "crawl" and not self.request.get("download")

    @property
    def progress(self) -> float:
        """Share of the wanted images kept so far, 0.0 to 1.0."""
        return min(1.0, self.kept / self.wanted) if self.wanted else 0.0

    @property
    def active(self) -> bool:
        """Still scheduled or running."""
        return self.status in ACTIVE


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What ``/d/<token>`` leads to: a file to send, an expired link, or nothing."""

    kind: Literal["ok", "expired", "unknown"]
    path: Path | None = None
    filename: str | None = None
    job_id: str | None = None
    url: str | None = None  # a pre-signed URL of a remote store, valid for the link's rest


@dataclass(frozen=True, slots=True)
class Claim:
    """A run a worker now owns: the job's request and its attempt number (the fence)."""

    job_id: str
    attempt: int
    kind: str
    request: dict[str, Any]
    email: str | None


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's ``Idempotency-Key`` and the digest of the request it came with."""

    key: str
    digest: str


class JobService:
    """Job rows and their transitions; every public method opens its own session."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        writes: Writes,
        settings: Settings,
        clock: Clock,
        store: Store,
        dispatcher: Dispatcher | None = None,
        stale_after: float = 30.0,
    ) -> None:
        self.sessions, self.settings, self.clock, self.store = sessions, settings, clock, store
        self.writes, self.dispatcher = writes, dispatcher
        self.stale_after = timedelta(seconds=stale_after)
        self._secret: str | None = None

    def secret(self) -> str:
        """The secret key, read once (every job view signs a resubmit link with it)."""
        if self._secret is None:
            self._secret = self.settings.secret()
        return self._secret

    # -- creating ---------------------------------------------------------
    def create_search(
        self, req: SearchRequest, *, client: str | None = None, idem: Idempotency | None = None
    ) -> JobView:
        """Store a search job as scheduled and queue it for ``req.run_at``."""
        request = {
            "query": req.query, "count": req.count, "sources": list(req.sources),
            "min_width": req.min_width, "min_height": req.min_height, "tz": req.tz,
            "format": req.format, "max_side": req.max_side, "licence": req.licence,
        }  # fmt: skip
        return self._create("search", req.query, req.count, 0, request, req, client, idem)

    def create_crawl(
        self, req: CrawlRequest, *, client: str | None = None, idem: Idempotency | None = None
    ) -> JobView:
        """Store a crawl job (every image link on ``req.urls``) and queue it."""
        request = {
            "urls": list(req.urls), "depth": req.depth, "download": req.download,
            "count": req.count, "tz": req.tz, "render": req.render,
        }  # fmt: skip
        if req.follow:
            request["follow"] = req.follow
        query = mask_credentials(req.urls[0]) if len(req.urls) == 1 else f"{len(req.urls)} pages"
        wanted = req.count if req.download else 0
        return self._create("crawl", query, wanted, len(req.urls), request, req, client, idem)

    def _create(
        self,
        kind: str,
        query: str,
        wanted: int,
        pages: int,
        request: dict[str, Any],
        req: SearchRequest | CrawlRequest,
        client: str | None,
        idem: Idempotency | None = None,
    ) -> JobView:
        if idem is not None and (known := self.by_idempotency(idem)) is not None:
            return known
        now = self.clock.now()
        values: dict[str, Any] = dict(
            id=secrets.token_urlsafe(12), kind=kind, status=SCHEDULED, query=query,
            request=request, email=req.email, client=client, wanted=wanted, pages_total=pages,
            pages_done=0, run_at=req.run_at, created_at=now, attempts=0, tried=0, kept=0,
            rejected={}, idempotency_key=idem.key if idem else None,
            request_hash=idem.digest if idem else None,
        )  # fmt: skip
        job = Job(**values)
        message = f"{kind} job scheduled for {req.run_at:%Y-%m-%d %H:%M} UTC"
        # The answer is built from what is written (no read-back), and the rows go in as two
        # plain INSERTs (no unit of work): a submission is one short transaction and a
        # queue insert.
        view = self._view(job, [EventView(now, "info", message)], [])
        event = dict(job_id=job.id, at=now, level="info", message=message)
        try:
            with self.writes.transaction() as conn:
                # Parameters, not values baked into the statement: its compiled form is cached.
                conn.execute(insert(_table(Job)), values)
                conn.execute(insert(_table(JobEvent)), event)
        except IntegrityError:
            known = self.by_idempotency(idem) if idem is not None else None
            if known is None:
                raise
            return known  # the same key won a race a moment ago
        log.info("%s", message, extra={"job_id": job.id})
        if self.dispatcher is not None:
            self.dispatcher.run_job(job.id, req.run_at)
        return view

    def by_idempotency(self, idem: Idempotency) -> JobView | None:
        """The job created earlier with this key; ``InputError`` if its request differed."""
        with self.sessions() as session:
            job = session.scalars(select(Job).where(Job.idempotency_key == idem.key)).first()
        if job is None:
            return None
        if job.request_hash != idem.digest:
            raise InputError("Idempotency-Key", "this key was used for a different request")
        return self.get(job.id, with_images=False)

    # -- reading ----------------------------------------------------------
    def get(self, job_id: str, *, with_images: bool = True) -> JobView | None:
        """The job with its latest events (and images), or None if unknown."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                return None
            events = session.scalars(
                select(JobEvent)
                .where(JobEvent.job_id == job_id)
                .order_by(JobEvent.id.desc())
                .limit(EVENTS_SHOWN)
            ).all()
            images = self._image_rows(session, job_id) if with_images else []
        shown = [EventView(e.at, e.level, e.message, e.worker) for e in reversed(events)]
        return self._view(job, shown, images)

    def images(self, job_id: str) -> list[dict[str, str | int]] | None:
        """Manifest fields of each kept image (or found link), or None if the job is unknown."""
        with self.sessions() as session:
            if session.get(Job, job_id) is None:
                return None
            return self._image_rows(session, job_id)

    def _image_rows(self, session: Session, job_id: str) -> list[dict[str, str | int]]:
        rows = session.scalars(
            select(JobImage).where(JobImage.job_id == job_id).order_by(JobImage.position)
        ).all()
        return [{name: getattr(row, name) for name in MANIFEST_FIELDS} for row in rows]

    def many(self, ids: Sequence[str]) -> list[JobView]:
        """The known jobs among ``ids``, in the order given, without events or images."""
        with self.sessions() as session:
            found = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(list(ids))))}
        return [self._view(found[i], [], []) for i in ids if i in found]

    def recent(self, status: str | None = None, limit: int = 50) -> list[JobView]:
        """The newest jobs (optionally of one status), without events or images."""
        query = select(Job).order_by(Job.created_at.desc()).limit(limit)
        if status:
            query = query.where(Job.status == status)
        with self.sessions() as session:
            jobs = session.scalars(query).all()
        return [self._view(job, [], []) for job in jobs]

    def image_bytes(self, job_id: str, file: str) -> bytes | None:
        """One image of a delivered job, read from its archive (for thumbnails)."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            key = job.archive_key if job is not None and job.status in DELIVERED else None
        reader = self.store.open(key) if key and in_archive(file) else None
        if reader is None:
            return None
        with reader, zipfile.ZipFile(reader) as archive:
            try:
                return archive.read(file)
            except KeyError:
                return None

    def resolve_link(self, token: str) -> LinkTarget:
        """What a download token points to right now."""
        with self.sessions() as session:
            job = session.scalars(select(Job).where(Job.link_digest == links.digest(token))).first()
        if job is None:
            return LinkTarget("unknown")
        if self._expired(job) or not job.archive_key:
            return LinkTarget("expired", job_id=job.id)
        name = Path(job.archive_key).name
        left = job.expires_at - self.clock.now() if job.expires_at else timedelta(0)
        url = self.store.presign(job.archive_key, max(1, int(left.total_seconds())), name)
        if url is not None:
            return LinkTarget("ok", filename=name, job_id=job.id, url=url)
        path = self.store.local_path(job.archive_key)
        if path is None:
            return LinkTarget("expired", job_id=job.id)
        return LinkTarget("ok", path=path, filename=name, job_id=job.id)

    def _expired(self, job: Job) -> bool:
        return job.status == EXPIRED or (
            job.expires_at is not None and job.expires_at <= self.clock.now()
        )

    # -- user actions -----------------------------------------------------
    def cancel(self, job_id: str) -> JobView | None:
        """Cancel a scheduled or running job (None if unknown); ``InputError`` if it has ended."""
        now = self.clock.now()
        stop = update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE))
        stop = stop.values(status=CANCELLED, finished_at=now, expires_at=self._expiry(now))
        changed = self.writes.one(stop) == 1
        view = self.get(job_id, with_images=False)
        if view is not None and not changed:
            raise InputError("status", f"the job is {view.status}; it cannot be cancelled")
        if view is not None:
            self.event(job_id, "warning", "job cancelled")
        return view

    def retry(self, job_id: str) -> JobView | None:
        """A new job with the same request, run now; active jobs cannot be retried."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
        if job is None:
            return None
        if job.status in ACTIVE:
            raise InputError("status", f"the job is {job.status}; cancel it first")
        if job.status == EXPIRED:
            raise InputError("status", "the job expired and its request was deleted")
        now = self.clock.now()
        if job.kind == "crawl":
            return self.create_crawl(_crawl_request(job, now), client=job.client)
        return self.create_search(_search_request(job, now), client=job.client)

    # -- worker side ------------------------------------------------------
    @retrying
    def claim(self, job_id: str, worker: str | None = None) -> Claim | None:
        """Take the job if it is due and scheduled, or running with a stale heartbeat."""
        now = self.clock.now()
        stale = now - self.stale_after
        runnable = or_(
            Job.status == SCHEDULED,
            and_(Job.status == RUNNING, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale)),
        )
        take = update(Job).where(Job.id == job_id, Job.run_at <= now, runnable).values(
            status=RUNNING, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1,
            worker=worker, tried=0, kept=0, rejected={}, pages_done=0,
        )  # fmt: skip
        taken = select(Job.attempts, Job.kind, Job.request, Job.email).where(Job.id == job_id)
        with self.writes.transaction() as conn:
            if getattr(conn.execute(take), "rowcount", 0) != 1:
                return None
            # A new attempt starts from nothing: the rows of an earlier one go.
            conn.execute(delete(JobImage).where(JobImage.job_id == job_id))
            row = conn.execute(taken).one()
        claim = Claim(job_id, row.attempts, row.kind, dict(row.request), row.email)
        note = "" if claim.attempt == 1 else f" (attempt {claim.attempt}, after a lost worker)"
        where = f" on {worker}" if worker else ""
        self.run_event(claim, "info", f"job started{where}{note}", worker)
        return claim

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
        found = _image_rows(claim.job_id, rows, start)
        alive = update(Job).where(self._fenced(claim)).values(heartbeat_at=self.clock.now())
        with self.writes.transaction() as conn:
            # Rows first (one statement), then the fence: the beat's row lock keeps a takeover
            # from slipping between the check and the commit.
            conn.execute(insert(_table(JobImage)), found)
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
    def event(self, job_id: str, level: str, message: str, private: Sequence[str] = ()) -> None:
        """Keep one event row and write one log line naming the job (``private`` words and URL
        credentials masked)."""
        message = mask_credentials(message)
        row = {"job_id": job_id, "at": self.clock.now(), "level": level, "message": message}
        self.writes.one(insert(_table(JobEvent)), row)
        line = redact(message, private) if private else message
        log.log(logging.getLevelName(level.upper()), "%s", line, extra={"job_id": job_id})

    @retrying
    def finish(self, claim: Claim, outcome: Outcome) -> bool:
        """Record a finished run (images, archive, link); False if the run lost the job."""
        now = self.clock.now()
        link = links.mint(self.secret()) if outcome.archive_key else None
        done = update(Job).where(self._fenced(claim)).values(**outcome.values(now, link))
        done = done.values(expires_at=self._expiry(now), finished_at=now)
        rows = _image_rows(claim.job_id, outcome.images)
        with self.writes.transaction() as conn:
            # The rows first, prepared above and sent as one statement: SQLite's write lock is
            # taken there and held for two statements, not for a flush of one INSERT per row.
            if rows:
                conn.execute(insert(_table(JobImage)), rows)
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
            .values(status=FAILED, error=error, finished_at=now, expires_at=self._expiry(now))
        )
        owned = self.writes.one(failed) == 1
        if owned:
            self.event(claim.job_id, "error", f"job failed: {error}")
        return owned

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.link_ttl_seconds)

    # -- housekeeping -----------------------------------------------------
    def due(self) -> list[tuple[str, datetime, bool]]:
        """Active jobs: id, when a run should (re)start, and whether one is running now."""
        with self.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.run_at, Job.status, Job.heartbeat_at).where(
                    Job.status.in_(ACTIVE)
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

    def expire_due(self) -> list[str]:
        """Ended jobs past their link's lifetime become tombstones; old tombstones go."""
        return Expiry(self.sessions, self.settings, self.clock, self.store).sweep().expired

    def workdir(self, job_id: str, attempt: int | None = None) -> Path:
        """The scratch folder of a job, or of one attempt (a stale attempt never shares one)."""
        folder = self.settings.data_dir / "jobs" / job_id
        return folder if attempt is None else folder / f"attempt-{attempt}"

    # -- views ------------------------------------------------------------
    def _view(
        self, job: Job, events: list[EventView], images: list[dict[str, str | int]]
    ) -> JobView:
        base = self.settings.public_url
        return JobView(
            id=job.id, kind=job.kind, status=job.status, query=job.query, run_at=job.run_at,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
            wanted=job.wanted, tried=job.tried, kept=job.kept, rejected=dict(job.rejected or {}),
            pages_total=job.pages_total, pages_done=job.pages_done, summary=job.summary,
            error=job.error, has_email=bool(job.email), job_url=f"{base}/jobs/{job.id}",
            download_url=self._download_url(job), expires_at=job.expires_at,
            resubmit_url=resubmit_url(base, job, self.secret()),
            request=dict(job.request), events=events, images=images,
            pages_active=job.pages_active or 0, archive_bytes=job.archive_bytes,
        )  # fmt: skip

    def _download_url(self, job: Job) -> str | None:
        if job.status not in DELIVERED or not job.link_nonce or self._expired(job):
            return None
        token = links.derive(self.secret(), job.link_nonce)
        return self.settings.public_url + links.path(token)


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

    def values(self, now: datetime, link: links.Link | None) -> dict[str, Any]:
        """Column values of the finished job."""
        return {
            "status": self.status, "summary": self.summary, "tried": self.tried,
            "kept": self.kept, "rejected": dict(self.rejected), "archive_key": self.archive_key,
            "pages_done": self.pages_done, "heartbeat_at": now, "pages_active": 0,
            "archive_bytes": self.archive_bytes,
            "link_nonce": link.nonce if link else None,
            "link_digest": link.digest if link else None,
        }  # fmt: skip


def _table(model: type[Job] | type[JobEvent] | type[JobImage]) -> Table:
    return cast(Table, model.__table__)


def _image_rows(
    job_id: str, images: Sequence[Mapping[str, Any]], start: int = 0
) -> list[dict[str, Any]]:
    """Image rows as plain values with every column given (one multi-row INSERT needs the same
    columns in every row; a manifest field missing from a row gets the column's default)."""
    return [
        {"job_id": job_id, "position": i, **{k: row.get(k, _DEFAULTS[k]) for k in MANIFEST_FIELDS}}
        for i, row in enumerate(images, start)
    ]


_NUMBERS = {"width", "height", "bytes", "rank"}
_DEFAULTS: dict[str, str | int] = {k: 0 if k in _NUMBERS else "" for k in MANIFEST_FIELDS}


def in_archive(file: str) -> bool:
    """Whether a manifest ``file`` is an image member of the job's zip (``images/…`` or an
    image-folder ``<class>/…``), not a sample inside a tar shard or a parquet file."""
    return "#" not in file and is_image_path(file) and not file.startswith(("/", "."))


def resubmit_url(base: str, job: Job, secret: str) -> str | None:
    """A link that opens the right form pre-filled with this job's request: a signed token,
    no personal data (the address is typed again)."""
    if job.status == EXPIRED or not job.request:
        return None  # an expired job's request is deleted
    return f"{base}/resubmit/{make_token(secret, job.kind, job.id, dict(job.request))}"


def _search_request(job: Job, now: datetime) -> SearchRequest:
    req = job.request
    return SearchRequest(
        query=job.query, run_at=now, email=job.email, count=int(req["count"]),
        sources=tuple(req.get("sources", ())), min_width=int(req.get("min_width", 0)),
        min_height=int(req.get("min_height", 0)), tz=str(req.get("tz", "UTC")),
        format=str(req.get("format", "zip")), max_side=int(req.get("max_side", 0)),
        licence=str(req.get("licence", "any")),
    )  # fmt: skip


def _crawl_request(job: Job, now: datetime) -> CrawlRequest:
    req = job.request
    return CrawlRequest(
        urls=list(req["urls"]), run_at=now, email=job.email, depth=int(req.get("depth", 0)),
        download=bool(req.get("download")), count=int(req.get("count", 0)),
        tz=str(req.get("tz", "UTC")), render=bool(req.get("render")),
        follow=str(req.get("follow", "")),
    )  # fmt: skip
