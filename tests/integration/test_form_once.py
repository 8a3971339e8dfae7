"""Issue 17, item 1: Post/Redirect/Get with a single-use form token (across processes), and
issue 19, item 5: the original downloader's form at ``POST /job_submitted``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.web_support import (
    PagesApp,
    build_pages_app,
    page_client,
    search_form,
    web_settings,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
JOB_PAGE = re.compile(r"/jobs/([\w-]+)\?submitted=1")


async def form_of(client: httpx.AsyncClient, pa: PagesApp, **changes: str) -> dict[str, str]:
    match = CSRF.search((await client.get("/")).text)
    assert match is not None
    return {**search_form(pa.clock, **changes), "csrf_token": match.group(1)}


def job_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    match = JOB_PAGE.fullmatch(answer.headers["location"])
    assert match is not None, answer.headers["location"]
    return match.group(1)


async def test_the_form_answers_303_and_a_resent_form_lands_on_the_same_job(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    data = await form_of(client, pa)
    first = job_of(await client.post("/jobs", data=data))
    again = job_of(await client.post("/jobs", data=data))
    assert again == first and [v.id for v in pa.jobs.recent()] == [first]
    page = await client.get(f"/jobs/{first}?submitted=1")
    assert page.status_code == 200 and 'id="submitted"' in page.text


async def test_a_used_token_with_other_values_makes_no_job_and_shows_the_form_again(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    data = await form_of(client, pa)
    first = job_of(await client.post("/jobs", data=data))
    changed = await client.post("/jobs", data={**data, "search-query": "grey herons"})
    assert changed.status_code == 409 and "already sent with other values" in changed.text
    assert 'value="grey herons"' in changed.text  # the values stay, with a fresh token
    fresh = CSRF.search(changed.text)
    assert fresh is not None and fresh.group(1) != data["csrf_token"]
    assert [v.id for v in pa.jobs.recent()] == [first]
    second = job_of(await client.post("/jobs", data={**data, "search-query": "grey herons",
                                                     "csrf_token": fresh.group(1)}))  # fmt: skip
    assert second != first and len(pa.jobs.recent()) == 2


async def test_two_forms_shown_in_one_second_make_two_jobs(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    one, two = await form_of(client, pa), await form_of(client, pa, search_query="owls")
    assert one["csrf_token"] != two["csrf_token"]  # the clock did not move between them
    assert job_of(await client.post("/jobs", data=one)) != job_of(
        await client.post("/jobs", data=two)
    )


async def test_a_resent_form_lands_on_its_job_in_another_process(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, submit_rate_per_minute=1000)
    first_process, second_process = build_pages_app(settings), build_pages_app(settings)
    try:
        async with page_client(first_process) as browser:
            data = await form_of(browser, first_process)
            made = job_of(await browser.post("/jobs", data=data))
            # the same browser (cookies) reaches the other process behind a load balancer
            transport = httpx.ASGITransport(second_process.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                         cookies=browser.cookies) as same:  # fmt: skip
                assert job_of(await same.post("/jobs", data=data)) == made
        assert [v.id for v in second_process.jobs.recent()] == [made]
    finally:
        first_process.close()
        second_process.close()


async def test_json_posts_keep_answering_201_with_json(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    first = await client.post("/jobs", json=search_form(pa.clock))
    second = await client.post("/jobs", json=search_form(pa.clock))
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"] and first.json()["owner_token"]


async def test_get_jobs_leads_to_the_form(client: httpx.AsyncClient) -> None:
    answer = await client.get("/jobs")
    assert answer.status_code == 303 and answer.headers["location"] == "/"


# -- the original downloader's form --------------------------------------------


def original(pa: PagesApp, **changes: str) -> dict[str, str]:
    data = search_form(pa.clock, **changes)
    return {key: data[key] for key in ("search-query", "date", "time", "email", "images")}


@pytest.mark.parametrize(
    "headers", [{"Origin": "http://test"}, {"Sec-Fetch-Site": "same-origin"},
                {"Origin": "http://test", "Sec-Fetch-Site": "same-origin"}],
)  # fmt: skip
async def test_the_original_form_from_this_site_makes_the_job(
    pa: PagesApp, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.post("/job_submitted", data=original(pa, time="9:30"), headers=headers)
    job_id = job_of(answer)
    (view,) = pa.jobs.recent()
    assert view.id == job_id and view.query == "red bicycles" and view.wanted == 3
    assert view.run_at.strftime("%H:%M") == "09:30"  # the original's short time, server zone
    mine = await client.get("/my-jobs")
    assert f'data-job="{job_id}"' in mine.text  # it joined this browser's list


@pytest.mark.parametrize(
    ("headers", "why"),
    [({"Origin": "http://evil.example"}, "cross-site request refused"),
     ({"Sec-Fetch-Site": "cross-site"}, "cross-site request refused"),
     ({"Sec-Fetch-Site": "same-site"}, "cross-site request refused"),
     ({"Origin": "null"}, "cross-site request refused"),
     ({}, "neither Origin nor Sec-Fetch-Site")],
)  # fmt: skip
async def test_the_original_form_from_elsewhere_is_403(
    pa: PagesApp, client: httpx.AsyncClient, headers: dict[str, str], why: str
) -> None:
    answer = await client.post("/job_submitted", data=original(pa), headers=headers)
    assert answer.status_code == 403 and why in answer.text
    assert pa.jobs.recent() == []


async def test_the_original_form_with_bad_fields_shows_the_form_naming_them(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    data = original(pa, email="wsq.wee@", images="0")
    answer = await client.post("/job_submitted", data=data, headers={"Origin": "http://test"})
    assert answer.status_code == 400
    assert 'href="#email"' in answer.text and 'href="#images"' in answer.text
    assert pa.jobs.recent() == []
