"""Issue 10 in real Chromium, with screenshots: My jobs with cancel and re-run, a gallery of 400
images paged, a links-only crawl shown as done with its count, the "start now" form, and a job
page that polls at once and then often, so a quick job never stays "Scheduled"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from imgharvest.service.jobdata import CANCELLED, DONE
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.schemas import CrawlRequest
from tests.e2e import test_browser_pages as base
from tests.e2e.test_browser_pages import ZONE, fill_form, local_now, page_at, shoot, submit
from tests.web_support import claim_now, deliver

pytestmark = pytest.mark.browser
browser, site = base.browser, base.site  # the same fixtures
ALL_LOADED = "[...document.images].every(i => i.complete && i.naturalWidth > 0)"


def load_all_images(page: Any) -> None:
    """Lazy thumbnails below the fold load too (for full-page screenshots)."""
    page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    base.wait_true(page, ALL_LOADED)


def test_start_now_form(browser: Any, site: Any) -> None:
    pa, url = site
    for width in ("desktop", "phone"):
        page = page_at(browser, width)
        page.goto(url + "/")
        shoot(page, f"form-start-now-off-{width}")
        page.check("#start-now")
        assert page.is_disabled("#date") and page.is_disabled("#time")
        shoot(page, f"form-start-now-{width}")
        page.context.close()
    page = page_at(browser)
    page.goto(url + "/")
    page.fill("#search-query", "kingfishers")
    page.fill("#email", "ada@example.com")
    page.fill("#images", "12")
    page.check("#start-now")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Job submitted")
    (job,) = pa.jobs.recent()
    assert job.query == "kingfishers" and job.request["tz"] == ZONE
    assert abs((job.run_at - pa.clock.now()).total_seconds()) < 5
    page.context.close()


def test_my_jobs_cancel_and_rerun(browser: Any, site: Any, tmp_path: Path) -> None:
    pa, url = site
    page = page_at(browser)
    tomorrow = (local_now() + timedelta(days=1)).date().isoformat()
    for query in ("red vintage bicycles", "snowy owls", "harbour seals"):
        page.goto(url + "/")
        fill_form(page, tomorrow, "09:30", query=query)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Job submitted")
    ids = {j.query: j.id for j in pa.jobs.recent()}
    bikes, owls, seals = ids["red vintage bicycles"], ids["snowy owls"], ids["harbour seals"]
    deliver(pa, owls, 6, tmp_path)
    page.click("text=My jobs")
    page.wait_for_selector("h1:has-text('My jobs')")
    assert page.locator("tr[data-job]").count() == 3
    shoot(page, "my-jobs-desktop")
    page.click(f'tr[data-job="{bikes}"] [data-action="cancel"]')
    page.wait_for_selector("#notice:has-text('cancelled')")
    view = pa.jobs.get(bikes)
    assert view is not None and view.status == CANCELLED
    assert page.locator(f'tr[data-job="{bikes}"] [data-status="cancelled"]').count() == 1
    shoot(page, "my-jobs-cancelled-desktop")
    page.click(f'tr[data-job="{owls}"] [data-action="rerun"]')
    page.wait_for_selector("#notice:has-text('submitted again')")
    assert page.locator("tr[data-job]").count() == 4
    newest = page.locator("tr[data-job]").first.get_attribute("data-job")
    rerun = pa.jobs.get(str(newest))
    assert rerun is not None and rerun.query == "snowy owls" and rerun.status == "scheduled"
    shoot(page, "my-jobs-rerun-desktop")
    assert page.locator(f'tr[data-job="{seals}"] [data-action="cancel"]').count() == 1
    phone = page_at(browser, "phone")
    phone.context.add_cookies(page.context.cookies())
    phone.goto(url + "/my-jobs")
    assert phone.locator("tr[data-job]").count() == 4
    shoot(phone, "my-jobs-phone")
    phone.context.close()
    page.context.close()


def test_gallery_of_400_images_is_paged(browser: Any, site: Any, tmp_path: Path) -> None:
    pa, url = site
    job_id = submit(pa, "mountain lakes at dawn", 400)
    deliver(pa, job_id, 400, tmp_path, licences=("CC BY 4.0", "CC0 1.0", "", "CC BY-SA 3.0"))
    page = page_at(browser)
    page.goto(f"{url}/jobs/{job_id}")
    load_all_images(page)
    assert page.locator(".ih-thumb").count() == 100
    assert "1–100 of 400" in page.inner_text("#gallery-title")  # noqa: RUF001
    assert "Licences: 100 CC BY, 100 CC BY-SA, 100 public domain, 100 unknown" in page.inner_text(
        "#licences"
    )
    shoot(page, "gallery-page-1-desktop")
    page.click("nav[aria-label='Gallery pages'] >> text=4")
    page.wait_for_selector("text=301–400 of 400")  # noqa: RUF001
    load_all_images(page)
    href = page.locator(".ih-thumb a[data-image-link]").first.get_attribute("href")
    assert href == f"/jobs/{job_id}/images/300"
    shoot(page, "gallery-page-4-desktop")
    with page.expect_download() as saved:
        page.locator(".ih-thumb a[download]").first.click()
    assert saved.value.suggested_filename == "0301_red-bicycles.jpg"
    page.context.close()


def test_links_only_crawl_done_with_its_count(browser: Any, site: Any) -> None:
    pa, url = site
    urls = ["https://photos.example.org/gallery", "https://photos.example.org/archive"]
    job_id = pa.jobs.create_crawl(CrawlRequest(urls, pa.clock.now(), tz=ZONE)).id
    claim = claim_now(pa, job_id)
    rows = [{"url": f"https://cdn.example.org/photos/{n:03d}.jpg", "source": "pages",
             "page_url": urls[n % 2]} for n in range(42)]  # fmt: skip
    assert pa.jobs.add_links(claim, rows, 0)
    assert pa.jobs.finish(claim, Outcome(DONE, "42 image links found on 2 pages", 0, 42, {},
                                         pages_done=2))  # fmt: skip
    for width in ("desktop", "phone"):
        page = page_at(browser, width)
        page.goto(f"{url}/jobs/{job_id}")
        assert page.get_attribute(".ih-status", "data-status") == "done"
        assert page.inner_text('[data-count="links"]') == "42"
        assert page.locator(".ih-links li").count() == 42
        assert "Fewer" not in page.content() and page.locator(".progress").count() == 0
        shoot(page, f"crawl-links-done-{width}")
        page.context.close()


def test_a_quick_job_never_stays_scheduled(browser: Any, site: Any, tmp_path: Path) -> None:
    pa, url = site
    job_id = submit(pa, "quick job", 3)
    page = page_at(browser)
    page.clock.install()
    page.clock.pause_at(local_now().replace(tzinfo=None) + timedelta(hours=1))
    with page.expect_response(lambda r: r.url.endswith(f"/jobs/{job_id}/live")):
        page.goto(f"{url}/jobs/{job_id}")  # polled at once, before any timer
    assert page.get_attribute(".ih-status", "data-status") == "scheduled"
    deliver(pa, job_id, 3, tmp_path)
    page.clock.run_for(1000)  # one second later, by the page's clock
    page.wait_for_selector('.ih-status[data-status="done"]', timeout=20_000)
    page.context.close()
