"""``Services``: everything the web app, the workers and the CLI share, built once at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from huey import Huey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock, SystemClock
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
    mailer: Mailer
    queue: Huey
    tasks: Tasks
    clock: Clock

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
    tasks = Tasks(make_huey(settings.queue_url, settings.queue_name))
    jobs = JobService(
        sessions, Writes(engine), settings, clock, store, tasks, stale_after=stale_after
    )
    services = Services(
        settings, engine, sessions, jobs, Outbox(sessions, clock), store,
        mailer or make_mailer(settings), tasks.huey, tasks, clock,
    )  # fmt: skip
    tasks.bind(services)
    return services
