"""The browser seam: one browser per host, reused; the page cap; fonts and media never loaded;
unavailable with a reason when the extra or the binary is missing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from imgharvest.browser import BrowserJob, unavailable
from imgharvest.browser.host import BrowserHost
from imgharvest.browser.render import render_page
from imgharvest.errors import ConfigError
from imgharvest.events import EventList
from tests.fakeweb import FakeWeb

pytest.importorskip("playwright.async_api")


def test_unavailable_without_the_binary_says_why(make_settings: Any) -> None:
    why = unavailable(make_settings(browser_path="/nonexistent/chromium"))
    assert why is not None and "/nonexistent/chromium" in why and "BROWSER_PATH" in why


async def test_a_job_without_a_browser_is_a_config_error(make_settings: Any) -> None:
    with pytest.raises(ConfigError, match="browser is unavailable"):
        BrowserJob(make_settings(browser_path="/nonexistent/chromium"), EventList())


@pytest.mark.browser
async def test_one_browser_started_lazily_and_reused_across_jobs(
    make_settings: Any, fakeweb: FakeWeb, host: BrowserHost
) -> None:
    settings = make_settings()
    assert host.launches == 0  # nothing started before the first job
    for _ in range(2):
        async with BrowserJob(settings, EventList(), host=host) as job:
            rendered = await job.visit(render_page, f"{fakeweb.url}/render/lazy")
            assert rendered.title == "Lazy gallery"
    assert host.launches == 1


@pytest.mark.browser
async def test_pages_open_at_once_capped_by_browser_concurrency(
    make_settings: Any, host: BrowserHost
) -> None:
    settings = make_settings(browser_concurrency=2)
    open_now, most = 0, 0

    async def hold(page: Any, transport: Any) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        await asyncio.sleep(0.3)
        open_now -= 1

    async with BrowserJob(settings, EventList(), host=host) as job:
        await asyncio.gather(*(job.visit(hold) for _ in range(6)))
    assert most == 2


@pytest.mark.browser
async def test_fonts_and_media_are_never_fetched(
    make_settings: Any, fakeweb: FakeWeb, host: BrowserHost
) -> None:
    async with BrowserJob(make_settings(), EventList(), host=host) as job:
        await job.visit(render_page, f"{fakeweb.url}/render/assets")
    assert fakeweb.hits["/render/asset/picture.jpg"] >= 1  # the page did load its image
    for name in ("font.woff2", "movie.mp4", "sound.mp3"):
        assert fakeweb.hits[f"/render/asset/{name}"] == 0, name


@pytest.mark.browser
async def test_a_job_s_pages_find_no_webrtc_and_open_no_window(
    make_settings: Any, fakeweb: FakeWeb, host: BrowserHost
) -> None:
    """The init script, beside the launch flags: in the page and in its frames, and for good."""
    script = """() => {
      delete window.RTCPeerConnection;
      const frame = document.createElement("iframe");
      document.body.appendChild(frame);
      return [typeof RTCPeerConnection, typeof webkitRTCPeerConnection, typeof RTCDataChannel,
              window.open("/render/lazy"), typeof frame.contentWindow.RTCPeerConnection];
    }"""

    async def probe(page: Any, transport: Any) -> Any:
        await page.goto(f"{fakeweb.url}/render/lazy")
        return await page.evaluate(script)

    async with BrowserJob(make_settings(), EventList(), host=host) as job:
        found = await job.visit(probe)
    assert found == ["undefined", "undefined", "undefined", None, "undefined"]
