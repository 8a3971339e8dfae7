"""Crawl semantics (issue 10) with real workers: a links-only crawl has no "wanted" count, is
never short and mails its count with the results; a download crawl with no maximum means all."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import SmtpSink
from tests.fakeweb import FakeWeb
from tests.fakeweb.hub import make_hub
from tests.integration.test_jobs_run import api, finished, text_of
from tests.waiting import wait_for


def crawl(services: Any, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{api(services)}/jobs/crawl", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_links_only_crawl_is_done_with_its_count_and_mails_it(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    site = make_hub(fakeweb.url, f"lo-{uuid.uuid4().hex[:8]}", children=3)
    site.release()
    services = run_service()
    created = crawl(services, urls=[site.url], depth=1, email="lo@example.org")
    assert created["wanted"] == 0
    body = wait_for(lambda: finished(services, created["id"]))
    assert (body["status"], body["wanted"], body["kept"], body["pages_done"]) == ("done", 0, 8, 1)
    links = httpx.get(f"{api(services)}/jobs/{created['id']}/images", timeout=10).json()
    assert sorted(r["url"] for r in links) == sorted(site.image_links())
    mail = wait_for(lambda: smtp_sink.of_kind("Image links found"), timeout=30)
    text = text_of(mail[0])
    assert f"your crawl of {site.url} is done: we found 8 image links." in text
    assert f"/jobs/{created['id']}/links.csv" in text and smtp_sink.of_kind("are ready") == []


def test_download_crawl_without_a_maximum_means_all(run_service: Any, fakeweb: FakeWeb) -> None:
    site = make_hub(fakeweb.url, f"all-{uuid.uuid4().hex[:8]}", children=2)
    site.release()
    services = run_service()
    created = crawl(services, urls=[site.url], depth=1, download=True)
    body = wait_for(lambda: finished(services, created["id"]))
    assert (body["status"], body["wanted"], body["kept"]) == ("done", 0, 6)
    assert body["download_url"] and "fewer" not in body["summary"].lower()
    assert body["summary"].startswith("6 images kept of 6 image links found")
