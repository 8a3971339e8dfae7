"""The web pages over HTTP: the validation table as form and as JSON, CSRF, rate limit,
escaping, the job page, thumbnails and download links before and after expiry."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.service.jobdata import SCHEDULED
from tests.web_support import (
    PagesApp,
    build_pages_app,
    claim_now,
    deliver,
    search_form,
    web_settings,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def make_pa(tmp_path: Path) -> Iterator[Callable[..., PagesApp]]:
    made: list[PagesApp] = []

    def factory(**overrides: Any) -> PagesApp:
        made.append(build_pages_app(web_settings(tmp_path, **overrides)))
        return made[-1]

    yield factory
    for app in made:
        app.close()


@pytest.fixture
def pa(make_pa: Callable[..., PagesApp]) -> PagesApp:
    return make_pa()


def asgi_client(pa: PagesApp) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(pa.app, client=("127.0.0.1", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(pa) as c:
        yield c


async def csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    page = await client.get(path)
    assert page.status_code == 200
    match = CSRF_RE.search(page.text)
    assert match is not None
    return match.group(1)


async def post_form(client: httpx.AsyncClient, data: dict[str, str]) -> Any:
    return await client.post("/jobs", data={**data, "csrf_token": await csrf(client)})


async def submit(pa: PagesApp, client: httpx.AsyncClient, **changes: str) -> str:
    answer = await client.post("/jobs", json=search_form(pa.clock, **changes))
    assert answer.status_code == 201
    return str(answer.json()["id"])


# -- the forms ---------------------------------------------------------------


async def test_search_form_has_the_design_fields(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    for name in ("search-query", "date", "time", "email", "images", "tz", "csrf_token"):
        assert f'name="{name}"' in page.text
    for name in ("search-query", "date", "time", "email", "images"):
        assert f'<label for="{name}"' in page.text
    assert "/static/bootstrap/css/bootstrap.min.css" in page.text
    assert client.cookies.get("imgharvest_csrf")


async def test_static_assets_are_served_locally(client: httpx.AsyncClient) -> None:
    assert "Bootstrap" in (await client.get("/static/bootstrap/css/bootstrap.min.css")).text[:300]
    assert "resolvedOptions().timeZone" in (await client.get("/static/app/app.js")).text
    assert (await client.get("/static/app/app.css")).status_code == 200


async def test_form_prefilled_from_query_string(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/", params={"search-query": "owls", "images": "7", "email": "o@example.com"}
    )
    assert 'value="owls"' in page.text and 'value="7"' in page.text


async def test_crawl_form(client: httpx.AsyncClient) -> None:
    page = await client.get("/crawl")
    assert page.status_code == 200
    assert 'name="urls"' in page.text and 'name="download"' in page.text


# -- the validation table, as a form -----------------------------------------

TABLE: list[tuple[dict[str, str], str, str]] = [
    ({"search-query": ""}, "search-query", "search query is required"),
    ({"date": ""}, "date", "date is required"),
    ({"date": "2000-01-01"}, "date", "date/time is in the past"),
    ({"time": ""}, "time", "time is required"),
    ({"email": ""}, "email", "email is required"),
    ({"email": "wsq.wee@"}, "email", "email is invalid"),
    ({"images": ""}, "images", "number of images is required"),
    ({"images": "-1"}, "images", "number of images must be greater than 0"),
    ({"images": "0"}, "images", "number of images must be greater than 0"),
    ({"images": "501"}, "images", "number of images cannot be greater than 500"),
]


async def test_valid_form_queues_job(pa: PagesApp, client: httpx.AsyncClient) -> None:
    answer = await post_form(client, search_form(pa.clock))
    assert answer.status_code == 303
    job_id = re.fullmatch(r"/jobs/([\w-]+)\?submitted=1", answer.headers["location"])
    assert job_id is not None
    view = pa.jobs.get(job_id.group(1))
    assert view is not None and view.status == SCHEDULED and view.query == "red bicycles"
    page = await client.get(answer.headers["location"])
    assert "Job submitted." in page.text and "red bicycles" in page.text


@pytest.mark.parametrize(("change", "field", "message"), TABLE)
async def test_table_as_form(
    pa: PagesApp, client: httpx.AsyncClient, change: dict[str, str], field: str, message: str
) -> None:
    answer = await post_form(client, search_form(pa.clock, **change))
    assert answer.status_code == 400
    assert f'<a class="alert-link" href="#{field}">' in answer.text
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert pa.jobs.recent() == []


async def test_today_minutes_ago_as_form(pa: PagesApp, client: httpx.AsyncClient) -> None:
    now = pa.clock.now()
    if now.hour == 0 and now.minute < 10:
        pa.clock.advance(600)  # "a few minutes ago" must still be today
    when = pa.clock.now() - timedelta(minutes=5)
    data = search_form(pa.clock, date=when.date().isoformat(), time=when.strftime("%H:%M"))
    answer = await post_form(client, data)
    assert answer.status_code == 400
    assert "date/time is in the past" in answer.text


async def test_form_errors_keep_the_values(pa: PagesApp, client: httpx.AsyncClient) -> None:
    answer = await post_form(client, search_form(pa.clock, email="wsq.wee@", images="0"))
    assert 'value="red bicycles"' in answer.text
    assert 'value="wsq.wee@"' in answer.text
    assert "correct these 2 fields" in answer.text


# -- the validation table, as JSON -------------------------------------------


async def test_valid_json_queues_job(pa: PagesApp, client: httpx.AsyncClient) -> None:
    answer = await client.post("/jobs", json=search_form(pa.clock))
    assert answer.status_code == 201
    body = answer.json()
    assert body["status"] == SCHEDULED and body["job_url"].endswith(f"/jobs/{body['id']}")
    assert pa.jobs.get(body["id"]) is not None


@pytest.mark.parametrize(("change", "field", "message"), TABLE)
async def test_table_as_json(
    pa: PagesApp, client: httpx.AsyncClient, change: dict[str, str], field: str, message: str
) -> None:
    answer = await client.post("/jobs", json=search_form(pa.clock, **change))
    assert answer.status_code == 400
    assert answer.json()["errors"] == {field: message}


async def test_today_minutes_ago_as_json(pa: PagesApp, client: httpx.AsyncClient) -> None:
    if pa.clock.now().hour == 0 and pa.clock.now().minute < 10:
        pa.clock.advance(600)
    when = pa.clock.now() - timedelta(minutes=5)
    data = search_form(pa.clock, date=when.date().isoformat(), time=when.strftime("%H:%M"))
    answer = await client.post("/jobs", json=data)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"date": "date/time is in the past"}


async def test_json_numbers_and_bad_bodies(pa: PagesApp, client: httpx.AsyncClient) -> None:
    good = {**search_form(pa.clock), "images": 4}
    assert (await client.post("/jobs", json=good)).status_code == 201
    bad = await client.post("/jobs", content=b"{nope", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "body" in bad.json()["errors"]
    assert (await client.post("/jobs", json=[1, 2])).json()["errors"] == {
        "body": "the body must be a JSON object"
    }


async def test_crawl_job_as_form_and_json(pa: PagesApp, client: httpx.AsyncClient) -> None:
    form = {"kind": "crawl", "urls": "http://127.0.0.1:9/a\nhttp://127.0.0.1:9/b"}
    answer = await post_form(client, form)
    assert answer.status_code == 303
    assert "Images on 2 pages" in (await client.get(answer.headers["location"])).text
    as_json = await client.post("/jobs", json={"urls": ["ftp://x"]})
    assert as_json.status_code == 400 and "urls" in as_json.json()["errors"]
    crawl = [v for v in pa.jobs.recent() if v.kind == "crawl"]
    assert len(crawl) == 1 and crawl[0].request["urls"] == form["urls"].split("\n")


# -- protection --------------------------------------------------------------


async def test_form_without_csrf_token_is_refused(pa: PagesApp, client: httpx.AsyncClient) -> None:
    await client.get("/")
    answer = await client.post("/jobs", data=search_form(pa.clock))
    assert answer.status_code == 403
    assert "Reload the page" in answer.text
    assert pa.jobs.recent() == []


async def test_csrf_token_is_bound_to_the_cookie(pa: PagesApp, client: httpx.AsyncClient) -> None:
    token = await csrf(client)
    client.cookies.set("imgharvest_csrf", "another-browser-cookie-value")
    answer = await client.post("/jobs", data={**search_form(pa.clock), "csrf_token": token})
    assert answer.status_code == 403


async def test_forged_csrf_token_is_refused(pa: PagesApp, client: httpx.AsyncClient) -> None:
    await csrf(client)
    forged = "1999999999." + "0" * 64
    answer = await client.post("/jobs", data={**search_form(pa.clock), "csrf_token": forged})
    assert answer.status_code == 403


async def test_rate_limit_gives_429(make_pa: Callable[..., PagesApp]) -> None:
    pa = make_pa(submit_rate_per_minute=3)
    async with asgi_client(pa) as client:
        codes = [
            (await client.post("/jobs", json=search_form(pa.clock))).status_code for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        refused = await client.post(
            "/jobs", data={**search_form(pa.clock), "csrf_token": await csrf(client)}
        )
    assert refused.status_code == 429
    assert "Too many submissions: at most 3 per minute" in refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(pa.jobs.recent()) == 3


async def test_user_text_is_escaped(pa: PagesApp, client: httpx.AsyncClient) -> None:
    evil = '<script>alert("x")</script>'
    answer = await post_form(client, search_form(pa.clock, search_query=evil))
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    bad = await post_form(client, search_form(pa.clock, search_query=evil, email="<b>x@</b>"))
    assert bad.status_code == 400 and "<b>x@</b>" not in bad.text


# -- the job page and downloads ----------------------------------------------


async def test_job_page_scheduled(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit(pa, client)
    page = await client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert 'data-status="scheduled"' in page.text and 'data-active="true"' in page.text
    assert "search job scheduled for" in page.text
    live = await client.get(f"/jobs/{job_id}/live")
    assert live.status_code == 200 and "<html" not in live.text and "Candidates tried" in live.text


async def test_job_page_running_shows_progress(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit(pa, client, images="10")
    claim = claim_now(pa, job_id)
    pa.jobs.progress(claim, tried=9, kept=4, rejected={"not_image": 3, "duplicate_near": 2})
    page = (await client.get(f"/jobs/{job_id}")).text
    assert 'data-status="running"' in page and "4 of 10 images kept" in page
    assert '<dd class="col-6 col-sm-7" data-count="tried">9</dd>' in page
    assert '3 <span class="text-body-secondary">not an image</span>' in page


async def test_done_job_page_gallery_and_download(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    job_id = await submit(pa, client)
    deliver(pa, job_id, 3, tmp_path)
    page = (await client.get(f"/jobs/{job_id}")).text
    assert 'data-status="done"' in page and 'data-active="false"' in page
    assert page.count(f'src="/jobs/{job_id}/thumbs/') == 3
    thumb = await client.get(f"/jobs/{job_id}/thumbs/0")
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    assert (await client.get(f"/jobs/{job_id}/thumbs/3")).status_code == 404
    link = re.search(r'href="[^"]*(/d/[\w-]+)" id="download"', page)
    assert link is not None
    zipped = await client.get(link.group(1))
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert "manifest.csv" in names and len(names) == 4


async def test_link_after_expiry_says_expired(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    job_id = await submit(pa, client)
    deliver(pa, job_id, 2, tmp_path)
    view = pa.jobs.get(job_id)
    assert view is not None and view.download_url is not None
    path = view.download_url.removeprefix(pa.settings.public_url)
    assert (await client.get(path)).status_code == 200
    pa.clock.advance(pa.settings.link_ttl_seconds + 1)
    expired = await client.get(path)
    assert expired.status_code == 410 and "This link has expired" in expired.text
    pa.jobs.expire_due()
    assert (await client.get(path)).status_code == 410
    page = (await client.get(f"/jobs/{job_id}")).text
    assert 'data-status="expired"' in page and 'id="download"' not in page
    assert (await client.get(f"/jobs/{job_id}/thumbs/0")).status_code == 404


async def test_unknown_link_and_job_are_404_pages(client: httpx.AsyncClient) -> None:
    for path in ("/d/not-a-token", "/jobs/nope", "/jobs/nope/live", "/d/" + "x" * 300):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert "text/html" in answer.headers["content-type"]
    assert (await client.get("/jobs/nope/thumbs/0")).status_code == 404


async def test_failed_job_offers_resubmit(pa: PagesApp, client: httpx.AsyncClient) -> None:
    job_id = await submit(pa, client, search_query="owls & <cats>")
    assert pa.jobs.fail(claim_now(pa, job_id), "every source failed: bing: blocked")
    page = (await client.get(f"/jobs/{job_id}")).text
    assert "every source failed: bing: blocked" in page
    resubmit = re.search(r'href="[^"]*(/resubmit/[^"]+)">Submit it again', page)
    assert resubmit is not None
    form = (await client.get(resubmit.group(1).replace("&amp;", "&"))).text
    assert 'value="owls &amp; &lt;cats&gt;"' in form


async def test_api_and_form_share_one_submit_limit(make_pa: Callable[..., PagesApp]) -> None:
    pa = make_pa(submit_rate_per_minute=2)
    body = {"query": "foxes", "count": 3, "email": "a@example.org"}
    async with asgi_client(pa) as client:
        first = await client.post("/api/v1/jobs/search", json=body)
        second = await client.post("/jobs", json=search_form(pa.clock))
        third = await client.post("/api/v1/jobs/search", json=body)
    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 429]
    assert "Too many submissions" in third.json()["errors"]["detail"]
    assert len(pa.jobs.recent()) == 2
