"""The ``google`` source's fallback: the normal Images page in Chromium (consent, scrolling),
read from the page's script data and every answer it loaded; thumbnails are never fetched.

Google's JavaScript challenge reloads itself in a browser for ever; it is told as a block the
moment its document arrives, and the whole visit has a short limit of its own.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlencode, urlsplit

from imgharvest.browser.job import BrowserJob
from imgharvest.browser.render import follow_moves, load, scroll_to_end
from imgharvest.browser.transport import BLOCKED_TYPES, Answer
from imgharvest.errors import BrowserError, LayoutChanged, SourceBlocked
from imgharvest.sources.base import Candidate
from imgharvest.sources.google_answers import (
    CHALLENGE,
    imgres,
    is_challenge,
    is_js_wall,
    is_thumbnail,
    title_of,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

    from imgharvest.browser.transport import GuardedTransport
    from imgharvest.sources.common import PagedSource

# Google's result data: ["<url>",<height>,<width>], thumbnails first, then the original.
_TRIPLE = re.compile(r'\[\s*"(https?:(?:[^"\\]|\\.)+)"\s*,\s*(\d+)\s*,\s*(\d+)\s*\]')
_IMGRES = re.compile(r"""/imgres\?[^"'<>\s]+""")
CONSENT_BUTTON = re.compile(
    r"accept all|i agree|alle akzeptieren|tout accepter|aceptar todo|accetta tutto", re.I
)
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/x-javascript")
SCROLL_STEPS = 25
QUIET_SECONDS, QUIET_BOUND = 0.3, 5.0
BODY_CAP = 4 * 1024 * 1024
# The visit of the Images page: a block must be told well within 20 s of asking Google.
VISIT_SECONDS = 15.0
T = TypeVar("T")


async def images_page(source: PagedSource, query: str) -> list[Candidate]:
    """Full-size candidates from the Images page; ``SourceBlocked`` for a captcha, the
    JavaScript challenge, or a page the browser could not load in time."""
    params = {"q": query, "tbm": "isch", "hl": "en"}
    if source.options.safe_search:
        params["safe"] = "active"
    url = source.base_url("google_url") + "/search?" + urlencode(params)
    budget = min(VISIT_SECONDS, source.settings.browser_page_seconds)
    # Images are never loaded: the grid's pictures are Google's thumbnails.
    async with BrowserJob(source.settings, source.events, blocked=BLOCKED_TYPES | {"image"}) as job:
        try:
            found = await job.visit(read_grid, url, budget=budget)
        except BrowserError as exc:
            why = f"the Images page did not load in the browser: {exc.reason}"
            raise SourceBlocked("google", f"blocked ({why})") from exc
    if not found:
        raise LayoutChanged("google", "no results parsed from the Images page, layout changed?")
    return found


async def read_grid(page: Page, transport: GuardedTransport, url: str) -> list[Candidate]:
    """Read the Images page, unless Google answers with its challenge (then a block, at once)."""
    bodies: list[str] = []
    challenged = asyncio.Event()
    transport.observers.append(lambda _url, answer: _keep_text(answer, bodies, challenged))
    return await _unless(challenged, _read_grid(page, transport, url, bodies))


async def _unless(challenged: asyncio.Event, step: Awaitable[T]) -> T:
    """``step``'s result, or ``SourceBlocked`` as soon as ``challenged`` is set."""
    work = asyncio.ensure_future(step)
    watch = asyncio.ensure_future(challenged.wait())
    try:
        await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        work.cancel()
        watch.cancel()
    if challenged.is_set():
        if work.done() and not work.cancelled():
            work.exception()  # whatever the challenge broke is no news
        raise SourceBlocked("google", CHALLENGE)
    return work.result()


async def _read_grid(
    page: Page, transport: GuardedTransport, url: str, bodies: list[str]
) -> list[Candidate]:
    """Load (past the consent page), scroll for more, then read every answer seen."""
    status = await load(page, transport, url)
    _check_sorry(page.url, status)
    if await _consent(page, transport):
        _check_sorry(page.url, None)
    await transport.quiet(QUIET_SECONDS, QUIET_BOUND)
    await scroll_to_end(page, SCROLL_STEPS)
    await transport.quiet(QUIET_SECONDS, QUIET_BOUND)
    html = await page.content()
    found = parse_grid([*bodies, html])
    if not found and is_js_wall(html):
        raise SourceBlocked("google", CHALLENGE)
    return found


def _keep_text(answer: Answer, bodies: list[str], challenged: asyncio.Event) -> None:
    kind = answer.headers.get("content-type", "")
    if kind.startswith(TEXT_TYPES) and len(answer.body) <= BODY_CAP:
        text = answer.body.decode("utf-8", errors="replace")
        bodies.append(text)
        if kind.startswith("text/html") and is_challenge(text):
            challenged.set()


def _check_sorry(url: str, status: int | None) -> None:
    parts = urlsplit(url)
    if parts.path.startswith("/sorry") or (parts.hostname or "").startswith("sorry."):
        raise SourceBlocked("google", "blocked (captcha: redirected to /sorry/, Images page)")
    if status in (429, 503):
        raise SourceBlocked("google", f"blocked (HTTP {status} on the Images page)")


async def _consent(page: Page, transport: GuardedTransport) -> bool:
    """Accept the cookie consent page when Google shows one; whether it did."""
    button = page.get_by_role("button", name=CONSENT_BUTTON)
    if await button.count() == 0:
        return False
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await button.first.click()
    await follow_moves(page, transport, None)
    return True


def parse_grid(texts: list[str]) -> list[Candidate]:
    """Full-size results in script data and ``/imgres`` links, in order, without thumbnails."""
    seen: set[str] = set()
    found: list[Candidate] = []
    for text in texts:
        for candidate in [*_triples(text), *_imgres_links(text)]:
            if candidate.url not in seen:
                seen.add(candidate.url)
                found.append(candidate)
    return found


def _triples(text: str) -> list[Candidate]:
    found = []
    for match in _TRIPLE.finditer(text):
        try:
            url = json.loads(f'"{match.group(1)}"')
        except ValueError:
            continue
        if is_thumbnail(url):
            continue
        height, width = int(match.group(2)), int(match.group(3))
        found.append(Candidate(url=url, source="google", title=title_of(url, None),
                               width=width, height=height))  # fmt: skip
    return found


def _imgres_links(text: str) -> list[Candidate]:
    found = (imgres(m.group(0).replace("&amp;", "&")) for m in _IMGRES.finditer(text))
    return [c for c in found if c is not None]
