"""Issue 8, acceptance 5: mail is never lost to expiry. Real Huey workers, real HTTP, a real
SMTP server (aiosmtpd) that is down across the link's expiry; the job service's clock is the
manual seam so a 20 s TTL and the retry backoff pass without waiting."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from imgharvest.clock import ManualClock
from imgharvest.store.models import Email, Job
from tests.conftest import SmtpSink
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_jobs_run import LINK, finished, submit, text_of
from tests.waiting import wait_for


def attempts(services: Any, job_id: str, kind: str) -> int:
    with services.sessions() as session:
        row = session.scalars(select(Email).where(Email.job_id == job_id, Email.kind == kind))
        email = row.first()
        return email.attempts if email is not None else 0


def address(services: Any, job_id: str) -> str | None:
    with services.sessions() as session:
        return session.get_one(Job, job_id).email


def events(services: Any, job_id: str) -> list[str]:
    view = services.jobs.get(job_id, with_images=False)
    return [event.message for event in view.events]


def test_smtp_down_across_expiry_then_back_the_finished_mail_arrives(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    fakeweb.add_catalog("late larks", cat.good(8, start=8100, prefix="ll"))
    smtp_sink.stop()
    clock = ManualClock()
    services = run_service(clock=clock, sources=["bing"], link_ttl_seconds=20)
    created = submit(services, query="late larks", count=3, email="eve@example.org")
    body = wait_for(lambda: finished(services, created["id"]))
    assert body["status"] == "done" and body["download_url"]
    # mail goes in order: "started" is tried (and fails) first, "finished" waits behind it
    wait_for(lambda: attempts(services, created["id"], "started") >= 1, timeout=30)

    clock.advance(21)  # the link's 20 s are over while the mail is still pending
    services.tasks.housekeeping()
    after = services.jobs.get(created["id"], with_images=False)
    assert after.download_url is None
    assert httpx.get(body["download_url"], timeout=10).status_code == 410
    assert address(services, created["id"]) == "eve@example.org"
    assert any("kept until its pending mail" in m for m in events(services, created["id"]))

    smtp_sink.start()
    clock.advance(600)  # past any retry delay
    services.tasks.housekeeping()
    wait_for(lambda: smtp_sink.of_kind("ready"), timeout=60)
    ready = smtp_sink.of_kind("ready")
    assert len(ready) == 1 and ready[0]["To"] == "eve@example.org"
    text = text_of(ready[0])
    assert "link has already expired" in text and "/resubmit/" in text
    assert LINK.search(text) is None
    wait_for(lambda: "finished email sent" in events(services, created["id"]), timeout=30)

    wait_for(lambda: not services.outbox.unsent() and _settled(services, created["id"]))
    services.tasks.housekeeping()
    # settled: now the job is a tombstone (issue 10), with no address and no events left
    assert address(services, created["id"]) is None
    gone = services.jobs.get(created["id"], with_images=False)
    assert gone.status == "expired" and gone.query == "" and gone.events == []


def _settled(services: Any, job_id: str) -> bool:
    with services.sessions() as session:
        rows = session.scalars(select(Email).where(Email.job_id == job_id)).all()
    return all(row.sent_at is not None for row in rows)


def test_mail_given_up_after_the_retry_limit_is_logged_and_in_the_events(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    fakeweb.add_catalog("lost loons", cat.good(6, start=8200, prefix="lo"))
    smtp_sink.stop()
    clock = ManualClock()
    services = run_service(clock=clock, sources=["bing"], mail_max_attempts=2)
    created = submit(services, query="lost loons", count=2, email="fay@example.org")
    wait_for(lambda: finished(services, created["id"]))
    wait_for(lambda: attempts(services, created["id"], "started") >= 1, timeout=30)
    given_up = "finished email not delivered: gave up after 2 attempts"

    def retried_until_given_up() -> bool:
        clock.advance(10)  # past each retry delay: "started" is given up, then "finished"
        services.tasks.recover(startup=False)
        return any(given_up in m for m in events(services, created["id"]))

    wait_for(retried_until_given_up, timeout=30, step=0.5)
    view = services.jobs.get(created["id"], with_images=False)
    assert any(e.level == "error" and given_up in e.message for e in view.events)
    clock.advance(services.settings.link_ttl_seconds + 10)
    wait_for(lambda: _settled(services, created["id"]), timeout=30)
    services.tasks.housekeeping()
    assert address(services, created["id"]) is None
    assert smtp_sink.messages == []
