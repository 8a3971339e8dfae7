"""Putting work on the queue: a job's run at its time (Huey's schedule), and an email to this
process's mail threads. ``Dispatch`` is the job service's ``Dispatcher``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from huey import Huey
from huey.utils import normalize_time

if TYPE_CHECKING:
    from imgharvest.service.mailpump import MailPump

log = logging.getLogger("imgharvest.tasks")
RUN_JOB = "run_job"


class Dispatch:
    """The queue side of the tasks; what runs a queued job is given by ``serve``."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self.pump: MailPump | None = None
        self.runner: Callable[[str], None] | None = None
        self._run = huey.task(name=RUN_JOB)(self._run_job)

    def serve(self, runner: Callable[[str], None]) -> None:
        """What a queued ``run_job`` task calls in this process (``Tasks.run``)."""
        self.runner = runner

    def _run_job(self, job_id: str) -> None:
        if self.runner is not None:
            self.runner(job_id)

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

    def queued_runs(self) -> set[str] | None:
        """Ids of the jobs with a run on the queue, due or later: those are waiting, not lost.
        None when the queue cannot be read (it is away: jobs wait in the database)."""
        try:
            tasks = [*self.huey.pending(), *self.huey.scheduled()]
        except Exception as exc:  # any queue backend's connection error
            log.debug("queue unreadable: %s", exc)
            return None
        return {str(t.args[0]) for t in tasks if t.name == RUN_JOB and t.args}

    def send_email(self, email_id: int, at: datetime | None = None) -> None:
        """Hand a message to this process's mail threads now; a later one (``at``) or one
        without mail threads here is sent by a worker's outbox sweep when it is due."""
        if at is None and self.pump is not None:
            self.pump.put(email_id)
