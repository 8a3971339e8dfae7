"""The browser seam's limits (issue 19): every wait ends within ``BROWSER_WAIT_SECONDS`` and
every visit within its budget, and what goes wrong comes out as one line, never as a
Playwright error with its call log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from imgharvest.browser import BrowserJob
from imgharvest.browser.crawl import RenderedReader
from imgharvest.browser.host import BrowserHost
from imgharvest.browser.render import render_page
from imgharvest.errors import BrowserError
from imgharvest.events import EventList
from tests.fakeweb import FakeWeb
from tests.fakeweb import google as fake_google

pytest.importorskip("playwright.async_api")

PLAYWRIGHT_NOISE = ("Call log", "Page.goto", "playwright", "Traceback", "\n")


def reloading_page(fakeweb: FakeWeb) -> str:
    """A page whose script loads it again before it is parsed, for ever (Google's challenge)."""
    return f"{fakeweb.url}/search?q={fake_google.CHALLENGE}"


def one_line(text: str) -> None:
    for noise in PLAYWRIGHT_NOISE:
        assert noise not in text, text


@pytest.mark.browser
async def test_a_navigation_that_never_settles_ends_at_the_wait_limit(
    make_settings: Any, fakeweb: FakeWeb, host: BrowserHost
) -> None:
    settings = make_settings(browser_wait_seconds=2.0)
    started = time.monotonic()
    async with BrowserJob(settings, EventList(), host=host) as job:
        with pytest.raises(BrowserError) as caught:
            await job.visit(render_page, reloading_page(fakeweb))
    assert time.monotonic() - started < 15  # 2 s for the load, plus the browser's start
    assert caught.value.reason == "no answer within 2 s"
    assert caught.value.url == reloading_page(fakeweb)
    one_line(str(caught.value))


@pytest.mark.browser
async def test_a_visit_past_its_budget_is_given_up(make_settings: Any, host: BrowserHost) -> None:
    async def dawdle(page: Any, transport: Any, what: str) -> None:
        await asyncio.sleep(30)

    started = time.monotonic()
    async with BrowserJob(make_settings(), EventList(), host=host) as job:
        with pytest.raises(BrowserError, match=r"the browser gave up after 1 s"):
            await job.visit(dawdle, "slow work", budget=1.0)
        # the page was closed and its slot given back: the context still works
        assert await job.visit(_title_of_blank) == ""
    assert time.monotonic() - started < 15


async def _title_of_blank(page: Any, transport: Any) -> str:
    return str(await page.title())


@pytest.mark.browser
async def test_a_page_error_is_one_line_without_playwright_words(
    make_settings: Any, host: BrowserHost
) -> None:
    async with BrowserJob(make_settings(), EventList(), host=host) as job:
        with pytest.raises(BrowserError) as caught:
            await job.visit(render_page, "http://127.0.0.1:9/nothing-listens")
    assert caught.value.reason.startswith("net::ERR_")  # the browser's own reason
    one_line(str(caught.value))


@pytest.mark.browser
async def test_a_rendered_crawl_tells_a_stuck_page_as_one_event(
    make_settings: Any, fakeweb: FakeWeb
) -> None:
    """What a crawl job's events show: one warning line, and the crawl goes on."""
    events = EventList()
    reader = RenderedReader(make_settings(browser_wait_seconds=2.0), events)
    try:
        assert await reader.read(reloading_page(fakeweb)) is None
        page = await reader.read(f"{fakeweb.url}/render/lazy")
    finally:
        await reader.close()
    assert page is not None and page.images
    warnings = events.messages("warning")
    assert warnings == [
        f"pages: {reloading_page(fakeweb)} could not be rendered (no answer within 2 s)"
    ]
    one_line(warnings[0])
