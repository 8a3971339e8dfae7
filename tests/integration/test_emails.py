"""Emails of issue 10 (acceptance 5): a links-only crawl's email says how many links were found
and links the results; a run with 0 images gets a failed email with the reason in words and a
re-submit link, never a "ready" one; times in the requester's zone with UTC in brackets."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.jobdata import DONE
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.mail import render, when
from imgharvest.service.schemas import CrawlRequest, SearchRequest
from imgharvest.service.services import Services, build_services
from tests.conftest import SmtpSink
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_jobs_run import finished, submit, text_of
from tests.waiting import wait_for

START = datetime(2030, 3, 9, 22, 30, tzinfo=UTC)


@pytest.fixture
def svc(make_settings: Any) -> Iterator[Services]:
    services = build_services(make_settings(public_url="https://ih.example"),
                              clock=ManualClock(START))  # fmt: skip
    yield services
    services.close()


def bodies(message: Any) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return str(text), str(html)


def test_times_are_in_the_requesters_zone_with_utc_in_brackets() -> None:
    assert when(START, "Europe/Berlin") == "2030-03-09 23:30 Europe/Berlin (22:30 UTC)"
    assert when(START, "Asia/Tokyo") == "2030-03-10 07:30 Asia/Tokyo (2030-03-09 22:30 UTC)"
    assert when(START, "UTC") == when(START, "Not/AZone") == "2030-03-09 22:30 UTC"


def test_links_only_crawl_email_counts_the_links_and_links_the_results(svc: Services) -> None:
    req = CrawlRequest(
        ["https://shop.example/gallery"], START, "ann@example.org", tz="Europe/Paris"
    )
    job_id = svc.jobs.create_crawl(req).id
    claim = svc.jobs.claim(job_id)
    assert claim is not None
    links = [{"url": f"https://cdn.example/{n}.jpg", "source": "pages"} for n in range(37)]
    assert svc.jobs.add_links(claim, links, 0)
    assert svc.jobs.finish(claim, Outcome(DONE, "37 image links found on 1 pages", 0, 37, {},
                                          pages_done=1))  # fmt: skip
    view = svc.jobs.get(job_id)
    assert view is not None
    message = render("finished", view, "ann@example.org", svc.settings)
    assert str(message["Subject"]) == "Image links found on https://shop.example/gallery"
    text, html = bodies(message)
    assert "your crawl of https://shop.example/gallery is done: we found 37 image links." in text
    base = f"https://ih.example/jobs/{job_id}"
    assert f"on the job page: {base}\n" in text
    assert f"as JSON:         https://ih.example/api/v1/jobs/{job_id}/images" in text
    assert f"as CSV:          {base}/links.csv" in text
    # Expiry 30 minutes after the end, past midnight in Paris: the UTC date is given too.
    assert "until 2030-03-10 00:00 Europe/Paris (2030-03-09 23:00 UTC)" in text
    for wrong in ("0 images", "expired", "request for", "Fewer"):
        assert wrong not in text and wrong not in html
    assert f'href="{base}/links.csv"' in html and "<strong>37</strong> image links" in html


def test_a_zero_image_failure_email_says_why_in_words(svc: Services) -> None:
    req = SearchRequest("glass frogs", START, "bo@example.org", 5, tz="America/New_York")
    job_id = svc.jobs.create_search(req).id
    claim = svc.jobs.claim(job_id)
    assert claim is not None
    svc.jobs.progress(claim, 9, 0, {"http_error": 6, "not_image": 3})
    assert svc.jobs.fail(claim, "no image could be kept from 9 candidates")
    view = svc.jobs.get(job_id)
    assert view is not None
    message = render("failed", view, "bo@example.org", svc.settings)
    assert "could not be collected" in str(message["Subject"])
    text, html = bodies(message)
    assert "Reason: no image could be kept from 9 candidates\n" in text
    assert text.count("HTTP errors") == 1 and "Not kept: 6 HTTP errors, 3 not an image." in text
    assert "Ended: 2030-03-09 17:30 America/New_York (22:30 UTC)" in text
    assert view.resubmit_url and view.resubmit_url in text
    assert "http_error" not in text and "not_image" not in html and "ready" not in text


def test_a_run_with_no_image_fails_and_mails_the_failure_not_ready(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    query = f"nothing here {uuid.uuid4().hex[:6]}"
    broken = [cat.FakeImage(f"nh{query[-6:]}{i}", 500 + i, "404") for i in range(4)]
    fakeweb.add_catalog(query, broken)
    services = run_service(sources=["bing"])
    created = submit(services, query=query, count=3, email="cy@example.org")
    body = wait_for(lambda: finished(services, created["id"]))
    assert body["status"] == "failed" and body["kept"] == 0
    assert body["error"] == "no image could be kept from 4 candidates"
    failed = wait_for(lambda: smtp_sink.of_kind("could not be collected"), timeout=30)
    text = text_of(failed[0])
    assert "Reason: no image could be kept from 4 candidates\r\nNot kept: 4 HTTP errors." in text
    assert re.search(r"https?://\S+/resubmit/\S+", text)  # the re-submit link (signed token)
    assert smtp_sink.of_kind("are ready") == []
