"""Issue 17, acceptance 1 (and issue 19's original form) in real Chromium against the whole
service: submitting the form, reloading the job page, going back and sending the same form
again make one job and one set of mails."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import SmtpSink
from tests.e2e.test_browser_pages import browser
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.waiting import wait_for

pw = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the page tests

QUERY = "once only otters"
ADDRESS = "once@example.org"


def job_id_of(url: str, base: str) -> str:
    path = url.removeprefix(base)
    assert path.startswith("/jobs/") and path.endswith("?submitted=1"), url
    return path.removeprefix("/jobs/").removesuffix("?submitted=1")


def status_of(base: str, job_id: str) -> str:
    return str(httpx.get(f"{base}/api/v1/jobs/{job_id}", timeout=10).json()["status"])


POST_FORM = """([action, fields]) => {
    const form = document.createElement("form");
    form.method = "post"; form.action = action;
    for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
    }
    document.body.appendChild(form);
    HTMLFormElement.prototype.submit.call(form);
}"""


def post_from_page(page: Any, action: str, fields: dict[str, str]) -> None:
    """A form post from the page shown (its cookies, its Origin), as a browser sends it; waits
    for where it leads."""
    with page.expect_navigation():
        page.evaluate(POST_FORM, [action, fields])


@pytest.mark.timeout(120)
def test_reload_and_resend_make_one_job_and_one_set_of_mails(
    browser: Any, run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    fakeweb.add_catalog(QUERY, cat.good(3, start=9300, prefix="oo"))
    services = run_service(sources=["bing"])
    base = f"http://127.0.0.1:{services.settings.port}"
    page = browser.new_context().new_page()
    page.goto(base + "/")
    page.fill("#search-query", QUERY)
    page.fill("#email", ADDRESS)
    page.fill("#images", "3")
    page.check("#start-now")
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.click("button[type=submit]")
    page.wait_for_selector("#submitted")
    job_id = job_id_of(page.url, base)
    sent = dict(httpx.QueryParams(posted.value.post_data or ""))
    assert sent["csrf_token"] and sent["search-query"] == QUERY

    page.reload()  # a GET of the job page: nothing is sent again
    assert job_id_of(page.url, base) == job_id
    page.go_back()
    assert page.url == base + "/"
    post_from_page(page, "/jobs", sent)  # the same form sent again: same fields, same token
    assert job_id_of(page.url, base) == job_id  # the same job's page, not a new job

    wait_for(lambda: status_of(base, job_id) == "done", timeout=60)
    wait_for(lambda: len(smtp_sink.of_kind("are ready")) >= 1, timeout=30)
    time.sleep(2)  # a second set of mails would arrive now
    assert [view.id for view in services.jobs.recent()] == [job_id]
    mine = [m for m in smtp_sink.messages if m["To"] == ADDRESS]
    endings = sorted(str(m["Subject"]).split("”")[-1] for m in mine)
    assert endings == [" are being collected", " are ready"], endings
    page.context.close()


def test_the_original_form_posted_from_this_site_lands_on_its_job(
    browser: Any, run_service: Any
) -> None:
    services = run_service(sources=["bing"])
    base = f"http://127.0.0.1:{services.settings.port}"
    page = browser.new_context().new_page()
    page.goto(base + "/")  # a page of this site: Chromium sends its Origin and Sec-Fetch-Site
    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    fields = {"search-query": "original owls", "date": day, "time": "9:30",
              "email": "orig@example.org", "images": "4"}  # fmt: skip
    post_from_page(page, "/job_submitted", fields)
    job_id = job_id_of(page.url, base)
    (view,) = services.jobs.recent()
    assert view.id == job_id and view.query == "original owls" and view.wanted == 4
    page.context.close()
