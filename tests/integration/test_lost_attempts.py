"""Issue 16: a job whose worker is lost on every run is not run again without end; after
``MAX_ATTEMPTS`` lost runs it fails with the reason in words (and its "failed" mail)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from imgharvest.clock import ManualClock
from imgharvest.service import reasons
from imgharvest.service.services import Services, build_services
from tests.integration.test_jobs import search

STALE = 10


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def svc(make_settings: Any, clock: ManualClock) -> Iterator[Services]:
    services = build_services(make_settings(max_attempts=3), clock=clock, stale_after=STALE)
    yield services
    services.close()


def lose_runs(svc: Services, clock: ManualClock, job_id: str, runs: int) -> None:
    """``runs`` claims, each followed by silence: the worker died with the job."""
    for attempt in range(1, runs + 1):
        claim = svc.jobs.claim(job_id, f"host:{attempt}")
        assert claim is not None and claim.attempt == attempt
        clock.advance(STALE + 2)


def test_after_max_attempts_lost_runs_the_job_fails_with_the_reason(
    svc: Services, clock: ManualClock
) -> None:
    job = svc.jobs.create_search(search(clock))
    lose_runs(svc, clock, job.id, 3)
    svc.tasks.run(job.id)  # what the queue does once recovery queued the job again
    view = svc.jobs.get(job.id)
    assert view is not None and view.status == "failed"
    assert view.error == reasons.workers_lost(3)
    assert "each of its 3 runs" in view.error and "not tried again" in view.error
    assert view.events[-1].message == f"job failed: {reasons.workers_lost(3)}"
    assert not any("attempt 4" in e.message for e in view.events)
    assert svc.jobs.claim(job.id) is None  # never again
    assert svc.outbox.queue(job.id, "failed") is None  # its mail is queued already


def test_fewer_lost_runs_are_run_again(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    lose_runs(svc, clock, job.id, 2)
    assert svc.jobs.give_up_lost(job.id) is False
    third = svc.jobs.claim(job.id, "host:3")
    assert third is not None and third.attempt == 3


def test_a_run_that_still_beats_is_never_given_up(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    lose_runs(svc, clock, job.id, 2)
    third = svc.jobs.claim(job.id, "host:3")
    assert third is not None
    clock.advance(STALE - 2)
    assert svc.jobs.heartbeat(third)
    clock.advance(STALE - 2)
    assert svc.jobs.give_up_lost(job.id) is False  # alive: its last beat is fresh
    view = svc.jobs.get(job.id)
    assert view is not None and view.status == "running"
