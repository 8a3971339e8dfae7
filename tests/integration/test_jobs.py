"""JobService on a real SQLite database: claims, fencing, cancel, retry, links, expiry, logging."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from imgharvest.cli.logging_setup import JobContext
from imgharvest.clock import ManualClock
from imgharvest.errors import InputError
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.resubmit import read_token
from imgharvest.service.schemas import CrawlRequest, SearchRequest
from imgharvest.service.services import Services, build_services
from imgharvest.store.models import Job


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def svc(make_settings: Any, clock: ManualClock) -> Iterator[Services]:
    services = build_services(make_settings(link_ttl_seconds=600), clock=clock, stale_after=10)
    yield services
    services.close()


def search(clock: ManualClock, **changes: Any) -> SearchRequest:
    values: dict[str, Any] = {"query": "red fox", "run_at": clock.now(), "email": "a@example.org",
                              "count": 3}  # fmt: skip
    return SearchRequest(**{**values, **changes})


def deliver(svc: Services, job_id: str, tmp_path: Path) -> Outcome:
    """Claim and finish a job with a one-image archive."""
    claim = svc.jobs.claim(job_id)
    assert claim is not None
    archive = tmp_path / f"{job_id}.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    svc.store.put(f"{job_id}/red-fox.zip", archive)
    row = {"file": "images/0001_red-fox.jpg", "url": "http://x/1.jpg", "width": 3, "height": 2}
    outcome = Outcome("done", "1/1 kept", 1, 1, {}, f"{job_id}/red-fox.zip", [row])
    assert svc.jobs.finish(claim, outcome)
    return outcome


def test_a_job_is_claimed_once_even_by_racing_workers(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    claims: list[Any] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        claims.append(svc.jobs.claim(job.id))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([c for c in claims if c is not None]) == 1
    assert svc.jobs.get(job.id).status == "running"  # type: ignore[union-attr]


def test_a_job_is_not_claimed_before_its_time(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock, run_at=clock.now() + timedelta(seconds=30)))
    assert svc.jobs.claim(job.id) is None
    clock.advance(30)
    assert svc.jobs.claim(job.id) is not None


def test_a_stale_run_is_replaced_and_can_no_longer_write(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    first = svc.jobs.claim(job.id)
    assert first is not None and svc.jobs.claim(job.id) is None
    clock.advance(11)
    second = svc.jobs.claim(job.id)
    assert second is not None and second.attempt == first.attempt + 1
    assert not svc.jobs.heartbeat(first)
    assert not svc.jobs.finish(first, Outcome("done", "zombie", 0, 0, {}))
    assert svc.jobs.heartbeat(second)
    assert svc.jobs.fail(second, "every source failed")
    view = svc.jobs.get(job.id)
    assert view is not None and view.status == "failed" and view.error == "every source failed"


def test_cancel_stops_a_scheduled_job_and_leaves_finished_ones(
    svc: Services, clock: ManualClock, tmp_path: Path
) -> None:
    scheduled = svc.jobs.create_search(search(clock))
    assert svc.jobs.cancel(scheduled.id).status == "cancelled"  # type: ignore[union-attr]
    assert svc.jobs.claim(scheduled.id) is None
    done = svc.jobs.create_search(search(clock))
    deliver(svc, done.id, tmp_path)
    with pytest.raises(InputError, match="the job is done"):
        svc.jobs.cancel(done.id)
    assert svc.jobs.cancel("unknown") is None


def test_a_running_job_that_is_cancelled_loses_its_run(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock))
    claim = svc.jobs.claim(job.id)
    assert claim is not None
    svc.jobs.cancel(job.id)
    assert not svc.jobs.heartbeat(claim)


def test_retry_copies_the_request_into_a_new_job(svc: Services, clock: ManualClock) -> None:
    job = svc.jobs.create_search(search(clock, sources=("bing",), min_width=100))
    with pytest.raises(InputError):
        svc.jobs.retry(job.id)
    svc.jobs.cancel(job.id)
    again = svc.jobs.retry(job.id)
    assert again is not None and again.id != job.id and again.status == "scheduled"
    assert again.request == job.request and again.query == "red fox"
    crawl = svc.jobs.create_crawl(CrawlRequest(urls=["http://x/a"], run_at=clock.now()))
    svc.jobs.cancel(crawl.id)
    assert svc.jobs.retry(crawl.id).request["urls"] == ["http://x/a"]  # type: ignore[union-attr]


def test_link_resolves_until_expiry_then_archive_and_address_are_gone(
    svc: Services, clock: ManualClock, tmp_path: Path
) -> None:
    job = svc.jobs.create_search(search(clock))
    deliver(svc, job.id, tmp_path)
    view = svc.jobs.get(job.id)
    assert view is not None and view.download_url and view.expires_at
    token = view.download_url.rsplit("/", 1)[1]
    target = svc.jobs.resolve_link(token)
    assert target.kind == "ok" and target.path is not None and target.path.is_file()
    assert view.images[0]["file"] == "images/0001_red-fox.jpg"
    with svc.sessions() as session:
        stored = session.get(Job, job.id)
        assert stored is not None and token not in (stored.link_digest, stored.link_nonce)
    assert svc.jobs.resolve_link("not-a-token").kind == "unknown"
    clock.advance(601)
    assert svc.jobs.resolve_link(token).kind == "expired"
    assert svc.jobs.expire_due() == [job.id]
    assert not target.path.exists()
    after = svc.jobs.get(job.id)
    assert after is not None and after.status == "expired" and not after.has_email
    assert after.download_url is None


def test_resubmit_url_is_a_signed_token_of_the_request_without_the_address(
    svc: Services, clock: ManualClock
) -> None:
    job = svc.jobs.create_search(search(clock, query="fox & <hen>"))
    assert job.resubmit_url is not None and "/resubmit/" in job.resubmit_url
    token = job.resubmit_url.rsplit("/", 1)[1]
    found = read_token(svc.settings.secret(), token)
    assert found is not None and found.values is not None
    assert found.values["search-query"] == "fox & <hen>" and found.values["images"] == "3"
    assert "a@example.org" not in str(found) and "example.org" not in job.resubmit_url


def test_events_are_rows_and_log_lines_with_the_job_id_and_masked_addresses(
    svc: Services, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    job = svc.jobs.create_search(search(clock))
    caplog.handler.addFilter(JobContext())
    with caplog.at_level(logging.INFO, logger="imgharvest"):
        svc.jobs.event(job.id, "warning", "mail to someone@example.org bounced")
    record = next(r for r in caplog.records if "bounced" in r.getMessage())
    assert record.job_id == job.id  # type: ignore[attr-defined]
    assert "someone@" not in record.getMessage() and "s***@example.org" in record.getMessage()
    events = svc.jobs.get(job.id).events  # type: ignore[union-attr]
    assert events[-1].message == "mail to someone@example.org bounced"


def queued_runs(svc: Services, job_id: str) -> int:
    # A later run waits in Huey's schedule, one due now in its queue: both are queued runs.
    tasks = [*svc.queue.pending(), *svc.queue.scheduled()]
    return len([t for t in tasks if t.name == "run_job" and t.args == (job_id,)])


def test_housekeeping_requeues_silent_runs_but_not_fresh_schedules(
    svc: Services, clock: ManualClock
) -> None:
    fresh = svc.jobs.create_search(search(clock, run_at=clock.now() + timedelta(minutes=5)))
    lost = svc.jobs.create_search(search(clock))
    assert svc.queue.dequeue() is not None  # the worker took the lost job's entry
    assert svc.jobs.claim(lost.id) is not None
    assert (queued_runs(svc, fresh.id), queued_runs(svc, lost.id)) == (1, 0)
    svc.tasks.housekeeping()
    assert (queued_runs(svc, fresh.id), queued_runs(svc, lost.id)) == (1, 0)
    clock.advance(12)  # the run's heartbeat is now older than stale_after
    svc.tasks.housekeeping()
    assert (queued_runs(svc, fresh.id), queued_runs(svc, lost.id)) == (1, 1)
    svc.tasks.recover(startup=True)  # both wait on the queue: neither is queued twice
    assert (queued_runs(svc, fresh.id), queued_runs(svc, lost.id)) == (1, 1)
    svc.queue.flush()  # the queue lost everything (Redis restarted empty)
    svc.tasks.recover(startup=True)
    assert (queued_runs(svc, fresh.id), queued_runs(svc, lost.id)) == (1, 1)


def test_a_submission_answers_what_it_wrote_without_reading_it_back(
    svc: Services, clock: ManualClock
) -> None:
    from sqlalchemy import event

    engine = svc.jobs.sessions.kw["bind"]
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).split()[0].upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        made = svc.jobs.create_search(search(clock, run_at=clock.now() + timedelta(minutes=5)))
        crawl = CrawlRequest(urls=["http://example.org/a"], run_at=clock.now(), email=None)
        made_crawl = svc.jobs.create_crawl(crawl, client="cli")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["INSERT", "INSERT"] * 2  # a job and its first event, each time
    for view in (made, made_crawl):
        # only the creation answer holds the owner token
        assert view.owner_token and svc.jobs.is_owner(view.id, view.owner_token.encode())
        assert replace(view, owner_token=None) == svc.jobs.get(view.id, with_images=False)


def test_a_later_run_waits_in_the_schedule_and_a_due_one_in_the_queue(
    svc: Services, clock: ManualClock
) -> None:
    later = svc.jobs.create_search(search(clock, run_at=clock.now() + timedelta(hours=1)))
    now = svc.jobs.create_search(search(clock))
    scheduled = [t.args for t in svc.queue.scheduled() if t.name == "run_job"]
    pending = [t.args for t in svc.queue.pending() if t.name == "run_job"]
    assert scheduled == [(later.id,)] and pending == [(now.id,)]
