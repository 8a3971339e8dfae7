"""Submitting a URL-list job: the list read (bounded) and stored once as JSON lines, the job
stored with one part per ``shard_size`` items and its end step, every shard queued."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from imgharvest.dataset.listitems import ListBounds, ListItem
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.dataset.urllist import read_list
from imgharvest.errors import InputError
from imgharvest.service import owners
from imgharvest.service.fetchjob import OPTIONS, input_key, input_line, job_spec
from imgharvest.service.jobdata import SCHEDULED, table
from imgharvest.service.parts import END, FETCH, PENDING, SHARD, WAITING
from imgharvest.service.submissions import Idempotency, Submissions
from imgharvest.service.views import EventView, JobView
from imgharvest.store.models import Job, JobEvent, JobPart

log = logging.getLogger("imgharvest.jobs")

Span = tuple[int, int, int]  # start byte, bytes, items


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """A valid URL-list job request (the list itself comes as a file beside it)."""

    name: str
    run_at: datetime
    email: str | None
    spec: DatasetSpec
    tz: str = "UTC"


def write_input(items: Iterable[ListItem], dest: Path, shard_size: int) -> list[Span]:
    """The list as JSON lines in ``dest``; each shard's byte range and item count."""
    spans: list[Span] = []
    start = count = offset = 0
    with dest.open("wb") as out:
        for item in items:
            line = input_line(item)
            out.write(line)
            offset += len(line)
            count += 1
            if count == shard_size:
                spans.append((start, offset - start, count))
                start, count = offset, 0
    if count:
        spans.append((start, offset - start, count))
    return spans


class FetchSubmissions(Submissions):
    """New URL-list jobs."""

    def create_fetch(
        self,
        req: FetchRequest,
        upload: Path,
        *,
        client: str | None = None,
        idem: Idempotency | None = None,
    ) -> JobView:
        """Read, store and queue the list at ``upload`` (``InputError`` on ``file`` if bad);
        with ``idem``, the job made earlier with the same key and request, if there is one."""
        if (known := self.by_idempotency(idem)) is not None:
            return known
        bounds = ListBounds(items=self.settings.max_list_items)
        lines = upload.with_name(upload.name + ".jsonl")
        try:
            spans = write_input(read_list(upload, req.name, bounds), lines, req.spec.shard_size)
            job_id = secrets.token_urlsafe(12)
            self.store.put(input_key(job_id), lines)
        finally:
            lines.unlink(missing_ok=True)
        try:
            return self._stored(job_id, req, spans, client, idem)
        except IntegrityError:
            self.store.delete(input_key(job_id))
            if (known := self.by_idempotency(idem)) is None:
                raise
            return known  # the same key won a race a moment ago

    def retry_list(self, job: Job, now: datetime) -> JobView:
        """A new job from ``job``'s stored list, its shards as they were, run now; an
        ``InputError`` if the list is gone."""
        with self.sessions() as session:
            parts = session.scalars(
                select(JobPart)
                .where(JobPart.job_id == job.id, JobPart.kind == SHARD)
                .order_by(JobPart.number)
            ).all()
            spans = [(p.input_start, p.input_bytes, p.items) for p in parts]  # fmt: skip
        job_id = secrets.token_urlsafe(12)
        if not spans or not self.store.copy(input_key(job.id), input_key(job_id)):
            raise InputError("status", "the job's list is gone: submit the list again")
        request = dict(job.request)
        req = FetchRequest(str(request.get("list", "list")), now, job.email, job_spec(request),
                           str(request.get("tz", "UTC")))  # fmt: skip
        return self._stored(job_id, req, spans, job.client, None)

    def _stored(
        self,
        job_id: str,
        req: FetchRequest,
        spans: list[Span],
        client: str | None,
        idem: Idempotency | None,
    ) -> JobView:
        now, total = self.clock.now(), sum(s[2] for s in spans)
        spec = req.spec
        request = {"format": spec.format, "shard_size": spec.shard_size, "items": total,
                   "list": req.name[:200], "tz": req.tz,
                   "options": {k: getattr(spec, k) for k in OPTIONS}}  # fmt: skip
        values: dict[str, Any] = dict(
            id=job_id, kind=FETCH, status=SCHEDULED, query=f"{total} URLs ({req.name[:100]})",
            request=request, email=req.email, client=client, wanted=total, pages_total=0,
            pages_done=0, run_at=req.run_at, created_at=now, attempts=0, tried=0, kept=0,
            rejected={}, shards_total=len(spans), shards_done=0, owner_nonce=owners.new_nonce(),
            idempotency_key=idem.key if idem else None, request_hash=idem.digest if idem else None,
        )  # fmt: skip
        message = (f"URL-list job of {total} URLs in {len(spans)} shards scheduled for "
                   f"{req.run_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        parts = [_part(job_id, SHARD, n, PENDING, span) for n, span in enumerate(spans)]
        parts.append(_part(job_id, END, 0, WAITING, (0, 0, 0)))
        with self.writes.transaction() as conn:
            conn.execute(insert(table(Job)), values)
            conn.execute(insert(table(JobPart)), parts)  # type: ignore[arg-type]
            conn.execute(insert(table(JobEvent)),
                         dict(job_id=job_id, at=now, level="info", message=message))  # fmt: skip
        log.info("%s", message, extra={"job_id": job_id})
        if self.dispatcher is not None:
            for number in range(len(spans)):
                self.dispatcher.run_part(job_id, SHARD, number, req.run_at)
        view = self.view(Job(**values), [EventView(now, "info", message)], [])
        # the creation's answer holds the owner token (cancel by the API), as for other jobs
        return dataclasses.replace(
            view, owner_token=owners.derive(self.secret(), values["owner_nonce"])
        )


def _part(job_id: str, kind: str, number: int, status: str, span: Span) -> dict[str, Any]:
    return {"job_id": job_id, "kind": kind, "number": number, "status": status, "attempts": 0,
            "items": span[2], "input_start": span[0], "input_bytes": span[1], "tried": 0,
            "kept": 0, "rejected": {}}  # fmt: skip
