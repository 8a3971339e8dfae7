"""The pages in real Chromium under their Content-Security-Policy: nothing is blocked, the
form still submits (same-origin), a cross-site form post is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_browser_pages import browser, fill_form, local_now, page_at, site, submit
from tests.waiting import wait_for
from tests.web_support import claim_now, deliver

# ``browser`` and ``site`` are the page tests' fixtures (Chromium, a live site), shared.
__all__ = ["browser", "site"]

pytestmark = pytest.mark.browser


def violations(page: Any) -> list[str]:
    seen: list[str] = []
    page.on(
        "console", lambda msg: seen.append(msg.text) if "Content Security" in msg.text else None
    )
    return seen


def test_pages_run_under_their_policy_without_violations(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    pa, url = site
    page = page_at(browser)
    blocked = violations(page)
    page.goto(url + "/")
    fill_form(page, (local_now() + timedelta(days=1)).date().isoformat(), "09:30")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Job submitted")
    running = submit(pa)
    claim = claim_now(pa, running)
    pa.jobs.progress(claim, tried=10, kept=6, rejected={})
    page.goto(f"{url}/jobs/{running}")
    bar = page.locator(".progress-bar").first
    # the live part is swapped in by the page's first poll; its bar is drawn in the next frame
    wait_for(lambda: bar.evaluate("el => el.getBoundingClientRect().width") > 0, timeout=5)
    done = submit(pa, "mountain lakes at dawn", 3)
    deliver(pa, done, 3, tmp_path)
    page.goto(f"{url}/jobs/{done}")
    page.goto(f"{url}/crawl")
    assert blocked == []
    page.context.close()


def test_a_cross_site_form_post_is_refused_in_the_browser(browser: Any, site: Any) -> None:
    pa, url = site
    job_id = submit(pa)
    evil = page_at(browser)
    # A page on another origin (a data: URL) posting to the cancel endpoint, as a CSRF would.
    evil.set_content(f'<form method="post" action="{url}/api/v1/jobs/{job_id}/cancel"></form>')
    with evil.expect_navigation():
        evil.evaluate("document.forms[0].submit()")
    assert "cross-site request refused" in evil.content()
    view = pa.jobs.get(job_id)
    assert view is not None and view.status == "scheduled"
    evil.context.close()


def test_api_docs_inline_start_script_is_allowed_by_its_policy(browser: Any, site: Any) -> None:
    _, url = site
    page = page_at(browser)
    # Nothing leaves the machine: asset hosts other than the site itself are cut off.
    page.context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(url) else route.abort(),
    )
    blocked = violations(page)
    answer = page.goto(url + "/docs")
    assert answer is not None and answer.status == 200
    page.wait_for_load_state("load")
    assert blocked == []
    page.context.close()
