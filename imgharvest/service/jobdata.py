"""The job service's one data-access seam: sessions, short writes, the clock, the settings and
the store, with what every concern of the service shares (statuses, event rows, expiry time).

The database is the source of truth. A job runs only after a conditional
``UPDATE … SET status='running'`` succeeded (``RunLifecycle.claim``), so a job queued twice
still runs once; every later write of a run is fenced by its attempt number, so a run that was
presumed dead cannot overwrite the run that replaced it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.pipeline.records import MANIFEST_FIELDS
from imgharvest.redact import mask_credentials, redact
from imgharvest.settings import Settings
from imgharvest.store.models import Job, JobEvent, JobImage
from imgharvest.store.retry import retrying
from imgharvest.store.storage import Store
from imgharvest.store.writes import Writes

log = logging.getLogger("imgharvest.jobs")

# A job's image rows: the manifest's fields, and for a found link the picture it is a copy of.
ROW_FIELDS = (*MANIFEST_FIELDS, "copy_of")

SCHEDULED, RUNNING, DONE, SHORT = "scheduled", "running", "done", "short"
FAILED, CANCELLED, EXPIRED = "failed", "cancelled", "expired"
STATUSES = (SCHEDULED, RUNNING, DONE, SHORT, FAILED, CANCELLED, EXPIRED)
ACTIVE = (SCHEDULED, RUNNING)
DELIVERED = (DONE, SHORT)


class Dispatcher(Protocol):
    """Puts work on the queue (implemented by ``imgharvest.service.dispatch.Dispatch``)."""

    def run_job(self, job_id: str, at: datetime) -> None:
        """Run ``job_id`` at ``at`` (the claim decides whether it really runs)."""

    def run_part(self, job_id: str, kind: str, number: int, at: datetime) -> None:
        """Run a part of a job (a shard, the end step) at ``at`` (its claim decides)."""


class JobData:
    """What each concern of the job service works through: every public method of a concern
    opens its own session or write."""

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

    @retrying
    def event(self, job_id: str, level: str, message: str, private: Sequence[str] = ()) -> None:
        """Keep one event row and write one log line naming the job (``private`` words and URL
        credentials masked)."""
        message = mask_credentials(message)
        row = {"job_id": job_id, "at": self.clock.now(), "level": level, "message": message}
        self.writes.one(insert(table(JobEvent)), row)
        line = redact(message, private) if private else message
        log.log(logging.getLevelName(level.upper()), "%s", line, extra={"job_id": job_id})

    def expiry(self, now: datetime) -> datetime:
        """When the link of a job that ends ``now`` expires."""
        return now + timedelta(seconds=self.settings.link_ttl_seconds)

    def expired(self, job: Job) -> bool:
        """Whether the job's link has expired (or the job was expired already)."""
        return job.status == EXPIRED or (
            job.expires_at is not None and job.expires_at <= self.clock.now()
        )


def table(model: type[Job] | type[JobEvent] | type[JobImage]) -> Table:
    """The Core table of a model (for plain INSERTs without a unit of work)."""
    return cast(Table, model.__table__)


def image_rows(
    job_id: str, images: Sequence[Mapping[str, Any]], start: int = 0
) -> list[dict[str, Any]]:
    """Image rows as plain values with every column given (one multi-row INSERT needs the same
    columns in every row; a manifest field missing from a row gets the column's default)."""
    return [
        {"job_id": job_id, "position": i, **{k: row.get(k, _DEFAULTS[k]) for k in ROW_FIELDS}}
        for i, row in enumerate(images, start)
    ]


_NUMBERS = {"width", "height", "bytes", "rank"}
_DEFAULTS: dict[str, str | int] = {k: 0 if k in _NUMBERS else "" for k in ROW_FIELDS}
