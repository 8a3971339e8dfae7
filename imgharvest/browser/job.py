"""``BrowserJob``: one job's browser context (guarded network, page cap, timeouts), closed after.

Every wait has a limit (``BROWSER_WAIT_SECONDS`` each, ``BROWSER_PAGE_SECONDS`` a page's
visit), and whatever goes wrong in Chromium comes out as ``BrowserError`` with one line:
no Playwright error, nor its call log, leaves this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from imgharvest.browser.host import BrowserHost, get_host, require
from imgharvest.browser.transport import BLOCKED_TYPES, GuardedTransport
from imgharvest.errors import BrowserError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, WebSocketRoute

    from imgharvest.events import EventSink
    from imgharvest.settings import Settings

T = TypeVar("T")
_API_NAME = re.compile(r"^[A-Za-z]+\.[A-Za-z]+: ")
VIEWPORT = {"width": 1366, "height": 900}
# Starting the browser (its launch has a limit of 30 s) and opening or closing a context.
CONTEXT_SECONDS = 40.0
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
        try:
            await asyncio.wait_for(self.host.call(self._open), CONTEXT_SECONDS)
        except TimeoutError as exc:
            raise BrowserError("chromium", f"did not start within {CONTEXT_SECONDS:g} s") from exc
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.wait_for(self.host.call(self._close), CONTEXT_SECONDS)
        except (TimeoutError, BrowserError) as error:  # the job's own outcome matters more
            self.events("warning", f"browser: the context did not close cleanly ({error})")

    async def visit(
        self, fn: Callable[..., Awaitable[T]], *args: Any, budget: float | None = None
    ) -> T:
        """Run ``fn(page, transport, *args)`` in a fresh page of this job's context, within
        ``budget`` seconds (``BROWSER_PAGE_SECONDS`` when not given); else ``BrowserError``."""
        limit = budget or self.settings.browser_page_seconds
        return await self.host.call(self._in_page, fn, limit, *args)

    # -- on the browser loop ----------------------------------------------
    async def _open(self) -> None:
        with _one_line("chromium"):
            await self._open_context()

    async def _open_context(self) -> None:
        browser = await self.host.browser(self.settings)
        await self.transport.start()
        context = await browser.new_context(
            user_agent=self.settings.user_agent, viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="en-US", service_workers="block", accept_downloads=False,
        )  # fmt: skip
        wait_ms = self.settings.browser_wait_seconds * 1000
        context.set_default_timeout(wait_ms)
        context.set_default_navigation_timeout(wait_ms)
        await context.add_init_script(NO_WEBRTC_NO_POPUPS)
        await context.route("**/*", self.transport.handle)
        await context.route_web_socket("**/*", _refuse_socket)
        self._context = context

    async def _close(self) -> None:
        try:
            if self._context is not None:
                context, self._context = self._context, None
                with _one_line("chromium"):
                    await context.close()
        finally:
            await self.transport.close()

    async def _in_page(self, fn: Callable[..., Awaitable[T]], limit: float, *args: Any) -> T:
        if self._context is None:
            raise RuntimeError("BrowserJob used outside 'async with'")
        what = str(args[0]) if args else "a page"
        async with self.host.slots(self.settings):
            with _one_line(what, self.settings.browser_wait_seconds):
                page: Page = await self._context.new_page()
            page.on("popup", _close)
            try:
                with _one_line(what, self.settings.browser_wait_seconds):
                    return await asyncio.wait_for(fn(page, self.transport, *args), limit)
            except TimeoutError as exc:
                raise BrowserError(what, f"the browser gave up after {limit:g} s") from exc
            finally:
                await self._close_page(page)

    async def _close_page(self, page: Page) -> None:
        """Close a page, however it is stuck (a script in a loop, a navigation)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(page.close(), self.settings.browser_wait_seconds)


@contextlib.contextmanager
def _one_line(what: str, wait: float | None = None) -> Iterator[None]:
    """Playwright's errors as ``BrowserError`` in our words: a wait past its limit, or the
    error's first line without Playwright's method name and call log."""
    from playwright.async_api import Error
    from playwright.async_api import TimeoutError as WaitedTooLong

    try:
        yield
    except WaitedTooLong as exc:
        said = f"no answer within {wait:g} s" if wait else "timed out"
        raise BrowserError(what, said) from exc
    except Error as exc:
        lines = str(exc).strip().splitlines()
        first = _API_NAME.sub("", lines[0]) if lines else type(exc).__name__
        raise BrowserError(what, first[:200]) from exc


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
