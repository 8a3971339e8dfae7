"""Issue 8, acceptance 3: no address behind a job id (API, job page, re-submit link), and URL
credentials masked in events and logs."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from imgharvest.cli.logging_setup import JobContext
from imgharvest.clock import ManualClock
from imgharvest.service.resubmit import make_token, read_token
from imgharvest.service.services import Services, build_services
from tests.web_support import api_client

ADDRESS = "ada.lovelace+jobs@example.org"
FORMS = (ADDRESS, quote(ADDRESS), quote(ADDRESS, safe=""), quote_plus(ADDRESS), "ada.lovelace")


@pytest.fixture
def svc(make_settings: Any) -> Services:
    return build_services(make_settings(secret_key="k"), clock=ManualClock())


@pytest.fixture
async def client(svc: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(svc) as c:
        yield c


async def scheduled_job(client: httpx.AsyncClient, svc: Services, **extra: Any) -> str:
    run_at = (svc.clock.now() + timedelta(hours=2)).isoformat()
    body = {"query": "owls", "count": 4, "email": ADDRESS, "run_at": run_at, **extra}
    answer = await client.post("/api/v1/jobs/search", json=body)
    assert answer.status_code == 201
    return str(answer.json()["id"])


def assert_no_address(text: str) -> None:
    for form in FORMS:
        assert form not in text, form


async def everything_shown(client: httpx.AsyncClient, job_id: str) -> str:
    api = await client.get(f"/api/v1/jobs/{job_id}")
    page = await client.get(f"/jobs/{job_id}")
    live = await client.get(f"/jobs/{job_id}/live")
    assert api.status_code == page.status_code == live.status_code == 200
    resubmit = await client.get(api.json()["resubmit_url"].replace(str(client.base_url), ""))
    assert resubmit.status_code == 200 and 'value="owls"' in resubmit.text
    return api.text + page.text + live.text + resubmit.text


async def test_scheduled_job_shows_no_address(client: httpx.AsyncClient, svc: Services) -> None:
    job_id = await scheduled_job(client, svc)
    assert_no_address(await everything_shown(client, job_id))


async def test_failed_job_shows_no_address(client: httpx.AsyncClient, svc: Services) -> None:
    job_id = await scheduled_job(client, svc)
    svc.clock.advance(3 * 3600)
    claim = svc.jobs.claim(job_id)
    assert claim is not None and svc.jobs.fail(claim, "every source failed")
    shown = await everything_shown(client, job_id)
    assert "every source failed" in shown
    assert_no_address(shown)


async def test_the_submitter_sees_the_address_on_the_submitted_page_only(
    client: httpx.AsyncClient, svc: Services
) -> None:
    day = (svc.clock.now() + timedelta(days=1)).date().isoformat()
    data = {"search-query": "owls", "images": "2", "email": ADDRESS, "tz": "UTC",
            "date": day, "time": "10:00"}  # fmt: skip
    answer = await client.post("/jobs", json=data)
    assert answer.status_code == 201
    assert_no_address(await everything_shown(client, answer.json()["id"]))


async def test_forged_or_damaged_resubmit_tokens_are_refused(
    client: httpx.AsyncClient, svc: Services
) -> None:
    token = make_token("another secret", "search", "x", {"query": "owls", "count": 2})
    assert (await client.get(f"/resubmit/{token}")).status_code == 404
    good = make_token(svc.settings.secret(), "search", "x", {"query": "owls", "count": 2})
    assert (await client.get(f"/resubmit/{good[:-2]}")).status_code == 404
    assert (await client.get("/resubmit/%00.%00")).status_code == 404
    assert (await client.get(f"/resubmit/{good}")).status_code == 200


async def test_long_crawl_requests_travel_by_job_id(
    client: httpx.AsyncClient, svc: Services
) -> None:
    urls = [f"http://127.0.0.1:9/{secrets.token_hex(30)}/{i}" for i in range(100)]
    answer = await client.post("/api/v1/jobs/crawl", json={"urls": urls, "email": ADDRESS})
    assert answer.status_code == 201
    url = answer.json()["resubmit_url"]
    assert len(url) < 2100
    token = url.rsplit("/", 1)[1]
    found = read_token(svc.settings.secret(), token)
    assert found is not None and found.values is None
    form = await client.get(f"/resubmit/{token}")
    assert form.status_code == 200 and urls[-1] in form.text
    assert_no_address(form.text)


async def test_credentials_in_crawl_urls_are_masked_in_events_and_logs(
    client: httpx.AsyncClient, svc: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(JobContext())
    secret_url = "http://bob:hunter2@127.0.0.1:9/private"
    with caplog.at_level(logging.INFO, logger="imgharvest"):
        answer = await client.post("/api/v1/jobs/crawl", json={"urls": [secret_url]})
        job_id = answer.json()["id"]
        svc.jobs.event(job_id, "warning", f"page failed: HTTP 500: {secret_url}")
        logging.getLogger("imgharvest.pipeline").warning("fetching %s", secret_url)
    shown = (await client.get(f"/api/v1/jobs/{job_id}")).text
    shown += (await client.get(f"/jobs/{job_id}")).text + caplog.text
    assert "hunter2" not in shown and "bob:" not in shown
    assert "http://***@127.0.0.1:9/private" in shown
