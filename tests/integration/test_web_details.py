"""Issue 17, item 9 (the web's share): an icon, ReDoc's search worker, each operation listed
once, examples that are accepted as they stand, counts in words, and what an expired job says."""

from __future__ import annotations

import re

import httpx

from imgharvest.service.jobdata import DONE
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.schemas import CrawlRequest
from imgharvest.web import jobview
from tests.web_support import (
    PagesApp,
    claim_now,
)


async def test_the_site_has_an_icon(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in (await client.get("/")).text


async def test_redoc_alone_may_start_blob_workers(client: httpx.AsyncClient) -> None:
    redoc = (await client.get("/redoc")).headers["content-security-policy"]
    assert "worker-src blob:" in redoc
    for path in ("/docs", "/"):
        assert "blob:" not in (await client.get(path)).headers["content-security-policy"]


async def test_each_operation_is_listed_under_one_tag(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    tags = {(m, p): op.get("tags", []) for p, ops in paths.items() for m, op in ops.items()}
    assert tags[("get", "/api/v1/sources")] == ["sources"]
    assert all(len(names) == 1 for names in tags.values()), tags


async def test_every_documented_example_is_accepted_as_it_stands(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    sent = 0
    for path in ("/api/v1/jobs/search", "/api/v1/jobs/crawl"):
        content = paths[path]["post"]["requestBody"]["content"]["application/json"]
        for example in content["examples"].values():
            answer = await client.post(path, json=example["value"])
            assert answer.status_code == 201, (path, answer.text)
            sent += 1
    assert sent == 2
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    sources = schemas["SearchJobIn"]["properties"]["sources"]["examples"][0]
    body = {"query": "red fox", "count": 2, "sources": sources}
    assert (await client.post("/api/v1/jobs/search", json=body)).status_code == 201


def links_job(pa: PagesApp, pages_given: int, pages_read: int, links: int) -> str:
    urls = [f"http://a.test/p{n}" for n in range(pages_given)]
    job_id = pa.jobs.create_crawl(CrawlRequest(urls, pa.clock.now(), follow="all")).id
    claim = claim_now(pa, job_id)
    rows = [{"url": f"http://a.test/i{n}.jpg", "page_url": urls[0]} for n in range(links)]
    assert pa.jobs.add_links(claim, rows, 0)
    assert pa.jobs.finish(claim, Outcome(DONE, "found", 0, links, {}, pages_done=pages_read))
    return job_id


async def test_counts_are_said_in_the_right_number(pa: PagesApp, client: httpx.AsyncClient) -> None:
    one = links_job(pa, 1, 1, 1)
    view = pa.jobs.get(one)
    assert view is not None and jobview.counts_text(view) == "1 image link on 1 page"
    page = (await client.get(f"/jobs/{one}")).text
    assert "image link found" in page and "image links found" not in page
    assert "of 1 page given" in page


async def test_a_one_hop_crawl_says_which_pages_were_read(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    job_id = links_job(pa, 2, 9, 4)
    page = (await client.get(f"/jobs/{job_id}")).text
    read = re.search(r'data-count="pages">(.*?)</dd>', page, re.S)
    assert read is not None
    text = re.sub(r"<[^>]+>", "", read.group(1))
    assert " ".join(text.split()) == "9 (2 given, 7 pages they link to)"
    given_only = links_job(pa, 2, 2, 1)
    page = (await client.get(f"/jobs/{given_only}")).text
    assert "of 2 pages given" in page


async def test_an_expired_job_says_its_events_were_deleted(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    job_id = links_job(pa, 1, 1, 2)
    assert "No events yet" not in (await client.get(f"/jobs/{job_id}")).text
    pa.clock.advance(pa.settings.link_ttl_seconds + 1)
    assert pa.jobs.expire_due() == [job_id]
    page = (await client.get(f"/jobs/{job_id}")).text
    assert "The events were deleted when the job expired." in page
    assert "No events yet" not in page


async def test_a_browser_gets_error_pages_and_a_script_json(client: httpx.AsyncClient) -> None:
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = await client.get("/no/such/page", headers=html)
    assert page.status_code == 404 and "Page not found" in page.text
    wrong = await client.get("/job_submitted", headers=html)
    assert wrong.status_code == 405 and "Method not allowed" in wrong.text
    script = await client.get("/no/such/page")
    assert script.status_code == 404 and script.json() == {"detail": "Not Found"}
