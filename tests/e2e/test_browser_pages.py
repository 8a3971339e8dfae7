"""The pages in real Chromium: the form's script (time zone, no past dates, inline errors),
submitting, the job page refreshing itself, and screenshots of every page at two widths."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.web_support import PagesApp, build_pages_app, claim_now, deliver, web_settings

pw = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Screenshots go to build/ (ignored); `make screenshots` copies them into docs/.
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
ZONE = "Europe/Berlin"


class LiveServer:
    """Uvicorn serving an app on a free loopback port, in a thread, until ``stop``."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    with pw.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[PagesApp, str]]:
    pa = build_pages_app(web_settings(tmp_path))
    server = LiveServer(pa.app).start()
    yield pa, server.url
    server.stop()
    pa.close()


def page_at(browser: Any, width: str = "desktop", js: bool = True) -> Any:
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, timezone_id=ZONE, java_script_enabled=js
    )
    return context.new_page()


def wait_true(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Poll ``expression`` in the page. (``wait_for_function`` compiles its predicate with
    ``eval``, which the pages' Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        page.wait_for_timeout(100)


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def local_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ZONE))


def fill_form(page: Any, day: str, at: str, query: str = "red vintage bicycles") -> None:
    page.fill("#search-query", query)
    page.fill("#email", "ada@example.com")
    page.fill("#images", "24")
    page.fill("#date", day)
    page.fill("#time", at)


# -- behaviour ---------------------------------------------------------------


def test_form_fills_tz_and_keeps_past_dates_out(browser: Any, site: Any) -> None:
    pa, url = site
    page = page_at(browser)
    page.goto(url + "/")
    assert page.input_value("#tz") == ZONE
    today = local_now().date()
    assert page.get_attribute("#date", "min") == today.isoformat()
    fill_form(page, (today - timedelta(days=1)).isoformat(), "10:00")
    page.click("button[type=submit]")
    error = page.locator('[data-error-for="date"]')
    assert error.inner_text() == "Date/time is in the past."
    assert page.get_attribute("#date", "aria-invalid") == "true"
    assert page.url == url + "/"
    assert pa.jobs.recent() == []
    page.context.close()


def test_form_shows_every_missing_field_inline(browser: Any, site: Any) -> None:
    pa, url = site
    page = page_at(browser)
    page.goto(url + "/")
    page.fill("#email", "wsq.wee@")
    page.fill("#images", "501")
    page.click("button[type=submit]")
    texts = {
        name: page.locator(f'[data-error-for="{name}"]').inner_text()
        for name in ("search-query", "date", "time", "email", "images")
    }
    assert texts == {
        "search-query": "Search query is required.",
        "date": "Date is required.",
        "time": "Time is required.",
        "email": "Email is invalid.",
        "images": "Number of images cannot be greater than 500.",
    }
    assert page.evaluate("document.activeElement.id") == "search-query"
    shoot(page, "form-errors-desktop")
    assert pa.jobs.recent() == []
    page.context.close()


def test_form_submits_in_the_browser_zone(browser: Any, site: Any) -> None:
    pa, url = site
    page = page_at(browser)
    page.goto(url + "/")
    tomorrow = (local_now() + timedelta(days=1)).date().isoformat()
    fill_form(page, tomorrow, "09:30")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Job submitted")
    jobs = pa.jobs.recent()
    assert len(jobs) == 1 and jobs[0].request["tz"] == ZONE
    from zoneinfo import ZoneInfo

    expected = datetime.fromisoformat(f"{tomorrow}T09:30").replace(tzinfo=ZoneInfo(ZONE))
    assert jobs[0].run_at == expected.astimezone(UTC)
    assert page.url == f"{url}/jobs/{jobs[0].id}?submitted=1"  # the form's answer: 303
    page.wait_for_selector('[data-status="scheduled"]')
    page.context.close()


def test_job_page_refreshes_itself(browser: Any, site: Any) -> None:
    pa, url = site
    page = page_at(browser)
    job_id = submit(pa)
    claim = claim_now(pa, job_id)
    page.goto(f"{url}/jobs/{job_id}")
    assert page.inner_text('[data-count="kept"]') == "0"
    pa.jobs.progress(claim, tried=30, kept=11, rejected={"not_image": 5})
    wait_true(page, "document.querySelector('[data-count=\"kept\"]').textContent === '11'")
    assert "not an image" in page.inner_text("#job-live")
    page.context.close()


# -- screenshots -------------------------------------------------------------


def submit(pa: PagesApp, query: str = "red vintage bicycles", count: int = 24) -> str:
    from imgharvest.service.schemas import SearchRequest

    run_at = pa.clock.now() + timedelta(minutes=2)
    req = SearchRequest(query, run_at, "ada@example.com", count, tz=ZONE)
    return pa.jobs.create_search(req, client="127.0.0.1").id


def fake_run(pa: PagesApp, job_id: str) -> Any:
    claim = claim_now(pa, job_id)
    for message in ("bing: page 1: 35 candidates", "duckduckgo: page 1: 100 candidates"):
        pa.jobs.event(job_id, "info", message)
    pa.jobs.event(job_id, "warning", "img.example.net: HTTP 404 for 3 images")
    pa.jobs.progress(claim, 41, 13, {"http_error": 3, "duplicate_exact": 4, "not_image": 2})
    return claim


@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshots(browser: Any, site: Any, width: str, tmp_path: Path) -> None:
    pa, url = site
    page = page_at(browser, width)
    page.goto(url + "/")
    shoot(page, f"form-{width}")
    page.goto(url + "/crawl")
    shoot(page, f"crawl-form-{width}")
    fill_form(
        page_goto(page, url + "/"), (local_now() + timedelta(days=1)).date().isoformat(), "09:30"
    )
    page.click("button[type=submit]")
    page.wait_for_selector("text=Job submitted")
    shoot(page, f"submitted-{width}")
    running = submit(pa)
    fake_run(pa, running)
    page.goto(f"{url}/jobs/{running}")
    shoot(page, f"job-running-{width}")
    done = submit(pa, "mountain lakes at dawn", 12)
    deliver(pa, done, 12, tmp_path)
    page.goto(f"{url}/jobs/{done}")
    wait_true(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".ih-thumb img").count() == 12
    shoot(page, f"job-done-{width}")
    download = page.get_attribute("#download", "href")
    assert download is not None
    pa.clock.advance(pa.settings.link_ttl_seconds + 1)
    response = page.goto(url + download.removeprefix(pa.settings.public_url))
    assert response is not None and response.status == 410
    shoot(page, f"expired-{width}")
    page.context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_error_page_screenshot(browser: Any, site: Any, width: str) -> None:
    _, url = site
    page = page_at(browser, width, js=False)  # the server's own check, without the script's
    page.goto(url + "/")
    fill_form(page, "2001-01-01", "10:00", query="<b>owls</b>")
    page.fill("#email", "wsq.wee@")
    with page.expect_response(lambda r: r.url.endswith("/jobs")) as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 400
    assert "&lt;b&gt;owls&lt;/b&gt;" in page.content()
    summary = page.inner_text("#error-summary")
    assert "Date: date/time is in the past" in summary and "Email: email is invalid" in summary
    shoot(page, f"error-{width}")
    page.context.close()


def page_goto(page: Any, url: str) -> Any:
    page.goto(url)
    return page
