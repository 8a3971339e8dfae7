"""The browser's only way out: every request Chromium makes is fetched here, through the guard.

Chromium never opens a connection itself. Each request is intercepted
(``context.route("**/*")``), checked by the network guard and fetched by an
aiohttp session whose resolver drops refused DNS answers, then handed back with
``route.fulfill``. So the address checked is the address connected (no DNS
rebinding window), redirects come back to Chromium as 3xx and are intercepted
again, and a refused request never leaves the machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from imgharvest.errors import FetchError, GuardError
from imgharvest.net.guard import GuardedResolver, NetworkGuard

if TYPE_CHECKING:
    from playwright.async_api import Request, Route

    from imgharvest.events import EventSink
    from imgharvest.settings import Settings

# Fonts and media are never needed to find images; websockets cannot be guarded here.
BLOCKED_TYPES = frozenset({"font", "media", "websocket", "eventsource", "manifest", "texttrack"})
DROP_REQUEST = frozenset(
    {"host", "connection", "keep-alive", "content-length", "transfer-encoding", "upgrade",
     "te", "trailer", "proxy-authorization", "proxy-connection", "accept-encoding"}
)  # fmt: skip
# aiohttp has already decoded the body, so its encoding and length no longer apply.
DROP_RESPONSE = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
ACCEPT_ENCODING = "gzip, deflate"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CREDENTIALS = frozenset({"cookie", "authorization", "proxy-authorization"})
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """One response to hand back to Chromium."""

    status: int
    headers: dict[str, str]
    body: bytes


class GuardedTransport:
    """Fetches intercepted browser requests through the network guard; counts what it did."""

    def __init__(
        self, settings: Settings, events: EventSink, blocked: frozenset[str] = BLOCKED_TYPES
    ) -> None:
        self.settings, self.events, self.blocked = settings, events, blocked
        self.guard = NetworkGuard(settings.networks)
        self.refused: list[str] = []
        self.moved: dict[str, str] = {}
        self.observers: list[Callable[[str, Answer], None]] = []
        self.fetched = 0
        self.inflight = 0
        self.last_activity = time.monotonic()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the guarded session (on the browser's loop)."""
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.per_host_concurrency, resolver=GuardedResolver(self.guard)
        )
        timeout = aiohttp.ClientTimeout(
            total=s.total_timeout, connect=s.connect_timeout, sock_read=s.read_timeout
        )
        # Chromium keeps its own cookies and sends them with each request.
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def handle(self, route: Route) -> None:
        """The route handler: refuse, fetch or block one request, never let Chromium connect."""
        from playwright.async_api import Error

        request = route.request
        if request.resource_type in self.blocked or _popup(request):
            await _abort(route, "blockedbyclient")
            return
        self.inflight += 1
        try:
            answer = await self.fetch(request)
        except GuardError as exc:
            self.refused.append(request.url)
            self.events("warning", f"browser: refused {exc.url[:200]} ({exc.reason})")
            await _abort(route, "blockedbyclient")
            return
        except (FetchError, aiohttp.ClientError, TimeoutError, ValueError, Error):
            # Error: the request's page or frame went away meanwhile.
            await _abort(route, "failed")
            return
        finally:
            self.inflight -= 1
            self.last_activity = time.monotonic()
        await _fulfill(route, answer)

    async def fetch(self, request: Request) -> Answer:
        """The answer for one intercepted request, every redirect hop checked by the guard.

        Chromium would take a redirect handed back to it straight to the network
        (Playwright does not intercept redirect hops), so hops are followed here. A
        top-level navigation that redirects gets an empty page instead, and the
        target is kept in ``moved`` for ``render.follow_moves`` to navigate to, so
        the page's URL (and the base of its relative links) is the final one.
        """
        url = URL(request.url, encoded=True)
        headers = _forward(await request.all_headers())
        method, data = request.method, request.post_data_buffer
        s = self.settings
        cap = s.max_image_bytes if request.resource_type == "image" else s.max_page_bytes
        top = request.is_navigation_request() and request.frame.parent_frame is None
        cookies: list[str] = []
        for _ in range(self.settings.max_redirects + 1):
            answer = await self._hop(method, url, headers, data, cap)
            location = answer.headers.get("location") if answer.status in REDIRECTS else None
            if location is None:
                return _with_cookies(answer, cookies)
            cookies += answer.headers.get("set-cookie", "").splitlines()
            target = url.join(URL(location))
            if top:
                self.moved[request.url] = str(target)
                return _with_cookies(Answer(200, {"content-type": "text/html"}, b""), cookies)
            if target.origin() != url.origin():
                headers = {k: v for k, v in headers.items() if k not in CREDENTIALS}
            url, method, data = target, "GET", None
        raise FetchError(str(url), "too_many_redirects")

    async def _hop(
        self, method: str, url: URL, headers: dict[str, str], data: bytes | None, cap: int
    ) -> Answer:
        if self._session is None:
            raise RuntimeError("GuardedTransport used before start()")
        await self.guard.check_url(url, resolve=False)
        async with self._session.request(
            method, url, headers=headers, data=data, allow_redirects=False
        ) as resp:
            body = await self._read(resp, cap)
            self.fetched += 1
            answer = Answer(resp.status, _back(resp.headers), body)
        for observe in self.observers:
            observe(str(url), answer)
        return answer

    async def _read(self, resp: aiohttp.ClientResponse, cap: int) -> bytes:
        body = bytearray()
        async for chunk in resp.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > cap:
                raise FetchError(str(resp.url), "too_large")
        return bytes(body)

    async def quiet(self, idle: float, bound: float) -> bool:
        """Wait until no request has been in flight for ``idle`` seconds, at most ``bound``."""
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            calm = time.monotonic() - self.last_activity
            if self.inflight == 0 and calm >= idle:
                return True
            await asyncio.sleep(min(idle, 0.05))
        return False


def _popup(request: Request) -> bool:
    """Whether this is the first navigation of a window the page opened itself (its frame does
    not exist yet): popups are not read, and are closed (``BrowserJob``)."""
    from playwright.async_api import Error

    if not request.is_navigation_request():
        return False
    try:
        return request.frame is None
    except Error:
        return True


def _with_cookies(answer: Answer, cookies: list[str]) -> Answer:
    """``answer`` carrying the cookies its redirect hops set (a consent page sets one)."""
    if not cookies:
        return answer
    own = answer.headers.get("set-cookie", "").splitlines()
    headers = {**answer.headers, "set-cookie": "\n".join([*cookies, *own])}
    return Answer(answer.status, headers, answer.body)


def _forward(headers: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() not in DROP_REQUEST}
    kept["accept-encoding"] = ACCEPT_ENCODING
    return kept


def _back(headers: aiohttp.typedefs.LooseHeaders) -> dict[str, str]:
    """Response headers for Chromium; repeated ones (Set-Cookie) joined by newlines."""
    joined: dict[str, str] = {}
    for key, value in headers.items():  # type: ignore[union-attr]
        name = key.lower()
        if name in DROP_RESPONSE:
            continue
        joined[name] = f"{joined[name]}\n{value}" if name in joined else value
    return joined


async def _abort(route: Route, code: str) -> None:
    from playwright.async_api import Error

    try:
        await route.abort(code)
    except Error:  # the page went away meanwhile
        return


async def _fulfill(route: Route, answer: Answer) -> None:
    from playwright.async_api import Error

    try:
        await route.fulfill(status=answer.status, headers=answer.headers, body=answer.body)
    except Error:
        return
