"""Rendering one page: load it, scroll to the end so lazy loaders fire, let the network settle,
then read what the reader would see (``currentSrc``, ``srcset``, computed backgrounds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from imgharvest.errors import GuardError

if TYPE_CHECKING:
    from playwright.async_api import Page

    from imgharvest.browser.transport import GuardedTransport

SCROLL_PAUSE_MS = 80
MAX_SCROLL_STEPS = 40
QUIET_SECONDS = 0.3
# Before scrolling, a short lull is enough: the scroll waits for the page to stop growing.
FIRST_QUIET_SECONDS = 0.1
QUIET_BOUND_SECONDS = 5.0
MAX_ELEMENTS = 20_000
WEB_SCHEMES = ("http://", "https://")

# One round trip for the whole scroll: step a screen at a time; after each step wait for
# two rendered frames (intersection observers run in a frame: a page scrolled past faster
# than it renders would never see its slots) and a pause for scroll-event loaders; stop
# when the bottom stays the bottom (infinite scroll gets MAX_SCROLL_STEPS).
SCROLL_JS = """
async ({pause, steps}) => {
  const root = document.scrollingElement || document.documentElement;
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  let last = -1, still = 0;
  for (let i = 0; i < steps; i++) {
    window.scrollBy(0, Math.max(200, window.innerHeight * 0.9));
    await Promise.race([frames(), sleep(1000)]);
    await sleep(pause);
    const height = root.scrollHeight;
    const bottom = window.scrollY + window.innerHeight >= height - 2;
    still = bottom && height === last ? still + 1 : 0;
    if (still >= 2) break;
    last = height;
  }
}
"""

COLLECT_JS = """
(limit) => {
  const imgs = Array.from(document.images, img => ({
    current: img.currentSrc || "", src: img.src || "", srcset: img.getAttribute("srcset") || "",
    alt: img.alt || "", width: img.naturalWidth || 0, height: img.naturalHeight || 0,
  }));
  const backgrounds = [], seen = new Set();
  const all = document.querySelectorAll("*");
  const read = (value) => {
    if (!value || value === "none") return;
    for (const m of value.matchAll(/url\\(\\s*(["']?)(.*?)\\1\\s*\\)/g)) {
      if (!seen.has(m[2])) { seen.add(m[2]); backgrounds.push(m[2]); }
    }
  };
  for (let i = 0; i < all.length && i < limit; i++) {
    read(getComputedStyle(all[i]).backgroundImage);
    read(getComputedStyle(all[i], "::before").backgroundImage);
    read(getComputedStyle(all[i], "::after").backgroundImage);
  }
  return {imgs, backgrounds};
}
"""


@dataclass(frozen=True, slots=True)
class RenderedImage:
    """One ``img`` element as the browser resolved it."""

    current: str
    src: str
    srcset: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a rendered page showed: its final URL and status, title, DOM and images."""

    url: str
    status: int | None
    title: str
    html: str
    images: list[RenderedImage] = field(default_factory=list)
    backgrounds: list[str] = field(default_factory=list)
    settled: bool = True


def web_only(url: str) -> str:
    """``url``, if the browser may show it at the top level: http(s), fetched through the guard
    (never one of its own pages: ``chrome://``, ``devtools://``, ``view-source:`` …)."""
    if not url.lower().startswith(WEB_SCHEMES):
        raise GuardError(url[:200], "not an http(s) page")
    return url


async def load(page: Page, transport: GuardedTransport, url: str) -> int | None:
    """Navigate to ``url`` (every request through the guard); the final document's status."""
    response = await page.goto(web_only(url), wait_until="domcontentloaded")
    status = response.status if response is not None else None
    status = await follow_moves(page, transport, status)
    web_only(page.url)
    return status


async def follow_moves(page: Page, transport: GuardedTransport, status: int | None) -> int | None:
    """Navigate on while the page's document was a redirect (see ``GuardedTransport.fetch``)."""
    for _ in range(transport.settings.max_redirects + 1):
        target = transport.moved.pop(page.url, None)
        if target is None:
            return status
        response = await page.goto(web_only(target), wait_until="domcontentloaded")
        status = response.status if response is not None else None
    raise TimeoutError(f"too many redirects from {page.url}")


async def scroll_to_end(page: Page, steps: int = MAX_SCROLL_STEPS) -> None:
    """Scroll down a screen at a time until the page stops growing (bounded)."""
    await page.evaluate(SCROLL_JS, {"pause": SCROLL_PAUSE_MS, "steps": steps})


async def render_page(page: Page, transport: GuardedTransport, url: str) -> Rendered:
    """Load, scroll, settle (bounded) and read one page."""
    status = await load(page, transport, url)
    await transport.quiet(FIRST_QUIET_SECONDS, QUIET_BOUND_SECONDS)
    await scroll_to_end(page)
    settled = await transport.quiet(QUIET_SECONDS, QUIET_BOUND_SECONDS)
    found: dict[str, Any] = await page.evaluate(COLLECT_JS, MAX_ELEMENTS)
    return Rendered(
        url=web_only(page.url),  # the page may have navigated itself meanwhile
        status=status,
        title=await page.title(),
        html=await page.content(),
        images=[RenderedImage(**item) for item in found.get("imgs", [])],
        backgrounds=[str(b) for b in found.get("backgrounds", [])],
        settled=settled,
    )
