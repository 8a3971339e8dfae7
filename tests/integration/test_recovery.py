"""The recovery loop and its neighbours on SQLite: lost queue entries and stale runs queued
again from the database, submissions while the queue is down, mail order, attempt fencing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.recovery import GRACE, Upkeep
from imgharvest.service.services import Services, build_services
from tests.conftest import free_port
from tests.integration.test_jobs import search


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def svc(make_settings: Any, clock: ManualClock) -> Iterator[Services]:
    services = build_services(make_settings(), clock=clock, stale_after=10)
    yield services
    services.close()


def queued(svc: Services, job_id: str) -> int:
    # A later run waits in Huey's schedule, one due now in its queue: both are queued runs.
    tasks = [*svc.queue.pending(), *svc.queue.scheduled()]
    return len([t for t in tasks if t.name == "run_job" and t.args == (job_id,)])


def test_a_due_job_nobody_claimed_is_queued_again_after_the_grace_once(
    svc: Services, clock: ManualClock
) -> None:
    job = svc.jobs.create_search(search(clock))
    svc.queue.flush()  # the queue lost it (Redis restarted empty)
    upkeep = Upkeep(svc, None, "worker")
    assert upkeep.requeue_lost() == [] and queued(svc, job.id) == 0  # it may still be coming
    clock.advance(GRACE + 0.5)
    assert upkeep.requeue_lost() == [job.id] and queued(svc, job.id) == 1
    assert upkeep.requeue_lost() == []  # not again at once
    svc.queue.flush()  # a worker takes it...
    assert svc.jobs.claim(job.id) is not None  # ...and claims the job
    assert upkeep.requeue_lost() == []  # running with a fresh heartbeat
    clock.advance(12)  # the run went silent: stale after 10 s
    assert upkeep.requeue_lost() == []  # but it was queued less than AGAIN seconds ago
    upkeep.queued.clear()  # as if AGAIN had passed
    assert upkeep.requeue_lost() == [job.id] and queued(svc, job.id) == 1


def test_a_job_waiting_on_the_queue_behind_busy_workers_is_late_not_lost(
    svc: Services, clock: ManualClock
) -> None:
    jobs = [svc.jobs.create_search(search(clock)).id for _ in range(3)]
    upkeep = Upkeep(svc, None, "worker")
    clock.advance(GRACE + 60)  # long overdue: every worker is busy
    assert upkeep.requeue_lost() == [] and [queued(svc, j) for j in jobs] == [1, 1, 1]
    svc.tasks.recover(startup=True)  # a worker starting: nothing queued twice either
    assert [queued(svc, j) for j in jobs] == [1, 1, 1]


def test_a_submission_while_the_queue_is_down_is_stored_and_waits(
    make_settings: Any, clock: ManualClock
) -> None:
    down = make_settings(queue_url=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    services = build_services(down, clock=clock)
    try:
        view = services.jobs.create_search(search(clock))  # no exception: the job waits
        assert services.jobs.get(view.id) is not None and view.status == "scheduled"
        assert services.tasks.try_run_job(view.id, clock.now()) is False
    finally:
        services.close()


def test_finished_mail_waits_for_the_started_one(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    started = svc.outbox.queue(job.id, "started")
    finished = svc.outbox.queue(job.id, "finished")
    assert started is not None and finished is not None
    assert svc.outbox.claim(finished) is None  # "started" is not out yet
    assert svc.outbox.claim(started) is not None
    svc.outbox.sent(started)
    assert svc.outbox.claim(finished) is not None


def test_a_replaced_run_writes_no_event_and_cannot_finish(
    svc: Services, clock: ManualClock
) -> None:
    job = svc.jobs.create_search(search(clock))
    first = svc.jobs.claim(job.id, "host-a:1")
    assert first is not None
    clock.advance(12)
    second = svc.jobs.claim(job.id, "host-b:2")
    assert second is not None and second.attempt == 2
    assert svc.jobs.workdir(job.id, 1) != svc.jobs.workdir(job.id, 2)
    assert not svc.jobs.run_event(first, "info", "stale says hello", "host-a:1")
    assert svc.jobs.run_event(second, "info", "fresh says hello", "host-b:2")
    assert not svc.jobs.finish(first, Outcome("done", "stale", 1, 1, {}))
    view = svc.jobs.get(job.id)
    assert view is not None and view.status == "running"
    messages = [(e.message, e.worker) for e in view.events]
    assert ("fresh says hello", "host-b:2") in messages
    assert all("stale" not in m for m, _ in messages)
    assert any(m.startswith("job started on host-b:2 (attempt 2") for m, _ in messages)
