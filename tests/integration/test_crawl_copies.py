"""Issue 19, "link lists name every copy; downloads take the largest" and item 4, with real
workers against the fake web: a links-only crawl lists each picture's other copies marked
``copy_of``, the crawler API's ``/result`` lists the ``<picture>``'s ``<img src>`` fallback
again, and a download crawl fetches one copy per picture, the largest."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import httpx

from imgharvest.service.compat import CompatJobs
from tests.fakeweb import FakeWeb
from tests.integration.test_crawl_runs import crawl
from tests.integration.test_jobs_run import api, finished
from tests.waiting import wait_for

PAGE = "/site/pg/gallery.html"
PICTURE, SMALLER, FALLBACK = (f"/img/pg/{n}.jpg" for n in ("picture-1200", "picture-600",
                                                            "picture-fallback"))  # fmt: skip
PLAIN, LATER = "/img/pg/plain-800.jpg", "/img/pg/later-900.jpg"
# What the original crawler lists on the page: every <img src> ending in .jpg, .png or .gif.
IMG_SRCS = (FALLBACK, PLAIN, "/img/pg/ui/blank.gif", "/img/pg/icon-16.png")


def test_links_only_crawl_lists_every_copy_marked(run_service: Any, fakeweb: FakeWeb) -> None:
    services = run_service()
    created = crawl(services, urls=[fakeweb.url + PAGE])
    body = wait_for(lambda: finished(services, created["id"]))
    assert body["status"] == "done" and body["kept"] == 5
    rows = httpx.get(f"{api(services)}/jobs/{created['id']}/images", timeout=10).json()
    web = fakeweb.url
    assert [(r["url"], r["copy_of"], r["chosen"]) for r in rows] == [
        (web + PICTURE, "", "stated width"),
        (web + SMALLER, web + PICTURE, ""),
        (web + FALLBACK, web + PICTURE, ""),
        (web + PLAIN, "", ""),
        (web + LATER, "", ""),
    ]
    assert rows[0]["width"] == 1200 and rows[1]["width"] == 0  # a copy's size is not known
    text = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}/links.csv").text
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["url"], r["copy_of"], r["chosen"]) for r in table] == [
        (r["url"], r["copy_of"], r["chosen"]) for r in rows
    ]
    assert list(table[0])[:10] == ["url", "page_url", "title", "width", "height", "source",
                                   "licence", "licence_url", "creator", "file"]  # fmt: skip


def test_crawler_api_lists_the_picture_fallback_again(run_service: Any, fakeweb: FakeWeb) -> None:
    services = run_service()
    base = services.settings.public_url
    answer = httpx.post(f"{base}/", files={"inputs": ("in.txt", fakeweb.url + PAGE)}, timeout=10)
    number = int(answer.json()["result"].removeprefix("job_id: "))
    job_id = CompatJobs(services.jobs).job_id(number)
    assert job_id is not None
    wait_for(lambda: finished(services, job_id))
    result = httpx.get(f"{base}/result/{number}", timeout=10).json()["result"]
    links = result["img_links"]
    assert fakeweb.url + FALLBACK in links  # acceptance 5 (part)
    assert {fakeweb.url + u for u in IMG_SRCS} <= set(links)  # all the original would list
    assert {fakeweb.url + u for u in (PICTURE, SMALLER, LATER)} <= set(links)
    assert len(links) == len(set(links)) == result["count"] == 7


def test_download_crawl_fetches_one_copy_per_picture(run_service: Any, fakeweb: FakeWeb) -> None:
    services = run_service()
    before = {u: fakeweb.hits[u] for u in (PICTURE, SMALLER, FALLBACK, PLAIN, LATER)}
    created = crawl(services, urls=[fakeweb.url + PAGE], download=True)
    body = wait_for(lambda: finished(services, created["id"]))
    assert (body["status"], body["kept"]) == ("done", 3), body
    archive = httpx.get(body["download_url"], timeout=10).content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
    assert sorted(r["url"] for r in rows) == sorted(
        fakeweb.url + u for u in (PICTURE, PLAIN, LATER)
    )
    fetched = {u: fakeweb.hits[u] - n for u, n in before.items()}
    assert fetched == {PICTURE: 1, SMALLER: 0, FALLBACK: 0, PLAIN: 1, LATER: 1}
