"""Putting work on the queue: a job's run at its time (Huey's schedule), and an email to this
process's mail threads. ``Dispatch`` is the job service's ``Dispatcher``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from huey import Huey
from huey.utils import normalize_time

if TYPE_CHECKING:
    from imgharvest.service.mailpump import MailPump

log = logging.getLogger("imgharvest.tasks")
RUN_JOB, RUN_PART = "run_job", "run_part"
Part = tuple[str, str, int]  # job id, kind ("shard", "end"), number


@dataclass(frozen=True, slots=True)
class Queued:
    """What the queue holds now (due or later): jobs' runs and parts' runs."""

    runs: frozenset[str]
    parts: frozenset[Part]


class Dispatch:
    """The queue side of the tasks; what runs a queued job is given by ``serve``."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self.pump: MailPump | None = None
        self.runner: Callable[[str], None] | None = None
        self.part_runner: Callable[[str, str, int], None] | None = None
        self._run = huey.task(name=RUN_JOB)(self._run_job)
        self._part = huey.task(name=RUN_PART)(self._run_part)

    def serve(
        self, runner: Callable[[str], None], part_runner: Callable[[str, str, int], None]
    ) -> None:
        """What queued ``run_job`` and ``run_part`` tasks call in this process (``Tasks``)."""
        self.runner, self.part_runner = runner, part_runner

    def _run_job(self, job_id: str) -> None:
        if self.runner is not None:
            self.runner(job_id)

    def _run_part(self, job_id: str, kind: str, number: int) -> None:
        if self.part_runner is not None:
            self.part_runner(job_id, kind, number)

    def run_job(self, job_id: str, at: datetime) -> None:
        """Queue a run of ``job_id`` at ``at``; with the queue down, the job waits in the
        database and a worker's recovery loop queues it once the queue is back."""
        self.try_run_job(job_id, at)

    def try_run_job(self, job_id: str, at: datetime) -> bool:
        """Queue a run; False (logged) when the queue cannot be reached."""
        return self._try(self._run, (job_id,), at, job_id)

    def run_part(self, job_id: str, kind: str, number: int, at: datetime) -> None:
        """Queue a run of a job's part (a shard, the end step); one that cannot be queued now
        waits in the database for a worker's recovery loop."""
        self.try_run_part(job_id, kind, number, at)

    def try_run_part(self, job_id: str, kind: str, number: int, at: datetime) -> bool:
        """Queue a part's run; False (logged) when the queue cannot be reached."""
        return self._try(self._part, (job_id, kind, number), at, job_id)

    def _try(self, task: Any, args: tuple[Any, ...], at: datetime, job_id: str) -> bool:
        try:
            self._queue(task, args, at)
        except Exception as exc:  # any queue backend's connection error
            log.warning("queue unavailable, job %s waits in the database: %s", job_id, exc)
            return False
        return True

    def _queue(self, kind: Any, args: tuple[Any, ...], at: datetime) -> None:
        # A later run goes straight into Huey's schedule, where its consumer would move it on
        # dequeueing it: one queue write per submission instead of three, and none by the
        # worker that would contend with the web tier for the queue's lock.
        eta = normalize_time(at, None, self.huey.utc)
        task = kind.task_class(args, {}, eta=eta)
        now = datetime.now(UTC).replace(tzinfo=None) if self.huey.utc else datetime.now()
        if eta > now and not self.huey.immediate:
            self.huey.add_schedule(task)
        else:
            self.huey.enqueue(task)

    def queued(self) -> Queued | None:
        """What the queue holds, due or later: those runs are waiting, not lost. None when
        the queue cannot be read (it is away: jobs wait in the database)."""
        try:
            tasks = [*self.huey.pending(), *self.huey.scheduled()]
        except Exception as exc:  # any queue backend's connection error
            log.debug("queue unreadable: %s", exc)
            return None
        runs = frozenset(str(t.args[0]) for t in tasks if t.name == RUN_JOB and t.args)
        parts = frozenset((str(t.args[0]), str(t.args[1]), int(t.args[2])) for t in tasks
                          if t.name == RUN_PART and len(t.args) == 3)  # fmt: skip
        return Queued(runs, parts)

    def send_email(self, email_id: int, at: datetime | None = None) -> None:
        """Hand a message to this process's mail threads now; a later one (``at``) or one
        without mail threads here is sent by a worker's outbox sweep when it is due."""
        if at is None and self.pump is not None:
            self.pump.put(email_id)
