"""One run of a job's part (a shard, the end step): its scratch folder, heartbeats while it
works, and what a failure means (the part again later; the job fails only when a part failed
``PART_ATTEMPTS`` times); a failure of the part is data, never a crash."""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from imgharvest.errors import JobCancelled, JobError, StoreUnavailable
from imgharvest.service.fetchjob import part_folder
from imgharvest.service.fleet import worker_id
from imgharvest.service.jobrun import RunParts
from imgharvest.service.parts import PartClaim
from imgharvest.service.scratch import remove_if_empty
from imgharvest.store import faults

log = logging.getLogger("imgharvest.tasks")

HEARTBEAT_SECONDS = 1.0
PART_ATTEMPTS = 3
AGAIN_AFTER = timedelta(seconds=5)


class PartRun:
    """The frame of a part's run; ``work`` (in a thread, heartbeats going on) is the part's."""

    def __init__(self, parts: RunParts, claim: PartClaim) -> None:
        self.svc, self.claim = parts, claim
        self.worker = worker_id()
        folder = part_folder(claim.kind, claim.number, claim.attempt)
        self.workdir = parts.settings.data_dir / "jobs" / claim.job_id / folder
        self.counts = (0, 0)  # tried, kept: saved with each heartbeat

    def execute(self) -> Any:
        """Run the part; what ``work`` returned, or None when the part did not finish."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        try:
            faults.check_free_space(self.svc.settings.data_dir, self.svc.settings.min_free_bytes)
            self.workdir.mkdir(parents=True)
            return asyncio.run(self._main())
        except JobCancelled:
            return None
        except (JobError, StoreUnavailable) as exc:
            self._again(str(exc))
        except Exception as exc:
            log.exception("job %s: %s crashed", self.claim.job_id, self.name)
            self._again(f"internal error ({type(exc).__name__})")
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            remove_if_empty(self.workdir.parent)
        return None

    @property
    def name(self) -> str:
        """How events name this part."""
        c = self.claim
        return "the end step" if c.kind == "end" else f"shard {c.number + 1} of {c.shards}"

    async def _main(self) -> Any:
        cancel = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(cancel))
        try:
            return await self.run(cancel)
        finally:
            beat.cancel()

    async def run(self, cancel: asyncio.Event) -> Any:
        """The part's work on the event loop (by default: ``work`` in a thread)."""
        return await asyncio.to_thread(self.work)

    def work(self) -> Any:
        """What the part does (a subclass's)."""
        raise NotImplementedError

    async def _heartbeat(self, cancel: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                owned = await asyncio.to_thread(self.svc.jobs.beat_part, self.claim, *self.counts)
            except SQLAlchemyError as exc:  # an outage longer than the retries: next beat
                log.warning("job %s: %s heartbeat not saved (%s)", self.claim.job_id, self.name,
                            exc)  # fmt: skip
                continue
            if not owned:
                cancel.set()
                return

    def _again(self, why: str) -> None:
        """The part runs again a little later, or the job fails after ``PART_ATTEMPTS``."""
        jobs = self.svc.jobs
        if self.claim.attempt >= PART_ATTEMPTS:
            error = f"{self.name} failed {self.claim.attempt} times: {why}"
            if jobs.fail_parts(self.claim, error):
                self.svc.mail(self.claim.job_id, "failed")
            return
        jobs.release_part(self.claim, jobs.clock.now() + AGAIN_AFTER, why)

    def events(self, level: str, message: str) -> None:
        """The engine's events, as job events naming the part (warnings and errors only:
        a thousand shards' info lines would bury the rest)."""
        if level in ("warning", "error"):
            self.svc.jobs.event(self.claim.job_id, level, f"{self.name}: {message}")
