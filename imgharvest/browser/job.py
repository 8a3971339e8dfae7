"""``BrowserJob``: one job's browser context (guarded network, page cap, timeouts), closed after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from imgharvest.browser.host import BrowserHost, get_host, require
from imgharvest.browser.transport import BLOCKED_TYPES, GuardedTransport

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, WebSocketRoute

    from imgharvest.events import EventSink
    from imgharvest.settings import Settings

T = TypeVar("T")
VIEWPORT = {"width": 1366, "height": 900}
# A page's whole visit (load, scroll, settle, read) after which it is abandoned.
PAGE_BUDGET_SECONDS = 90.0
# Starting the browser and opening or closing a context.
CONTEXT_SECONDS = 60.0
# In every frame before the page's own script, beside the launch flags (``host.FLAGS``): the
# page finds no WebRTC, as in a browser built without it; ``window.open`` opens nothing, and
# a click (only ever the page's own: nobody clicks in a render) opens no new window. Windows
# opened otherwise (a form sent to ``_blank``) are closed at once.
NO_WEBRTC_NO_POPUPS = """
(() => {
  const gone = ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel",
                "RTCIceCandidate", "RTCSessionDescription", "RTCRtpSender", "RTCRtpReceiver"];
  const fix = (name, value) => {
    try {
      Object.defineProperty(window, name, {value, writable: false, configurable: false});
    } catch (e) {}
  };
  for (const name of gone) fix(name, undefined);
  fix("open", () => null);
  const here = ["", "_self", "_top", "_parent"];
  window.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("a[target], area[target]");
    if (link && !here.includes(link.target.toLowerCase())) event.preventDefault();
  }, true);
})();
"""


class BrowserJob:
    """``async with BrowserJob(settings, events) as job: await job.visit(fn, url)``.

    Everything Playwright happens on the host's loop; this object only carries
    calls there, so it works from any event loop or thread.
    """

    def __init__(
        self,
        settings: Settings,
        events: EventSink,
        *,
        blocked: frozenset[str] = BLOCKED_TYPES,
        host: BrowserHost | None = None,
    ) -> None:
        require(settings)
        self.settings = settings
        self.host = host or get_host()
        self.events = _threadsafe(events, asyncio.get_running_loop())
        self.transport = GuardedTransport(settings, self.events, blocked)
        self._context: BrowserContext | None = None

    async def __aenter__(self) -> BrowserJob:
        await asyncio.wait_for(self.host.call(self._open), CONTEXT_SECONDS)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.wait_for(self.host.call(self._close), CONTEXT_SECONDS)

    async def visit(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(page, transport, *args)`` in a fresh page of this job's context."""
        return await self.host.call(self._in_page, fn, *args)

    # -- on the browser loop ----------------------------------------------
    async def _open(self) -> None:
        browser = await self.host.browser(self.settings)
        await self.transport.start()
        context = await browser.new_context(
            user_agent=self.settings.user_agent, viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="en-US", service_workers="block", accept_downloads=False,
        )  # fmt: skip
        timeout_ms = self.settings.total_timeout * 1000
        context.set_default_timeout(timeout_ms)
        context.set_default_navigation_timeout(timeout_ms)
        await context.add_init_script(NO_WEBRTC_NO_POPUPS)
        await context.route("**/*", self.transport.handle)
        await context.route_web_socket("**/*", _refuse_socket)
        self._context = context

    async def _close(self) -> None:
        if self._context is not None:
            await self._context.close()
            self._context = None
        await self.transport.close()

    async def _in_page(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        if self._context is None:
            raise RuntimeError("BrowserJob used outside 'async with'")
        async with self.host.slots(self.settings):
            page: Page = await self._context.new_page()
            page.on("popup", _close)
            try:
                return await asyncio.wait_for(fn(page, self.transport, *args), PAGE_BUDGET_SECONDS)
            finally:
                await page.close()


async def _close(popup: Page) -> None:
    """A window the page opened itself is not read: closed at once."""
    from playwright.async_api import Error

    with contextlib.suppress(Error):
        await popup.close()


async def _refuse_socket(socket: WebSocketRoute) -> None:
    """WebSockets cannot pass the guard's fetch: refused, never connected."""
    await socket.close(code=1008, reason="refused by imgharvest")


def _threadsafe(events: EventSink, loop: asyncio.AbstractEventLoop) -> EventSink:
    """A sink that delivers on ``loop`` (the caller's), whichever thread reports."""

    def sink(level: str, message: str) -> None:
        try:
            loop.call_soon_threadsafe(events, level, message)
        except RuntimeError:  # the caller's loop is gone: nobody is listening any more
            return

    return sink
