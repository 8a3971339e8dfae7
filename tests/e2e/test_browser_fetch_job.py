"""A URL-list job's page in real Chromium (issue 18): run in shards by the whole service,
its page shows the shards done of the total, the gallery's thumbnails from the packs, and the
one download; screenshots at both widths."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.e2e.test_browser_pages import WIDTHS, browser, page_at, shoot, wait_true
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.waiting import wait_for

pw = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the page tests


def url_list(fakeweb: FakeWeb, items: list[cat.FakeImage]) -> bytes:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["url", "caption"])
    for item in items:
        writer.writerow([fakeweb.image_url(item), f"a street at night, {item.id}"])
    return rows.getvalue().encode()


def ended(base: str, job_id: str) -> dict[str, Any] | None:
    body = httpx.get(f"{base}/api/v1/jobs/{job_id}", timeout=30).json()
    return body if body["status"] not in ("scheduled", "running") else None


def scroll_through(page: Any) -> None:
    height = int(page.evaluate("document.body.scrollHeight"))
    for y in range(0, height + 400, 400):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(30)
    page.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_fetch_job_page_screenshot(
    browser: Any, run_service: Any, fakeweb: FakeWeb, width: str
) -> None:
    items = cat.troubled(40, seed=5, prefix=f"bf{width[0]}", base_seed=91_000 + len(width))
    fakeweb.add_catalog(f"browser fetch {width}", items)
    base = run_service().settings.public_url
    got = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("streets.csv", url_list(
        fakeweb, items))}, data={"format": "zip", "shard_size": "15"}, timeout=60)  # fmt: skip
    assert got.status_code == 201, got.text
    job = wait_for(lambda: ended(base, got.json()["id"]), timeout=120)
    assert job["status"] == "done" and job["shards_total"] == 3, job["summary"]
    page = page_at(browser, width)
    page.goto(f"{base}/jobs/{job['id']}")
    assert page.inner_text('[data-count="shards"]') == "3 of 3"
    assert page.inner_text('[data-count="kept"]') == str(job["kept"])
    assert "40 of 40 URLs tried" in page.inner_text("#job-live")  # a whole list is 100 %
    assert page.get_attribute(".progress", "aria-valuenow") == "100"
    assert f"{job['kept']} images kept of 40 URLs in 3 shards" in page.inner_text(".ih-summary")
    titles = page.locator(".ih-thumb figcaption .fw-semibold").all_inner_texts()
    assert len(titles) == job["kept"] and all(t.startswith("a street at night, ") for t in titles)
    scroll_through(page)  # tiles past the first 12 load lazily
    wait_true(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#download").count() == 1
    shoot(page, f"fetch-job-done-{width}")
    page.context.close()
