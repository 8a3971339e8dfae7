"""One run of a claimed job: the engine call, heartbeats and progress, the archive, the
outcome and its email; a failure of the job is data, never a crash."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from imgharvest import redact
from imgharvest.dataset import build
from imgharvest.dataset.deliver import job_spec, pack, plain_zip
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.errors import ImgHarvestError, JobCancelled, JobError, StoreUnavailable
from imgharvest.naming import file_stem
from imgharvest.pipeline.hop import OneHop
from imgharvest.pipeline.listing import Link, listed
from imgharvest.pipeline.records import Filters, ImageRecord
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.run import HarvestSpec, crawl, harvest, harvest_links
from imgharvest.service import reasons
from imgharvest.service.delivery import Delivery
from imgharvest.service.fleet import worker_id
from imgharvest.service.jobdata import DONE
from imgharvest.service.jobs import JobService
from imgharvest.service.keptbatches import BATCH_SECONDS, KeptBatches, discard, seed_of
from imgharvest.service.lifecycle import Claim, Outcome
from imgharvest.service.scratch import remove_if_empty
from imgharvest.service.thumbmaker import PACK_NAME, Thumbs
from imgharvest.settings import Settings
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.store import faults
from imgharvest.store.storage import Store

log = logging.getLogger("imgharvest.tasks")

HEARTBEAT_SECONDS = 1.0
# A job whose archive the store would not take is queued again a while later (the retry
# window, between 5 and 60 s), up to ``STORE_ATTEMPTS`` attempts in all; only then does it fail.
AGAIN_AFTER = (5.0, 60.0)
STORE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class RunParts:
    """What a run works with: settings, the job service, the store, and ``mail(job_id, kind)``
    to queue one of the job's emails."""

    settings: Settings
    jobs: JobService
    store: Store
    mail: Callable[[str, str], None]


class JobRun:
    """One run of a claimed job: the engine call, heartbeats, archive, records, emails."""

    def __init__(self, parts: RunParts, claim: Claim) -> None:
        self.svc, self.claim = parts, claim
        self.worker = worker_id()
        self.workdir = parts.jobs.workdir(claim.job_id, claim.attempt)
        self.snapshot: Progress | None = None
        self.pages_done = 0
        self.pages_active = 0
        self.private = redact.terms(claim.request)
        self.links_only = claim.kind == "crawl" and not claim.request.get("download")
        # Found links not stored yet; once stored they are the database's alone.
        self.pending: list[dict[str, Any]] = []
        self.listed: set[str] = set()  # the URLs found: each copy is listed once
        self.stored = 0
        self.seeded = 0  # images an earlier attempt kept and stored (the takeover's start)
        self._store_lock = threading.Lock()
        self.thumbs, self.thumb_pack = Thumbs(), self.workdir / PACK_NAME
        window = parts.settings.store_retry_seconds
        self.delivery = Delivery(parts.jobs, parts.store, claim, self.events, window)

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
        except StoreUnavailable as exc:
            self._stored_later(str(exc))
        except JobError as exc:
            self._fail(str(exc))
        except Exception as exc:
            self._crashed(exc)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            remove_if_empty(self.workdir.parent)

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
            self.svc.mail(self.claim.job_id, "finished")
            discard(self.svc.store, self.claim.job_id)
        elif outcome.archive_key:
            # This run lost the job while packing: its own archive is nobody's.
            self.delivery.drop(outcome.archive_key)

    def _stored_later(self, error: str) -> None:
        """The store would not take the archive for the whole window: the job runs again
        later (a store outage fails a job only after ``STORE_ATTEMPTS`` attempts)."""
        if self.claim.attempt >= STORE_ATTEMPTS:
            self._fail(f"the archive could not be stored in {self.claim.attempt} attempts: {error}")
            return
        low, high = AGAIN_AFTER
        pause = min(high, max(low, self.svc.settings.store_retry_seconds))
        at = self.svc.jobs.clock.now() + timedelta(seconds=pause)
        self._save_progress()
        self.svc.jobs.release(self.claim, at, f"the archive could not be stored ({error})")

    def _fail(self, error: str) -> None:
        self._save_progress()  # the counts say why, next to the reason
        if self.svc.jobs.fail(self.claim, error):
            self.svc.mail(self.claim.job_id, "failed")

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
        p, seeded = self.snapshot, self.seeded
        tried, kept, rejected = (p.tried, p.kept, dict(p.rejected)) if p else (0, 0, {})
        tried, kept = tried + seeded, kept + seeded
        if p is None and (self.pending or self.stored):
            kept = self._store_links()
        jobs = self.svc.jobs
        jobs.progress(self.claim, tried, kept, rejected, self.pages_done, self.pages_active)

    def _store_links(self) -> int:
        """Save the links found since the last save (``/result`` grows while the job runs)."""
        with self._store_lock:  # the heartbeat thread and the run's end may both save
            count = len(self.pending)  # the run's loop may add more meanwhile
            rows = self.pending[:count]
            if rows and self.svc.jobs.add_links(self.claim, rows, self.stored):
                self.stored += count
                del self.pending[:count]
            return self.stored

    def _add_found(self, found: list[Candidate]) -> None:
        if self.links_only:
            self._add_links(listed(found, self.listed))

    def _add_links(self, links: list[Link]) -> None:
        """Rows of a links-only crawl: every copy of each picture (downloads take one)."""
        if self.links_only:
            self.pending += [_link_row(link) for link in links]

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
            return await self._delivered(await self._dataset(spec, dataset, cancel))
        kept = KeptBatches(self.svc.jobs, self.svc.store, self.claim, self.workdir)
        seed = await asyncio.to_thread(kept.load)
        self.seeded = len(seed)
        if seed:
            self.events("info", f"resuming from {len(seed)} images an earlier attempt kept")
        keeper = asyncio.create_task(self._keep(kept))
        try:
            result = await self._rest(replace(spec, count=spec.count - len(seed)), seed, kept,
                                      cancel)  # fmt: skip
        finally:
            keeper.cancel()
        outcome = await self._delivered(await self._zipped(result, spec.query))
        return dataclasses.replace(outcome, kept_batches=bool(seed or kept.batches))

    async def _rest(
        self, spec: HarvestSpec, seed: list[ImageRecord], kept: KeptBatches, cancel: asyncio.Event
    ) -> HarvestResult:
        """What is still missing after ``seed``, harvested, with the seed in front."""
        if spec.count <= 0:
            return HarvestResult(len(seed), seed, Counter(), len(seed), {})
        result = await harvest(
            spec, self.svc.settings, self.workdir, events=self.events,
            progress=self._on_progress, cancel=cancel, seed=seed_of(seed),
            post=self.thumbs.post(kept.post()),
        )  # fmt: skip
        result.records[:0] = seed
        result.wanted, result.tried = result.wanted + len(seed), result.tried + len(seed)
        return result

    async def _keep(self, kept: KeptBatches) -> None:
        """Store what was kept every ``BATCH_SECONDS``, off the event loop."""
        while True:
            await asyncio.sleep(BATCH_SECONDS)
            try:
                await asyncio.to_thread(kept.flush)
            except SQLAlchemyError as exc:  # an outage longer than the retries: next time
                log.warning("job %s: kept images not recorded (%s)", self.claim.job_id, exc)

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
        await self._thumbed(result)  # before the dataset's writer moves the files
        archive = self._archive(spec.query)
        result.archive = await asyncio.to_thread(pack, built, archive, self.workdir)
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
            progress=self._on_progress, cancel=cancel, post=self.thumbs.post(),
        )  # fmt: skip
        result = await self._zipped(result, "crawl")
        if int(req.get("count") or 0):
            return await self._delivered(result)
        return await self._delivered(result, every=(len(found), len(found) > limit))

    async def _links_outcome(self) -> Outcome:
        # Links were stored while crawling; only the rest is saved now.
        stored = await asyncio.to_thread(self._store_links)
        found = reasons.count_of(stored, "image link")
        pages = reasons.count_of(self.pages_done, "page")
        summary = f"{found} found on {pages}"
        return Outcome(DONE, summary, 0, stored, {}, pages_done=self.pages_done)

    async def _one_hop(self, urls: list[str], cancel: asyncio.Event) -> list[Candidate]:
        """The original crawler API's walk, its counts saved with every heartbeat."""
        found: list[Candidate] = []

        def on_links(fresh: list[Candidate], links: list[Link]) -> None:
            if not self.links_only:  # only downloads need the candidates themselves
                found.extend(fresh)
            self._add_links(links)

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

    async def _thumbed(self, result: HarvestResult) -> None:
        """The thumbnails of what the archive holds, packed in its order."""
        dest = self.workdir / PACK_NAME
        self.thumb_pack = await asyncio.to_thread(self.thumbs.pack, result.records, dest)

    async def _zipped(self, result: HarvestResult, text: str) -> HarvestResult:
        await self._thumbed(result)
        archive, command = self._archive(text), f"job {self.claim.job_id}"
        result.archive = await asyncio.to_thread(plain_zip, result, archive, text, command)
        return result

    async def _delivered(
        self, result: HarvestResult, every: tuple[int, bool] | None = None
    ) -> Outcome:
        """Store the archive off the event loop (heartbeats go on while the store is retried)."""
        thumbs = self.thumb_pack if result.records else None
        return await asyncio.to_thread(
            self.delivery.outcome, result, self.pages_done, every, thumbs
        )


def _link_row(link: Link) -> dict[str, Any]:
    """A listed link; a copy's size is not known (the picture's is its largest copy's)."""
    cand, own = link.picture, not link.copy_of
    return {
        "url": link.url, "page_url": cand.page_url or "", "source": cand.source,
        "title": cand.title or "", "width": (own and cand.width) or 0,
        "height": (own and cand.height) or 0, "licence": cand.licence or "",
        "licence_url": cand.licence_url or "", "creator": cand.creator or "",
        "chosen": cand.chosen if own else "", "copy_of": link.copy_of,
    }  # fmt: skip
