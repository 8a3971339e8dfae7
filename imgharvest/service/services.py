"""``Services``: everything the web app, the workers and the CLI share, built once at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from huey import Huey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock, SystemClock
from imgharvest.service.dispatch import Dispatch
from imgharvest.service.jobs import JobService
from imgharvest.service.mail import Mailer, Outbox, make_mailer
from imgharvest.service.tasks import Tasks
from imgharvest.settings import Settings
from imgharvest.store.db import make_engine, make_sessions, upgrade
from imgharvest.store.queue import make_huey
from imgharvest.store.storage import Store, from_url
from imgharvest.store.writes import Writes

STALE_AFTER_SECONDS = 10.0


@dataclass
class Services:
    """The job service's parts, wired together."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    jobs: JobService
    outbox: Outbox
    store: Store
    queue: Huey
    tasks: Tasks
    clock: Clock

    @property
    def mailer(self) -> Mailer:
        """How emails go out (the mail sender's own, so there is one to change)."""
        return self.tasks.mail.mailer

    @mailer.setter
    def mailer(self, mailer: Mailer) -> None:
        self.tasks.mail.mailer = mailer

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    stale_after: float = STALE_AFTER_SECONDS,
    migrate: bool = True,
) -> Services:
    """Build and wire every part from ``settings``; applies migrations unless told not to."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    sessions = make_sessions(engine)
    clock = clock or SystemClock()
    store = from_url(settings.storage_url, settings.s3_endpoint_url)
    dispatch = Dispatch(make_huey(settings.queue_url, settings.queue_name))
    jobs = JobService(
        sessions, Writes(engine), settings, clock, store, dispatch, stale_after=stale_after
    )
    outbox, mailer = Outbox(sessions, clock), mailer or make_mailer(settings)
    tasks = Tasks(dispatch, jobs, outbox, mailer, store, settings, clock)
    return Services(settings, engine, sessions, jobs, outbox, store, dispatch.huey, tasks, clock)
