"""``Upkeep``: every few seconds, in each process, the database wins back what the queue lost.

- the process says it is alive (``workers`` table);
- due jobs nobody claimed within ``GRACE`` (a queue entry lost with Redis, or a submission
  made while the queue was down) and running jobs whose heartbeat went stale (a dead or
  frozen worker) are queued again, unless the queue holds them (waiting is not lost);
  after this process lost the database, a stale heartbeat proves nothing until the live
  workers had ``stale_after`` seconds to beat again (their writes are retried meanwhile);
- unsent emails that are due are handed to the mail threads;
- one process at a time, under a lease, keeps house (expiry, forgotten processes);
- every worker, at its start and then every ``HOUSEKEEPING_SECONDS``, removes what dead runs
  left on its own disk (``Scratch``).

It is independent of the queue: nothing here needs Redis to be up, and nothing breaks when
the database is briefly away (the next tick tries again).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from imgharvest.service.fleet import Fleet
from imgharvest.service.leases import Leases
from imgharvest.service.scratch import Scratch

if TYPE_CHECKING:
    from imgharvest.service.mailpump import MailPump
    from imgharvest.service.services import Services

log = logging.getLogger("imgharvest.recovery")

INTERVAL = 2.0
GRACE = 5.0  # a due job normally starts within a second or two of its time
AGAIN = 10.0  # do not queue the same job again sooner than this
MARGIN = 2.0  # seconds beyond stale_after for a live run's retried heartbeat to land
HOUSEKEEPER = "housekeeping"


class Upkeep:
    """The recovery loop of one process (a thread); ``tick`` is one pass."""

    def __init__(
        self, services: Services, pump: MailPump | None, role: str, interval: float = INTERVAL
    ) -> None:
        self.svc, self.pump, self.interval = services, pump, interval
        self.fleet = Fleet(services.sessions, services.clock, role)
        self.leases = Leases(services.sessions, services.clock)
        self.queued: dict[Any, float] = {}  # job id, or (job id, kind, number) of a part
        self._next_house = self._next_sweep = 0.0
        self._lost_db, self._db_back = False, self.svc.clock.now() - timedelta(days=1)
        stale = services.jobs.stale_after.total_seconds()
        self.scratch = Scratch(services.sessions, services.settings, services.clock, stale)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"upkeep-{role}", daemon=True)

    def start(self) -> None:
        """Start the loop thread (after one immediate heartbeat and, on a worker, a sweep of
        the scratch dead runs left)."""
        self._safely(self.fleet.beat)
        if self.fleet.role != "web":
            self._safely(self.sweep_scratch)
        self._thread.start()

    def stop(self) -> None:
        """End the loop, give the housekeeping lease back and leave the fleet."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self._safely(lambda: self.leases.release(HOUSEKEEPER, self.fleet.id))
        self._safely(self.fleet.leave)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        """One pass; each part fails alone (e.g. while the database is away)."""
        self._reached(self._safely(self.fleet.beat))
        if self.fleet.role == "web":
            return
        self._safely(self.requeue_lost)
        self._safely(self.feed_mail)
        self._safely(self.keep_house)
        self._safely(self.sweep_scratch)

    def _safely(self, step: object) -> bool:
        try:
            step()  # type: ignore[operator]
        except Exception as exc:
            log.warning("upkeep step %s failed: %s", getattr(step, "__name__", step), exc)
            return False
        return True

    def _reached(self, ok: bool) -> None:
        """Note when the database comes back after this process lost it."""
        if ok and self._lost_db:
            self._db_back = self.svc.clock.now()
        self._lost_db = not ok

    def _beats_proven(self) -> bool:
        """Whether a stale heartbeat means a lost run: the database has been reachable long
        enough for a live worker to have beaten again."""
        quiet = self.svc.jobs.stale_after + timedelta(seconds=MARGIN)
        return not self._lost_db and self.svc.clock.now() - self._db_back >= quiet

    def requeue_lost(self) -> list[str]:
        """Queue due jobs and parts nobody runs and the queue does not hold; returns the ids
        of their jobs."""
        now = self.svc.clock.now()
        jobs = [(job_id, when, running) for job_id, when, running in self.svc.jobs.due()]
        parts = [((j, k, n), when, running) for j, k, n, when, running in self.svc.jobs.parts_due()]
        overdue = self._overdue([*jobs, *parts], now)
        # A job waiting on the queue behind busy workers is late, not lost: only what the
        # queue does not hold is queued again (and nothing while the queue is away).
        held = self.svc.tasks.dispatch.queued() if overdue else None
        if held is None:
            return []
        dispatch, sent = self.svc.tasks.dispatch, []
        for key in overdue:
            if isinstance(key, str) and key not in held.runs:
                queued = dispatch.try_run_job(key, now)
            elif isinstance(key, tuple) and key not in held.parts:
                job_id, kind, number = key
                queued = dispatch.try_run_part(job_id, kind, number, now)
            else:
                continue
            if queued:
                self.queued[key] = time.monotonic()
                sent.append(key if isinstance(key, str) else key[0])
        if sent:
            log.info("queued %d run(s) the queue had lost: %s", len(sent), ", ".join(sent))
        return sent

    def _overdue(self, due: list[tuple[Any, datetime, bool]], now: datetime) -> list[Any]:
        """What is due and late (a stale run only once beats are proven), not queued lately."""
        again, proven = time.monotonic() - AGAIN, self._beats_proven()
        self.queued = {k: t for k, t in self.queued.items() if any(k == d[0] for d in due)}
        return [key for key, when, running in due
                if when <= now - (timedelta(0) if running else timedelta(seconds=GRACE))
                and (proven or not running)
                and self.queued.get(key, -math.inf) <= again]  # fmt: skip

    def feed_mail(self) -> None:
        """Hand unsent, due messages to this process's mail threads."""
        if self.pump is None:
            return
        for email_id in self.svc.outbox.unsent():
            self.pump.put(email_id)

    def sweep_scratch(self) -> bool:
        """This machine's scratch sweep, every ``HOUSEKEEPING_SECONDS``; True if it ran."""
        if time.monotonic() < self._next_sweep:
            return False
        self._next_sweep = time.monotonic() + self.svc.settings.housekeeping_seconds
        self.scratch.sweep()
        return True

    def keep_house(self) -> bool:
        """Housekeeping every ``HOUSEKEEPING_SECONDS`` by the lease holder; True if it ran."""
        seconds = self.svc.settings.housekeeping_seconds
        if time.monotonic() < self._next_house:
            return False
        if not self.leases.acquire(HOUSEKEEPER, self.fleet.id, max(30.0, 3 * seconds)):
            return False
        self._next_house = time.monotonic() + seconds
        self.svc.jobs.expire_due()
        self.fleet.forget_gone()
        return True
