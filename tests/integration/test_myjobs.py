"""My jobs (issue 10): the jobs this browser submitted, from a signed cookie, with cancel and
re-run buttons that need the form's CSRF token and act only on this browser's jobs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from imgharvest.service.jobdata import CANCELLED, SCHEDULED
from imgharvest.web import history
from tests.web_support import PagesApp, build_pages_app, claim_now, search_form, web_settings

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def pa(tmp_path: Path) -> Iterator[PagesApp]:
    app = build_pages_app(web_settings(tmp_path))
    yield app
    app.close()


def browser(pa: PagesApp) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(pa.app, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(pa) as c:
        yield c


async def token(client: httpx.AsyncClient, path: str = "/") -> str:
    match = CSRF_RE.search((await client.get(path)).text)
    assert match is not None
    return match.group(1)


async def submit_form(pa: PagesApp, client: httpx.AsyncClient, query: str) -> str:
    data = {**search_form(pa.clock, search_query=query), "csrf_token": await token(client)}
    answer = await client.post("/jobs", data=data)
    assert answer.status_code == 303
    match = re.fullmatch(r"/jobs/([A-Za-z0-9_-]+)\?submitted=1", answer.headers["location"])
    assert match is not None
    return match.group(1)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-job="([^"]+)">', page)


async def test_my_jobs_lists_what_this_browser_submitted_newest_first(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    first = await submit_form(pa, client, "owls at night")
    second = await submit_form(pa, client, "foxes in snow")
    page = (await client.get("/my-jobs")).text
    assert rows(page) == [second, first]
    assert "3 images of “foxes in snow”" in page and "0 of 3 images" in page
    assert 'data-action="cancel"' in page and 'data-action="rerun"' not in page
    async with browser(pa) as other:  # another browser sees none of them
        assert rows((await other.get("/my-jobs")).text) == []
        assert "No jobs from this browser yet" in (await other.get("/my-jobs")).text


async def test_cancel_then_rerun(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit_form(pa, client, "herons")
    csrf = await token(client, "/my-jobs")
    done = await client.post(f"/my-jobs/{job_id}/cancel", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/my-jobs?done=cancelled"
    view = pa.jobs.get(job_id)
    assert view is not None and view.status == CANCELLED
    page = (await client.get("/my-jobs?done=cancelled")).text
    assert "The job was cancelled." in page and 'data-action="rerun"' in page
    again = await client.post(f"/my-jobs/{job_id}/rerun", data={"csrf_token": csrf})
    assert again.status_code == 303
    ids = rows((await client.get("/my-jobs")).text)
    assert len(ids) == 2 and ids[1] == job_id
    rerun = pa.jobs.get(ids[0])
    assert rerun is not None and rerun.status == SCHEDULED and rerun.query == "herons"
    assert rerun.request["tz"] == "UTC" and rerun.run_at <= pa.clock.now()


async def test_cancelling_an_ended_job_says_why(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit_form(pa, client, "cranes")
    claim = claim_now(pa, job_id)
    assert pa.jobs.fail(claim, "every source failed")
    csrf = await token(client, "/my-jobs")
    answer = await client.post(f"/my-jobs/{job_id}/cancel", data={"csrf_token": csrf})
    assert answer.status_code == 409 and "The job is failed; it cannot be cancelled." in answer.text


async def test_buttons_need_the_csrf_token_and_act_only_on_my_jobs(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    job_id = await submit_form(pa, client, "storks")
    assert (await client.post(f"/my-jobs/{job_id}/cancel", data={})).status_code == 403
    forged = await client.post(f"/my-jobs/{job_id}/cancel", data={"csrf_token": "1.abc"})
    assert forged.status_code == 403
    async with browser(pa) as other:
        csrf = await token(other)  # a valid token of that browser, from the form
        theirs = await other.post(f"/my-jobs/{job_id}/cancel", data={"csrf_token": csrf})
        assert theirs.status_code == 404
    view = pa.jobs.get(job_id)
    assert view is not None and view.status == SCHEDULED


async def test_a_tampered_cookie_lists_nothing(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit_form(pa, client, "ibis")
    value = client.cookies[history.COOKIE]
    client.cookies.set(history.COOKIE, value.replace(job_id, "someone-else"))
    assert rows((await client.get("/my-jobs")).text) == []


def test_history_cookie_is_signed_and_bounded() -> None:
    ids: list[str] = []
    for n in range(history.KEEP + 10):
        ids = history.remember(ids, f"job{n:03d}")
    value = history.encode("s3cret", ids)
    assert len(value) < 4096
    decoded = history.decode("s3cret", value)
    assert len(decoded) == history.KEEP and decoded[0] == "job059" and decoded[-1] == "job010"
    assert history.decode("other", value) == [] and history.decode("s3cret", "x~y") == []
    assert history.decode("s3cret", None) == []
    assert history.remember(["a", "b"], "b") == ["b", "a"]
