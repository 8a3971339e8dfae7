"""The job page of issue 10: a gallery paging through every image, each tile the harvested copy
with title, size, source and licence; zip size and licence summary; reasons once, in words;
a links-only crawl shown with its count, CSV and JSON."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from imgharvest.service.jobdata import DONE
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.schemas import CrawlRequest
from imgharvest.web.jobview import GALLERY_PAGE
from tests.web_support import (
    PagesApp,
    build_pages_app,
    claim_now,
    deliver,
    search_form,
    web_settings,
)

TILE = re.compile(r'<a href="(/jobs/[^/]+/images/\d+)" title=')


@pytest.fixture
def pa(tmp_path: Path) -> Iterator[PagesApp]:
    app = build_pages_app(web_settings(tmp_path))
    yield app
    app.close()


@pytest.fixture
async def client(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(pa.app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def delivered(pa: PagesApp, client: httpx.AsyncClient, count: int, tmp: Path) -> str:
    answer = await client.post("/jobs", json=search_form(pa.clock, images=str(count)))
    job_id = str(answer.json()["id"])
    deliver(pa, job_id, count, tmp, licences=("CC BY 2.0", "CC BY 4.0", "CC0 1.0", ""))
    return job_id


async def test_the_gallery_pages_through_every_image(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    job_id = await delivered(pa, client, 230, tmp_path)
    first = (await client.get(f"/jobs/{job_id}")).text
    assert TILE.findall(first) == [f"/jobs/{job_id}/images/{n}" for n in range(GALLERY_PAGE)]
    assert "(1–100 of 230)" in first  # noqa: RUF001
    assert f'href="/jobs/{job_id}?page=3#gallery-title"' in first
    last = (await client.get(f"/jobs/{job_id}?page=3")).text
    assert TILE.findall(last) == [f"/jobs/{job_id}/images/{n}" for n in range(200, 230)]
    assert "(201–230 of 230)" in last  # noqa: RUF001
    beyond = (await client.get(f"/jobs/{job_id}?page=99")).text
    assert TILE.findall(beyond) == TILE.findall(last)
    for odd in ("0", "-1", "abc", "9" * 40):
        answer = await client.get(f"/jobs/{job_id}", params={"page": odd})
        assert answer.status_code == 200 and TILE.findall(answer.text)[0].endswith("/images/0")


async def test_each_tile_is_the_harvested_copy_with_what_it_is(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    job_id = await delivered(pa, client, 5, tmp_path)
    page = (await client.get(f"/jobs/{job_id}")).text
    assert 'download="0002_red-bicycles.jpg"' in page
    assert "Bicycle 1" in page and "360×240 · 1000 bytes" in page  # noqa: RUF001
    assert 'href="http://127.0.0.1/img/1.jpg"' in page and ">bing</a>" in page
    assert "CC BY 4.0" in page and "licence unknown" in page
    image = await client.get(f"/jobs/{job_id}/images/1")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert 'filename="0002_red-bicycles.jpg"' in image.headers["content-disposition"]
    stored = pa.jobs.store.local_path(f"{job_id}/images.zip")
    assert stored is not None
    with zipfile.ZipFile(stored) as zf:
        assert image.content == zf.read("images/0002_red-bicycles.jpg")
    assert (await client.get(f"/jobs/{job_id}/images/5")).status_code == 404
    assert (await client.get("/jobs/nope/images/0")).status_code == 404


async def test_zip_size_licence_summary_and_reasons_once_in_words(
    pa: PagesApp, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    job_id = await delivered(pa, client, 8, tmp_path)
    page = (await client.get(f"/jobs/{job_id}")).text
    view = pa.jobs.get(job_id)
    assert view is not None and view.archive_bytes
    size = re.search(r'<span id="zip-size">([^<]+)</span>', page)
    assert size is not None and size.group(1).endswith("KB")
    assert "Licences: 4 CC BY, 2 public domain, 2 unknown" in page
    assert page.count("exact duplicates") == 1 and "duplicate_exact" not in page
    assert page.count("not an image") == 1 and "not_image" not in page


async def test_a_links_only_crawl_is_done_with_its_count(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    req = CrawlRequest(["http://a.test/p1", "http://a.test/p2"], pa.clock.now(), tz="UTC")
    job_id = pa.jobs.create_crawl(req).id
    claim = claim_now(pa, job_id)
    rows = [{"url": f"http://a.test/i{n}.jpg", "page_url": "http://a.test/p1",
             "source": "pages", "title": "=cmd|' /C calc'!A0" if n == 0 else f"i{n}"}
            for n in range(7)]  # fmt: skip
    assert pa.jobs.add_links(claim, rows[:3], 0) and pa.jobs.add_links(claim, rows[3:], 3)
    assert pa.jobs.finish(claim, Outcome(DONE, "7 image links found on 2 pages", 0, 7, {},
                                         pages_done=2))  # fmt: skip
    page = (await client.get(f"/jobs/{job_id}")).text
    assert 'data-status="done"' in page and 'data-count="links">7<' in page
    assert "7 image links on 2 pages" in page and "progress-bar" not in page
    assert "Fewer" not in page and "short" not in page
    table = await client.get(f"/jobs/{job_id}/links.csv")
    assert table.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["url"] for r in parsed] == [r["url"] for r in rows]
    assert parsed[0]["title"].startswith("'=")  # a spreadsheet will not run it
    listed = await client.get(f"/api/v1/jobs/{job_id}/images")
    assert [r["url"] for r in listed.json()] == [r["url"] for r in rows]
    api = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    assert (api["status"], api["wanted"], api["kept"]) == ("done", 0, 7)


async def test_a_copy_of_a_picture_is_marked_on_the_page_in_the_csv_and_the_api(
    pa: PagesApp, client: httpx.AsyncClient
) -> None:
    req = CrawlRequest(["http://a.test/p1"], pa.clock.now(), tz="UTC")
    job_id = pa.jobs.create_crawl(req).id
    claim = claim_now(pa, job_id)
    big, small = "http://a.test/big.jpg", 'http://a.test/s.jpg?"><b>x</b>'
    rows = [{"url": big, "chosen": "stated width"}, {"url": small, "copy_of": big},
            {"url": "http://a.test/other.jpg"}]  # fmt: skip
    assert pa.jobs.add_links(claim, rows, 0)
    assert pa.jobs.finish(claim, Outcome(DONE, "3 image links found on 1 page", 0, 3, {},
                                         pages_done=1))  # fmt: skip
    page = (await client.get(f"/jobs/{job_id}")).text
    assert page.count('title="another copy of http://a.test/big.jpg">copy</span>') == 1
    assert "<b>x</b>" not in page
    table = list(csv.DictReader(io.StringIO((await client.get(f"/jobs/{job_id}/links.csv")).text)))
    assert [(r["copy_of"], r["chosen"]) for r in table] == [("", "stated width"), (big, ""),
                                                            ("", "")]  # fmt: skip
    listed = (await client.get(f"/api/v1/jobs/{job_id}/images")).json()
    assert [r["copy_of"] for r in listed] == ["", big, ""]
