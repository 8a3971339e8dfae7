"""The process's one Chromium: started lazily on its own thread and event loop, then reused.

Playwright objects belong to the loop that made them, while jobs run on many
loops (a CLI run, each worker thread); so the browser lives on one loop of its
own and callers hand it coroutines through ``BrowserHost.call``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from imgharvest.errors import ConfigError

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

    from imgharvest.settings import Settings

T = TypeVar("T")

# Flags that work in containers without a GPU or a user namespace; the rest keep
# Chromium from talking to Google's services behind our back.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--dns-prefetch-disable",
    # Every request is intercepted and fetched through the guard; should anything escape
    # interception (a preconnect, a prefetch), Chromium itself can resolve no name and
    # reach no address: its only proxy is a local port where nothing listens, loopback
    # included (otherwise exempt from proxies).
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-bypass-list=<-loopback>",
    # WebRTC is not HTTP and passes no interception: no UDP at all, and TCP only through
    # that proxy (so nowhere); nor may a page read the machine's addresses.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--enforce-webrtc-ip-permission-check",
)
LAUNCH_TIMEOUT_MS = 30_000
EXTRA_HINT = "install the 'browser' extra (pip install 'imgharvest[browser]')"


def unavailable(settings: Settings) -> str | None:
    """Why the browser features cannot run with these settings, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return f"Playwright is not installed: {EXTRA_HINT}"
    path = Path(settings.browser_path)
    if not path.is_file() or not os.access(path, os.X_OK):
        return f"no Chromium at {path} (set IMGHARVEST_BROWSER_PATH)"
    return None


def require(settings: Settings) -> None:
    """Raise ``ConfigError`` with the reason when the browser cannot run."""
    why = unavailable(settings)
    if why is not None:
        raise ConfigError(f"the browser is unavailable: {why}")


class BrowserHost:
    """One Chromium for the process, on a daemon thread with its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._starting: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None
        self._dead: socket.socket | None = None
        self.launches = 0

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` on the browser's loop and await its result from any loop."""
        future = asyncio.run_coroutine_threadsafe(_coroutine(fn, *args), self._ensure_loop())
        return await asyncio.wrap_future(future)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="imgharvest-browser", daemon=True
                )
                self._thread.start()
            return self._loop

    # -- on the browser loop ----------------------------------------------
    async def browser(self, settings: Settings) -> Browser:
        """The running browser, launched on first use (or again if it died)."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._browser is None or not self._browser.is_connected():
                self._browser = await self._launch(settings)
            return self._browser

    def slots(self, settings: Settings) -> asyncio.Semaphore:
        """The cap on pages open at once in this process (``BROWSER_CONCURRENCY``)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(settings.browser_concurrency)
        return self._slots

    async def _launch(self, settings: Settings) -> Browser:
        require(settings)
        from playwright.async_api import async_playwright

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        self.launches += 1
        return await self._playwright.chromium.launch(
            executable_path=str(settings.browser_path),
            args=[*FLAGS, f"--proxy-server=http://127.0.0.1:{self._dead_port()}"],
            headless=True,
            timeout=LAUNCH_TIMEOUT_MS,
        )

    def _dead_port(self) -> int:
        """A loopback port held (bound, never listening) while the host lives: whatever
        connects to it is refused, and nobody else can take it."""
        if self._dead is None:
            self._dead = socket.socket()
            self._dead.bind(("127.0.0.1", 0))
        return int(self._dead.getsockname()[1])

    async def _close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None
        if self._dead is not None:
            self._dead.close()
            self._dead = None

    def close(self) -> None:
        """Close the browser and stop its thread (at exit, or in tests)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        # Best effort: at exit the process is going anyway.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
        self._starting = self._slots = None


async def _coroutine(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return await fn(*args)


_HOST: BrowserHost | None = None
_HOST_LOCK = threading.Lock()


def get_host() -> BrowserHost:
    """The process's browser host, made on first use (and closed at exit)."""
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = BrowserHost()
            atexit.register(_HOST.close)
        return _HOST
