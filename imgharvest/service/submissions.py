"""Submitting jobs: search and crawl requests stored and queued, idempotent creation, and the
user's actions on a job (cancel, run again)."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from imgharvest.errors import InputError
from imgharvest.redact import mask_credentials
from imgharvest.service import owners
from imgharvest.service.jobdata import ACTIVE, CANCELLED, EXPIRED, SCHEDULED, table
from imgharvest.service.schemas import CrawlRequest, SearchRequest
from imgharvest.service.views import EventView, JobView, JobViews
from imgharvest.store.models import Job, JobEvent

log = logging.getLogger("imgharvest.jobs")


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's ``Idempotency-Key`` and the digest of the request it came with."""

    key: str
    digest: str


class Submissions(JobViews):
    """New jobs and what their requester may do with them."""

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
        if (known := self.by_idempotency(idem)) is not None:
            return known
        now = self.clock.now()
        values: dict[str, Any] = dict(
            id=secrets.token_urlsafe(12), kind=kind, status=SCHEDULED, query=query,
            request=request, email=req.email, client=client, wanted=wanted, pages_total=pages,
            pages_done=0, run_at=req.run_at, created_at=now, attempts=0, tried=0, kept=0,
            rejected={}, idempotency_key=idem.key if idem else None,
            request_hash=idem.digest if idem else None, owner_nonce=owners.new_nonce(),
        )  # fmt: skip
        job = Job(**values)
        message = f"{kind} job scheduled for {req.run_at:%Y-%m-%d %H:%M} UTC"
        # The answer is built from what is written (no read-back), and the rows go in as two
        # plain INSERTs (no unit of work): a submission is one short transaction and a
        # queue insert.
        view = self._with_token(self.view(job, [EventView(now, "info", message)], []), job)
        event = dict(job_id=job.id, at=now, level="info", message=message)
        try:
            with self.writes.transaction() as conn:
                # Parameters, not values baked into the statement: its compiled form is cached.
                conn.execute(insert(table(Job)), values)
                conn.execute(insert(table(JobEvent)), event)
        except IntegrityError:
            if (known := self.by_idempotency(idem)) is None:
                raise
            return known  # the same key won a race a moment ago
        log.info("%s", message, extra={"job_id": job.id})
        if self.dispatcher is not None:
            self.dispatcher.run_job(job.id, req.run_at)
        return view

    def by_idempotency(self, idem: Idempotency | None) -> JobView | None:
        """The job created earlier with this key (None without a key, or if there is none);
        ``InputError`` if its request differed."""
        if idem is None:
            return None
        with self.sessions() as session:
            job = session.scalars(select(Job).where(Job.idempotency_key == idem.key)).first()
        if job is None:
            return None
        if job.request_hash != idem.digest:
            raise InputError("Idempotency-Key", "this key was used for a different request")
        view = self.get(job.id, with_images=False)
        return None if view is None else self._with_token(view, job)

    def _with_token(self, view: JobView, job: Job) -> JobView:
        """The view as its creation answers it: with the owner token."""
        token = owners.derive(self.secret(), job.owner_nonce) if job.owner_nonce else None
        return dataclasses.replace(view, owner_token=token)

    def is_owner(self, job_id: str, token: bytes) -> bool | None:
        """Whether ``token`` is the job's owner token; None if there is no such job."""
        with self.sessions() as session:
            row = session.execute(select(Job.owner_nonce).where(Job.id == job_id)).first()
        return None if row is None else owners.matches(self.secret(), row[0], token)

    def cancel(self, job_id: str) -> JobView | None:
        """Cancel a scheduled or running job (None if unknown); ``InputError`` if it has ended."""
        now = self.clock.now()
        stop = update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE))
        stop = stop.values(status=CANCELLED, finished_at=now, expires_at=self.expiry(now))
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
        if job.kind == "fetch":
            return self.retry_list(job, now)
        if job.kind == "crawl":
            return self.create_crawl(_crawl_request(job, now), client=job.client)
        return self.create_search(_search_request(job, now), client=job.client)

    def retry_list(self, job: Job, now: datetime) -> JobView:
        """A URL-list job run again from its stored list (``FetchSubmissions`` knows how)."""
        raise InputError("status", "a URL-list job is not kept to run again: submit the list")


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
