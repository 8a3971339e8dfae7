"""Queue tasks: run a job at its time, send its emails with backoff, keep house.

``Dispatch`` puts work on the queue; ``Tasks`` is what that work does, built at the edge
from the job service's parts. Every task is safe to run twice: a job runs only after
``JobService.claim`` succeeded, an email only after ``Outbox.claim`` did. Emails do not go
through the job queue: the outbox table is their queue and a process's own mail threads
(``MailPump``) send them, so a "started" mail never waits behind long job runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from imgharvest.clock import Clock
from imgharvest.service.dispatch import Dispatch
from imgharvest.service.endrun import EndRun
from imgharvest.service.fleet import worker_id
from imgharvest.service.jobrun import JobRun, RunParts
from imgharvest.service.jobs import JobService
from imgharvest.service.mail import Mailer, Outbox
from imgharvest.service.mailsend import MailSender
from imgharvest.service.parts import END
from imgharvest.service.shardrun import ShardRun
from imgharvest.settings import Settings
from imgharvest.store.storage import Store

OVERDUE = timedelta(seconds=120)


class Tasks:
    """The work behind the queue's tasks and the recovery of what the queue lost."""

    def __init__(
        self,
        dispatch: Dispatch,
        jobs: JobService,
        outbox: Outbox,
        mailer: Mailer,
        store: Store,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.dispatch, self.jobs, self.outbox, self.clock = dispatch, jobs, outbox, clock
        self.parts = RunParts(settings, jobs, store, self.queue_email)
        self.mail = MailSender(outbox, jobs, mailer, settings, clock)
        dispatch.serve(self.run, self.run_part)

    def run(self, job_id: str) -> None:
        """The ``run_job`` task: claim the job, then run it to its end (or, when its worker was
        lost ``MAX_ATTEMPTS`` times, fail it with that reason)."""
        if self.jobs.give_up_lost(job_id):
            self.queue_email(job_id, "failed")
            return
        claim = self.jobs.claim(job_id, worker_id())
        if claim is None:
            return
        self.queue_email(job_id, "started")
        JobRun(self.parts, claim).execute()

    def run_part(self, job_id: str, kind: str, number: int) -> None:
        """The ``run_part`` task: claim a shard (or the end step) of a job, run it; the shard
        that was the last one queues the end step."""
        claim = self.jobs.claim_part(job_id, kind, number, worker_id())
        if claim is None:
            return
        self.queue_email(job_id, "started")
        if kind == END:
            EndRun(self.parts, claim).execute()
        elif ShardRun(self.parts, claim).execute():
            self.dispatch.run_part(job_id, END, 0, self.clock.now())

    def try_run_job(self, job_id: str, at: datetime) -> bool:
        """Queue a run; False (logged) when the queue cannot be reached."""
        return self.dispatch.try_run_job(job_id, at)

    def queue_email(self, job_id: str, kind: str) -> None:
        """Add the job's ``kind`` message to the outbox (once) and queue its sending."""
        email_id = self.outbox.queue(job_id, kind)
        if email_id is not None:
            self.dispatch.send_email(email_id)

    def _send_email(self, email_id: int) -> None:
        self.mail.send(email_id)

    def housekeeping(self) -> None:
        """Expire old links, re-queue lost work, resend unsent emails."""
        self.jobs.expire_due()
        self.recover(startup=False)

    def recover(self, startup: bool) -> None:
        """Re-queue jobs and emails from the database (at start: every active job the queue
        does not hold)."""
        now = self.clock.now()
        due = self.jobs.due()
        held = self.dispatch.queued() if due else None
        for job_id, when, running in due:
            if held is None or job_id in held.runs:
                continue  # the queue is away, or the job waits on it (late, not lost)
            # A scheduled job is normally on the queue already; only a long-overdue one was lost.
            if startup or when <= now - (timedelta(0) if running else OVERDUE):
                self.dispatch.try_run_job(job_id, when)
        for email_id in self.outbox.unsent():
            self.dispatch.send_email(email_id)
