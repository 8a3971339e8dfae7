"""Queue tasks: run a job at its time, send its emails with backoff, keep house.

Tasks are registered on a Huey instance built at the edge (``Tasks(huey)``)
and bound to the ``Services`` they use. Every task is safe to run twice: a
job runs only after ``JobService.claim`` succeeded, an email only after
``Outbox.claim`` did. Emails do not go through the job queue: the outbox
table is their queue and a process's own mail threads (``MailPump``) send
them, so a "started" mail never waits behind long job runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import shutil
import smtplib
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import Huey
from huey.utils import normalize_time
from sqlalchemy.exc import SQLAlchemyError

from imgharvest import licences, redact
from imgharvest.dataset import build
from imgharvest.dataset.deliver import job_spec, pack, plain_zip
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.errors import ImgHarvestError, JobCancelled, JobError
from imgharvest.naming import file_stem
from imgharvest.pipeline.hop import OneHop
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.run import HarvestSpec, crawl, harvest, harvest_links
from imgharvest.service import reasons
from imgharvest.service.fleet import worker_id
from imgharvest.service.jobs import DONE, SHORT, Claim, Outcome
from imgharvest.service.mail import Pending, render
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.store import faults

if TYPE_CHECKING:
    from imgharvest.service.mailpump import MailPump
    from imgharvest.service.services import Services

log = logging.getLogger("imgharvest.tasks")

HEARTBEAT_SECONDS = 1.0
MAIL_RETRY_FIRST = 2.0
MAIL_RETRY_MAX = 300.0
OVERDUE = timedelta(seconds=120)


def mail_delay(attempts: int) -> float:
    """Seconds before retrying a message that failed ``attempts`` times (doubling, capped)."""
    return float(min(MAIL_RETRY_MAX, MAIL_RETRY_FIRST * 2 ** max(0, attempts - 1)))


class Tasks:
    """The Huey tasks of imgharvest; also the ``Dispatcher`` the job service enqueues through."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._services: Services | None = None
        self.pump: MailPump | None = None
        self._run = huey.task(name="run_job")(self._run_job)

    def bind(self, services: Services) -> None:
        """Attach the services the tasks work with (built after the queue)."""
        self._services = services

    @property
    def services(self) -> Services:
        assert self._services is not None, "Tasks.bind(services) was not called"
        return self._services

    # -- dispatching ------------------------------------------------------
    def run_job(self, job_id: str, at: datetime) -> None:
        """Queue a run of ``job_id`` at ``at``; with the queue down, the job waits in the
        database and a worker's recovery loop queues it once the queue is back."""
        self.try_run_job(job_id, at)

    def try_run_job(self, job_id: str, at: datetime) -> bool:
        """Queue a run; False (logged) when the queue cannot be reached."""
        try:
            self._queue_run(job_id, at)
        except Exception as exc:  # any queue backend's connection error
            log.warning("queue unavailable, job %s waits in the database: %s", job_id, exc)
            return False
        return True

    def _queue_run(self, job_id: str, at: datetime) -> None:
        # A later run goes straight into Huey's schedule, where its consumer would move it on
        # dequeueing it: one queue write per submission instead of three, and none by the
        # worker that would contend with the web tier for the queue's lock.
        eta = normalize_time(at, None, self.huey.utc)
        task = self._run.task_class((job_id,), {}, eta=eta)
        now = datetime.now(UTC).replace(tzinfo=None) if self.huey.utc else datetime.now()
        if eta > now and not self.huey.immediate:
            self.huey.add_schedule(task)
        else:
            self.huey.enqueue(task)

    def send_email(self, email_id: int, at: datetime | None = None) -> None:
        """Hand a message to this process's mail threads now; a later one (``at``) or one
        without mail threads here is sent by a worker's outbox sweep when it is due."""
        if at is None and self.pump is not None:
            self.pump.put(email_id)

    def queue_email(self, job_id: str, kind: str) -> None:
        """Add the job's ``kind`` message to the outbox (once) and queue its sending."""
        email_id = self.services.outbox.queue(job_id, kind)
        if email_id is not None:
            self.send_email(email_id)

    # -- the tasks --------------------------------------------------------
    def _run_job(self, job_id: str) -> None:
        jobs = self.services.jobs
        claim = jobs.claim(job_id, worker_id())
        if claim is None:
            return
        self.queue_email(job_id, "started")
        JobRun(self.services, claim, self).execute()

    def _send_email(self, email_id: int) -> None:
        svc = self.services
        item = svc.outbox.claim(email_id)
        if item is None:
            return
        job = svc.jobs.get(item.job_id, with_images=False)
        if job is None or not item.to:
            svc.outbox.dropped(email_id, "the address was erased")
            if job is not None:
                svc.jobs.event(item.job_id, "error", f"{item.kind} email dropped: no address")
            return
        try:
            svc.mailer.send(render(item.kind, job, item.to, svc.settings))
        except (OSError, smtplib.SMTPException) as exc:
            self._mail_failed(item, exc)
            return
        svc.outbox.sent(email_id)
        svc.jobs.event(item.job_id, "info", f"{item.kind} email sent")

    def _mail_failed(self, item: Pending, exc: Exception) -> None:
        svc = self.services
        attempts, error = item.attempts + 1, f"{type(exc).__name__}: {exc}"
        if attempts >= svc.settings.mail_max_attempts:
            self._mail_given_up(item, attempts, error)
            return
        delay = mail_delay(attempts)
        retry_at = svc.clock.now() + timedelta(seconds=delay)
        svc.outbox.failed(item.id, error, retry_at)
        log.warning("email %s not sent (%s); retry in %.0f s", item.id, exc, delay)

    def _mail_given_up(self, item: Pending, attempts: int, error: str) -> None:
        """Past ``MAIL_MAX_ATTEMPTS``: settled as not delivered, logged, in the job's events."""
        svc = self.services
        why = f"gave up after {attempts} attempts ({error})"
        svc.outbox.dropped(item.id, why)
        svc.jobs.event(item.job_id, "error", f"{item.kind} email not delivered: {why}")

    def housekeeping(self) -> None:
        """Expire old links, re-queue lost work, resend unsent emails."""
        svc = self.services
        svc.jobs.expire_due()
        self.recover(startup=False)

    def recover(self, startup: bool) -> None:
        """Re-queue jobs and emails from the database (at start: every active job)."""
        svc = self.services
        now = svc.clock.now()
        for job_id, when, running in svc.jobs.due():
            # A scheduled job is normally on the queue already; only a long-overdue one was lost.
            if startup or when <= now - (timedelta(0) if running else OVERDUE):
                self.try_run_job(job_id, when)
        for email_id in svc.outbox.unsent():
            self.send_email(email_id)


class JobRun:
    """One run of a claimed job: the engine call, heartbeats, archive, records, emails."""

    def __init__(self, services: Services, claim: Claim, tasks: Tasks) -> None:
        self.svc, self.claim, self.tasks = services, claim, tasks
        self.worker = worker_id()
        self.workdir = services.jobs.workdir(claim.job_id, claim.attempt)
        self.snapshot: Progress | None = None
        self.pages_done = 0
        self.pages_active = 0
        self.private = redact.terms(claim.request)
        self.links_only = claim.kind == "crawl" and not claim.request.get("download")
        self.found: list[dict[str, Any]] = []
        self.stored = 0
        self._store_lock = threading.Lock()

    def events(self, level: str, message: str) -> None:
        """The engine's event sink: one row and one log line (without the query) per event,
        while this run owns the job (a run presumed dead and replaced writes nothing)."""
        self.svc.jobs.run_event(self.claim, level, message, self.worker, self.private)

    def execute(self) -> None:
        """Run to the end and record the outcome; failures of the job are data, not crashes."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        try:
            settings = self.svc.settings
            faults.check_free_space(settings.data_dir, settings.min_free_bytes)
            self.workdir.mkdir(parents=True)
            self._record(asyncio.run(self._main()))
        except JobCancelled:
            self.events("warning", "run stopped: the job was cancelled")
        except JobError as exc:
            self._fail(str(exc))
        except Exception as exc:
            self._crashed(exc)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            _remove_if_empty(self.workdir.parent)

    def _crashed(self, exc: Exception) -> None:
        if not faults.is_disk_full(exc):
            log.exception("job %s crashed", self.claim.job_id)
            self._fail(f"internal error ({type(exc).__name__})")
            return
        # Free the run's scratch files first, so the failure itself can be recorded.
        shutil.rmtree(self.workdir, ignore_errors=True)
        log.error("job %s: disk full (%s)", self.claim.job_id, exc)
        self._fail(faults.DISK_FULL)

    def _record(self, outcome: Outcome) -> None:
        if self.svc.jobs.finish(self.claim, outcome):
            self.tasks.queue_email(self.claim.job_id, "finished")
        elif outcome.archive_key:
            # This run lost the job while packing: its own archive is nobody's.
            self.svc.store.delete(outcome.archive_key)

    def _fail(self, error: str) -> None:
        self._save_progress()  # the counts say why, next to the reason
        if self.svc.jobs.fail(self.claim, error):
            self.tasks.queue_email(self.claim.job_id, "failed")

    async def _main(self) -> Outcome:
        cancel = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(cancel))
        try:
            if self.claim.kind == "crawl":
                return await self._crawl(cancel)
            return await self._search(cancel)
        finally:
            beat.cancel()

    async def _heartbeat(self, cancel: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                owned = await asyncio.to_thread(self.svc.jobs.heartbeat, self.claim)
                if owned:
                    await asyncio.to_thread(self._save_progress)
            except SQLAlchemyError as exc:
                # A beat that cannot be written (full disk, an outage longer than the retries)
                # is skipped; the run itself meets the same fault on its next write.
                log.warning("job %s: heartbeat not saved (%s)", self.claim.job_id, exc)
                continue
            if not owned:
                cancel.set()
                return

    def _save_progress(self) -> None:
        p = self.snapshot
        tried, kept, rejected = (p.tried, p.kept, dict(p.rejected)) if p else (0, 0, {})
        if p is None and self.found:
            kept = self._store_links()
        jobs = self.svc.jobs
        jobs.progress(self.claim, tried, kept, rejected, self.pages_done, self.pages_active)

    def _store_links(self) -> int:
        """Save the links found since the last save (``/result`` grows while the job runs)."""
        with self._store_lock:  # the heartbeat thread and the run's end may both save
            rows = self.found[self.stored :]
            if rows and self.svc.jobs.add_links(self.claim, rows, self.stored):
                self.stored += len(rows)
            return self.stored

    def _add_found(self, found: list[Candidate]) -> None:
        if self.links_only:
            self.found += [_link_row(c) for c in found]

    def _on_progress(self, progress: Progress) -> None:
        self.snapshot = progress

    async def _search(self, cancel: asyncio.Event) -> Outcome:
        req = self.claim.request
        min_w, min_h = int(req.get("min_width", 0)), int(req.get("min_height", 0))
        spec = HarvestSpec(
            query=str(req["query"]), count=int(req["count"]),
            sources=tuple(req.get("sources") or ()), filters=Filters(min_w, min_h),
            options=SourceOptions(min_width=min_w, min_height=min_h),
        )  # fmt: skip
        dataset = job_spec(req)
        if dataset is not None:
            return self._delivered(await self._dataset(spec, dataset, cancel))
        result = await harvest(
            spec, self.svc.settings, self.workdir, events=self.events,
            progress=self._on_progress, cancel=cancel,
        )  # fmt: skip
        return self._delivered(self._zipped(result, spec.query))

    async def _dataset(
        self, spec: HarvestSpec, dataset: DatasetSpec, cancel: asyncio.Event
    ) -> HarvestResult:
        """A search delivered as a dataset (another format, resized, licence-filtered)."""
        built = await build.build(
            [QueryClass(file_stem(spec.query), spec.query)], build.harvest_spec(spec, dataset),
            dataset, self.svc.settings, self.workdir, events=self.events,
            progress=self._on_progress, cancel=cancel, command=f"job {self.claim.job_id}",
        )  # fmt: skip
        result = built.classes[0].result
        result.archive = pack(built, self._archive(spec.query), self.workdir)
        return result

    async def _crawl(self, cancel: asyncio.Event) -> Outcome:
        req = self.claim.request
        options = SourceOptions(depth=int(req.get("depth", 0)), render=bool(req.get("render")))
        if req.get("follow") == "all":
            found = await self._one_hop(list(req["urls"]), cancel)
        else:
            found = await self._crawl_pages(list(req["urls"]), options, cancel)
        if not req.get("download"):
            return await self._links_outcome()
        limit = self.svc.settings.max_images
        # No maximum asked means every image found (up to MAX_IMAGES): never "fewer than asked".
        count = int(req.get("count") or 0) or min(len(found), limit)
        result = await harvest_links(
            found, count, self.svc.settings, self.workdir, events=self.events,
            progress=self._on_progress, cancel=cancel,
        )  # fmt: skip
        result = self._zipped(result, "crawl")
        if int(req.get("count") or 0):
            return self._delivered(result)
        return self._delivered(result, every=(len(found), len(found) > limit))

    async def _links_outcome(self) -> Outcome:
        # Links were stored while crawling; only the rest is saved now.
        stored = await asyncio.to_thread(self._store_links)
        summary = f"{stored} image links found on {self.pages_done} pages"
        return Outcome(DONE, summary, 0, stored, {}, pages_done=self.pages_done)

    async def _one_hop(self, urls: list[str], cancel: asyncio.Event) -> list[Candidate]:
        """The original crawler API's walk, its counts saved with every heartbeat."""
        found: list[Candidate] = []

        def on_links(fresh: list[Candidate]) -> None:
            found.extend(fresh)
            self._add_found(fresh)

        walk = OneHop(self.svc.settings, self.events, on_links, cancel=cancel)
        watcher = asyncio.create_task(self._watch(walk))
        try:
            state = await walk.run(urls)
        finally:
            watcher.cancel()
        self.pages_done, self.pages_active = state.read, 0
        return found

    async def _watch(self, walk: OneHop) -> None:
        while True:
            self.pages_done, self.pages_active = walk.state.read, walk.state.active
            await asyncio.sleep(0.1)

    async def _crawl_pages(
        self, urls: list[str], options: SourceOptions, cancel: asyncio.Event
    ) -> list[Candidate]:
        found: dict[str, Candidate] = {}
        failures: list[str] = []
        for url in urls:
            if cancel.is_set():
                raise JobCancelled("cancelled while crawling")
            try:
                got = await crawl([url], self.svc.settings, events=self.events, options=options)
            except ImgHarvestError as exc:
                self.events("warning", f"page failed: {exc}")
                failures.append(str(exc))
                got = []
            fresh = [cand for cand in got if cand.url not in found]
            for cand in fresh:
                found[cand.url] = cand
            self._add_found(fresh)
            self.pages_done += 1
        if len(failures) == len(urls):
            raise JobError("every page failed: " + "; ".join(failures[:3]))
        return list(found.values())

    def _archive(self, text: str) -> Path:
        return self.workdir / f"{file_stem(text)}.zip"

    def _zipped(self, result: HarvestResult, text: str) -> HarvestResult:
        result.archive = plain_zip(result, self._archive(text), text, f"job {self.claim.job_id}")
        return result

    def _delivered(self, result: HarvestResult, every: tuple[int, bool] | None = None) -> Outcome:
        """The outcome of a harvest; no image at all is a failure with its reason in words."""
        kept = len(result.records)
        if not kept:
            why = reasons.nothing_kept(result.tried, result.source_errors)
            raise JobError(why)
        key, size = None, None
        rows: list[dict[str, Any]] = []
        if result.archive is not None:
            rows = _manifest(result.archive)
            size = result.archive.stat().st_size
            # The attempt is part of the key: a stale run can never overwrite the archive of
            # the run that replaced it, and it stores nothing once it knows it was replaced.
            key = f"{self.claim.job_id}/{self.claim.attempt}/{result.archive.name}"
            if not self.svc.jobs.heartbeat(self.claim):
                raise JobCancelled("the job was taken over before its archive was stored")
            self.svc.store.put(key, result.archive)
        if every is not None:
            status, summary = DONE, reasons.all_summary(kept, every[0], result.tried, every[1])
        else:
            status = SHORT if result.short else DONE
            summary = reasons.kept_summary(kept, result.wanted, result.tried, result.source_errors)
        licence_line = licences.summary_line(r.licence for r in result.records)
        summary = f"{summary}; {licence_line}" if licence_line else summary
        return Outcome(
            status, summary, result.tried, kept, dict(result.rejected), key, rows,
            self.pages_done, size,
        )  # fmt: skip


def _remove_if_empty(folder: Path) -> None:
    # Other attempts' folders may still be there, or it is gone already.
    with contextlib.suppress(OSError):
        folder.rmdir()


def _manifest(archive: Path) -> list[dict[str, Any]]:
    """The rows of ``manifest.csv`` inside an archive (what the user gets is what we list)."""
    with zipfile.ZipFile(archive) as zf, zf.open("manifest.csv") as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))
    for row in rows:
        for name in ("width", "height", "bytes", "rank"):
            row[name] = int(row.get(name) or 0)
    return rows


def _link_row(cand: Candidate) -> dict[str, Any]:
    return {
        "url": cand.url, "page_url": cand.page_url or "", "source": cand.source,
        "title": cand.title or "", "width": cand.width or 0, "height": cand.height or 0,
        "licence": cand.licence or "", "licence_url": cand.licence_url or "",
        "creator": cand.creator or "",
    }  # fmt: skip
