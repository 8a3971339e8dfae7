"""Job emails: the outbox table, rendering from Jinja templates, and delivery (SMTP or files).

The outbox holds at most one message of each kind per job (unique
``(job_id, kind)``); a message is rendered when it is sent, from the job as
it is then, so no link token is ever stored. ``sent_at`` is set only after
the server accepted the message.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from imgharvest.clock import Clock
from imgharvest.errors import ConfigError
from imgharvest.service import reasons
from imgharvest.service.views import JobView
from imgharvest.settings import Settings
from imgharvest.store.models import Email, Job
from imgharvest.store.retry import retrying

log = logging.getLogger("imgharvest.mail")

KINDS = ("started", "finished", "failed")
JOB_HEADER = "X-Imgharvest-Job"
SUBJECT_QUERY_MAX = 60
SMTP_TIMEOUT = 15.0
CLAIM_SECONDS = 120


class Mailer(Protocol):
    """Delivers one message; raises ``OSError``/``smtplib.SMTPException`` when it cannot."""

    def send(self, message: EmailMessage) -> None: ...


class OutboxMailer:
    """Writes each message as a ``.eml`` file (no SMTP configured: nothing is lost)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` to ``<folder>/<job id>-<timestamp>-<id>.eml`` (expiry finds it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        msg_id = re.sub(r"[^A-Za-z0-9]", "", str(message["Message-ID"]))[:24]
        job = re.sub(r"[^A-Za-z0-9_-]", "", str(message.get(JOB_HEADER) or "nojob"))[:32]
        path = self.folder / f"{job}-{stamp}-{msg_id}.eml"
        path.write_bytes(message.as_bytes())
        log.info("email written to %s", path.name)


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    """Sends through an SMTP server: ``smtp://``, ``smtp+starttls://`` or ``smtps://``."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """Parse ``SMTP_URL`` (user and password may be percent-encoded)."""
        shape = "SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:  # a bad "[" host or a port that is not a number
            raise ConfigError(f"{shape} and a port 1-65535 ({exc})") from None
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ConfigError(shape)
        default = 465 if parts.scheme == "smtps" else 25
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.scheme, parts.hostname, port or default, user, password)

    def send(self, message: EmailMessage) -> None:
        """Open a connection, authenticate if configured, send, close."""
        with self._connect() as smtp:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            ctx = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=ctx)
        return smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)


def make_mailer(settings: Settings) -> Mailer:
    """SMTP when ``SMTP_URL`` is set, else ``.eml`` files in ``<DATA_DIR>/outbox``."""
    if settings.smtp_url:
        return SmtpMailer.from_url(settings.smtp_url)
    return OutboxMailer(settings.data_dir / "outbox")


# -- rendering -------------------------------------------------------------
_env = Environment(
    loader=PackageLoader("imgharvest.service", "mail_templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def subject_text(text: str) -> str:
    """User text made safe for a header: one line, no control characters, bounded."""
    clean = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())
    return clean if len(clean) <= SUBJECT_QUERY_MAX else clean[: SUBJECT_QUERY_MAX - 1] + "…"


def when(value: datetime | None, zone: str = "UTC") -> str:
    """A time in the requester's zone, UTC in brackets: ``… 14:05 Europe/Berlin (13:05 UTC)``."""
    if value is None:
        return ""
    tz = _zone(zone)
    utc = value.astimezone(UTC)
    if tz.key == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    local = value.astimezone(tz)
    same_day = local.date() == utc.date()
    bracket = utc.strftime("%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")
    return f"{local:%Y-%m-%d %H:%M} {tz.key} ({bracket})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


_SUBJECTS = {
    "started": "Your images of “{q}” are being collected",
    "finished": "Your images of “{q}” are ready",
    "failed": "Your images of “{q}” could not be collected",
}
_LINKS_SUBJECT = "Image links found on {q}"


def subject(kind: str, job: JobView) -> str:
    """The subject line; a links-only crawl's result is a list of links, not images."""
    if kind == "finished" and job.links_only:
        return _LINKS_SUBJECT.format(q=subject_text(job.query))
    return _SUBJECTS[kind].format(q=subject_text(job.query))


def context(job: JobView, settings: Settings) -> dict[str, Any]:
    """What the templates see: the job, its times in the requester's zone, reasons in words."""
    zone = str(job.request.get("tz") or "UTC")
    base = settings.public_url
    return {
        "job": job, "public_url": base, "when": lambda value: when(value, zone),
        "reasons": reasons.sentence(job.rejected), "error": reasons.failure_text(job.error),
        "links_json": f"{base}/api/v1/jobs/{job.id}/images",
        "links_csv": f"{base}/jobs/{job.id}/links.csv",
    }  # fmt: skip


def render(kind: str, job: JobView, to: str, settings: Settings) -> EmailMessage:
    """The ``kind`` message about ``job`` for ``to``, as plain text plus HTML (UTF-8)."""
    ctx = context(job, settings)
    message = EmailMessage()
    message["Subject"] = subject(kind, job)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1])
    message[JOB_HEADER] = job.id
    message.set_content(_env.get_template(f"{kind}.txt").render(ctx), charset="utf-8")
    message.add_alternative(_env.get_template(f"{kind}.html").render(ctx), subtype="html")
    return message


# -- the outbox table ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Pending:
    """A claimed outbox message: which job, which kind, to whom, which attempt."""

    id: int
    job_id: str
    kind: str
    to: str | None
    attempts: int


class Outbox:
    """Outbox rows: queue once per (job, kind), claim before sending, mark after."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock

    @retrying
    def queue(self, job_id: str, kind: str) -> int | None:
        """Add the job's ``kind`` message; None if the job has no address or it exists already."""
        with self.sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None or not job.email:
                return None
            row = Email(job_id=job_id, kind=kind, created_at=self.clock.now(), attempts=0)
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                return None
        return row.id

    @retrying
    def claim(self, email_id: int) -> Pending | None:
        """Take an unsent message for one sending attempt (None if sent or taken, or while an
        earlier message of the same job is unsent: "started" always goes before "finished")."""
        now = self.clock.now()
        free = or_(Email.claimed_until.is_(None), Email.claimed_until <= now)
        earlier = aliased(Email)
        waiting = exists().where(
            earlier.job_id == Email.job_id, earlier.id < Email.id, earlier.sent_at.is_(None)
        )
        with self.sessions.begin() as session:
            result = session.execute(
                update(Email)
                .where(Email.id == email_id, Email.sent_at.is_(None), free, ~waiting)
                .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            row = session.get_one(Email, email_id, populate_existing=True)
            job = session.get_one(Job, row.job_id)
            return Pending(row.id, row.job_id, row.kind, job.email, row.attempts)

    @retrying
    def sent(self, email_id: int) -> None:
        """Record that the server accepted the message."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            session.execute(
                update(Email).where(Email.id == email_id).values(sent_at=now, last_error=None)
            )

    def failed(self, email_id: int, error: str, retry_at: datetime) -> None:
        """Record a failed attempt; the message stays claimed until its retry time."""
        with self.sessions.begin() as session:
            session.execute(
                update(Email)
                .where(Email.id == email_id)
                .values(attempts=Email.attempts + 1, last_error=error[:500], claimed_until=retry_at)
            )

    def dropped(self, email_id: int, why: str) -> None:
        """Give a message up for good (e.g. the address was erased at expiry)."""
        with self.sessions.begin() as session:
            session.execute(
                update(Email)
                .where(Email.id == email_id)
                .values(sent_at=self.clock.now(), last_error=f"dropped: {why}")
            )

    def unsent(self) -> list[int]:
        """Unsent messages nobody is working on (to re-queue after a restart)."""
        now = self.clock.now()
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Email.id).where(
                        Email.sent_at.is_(None),
                        or_(Email.claimed_until.is_(None), Email.claimed_until <= now),
                    )
                )
            )

    def sent_count(self, job_id: str, kind: str) -> int:
        """How many ``kind`` messages of a job were sent (0 or 1)."""
        with self.sessions() as session:
            rows = session.scalars(
                select(Email.id).where(
                    Email.job_id == job_id, Email.kind == kind, Email.sent_at.is_not(None)
                )
            ).all()
        return len(rows)
