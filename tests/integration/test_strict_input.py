"""Issue 16, items 4, 5 and 13: tokens and cookies checked as bytes before anything is done,
strict switches, URLs and text, ``run_at`` as the schema says, and bidi text isolated."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from imgharvest.store.models import Email, Job
from tests.web_support import (
    PagesApp,
    deliver,
    search_form,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def made(pa: PagesApp) -> tuple[int, int]:
    """How many jobs and mails exist."""
    with pa.services.sessions() as session:
        jobs = session.scalar(select(func.count()).select_from(Job))
        mails = session.scalar(select(func.count()).select_from(Email))
    outbox = pa.settings.data_dir / "outbox"
    files = len(list(outbox.glob("*"))) if outbox.exists() else 0
    return int(jobs or 0), int(mails or 0) + files


async def form_token(client: httpx.AsyncClient) -> str:
    match = CSRF.search((await client.get("/")).text)
    assert match is not None
    return match.group(1)


# -- item 4: bytes, not text ---------------------------------------------------


@pytest.mark.parametrize("token", ["123.é", "123.salt.é", "1.a.%ED%A0%80%FF"])
async def test_a_non_ascii_csrf_token_is_403_and_makes_nothing(
    pa: PagesApp, client: httpx.AsyncClient, token: str
) -> None:
    await form_token(client)  # the browser's CSRF cookie is set
    # raw, as a client may send it: invalid UTF-8 behind percent signs included
    tail = f"csrf_token={token}" if "%" in token else str(httpx.QueryParams(csrf_token=token))
    raw = f"{httpx.QueryParams(search_form(pa.clock))}&{tail}"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answer = await client.post("/jobs", content=raw.encode(), headers=headers)
    assert answer.status_code == 403 and "Form expired" in answer.text
    assert made(pa) == (0, 0)


@pytest.mark.parametrize("kind", ["json", "form"])
async def test_a_non_ascii_job_cookie_is_400_and_makes_nothing(
    pa: PagesApp, client: httpx.AsyncClient, kind: str
) -> None:
    token = await form_token(client)
    raw = client.cookies.get("imgharvest_csrf")
    cookie = f"imgharvest_csrf={raw}; ".encode() + b"imgharvest_jobs=abc\xc3\xa9~00"
    headers = [(b"cookie", cookie)]
    if kind == "json":
        body = search_form(pa.clock)
        answer = await client.post("/jobs", json=body, headers=headers)
    else:
        body = {**search_form(pa.clock), "csrf_token": token}
        answer = await client.post("/jobs", data=body, headers=headers)
    assert answer.status_code == 400 and "imgharvest_jobs" in answer.text
    assert 'imgharvest_jobs=""; Max-Age=0' in answer.headers["set-cookie"]  # cleared
    assert made(pa) == (0, 0)


async def test_my_jobs_with_a_non_ascii_cookie_is_a_400_page(client: httpx.AsyncClient) -> None:
    answer = await client.get("/my-jobs", headers=[(b"cookie", b"imgharvest_jobs=\xff\xfe~0")])
    assert answer.status_code == 400 and "Damaged cookie" in answer.text


# -- item 5: strict switches ---------------------------------------------------


async def test_start_now_maybe_in_a_form_is_400_naming_it(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    data = {**search_form(pa.clock), "start-now": "maybe", "csrf_token": await form_token(client)}
    answer = await client.post("/jobs", data=data)
    assert answer.status_code == 400
    assert '<a class="alert-link" href="#start-now">Start now</a>: start-now must be' in answer.text
    assert made(pa) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "search", "start-now": 5}, "start-now"),
        ({"kind": "search", "start-now": "true"}, "start-now"),
        ({"kind": "crawl", "urls": ["http://127.0.0.1:9/"], "start-now": "maybe"}, "start-now"),
        ({"kind": "crawl", "urls": ["http://127.0.0.1:9/"], "download": "yes"}, "download"),
        ({"kind": "crawl", "urls": ["http://127.0.0.1:9/"], "render": "true"}, "render"),
    ],
)
async def test_json_switches_are_json_booleans(
    pa: PagesApp, client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    data = {**search_form(pa.clock), **body} if body["kind"] == "search" else body
    answer = await client.post("/jobs", json=data)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][field] == f"{field} must be true or false (a JSON boolean)"
    assert made(pa) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"start-now": "maybe"}, "start-now"), ({"download": "yes"}, "download"),
     ({"render": "true"}, "render"), ({"download": 1}, "download")],
)  # fmt: skip
async def test_api_crawl_switches_are_json_booleans(
    pa: PagesApp, client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    answer = await client.post("/api/v1/jobs/crawl", json={"urls": ["http://127.0.0.1:9/"], **body})
    assert answer.status_code == 400 and field in answer.json()["errors"]
    if field == "start-now":  # not a field of the API (which says run_at), as its schema says
        assert answer.json()["errors"][field] == "start-now is not a field of this request"


async def test_form_switches_keep_their_words(pa: PagesApp, client: httpx.AsyncClient) -> None:
    data = {**search_form(pa.clock), "start-now": "on", "csrf_token": await form_token(client)}
    assert (await client.post("/jobs", data=data)).status_code == 303
    (view,) = pa.jobs.recent()
    assert view.run_at == pa.clock.now()


# -- item 13: URLs, text, run_at ----------------------------------------------

BAD_URLS = [
    ("http://example.org/a\r\nX-Evil: 1", "contains a space or a control character"),
    ("http://exa mple.org/", "contains a space or a control character"),
    ("http://example.org:99999/", "has a port outside 1-65535"),
    ("http://example.org:0/", "has a port outside 1-65535"),
    ("http://exa_mple..org/", "has an invalid host name"),
    ("http://-bad-.org/", "has an invalid host name"),
]


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
async def test_crawl_urls_are_strict(client: httpx.AsyncClient, url: str, why: str) -> None:
    answer = await client.post("/api/v1/jobs/crawl", json={"urls": [url]})
    assert answer.status_code == 400
    assert answer.json()["errors"]["urls"] == f"{url[:80]!r} {why}"


@pytest.mark.parametrize(
    "url", ["http://[::1]:8080/a", "https://bücher.example/x?q=1", "http://a_b.example/"]
)
async def test_crawl_urls_that_are_fine(client: httpx.AsyncClient, url: str) -> None:
    answer = await client.post("/api/v1/jobs/crawl", json={"urls": [url]})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("char", "said"),
    [("\x1b", "an ESC character"), ("\u202e", "a bidi control character (U+202E)"),
     ("\u2066", "a bidi control character (U+2066)"), ("\x85", "a control character (U+0085)")],
)  # fmt: skip
async def test_text_with_control_or_bidi_characters_is_400_naming_the_field(
    pa: PagesApp, client: httpx.AsyncClient, char: str, said: str
) -> None:
    api = await client.post("/api/v1/jobs/search", json={"query": f"red{char}fox", "count": 2})
    assert api.status_code == 400 and api.json()["errors"] == {
        "query": f"search query contains {said}"
    }
    form = await client.post("/jobs", json=search_form(pa.clock, search_query=f"{char}fox"))
    assert form.json()["errors"] == {"search-query": f"search query contains {said}"}
    assert made(pa) == (0, 0)


async def test_run_at_empty_is_400_and_past_means_now(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    body = {"query": "moths", "count": 2}
    empty = await client.post("/api/v1/jobs/search", json={**body, "run_at": ""})
    assert empty.status_code == 400
    assert empty.json()["errors"] == {"run_at": "run_at is empty: leave it out to start now"}
    now = pa.clock.now().replace(microsecond=0)
    for past in ("2019-08-24T14:15:22Z", "0001-01-01T00:00:00+14:00",
                 (now - timedelta(hours=2)).isoformat()):  # fmt: skip
        answer = await client.post("/api/v1/jobs/search", json={**body, "run_at": past})
        assert answer.status_code == 201, answer.text
        assert answer.json()["run_at"] == now.isoformat().replace("+00:00", "Z")
    ahead = (now + timedelta(days=400)).isoformat()
    late = await client.post("/api/v1/jobs/search", json={**body, "run_at": ahead})
    assert late.json()["errors"] == {"run_at": "date/time is more than a year ahead"}


async def test_count_as_digits_follows_the_documented_pattern(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["SearchJobIn"]
    pattern = schema["properties"]["count"]["anyOf"][1]["pattern"]
    for text, accepted in (("05", True), ("5", True), ("000000005", True), ("0000000005", False),
                           ("+5", False), ("5 ", False), ("\u0665", False)):  # fmt: skip
        assert bool(re.search(pattern, text)) is accepted, text
        answer = await client.post("/api/v1/jobs/search", json={"query": "x", "count": text})
        assert (answer.status_code == 201) is accepted, (text, answer.text)
        if accepted:
            assert answer.json()["wanted"] == 5


async def test_an_empty_check_is_no_check(client: httpx.AsyncClient) -> None:
    plain = await client.get("/api/v1/sources")
    empty = await client.get("/api/v1/sources?check=")
    assert empty.status_code == 200 and empty.json() == plain.json()
    assert all(source["check"] is None for source in empty.json()["sources"])


async def test_a_right_to_left_override_in_a_title_stays_inside_it(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    created = await client.post("/jobs", json=search_form(pa.clock, images="2"))
    job_id = created.json()["id"]
    deliver(pa, job_id, 2, tmp_path)
    with pa.services.sessions.begin() as session:
        from imgharvest.store.models import JobImage

        row = session.scalars(select(JobImage).where(JobImage.job_id == job_id)).first()
        assert row is not None
        row.title = "\u202eevil.exe gpj"
    page = (await client.get(f"/jobs/{job_id}")).text
    assert "<bdi>\u202eevil.exe gpj</bdi>" in page
    text = re.sub(r'"[^"]*"', "", page)  # attribute values reorder nothing around them
    assert text.count("\u202e") == text.count("<bdi>\u202e") == 1
