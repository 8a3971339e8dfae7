"""Sending one email from the outbox: rendered, delivered, retried with backoff, given up."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from imgharvest.clock import Clock
from imgharvest.service.jobs import JobService
from imgharvest.service.mail import Mailer, Outbox, Pending, render
from imgharvest.settings import Settings

log = logging.getLogger("imgharvest.tasks")

MAIL_RETRY_FIRST = 2.0
MAIL_RETRY_MAX = 300.0


def mail_delay(attempts: int) -> float:
    """Seconds before retrying a message that failed ``attempts`` times (doubling, capped)."""
    return float(min(MAIL_RETRY_MAX, MAIL_RETRY_FIRST * 2 ** max(0, attempts - 1)))


class MailSender:
    """Delivers claimed outbox messages; every outcome is settled in the outbox and events."""

    def __init__(
        self, outbox: Outbox, jobs: JobService, mailer: Mailer, settings: Settings, clock: Clock
    ) -> None:
        self.outbox, self.jobs, self.mailer = outbox, jobs, mailer
        self.settings, self.clock = settings, clock

    def send(self, email_id: int) -> None:
        """Send one message if this process wins its claim (safe to call twice)."""
        item = self.outbox.claim(email_id)
        if item is None:
            return
        job = self.jobs.get(item.job_id, with_images=False)
        if job is None or not item.to:
            self.outbox.dropped(email_id, "the address was erased")
            if job is not None:
                self.jobs.event(item.job_id, "error", f"{item.kind} email dropped: no address")
            return
        try:
            self.mailer.send(render(item.kind, job, item.to, self.settings))
        except (OSError, smtplib.SMTPException) as exc:
            self._failed(item, exc)
            return
        self.outbox.sent(email_id)
        self.jobs.event(item.job_id, "info", f"{item.kind} email sent")

    def _failed(self, item: Pending, exc: Exception) -> None:
        attempts, error = item.attempts + 1, f"{type(exc).__name__}: {exc}"
        if attempts >= self.settings.mail_max_attempts:
            self._given_up(item, attempts, error)
            return
        delay = mail_delay(attempts)
        retry_at = self.clock.now() + timedelta(seconds=delay)
        self.outbox.failed(item.id, error, retry_at)
        log.warning("email %s not sent (%s); retry in %.0f s", item.id, exc, delay)

    def _given_up(self, item: Pending, attempts: int, error: str) -> None:
        """Past ``MAIL_MAX_ATTEMPTS``: settled as not delivered, logged, in the job's events."""
        why = f"gave up after {attempts} attempts ({error})"
        self.outbox.dropped(item.id, why)
        self.jobs.event(item.job_id, "error", f"{item.kind} email not delivered: {why}")
