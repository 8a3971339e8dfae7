"""Issue 18: a live worker that lost the database for less than the retry window keeps its
job: after an outage, a stale heartbeat proves nothing until the live runs had ``stale_after``
seconds to beat again (PostgreSQL behind a loopback proxy that is cut; a manual clock)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.recovery import MARGIN, Upkeep
from imgharvest.service.services import Services, build_services
from tests.integration.test_jobs import search
from tests.services import FreshDatabase, TcpProxy

pytestmark = pytest.mark.services


@pytest.fixture
def proxied(make_settings: Any, fresh_db: FreshDatabase) -> Iterator[tuple[Services, TcpProxy]]:
    proxy = TcpProxy(5432)
    proxy.start()
    url = fresh_db.url.replace(":5432/", f":{proxy.port}/")
    services = build_services(make_settings(database_url=url), clock=ManualClock(), stale_after=10)
    yield services, proxy
    services.close()
    proxy.stop()


def test_after_an_outage_stale_heartbeats_wait_for_the_live_runs_to_beat(
    proxied: tuple[Services, TcpProxy],
) -> None:
    svc, proxy = proxied
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    job = svc.jobs.create_search(search(clock))
    svc.queue.flush()  # a worker took it from the queue...
    assert svc.jobs.claim(job.id, "elsewhere:1") is not None  # ...and runs it
    lost_db, never_lost = Upkeep(svc, None, "worker"), Upkeep(svc, None, "worker")
    proxy.cut()
    clock.advance(5)
    lost_db.tick()  # this process meets the outage (the other one was lucky)
    proxy.restore()
    clock.advance(20)  # the run's heartbeat is 25 s old: stale, but the database was away
    lost_db.tick()
    assert lost_db.requeue_lost() == []
    assert never_lost.requeue_lost() == [job.id]  # without an outage, stale means lost
    svc.queue.flush()
    clock.advance(10 + MARGIN)  # the live run had stale_after seconds to beat and did not
    assert lost_db.requeue_lost() == [job.id]
