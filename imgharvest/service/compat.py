"""The original crawler API's jobs: integer ids from a sequence, mapped to crawl jobs.

A number is ``compat_jobs.id - 1`` (the first job is 0, as in the original's
README); the table's AUTOINCREMENT never hands a number out twice. As the original
did, tokens of ``inputs`` that are not http(s) URLs are skipped (and named), and a
job whose link has expired is not found any more.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import select

from imgharvest.errors import InputError
from imgharvest.service.fields import checked_text, url_problem
from imgharvest.service.jobdata import ACTIVE, EXPIRED
from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import ValidationFailed, validate_crawl
from imgharvest.service.views import JobView
from imgharvest.store.models import CompatJob

MAX_NUMBER = 2**31 - 2  # fits every backend's INTEGER
SKIPPED_SHOWN = 20  # a megabyte of bad tokens is named by its first few, and counted
SHOWN_CHARS = 100


@dataclass(frozen=True, slots=True)
class Inputs:
    """The tokens of ``inputs``: the usable page URLs, and why the others were skipped."""

    urls: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    skipped_count: int = 0


def read_inputs(text: str) -> Inputs:
    """Split on any whitespace; keep each http(s) URL once, name the first skipped tokens."""
    urls: list[str] = []
    skipped: dict[str, str] = {}
    count = 0
    for token in dict.fromkeys(text.split()):
        why = _problem(token)
        if why is None:
            urls.append(token)
            continue
        count += 1
        if len(skipped) < SKIPPED_SHOWN:
            skipped[token[:SHOWN_CHARS]] = why
    return Inputs(urls, skipped, count)


def _problem(token: str) -> str | None:
    try:
        checked_text("inputs", token)
    except InputError as exc:
        return exc.message.removeprefix("inputs ")
    return url_problem(token)


@dataclass(frozen=True, slots=True)
class CompatStatus:
    """``completed``: pages read; ``in_process``: pages being read right now."""

    completed: int
    in_process: int


class CompatJobs:
    """Create crawl jobs the original's way and read them back by number."""

    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def create(self, inputs: Inputs, client: str | None = None) -> int:
        """A one-hop crawl of the usable URLs of ``inputs``; its number. ``ValidationFailed``
        when none is usable (or too many are)."""
        settings, now = self.jobs.settings, self.jobs.clock.now()
        if not inputs.urls:
            named = "; ".join(f"{token!r} {why}" for token, why in inputs.skipped.items())
            raise ValidationFailed({"inputs": f"no http(s) page URL in inputs ({named})"})
        try:
            req = validate_crawl({"urls": inputs.urls}, settings, now)
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

    def _live(self, number: int) -> JobView | None:
        """The job behind a number, unless it is unknown or its link has expired."""
        job_id = self.job_id(number)
        view = self.jobs.get(job_id, with_images=False) if job_id else None
        if view is None or view.status == EXPIRED:
            return None
        if view.expires_at is not None and view.expires_at <= self.jobs.clock.now():
            return None
        return view

    def status(self, number: int) -> CompatStatus | None:
        """Pages read and being read, or None for an unknown or expired number."""
        view = self._live(number)
        if view is None:
            return None
        active = view.pages_active if view.status in ACTIVE else 0
        return CompatStatus(view.pages_done, active)

    def links(self, number: int) -> list[str] | None:
        """Image links found so far, de-duplicated, or None for an unknown or expired number."""
        view = self._live(number)
        rows = self.jobs.images(view.id) if view is not None else None
        if rows is None:
            return None
        return list(dict.fromkeys(str(row["url"]) for row in rows))
