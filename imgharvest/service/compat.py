"""The original crawler API's jobs: integer ids from a sequence, mapped to crawl jobs.

A number is ``compat_jobs.id - 1`` (the first job is 0, as in the original's
README); the table's AUTOINCREMENT never hands a number out twice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select

from imgharvest.service.jobdata import ACTIVE
from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import ValidationFailed, validate_crawl
from imgharvest.store.models import CompatJob

MAX_NUMBER = 2**31 - 2  # fits every backend's INTEGER


@dataclass(frozen=True, slots=True)
class CompatStatus:
    """``completed``: pages read; ``in_process``: pages being read right now."""

    completed: int
    in_process: int


class CompatJobs:
    """Create crawl jobs the original's way and read them back by number."""

    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def create(self, inputs: str, client: str | None = None) -> int:
        """A one-hop crawl of the URLs in ``inputs`` (split on any whitespace); its number."""
        settings, now = self.jobs.settings, self.jobs.clock.now()
        try:
            req = validate_crawl({"urls": inputs.split()}, settings, now)
        except ValidationFailed as exc:
            raise ValidationFailed({"inputs": "; ".join(exc.errors.values())}) from None
        view = self.jobs.create_crawl(dataclasses.replace(req, follow="all"), client=client)
        with self.jobs.sessions.begin() as session:
            row = CompatJob(job_id=view.id)
            session.add(row)
            session.flush()
            return row.id - 1

    def job_id(self, number: int) -> str | None:
        """The crawl job behind a number, or None."""
        if not 0 <= number <= MAX_NUMBER:
            return None
        with self.jobs.sessions() as session:
            return session.scalars(
                select(CompatJob.job_id).where(CompatJob.id == number + 1)
            ).first()

    def status(self, number: int) -> CompatStatus | None:
        """Pages read and being read, or None for an unknown number."""
        job_id = self.job_id(number)
        view = self.jobs.get(job_id, with_images=False) if job_id else None
        if view is None:
            return None
        active = view.pages_active if view.status in ACTIVE else 0
        return CompatStatus(view.pages_done, active)

    def links(self, number: int) -> list[str] | None:
        """Image links found so far, de-duplicated, or None for an unknown number."""
        job_id = self.job_id(number)
        rows = self.jobs.images(job_id) if job_id else None
        if rows is None:
            return None
        return list(dict.fromkeys(str(row["url"]) for row in rows))
